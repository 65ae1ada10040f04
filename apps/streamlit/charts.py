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


def _tight(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=height)
    return fig


CELL_TRACE = "cells"  # the clickable overlay of fulfillment_heatmap


def fulfillment_heatmap(grid: pd.DataFrame) -> go.Figure:
    """X = day, Y = warehouse, colour and cell text = overdue unshipped orders (red scale, white at 0)."""
    pivot = grid.pivot(index="warehouse_code", columns="day", values="overdue_unshipped_orders").fillna(0)
    pivot = pivot.sort_index(ascending=False)
    days = [str(pd.Timestamp(d).date()) for d in pivot.columns]
    z = pivot.to_numpy(dtype=int)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=days,
            y=list(pivot.index),
            text=z,
            texttemplate="%{text}",
            colorscale="Reds",
            zmin=0,
            colorbar={"title": "超时未发"},
            hoverinfo="skip",  # the overlay below answers hovers and clicks
            xgap=1,
            ygap=1,
        )
    )
    # Streamlit's selection events carry no points for a Heatmap trace (streamlit#8760, #15042): an
    # invisible square marker on every cell makes a click select (day, warehouse) as a point instead.
    xs = [day for _ in pivot.index for day in days]
    ys = [wh for wh in pivot.index for _ in days]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            customdata=z.flatten(),
            mode="markers",
            marker={"symbol": "square", "size": 22, "opacity": 0},
            hovertemplate="%{x} · %{y}<br>超时未发 %{customdata} 单<extra></extra>",
            showlegend=False,
            name=CELL_TRACE,
        )
    )
    fig.update_layout(clickmode="event+select", dragmode=False)
    fig.update_xaxes(title="日期 day", type="category")
    fig.update_yaxes(title="仓库 warehouse", type="category")
    return _tight(fig, height=120 + 40 * len(pivot.index))


def heatmap_cell(selection) -> tuple[str, str] | None:
    """The (day 'YYYY-MM-DD', warehouse_code) of a click on fulfillment_heatmap, from the `selection` of
    st.plotly_chart(..., on_select="rerun"); None when nothing (or no cell) is selected. With several
    points selected, the last one wins (the latest click)."""
    points = (selection or {}).get("points") or []
    for point in reversed(points):
        x, y = point.get("x"), point.get("y")
        if x is None or y is None:
            continue
        return str(pd.Timestamp(x).date()), str(y)
    return None


def rate_trend(daily: pd.DataFrame) -> go.Figure:
    """Daily on-time-72 h and shipped-within-24 h rates (0..1 shown as %)."""
    long = daily.melt(
        id_vars="day",
        value_vars=["on_time_72h_rate", "shipped_within_24h_rate"],
        var_name="kpi",
        value_name="rate",
    )
    names = {
        "on_time_72h_rate": "72小时签收率 on time 72 h",
        "shipped_within_24h_rate": "24小时发货率 shipped 24 h",
    }
    long["kpi"] = long["kpi"].map(names)
    fig = px.line(
        long,
        x="day",
        y="rate",
        color="kpi",
        markers=True,
        labels={"day": "支付日期", "rate": "比率", "kpi": ""},
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _tight(fig)


def count_bar(frame: pd.DataFrame, x: str, y: str, x_label: str, y_label: str = "订单数") -> go.Figure:
    fig = px.bar(
        frame, x=x, y=y, text=y, labels={x: x_label, y: y_label}, color_discrete_sequence=["#d62728"]
    )
    fig.update_xaxes(type="category")
    return _tight(fig, height=280)


def stacked_by_age(counts: pd.DataFrame, kind: str) -> go.Figure:
    """Counts per age bucket ('1: <24h' ... sorted by their prefix), stacked by kind."""
    counts = counts.sort_values("age_bucket")
    fig = px.bar(
        counts, x="age_bucket", y="count", color=kind, text="count",
        labels={"age_bucket": "账龄 age", "count": "数量", kind: ""},
        color_discrete_sequence=px.colors.sequential.Reds_r,
    )  # fmt: skip
    fig.update_xaxes(type="category", categoryorder="category ascending")
    return _tight(fig, height=300)


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
