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


AGE_BUCKETS = ["24 小时内", "1–3 天", "3–7 天", "7 天以上"]


def age_bucket(age_hours: float) -> str:
    """The age bucket of a signal raised `age_hours` before as_of."""
    if age_hours < 24:
        return AGE_BUCKETS[0]
    if age_hours < 72:
        return AGE_BUCKETS[1]
    if age_hours < 168:
        return AGE_BUCKETS[2]
    return AGE_BUCKETS[3]


def signals_by_age(signals: pd.DataFrame) -> go.Figure:
    """Stacked bars: signals per age bucket, one colour per signal type (columns 类型, 时长)."""
    data = signals.groupby(["时长", "类型"], as_index=False).size().rename(columns={"size": "信号数"})
    fig = px.bar(
        data,
        x="时长",
        y="信号数",
        color="类型",
        category_orders={"时长": AGE_BUCKETS},
        labels={"时长": "距 as_of 时长", "信号数": "信号数", "类型": "信号类型"},
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=320)
    return fig
