"""Pure Plotly figure builders (no Streamlit here, so they can be tested alone)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go


def amount_by_sku(lines: pd.DataFrame) -> go.Figure:
    """Bar chart of line amount per SKU, gifts excluded, largest first."""
    data = (
        lines.loc[~lines["is_gift"].astype(bool)]
        .groupby("sku", as_index=False)["line_amount"]
        .sum()
        .sort_values("line_amount", ascending=False)
    )
    data["line_amount"] = data["line_amount"].astype(float)
    fig = px.bar(data, x="sku", y="line_amount", labels={"sku": "商家编码 SKU", "line_amount": "金额 (元)"})
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=320)
    return fig
