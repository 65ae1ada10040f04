"""总览 Overview: the daily KPIs of `fct_kpi_daily` (docs/signals.md) for a chosen period.

One tile per KPI: the period's value is the mean of the daily values of the days that have one (a day
without a denominator is null in the mart and is left out), the small chart is the daily series, and the
delta compares with the period of the same length just before (none for "all"). Orders paid is a sum.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import require
from apps.streamlit.charts import rate_trend
from apps.streamlit.data import query, snapshot_as_of
from apps.streamlit.downloads import download_buttons
from apps.streamlit.i18n import t

require("overview")

PERIODS = {"近7天 7 days": 7, "近14天 14 days": 14, "近30天 30 days": 30, "全部 all": None}

# column -> (tile label, kind, higher is better)
KPIS = {
    "on_time_72h_rate": ("72小时签收率 On time 72 h", "rate", True),
    "shipped_within_24h_rate": ("24小时发货率 Shipped within 24 h", "rate", True),
    "difference_rate": ("对账差异率 Difference rate", "rate", False),
    "mis_shipment_rate": ("错发率 Mis-shipment rate", "rate", False),
    "repeat_inquiry_rate": ("重复咨询率 Repeat-inquiry rate", "rate", False),
    "avg_aftersales_minutes": ("售后处理时长(分钟) After-sales minutes", "number", False),
    "avg_outbound_seconds": ("出库时长(秒) Outbound seconds", "number", False),
}

DAILY_SQL = "select * from fct_kpi_daily where day >= ? and day <= ? order by day"


def mean(series: pd.Series) -> float | None:
    values = series.dropna().astype(float)
    return float(values.mean()) if len(values) else None


def show(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if kind == "rate" else f"{value:,.1f}"


def delta(now: float | None, before: float | None, kind: str) -> str | None:
    if now is None or before is None:
        return None
    diff = now - before
    return f"{diff * 100:+.1f} pp" if kind == "rate" else f"{diff:+,.1f}"


st.title(t("总览 Overview"))
as_of = snapshot_as_of()
st.caption(
    f"截至 as of {as_of:%Y-%m-%d %H:%M} · 日指标 daily KPIs (fct_kpi_daily) · 周期值 = 日均 daily mean"
)
choice = st.radio(t("周期 Period"), list(PERIODS), index=1, horizontal=True, key="overview_period")
days = PERIODS[choice]
last = as_of.date()
first = last - timedelta(days=days - 1) if days else last.replace(year=1970, month=1, day=1)

daily = query(DAILY_SQL, (first, last))
previous = query(DAILY_SQL, (first - timedelta(days=days), first - timedelta(days=1))) if days else None

st.metric(t("已支付订单 Orders paid"), f"{int(daily['orders_paid'].fillna(0).sum()):,}")
columns = st.columns(4)
for i, (column, (label, kind, higher_better)) in enumerate(KPIS.items()):
    now = mean(daily[column])
    before = mean(previous[column]) if previous is not None and not previous.empty else None
    series = [float(v) for v in daily[column].dropna()]  # days with a value
    columns[i % 4].metric(
        t(label),
        show(now, kind),
        delta(now, before, kind),
        delta_color="normal" if higher_better else "inverse",
        chart_data=series or None,
        border=True,
    )

if daily.empty:
    st.info("该周期没有数据 No data in this period.")
    st.stop()

trend = daily.assign(
    on_time_72h_rate=daily["on_time_72h_rate"].astype(float),
    shipped_within_24h_rate=daily["shipped_within_24h_rate"].astype(float),
)
st.plotly_chart(rate_trend(trend), width="stretch")

table = daily.rename(
    columns={"day": "日期", "orders_paid": "已支付"} | {c: label for c, (label, _, _) in KPIS.items()}
)
i18n.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={"日期": st.column_config.DateColumn(format="YYYY-MM-DD")}
    | {KPIS[c][0]: st.column_config.NumberColumn(format="percent") for c in KPIS if KPIS[c][1] == "rate"},
)
download_buttons(table, "overview_daily", key="overview")
