"""风险预警: the early-warning signals (channel health, stock-out streaks, order risks) by age, with a
drill-down to the orders behind each one. Reads only the published snapshot."""

from __future__ import annotations

import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import require
from apps.streamlit.charts import age_bucket, signals_by_age
from apps.streamlit.data import query, snapshot_as_of
from apps.streamlit.i18n import t

require("risk_signals")

TYPE_NAMES = {
    "channel_health": "渠道健康 (72h 未付款率)",
    "stockout_streak": "连续断货 (采购)",
    "order_risk": "地址多次变更 (发货前电话确认)",
}

st.title(t("风险预警 Risk signals"))
as_of = snapshot_as_of()
st.caption(f"数据截至 as_of `{as_of:%Y-%m-%d %H:%M:%S}`")

signals = query(
    """
    with raised as (
        select 'channel_health' as signal_type,
               channel_id as subject,
               channel || ' · 创建日 ' || cast(day as varchar) || ' · ' || cast(unpaid_after_72h as varchar)
                   || '/' || cast(orders as varchar) || ' 单未付款' as detail,
               cast(day as timestamp) as signal_at,
               cast(day as varchar) as ref
        from rpt_channel_health
        where alert
        union all
        select 'stockout_streak', sku,
               coalesce(supplier, '未知供应商') || ' · 连续 ' || cast(orders_blocked as varchar) || ' 单断货',
               last_order_at, streak_key
        from fct_stockout_streaks
        union all
        select 'order_risk', order_key, detail, detected_at, risk_type
        from fct_order_risks
    )
    select *, round(date_diff('second', signal_at, cast(? as timestamp)) / 3600.0, 1) as age_hours
    from raised
    order by signal_at desc, signal_type, subject
    """,
    (as_of,),
)
signals["类型"] = signals["signal_type"].map(TYPE_NAMES)
signals["时长"] = signals["age_hours"].map(age_bucket)

counts = signals["signal_type"].value_counts()
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("信号总数 Signals"), f"{len(signals):,}")
c2.metric(t("渠道预警 Channel alerts"), f"{int(counts.get('channel_health', 0)):,}")
c3.metric(t("连续断货 Stock-out streaks"), f"{int(counts.get('stockout_streak', 0)):,}")
c4.metric(t("订单风险 Order risks"), f"{int(counts.get('order_risk', 0)):,}")

if signals.empty:
    st.success("当前没有风险信号 No open signals.")
    st.stop()

st.plotly_chart(signals_by_age(signals), width="stretch")
i18n.dataframe(
    signals[["类型", "subject", "detail", "signal_at", "age_hours", "时长"]].rename(
        columns={"subject": "对象", "detail": "说明", "signal_at": "发生时间", "age_hours": "已过小时数"}
    ),
    hide_index=True,
    width="stretch",
)

st.subheader(t("明细 Drill-down"))
labels = [
    f"{TYPE_NAMES[r.signal_type]} | {r.subject} | {r.signal_at:%Y-%m-%d %H:%M}"
    for r in signals.itertuples(index=False)
]
chosen = st.selectbox("选择信号 Signal", range(len(labels)), format_func=lambda i: labels[i])
signal = signals.iloc[chosen]
order_columns = """
    order_key as 订单键, platform as 平台, order_no as 订单号, status as 状态, paid_at as 付款时间,
    reviewed_at as 审单时间, warehouse_code as 仓库, shipped_at as 发货时间, signed_at as 签收时间,
    tracking_nos as 物流单号
"""
if signal["signal_type"] == "order_risk":
    detail = query(f"select {order_columns} from fct_orders where order_key = ?", (signal["subject"],))
elif signal["signal_type"] == "stockout_streak":
    detail = query(
        f"""
        select {order_columns}
        from fct_orders
        where list_contains(
            string_split((select order_keys from fct_stockout_streaks where streak_key = ?), ';'), order_key
        )
        order by paid_at, order_key
        """,
        (signal["ref"],),
    )
else:
    # the orders of a 直播间 / 视频 are not in a public mart: show the channel's days
    detail = query(
        """
        select day as 创建日, channel as 渠道, channel_id as 渠道ID, orders as 订单数,
               unpaid_after_72h as "72h未付款", unpaid_rate as 未付款率, alert as 预警
        from rpt_channel_health
        where channel_id = ?
        order by day
        """,
        (signal["subject"],),
    )
i18n.dataframe(detail, hide_index=True, width="stretch")
