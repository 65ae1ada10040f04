"""总览 Overview: on-time 72 h and shipped-within-24 h by payment day, for a chosen period.

TODO(fct_kpi_daily): when the public mart `fct_kpi_daily` lands, read the daily figures from it (day,
orders_paid, on_time_72h_rate, shipped_within_24h_rate) instead of aggregating fct_orders here, and add
its other tiles (difference_rate, mis_shipment_rate, repeat_inquiry_rate, avg_aftersales_minutes).
Until then the rates follow the contract's definition on fct_orders: achieved / due orders paid that day,
where due = on_time_72h (resp. shipped_within_24h) is not null.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from apps.streamlit.auth import require
from apps.streamlit.charts import rate_trend
from apps.streamlit.data import query, snapshot_as_of
from apps.streamlit.downloads import download_buttons

require("overview")

PERIODS = {"近7天 7 days": 7, "近14天 14 days": 14, "近30天 30 days": 30, "全部 all": None}

DAILY_SQL = """
    select
        cast(paid_at as date) as day,
        count(*) as orders_paid,
        count(on_time_72h) as due_72h,
        sum(case when on_time_72h then 1 else 0 end) as on_time_72h,
        count(shipped_within_24h) as due_24h,
        sum(case when shipped_within_24h then 1 else 0 end) as shipped_within_24h
    from fct_orders
    where paid_at is not null
        and cast(paid_at as date) >= ?
        and cast(paid_at as date) <= ?
    group by 1
    order by 1
"""


def rate(achieved, due) -> float | None:
    return float(achieved) / float(due) if due else None


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


st.title("总览 Overview")
as_of = snapshot_as_of()
st.caption(f"截至 as of {as_of:%Y-%m-%d %H:%M} · 按支付日期 by payment day")
choice = st.radio("周期 Period", list(PERIODS), index=1, horizontal=True, key="overview_period")
days = PERIODS[choice]
last = as_of.date()
first = last - timedelta(days=days - 1) if days else last.replace(year=1970, month=1, day=1)

daily = query(DAILY_SQL, (first, last))
totals = daily[["orders_paid", "due_72h", "on_time_72h", "due_24h", "shipped_within_24h"]].sum()

c1, c2, c3 = st.columns(3)
c1.metric("已支付订单 Orders paid", f"{int(totals['orders_paid']):,}")
c2.metric("72小时签收率 On time 72 h", pct(rate(totals["on_time_72h"], totals["due_72h"])))
c3.metric("24小时发货率 Shipped within 24 h", pct(rate(totals["shipped_within_24h"], totals["due_24h"])))

if daily.empty:
    st.info("该周期没有已支付订单 No paid orders in this period.")
    st.stop()

daily["on_time_72h_rate"] = [rate(a, d) for a, d in zip(daily["on_time_72h"], daily["due_72h"], strict=True)]
daily["shipped_within_24h_rate"] = [
    rate(a, d) for a, d in zip(daily["shipped_within_24h"], daily["due_24h"], strict=True)
]
st.plotly_chart(rate_trend(daily), width="stretch")

table = daily.rename(
    columns={
        "day": "支付日期", "orders_paid": "已支付", "due_72h": "72h到期", "on_time_72h": "72h签收",
        "on_time_72h_rate": "72h签收率", "due_24h": "24h到期", "shipped_within_24h": "24h发货",
        "shipped_within_24h_rate": "24h发货率",
    }
)  # fmt: skip
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "支付日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "72h签收率": st.column_config.NumberColumn(format="percent"),
        "24h发货率": st.column_config.NumberColumn(format="percent"),
    },
)
download_buttons(table, "overview_daily", key="overview")
