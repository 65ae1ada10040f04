"""履约热力图: overdue unshipped orders per warehouse × day (fct_fulfillment_heatmap), and for a chosen day
and warehouse the orders behind the cell (fct_heatmap_orders) by hour, category and delay stage."""

from __future__ import annotations

from datetime import date

import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import require
from apps.streamlit.charts import count_bar, fulfillment_heatmap, heatmap_cell
from apps.streamlit.data import query, snapshot_as_of
from apps.streamlit.downloads import download_buttons
from apps.streamlit.i18n import t

require("heatmap")

ALL = "全部 All"
STAGES = {"review": "审单超时 review", "outbound": "出库超时 outbound", "transit": "运输超时 transit"}
STATUS = {
    "pending_payment": "待支付", "paid": "已支付", "shipped": "已发货", "signed": "已签收",
    "completed": "已完成", "cancelled": "已取消", "refunded": "已退款",
}  # fmt: skip
# one filter for every drill-down query: the day, and the warehouse unless ALL (NULL) was chosen
CELL = "h.day = ? and (cast(? as varchar) is null or h.warehouse_code = ?)"

st.title(t("履约热力图 Fulfilment heatmap"))
st.caption(
    f"截至 as of {snapshot_as_of():%Y-%m-%d %H:%M} · 格内数字 = 当日结束时支付满24小时仍未发货的订单 "
    "(overdue unshipped orders at the end of the day; cancelled/refunded excluded)"
)

grid = query("select day, warehouse_code, overdue_unshipped_orders from fct_fulfillment_heatmap order by day")
if grid.empty:
    st.info("热力图为空 The heatmap mart is empty.")
    st.stop()
event = st.plotly_chart(
    fulfillment_heatmap(grid),
    width="stretch",
    key="heatmap_chart",
    on_select="rerun",
    selection_mode="points",
)
st.caption("点击格子查看订单，或在下方选择日期和仓库 (click a cell, or choose the day and warehouse below)")

per_day = (
    grid.groupby("day", as_index=False)["overdue_unshipped_orders"].sum().sort_values("day", ascending=False)
)
days = [d.date() if hasattr(d, "date") else d for d in per_day["day"]]
busy = per_day.loc[per_day["overdue_unshipped_orders"] > 0, "day"]
default_day = busy.iloc[0] if len(busy) else per_day["day"].iloc[0]
default_day = default_day.date() if hasattr(default_day, "date") else default_day

# A click on a cell sets both select boxes (before they are drawn) once per new click, so the boxes stay
# usable afterwards: choosing another day there is not undone by the cell still selected in the chart.
clicked = heatmap_cell(event.selection if event else None)
if clicked is None:
    st.session_state.pop("heatmap_clicked", None)  # a click on the same cell later counts again
elif clicked != st.session_state.get("heatmap_clicked"):
    st.session_state["heatmap_clicked"] = clicked
    click_day, click_wh = date.fromisoformat(clicked[0]), clicked[1]
    if click_day in days:
        st.session_state["heatmap_day"] = click_day
        st.session_state["heatmap_warehouse"] = click_wh
if st.session_state.get("heatmap_day") not in days:  # first visit, or a new snapshot without that day
    st.session_state["heatmap_day"] = default_day

left, right = st.columns(2)
day = left.selectbox(t("日期 Day"), days, key="heatmap_day")
on_day = grid.loc[grid["day"].dt.date == day].sort_values("overdue_unshipped_orders", ascending=False)
warehouse = right.selectbox(t("仓库 Warehouse"), [ALL, *on_day["warehouse_code"]], key="heatmap_warehouse")
wh = None if warehouse == ALL else warehouse
cell_count = int(
    on_day["overdue_unshipped_orders"].sum()
    if wh is None
    else on_day.loc[on_day["warehouse_code"] == wh, "overdue_unshipped_orders"].sum()
)
st.metric(f"{t('超时未发订单 Overdue unshipped')} · {day} · {warehouse}", f"{cell_count:,}")

if cell_count == 0:
    st.info("这一格没有超时未发的订单 No overdue unshipped orders in this cell.")
    st.stop()

params = (day, wh, wh)
by_warehouse = on_day.loc[on_day["overdue_unshipped_orders"] > 0]
by_hour = query(
    f"select extract(hour from h.paid_at) as hour, count(*) as orders from fct_heatmap_orders as h "
    f"where {CELL} group by 1 order by 1",
    params,
)
by_category = query(
    f"""
    select coalesce(l.category, '未知 unknown') as category, count(distinct h.order_key) as orders
    from fct_heatmap_orders as h
    join fct_order_lines as l on l.order_key = h.order_key
    where {CELL} and not l.is_gift
    group by 1
    order by orders desc, category
    """,
    params,
)
by_stage = query(
    f"select coalesce(h.delay_stage, 'none') as stage, count(*) as orders from fct_heatmap_orders as h "
    f"where {CELL} group by 1 order by orders desc",
    params,
)
by_stage["stage"] = by_stage["stage"].map(lambda s: STAGES.get(s, s))

tab_wh, tab_hour, tab_cat, tab_stage = st.tabs(
    [t(label) for label in ("哪个仓 Warehouse", "哪个时段 Hour paid", "哪个类目 Category", "哪个环节 Stage")]
)
with tab_wh:
    st.plotly_chart(
        count_bar(by_warehouse, "warehouse_code", "overdue_unshipped_orders", "仓库"),
        width="stretch",
        key="by_wh",
    )
with tab_hour:
    st.plotly_chart(
        count_bar(by_hour, "hour", "orders", "支付小时 hour paid"), width="stretch", key="by_hour"
    )
with tab_cat:
    st.caption(
        "一单多个类目时每个类目各计一次 (an order with several categories counts in each; gifts excluded)"
    )
    st.plotly_chart(
        count_bar(by_category, "category", "orders", "类目 category"), width="stretch", key="by_cat"
    )
with tab_stage:
    st.plotly_chart(count_bar(by_stage, "stage", "orders", "延误环节 stage"), width="stretch", key="by_stage")

LIMIT = 2000
orders = query(
    f"""
    select h.order_no, h.platform, h.warehouse_code, h.paid_at, h.reviewed_at, h.shipped_at,
           h.hours_since_paid, h.delay_stage, o.status
    from fct_heatmap_orders as h
    join fct_orders as o on o.order_key = h.order_key
    where {CELL}
    order by h.paid_at, h.order_no
    limit {LIMIT}
    """,
    params,
)
orders["delay_stage"] = orders["delay_stage"].map(lambda s: STAGES.get(s, s))
orders["status"] = orders["status"].map(lambda s: STATUS.get(s, s))
table = orders.rename(
    columns={
        "order_no": "订单号", "platform": "平台", "warehouse_code": "仓库", "paid_at": "支付时间",
        "reviewed_at": "审单时间", "shipped_at": "发货时间", "hours_since_paid": "已支付小时",
        "delay_stage": "延误环节", "status": "状态",
    }
)  # fmt: skip
st.subheader(t("订单 Orders"))
if cell_count > LIMIT:
    st.caption(f"显示前 {LIMIT:,} 单 (showing the first {LIMIT:,} of {cell_count:,})")
i18n.dataframe(table, hide_index=True, width="stretch")
download_buttons(table, f"overdue_{day}_{warehouse if wh else 'all'}", key="heatmap_orders")
