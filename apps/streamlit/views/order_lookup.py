"""订单追踪 Order lookup: an order number, a tracking number (scan it) or the last 4 digits of the receiver's
phone → the order's whole chain: order, lines, review, outbound scans, tracking numbers (linked to
快递100) with every track node, SLA alerts, logistics exceptions (and payments / after-sales once those
marts are published)."""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pandas as pd
import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import can, require
from apps.streamlit.data import query, tables
from apps.streamlit.i18n import t

require("order_lookup")

TRACKING_URL = "https://www.kuaidi100.com/chaxun?com={com}&nu={nu}"
STATE = {
    "0": "在途", "1": "揽收", "2": "疑难", "3": "签收", "4": "退签", "5": "派件", "6": "退回", "7": "转投", "14": "拒签",
}  # fmt: skip
MAX_MATCHES = 50


def tracking_link(carrier: str | None, tracking_no: str) -> str:
    if not carrier:
        return tracking_no
    url = TRACKING_URL.format(com=quote(carrier, safe=""), nu=quote(tracking_no, safe=""))
    return f"[{tracking_no}]({url})"


PLATFORMS = ("douyin", "pinduoduo", "taobao", "miniprogram", "erp")  # order_key = platform:order_no


def find_orders(term: str) -> pd.DataFrame:
    """Orders whose number, key or tracking number is term, or (4 digits) whose phone ends in term.

    Four digits are the last digits of a phone (no order or tracking number is that short); anything else
    is looked up as the order_keys it can be (one per platform: the published fct_orders is sorted by
    order_key, so DuckDB reads one row group per key instead of scanning 1 M order numbers) and as a
    tracking number.
    """
    if len(term) == 4 and term.isdigit():
        return query(
            f"""
            with hits as (
                select order_key, receiver_name from dim_order_receivers where phone_last4 = ?
            )
            select o.order_key, o.order_no, o.platform, o.paid_at, o.status, hits.receiver_name
            from hits
            join fct_orders as o on o.order_key = hits.order_key
            order by o.paid_at desc nulls last, o.order_key
            limit {MAX_MATCHES + 1}
            """,
            (term,),
        )
    keys = [term, *(f"{platform}:{term}" for platform in PLATFORMS)]
    return query(
        f"""
        with hits as (
            select order_key from fct_orders where order_key in ({", ".join("?" * len(keys))})
            union
            select order_key from fct_orders
            where contains(tracking_nos, ?) and list_contains(string_split(tracking_nos, ';'), ?)
        )
        select o.order_key, o.order_no, o.platform, o.paid_at, o.status, r.receiver_name
        from hits
        join fct_orders as o on o.order_key = hits.order_key
        left join dim_order_receivers as r on r.order_key = hits.order_key
        order by o.paid_at desc nulls last, o.order_key
        limit {MAX_MATCHES + 1}
        """,
        (*keys, term, term),
    )


def show(frame: pd.DataFrame, columns: dict[str, str], empty: str) -> None:
    if frame.empty:
        st.caption(empty)
        return
    shown = frame[[c for c in columns if c in frame.columns]].rename(columns=columns)
    i18n.dataframe(shown, hide_index=True, width="stretch")


st.title(t("订单追踪 Order lookup"))
term = st.text_input(
    "订单号 / 快递单号 / 手机后4位 Order no., tracking no. (scan) or last 4 phone digits", key="lookup_term"
).strip()
if not term:
    st.caption("输入或扫描后回车 Type or scan, then Enter.")
    st.stop()

matches = find_orders(term)
if matches.empty:
    st.warning(f"没有找到 No order matches `{term}`.")
    st.stop()
if len(matches) > MAX_MATCHES:
    st.caption(f"超过 {MAX_MATCHES} 单匹配，只列出前 {MAX_MATCHES} 单 (more than {MAX_MATCHES} matches)")
    matches = matches.head(MAX_MATCHES)
labels = [
    f"{r.order_no} · {r.platform} · {r.paid_at:%Y-%m-%d %H:%M}"
    if pd.notna(r.paid_at)
    else f"{r.order_no} · {r.platform}"
    for r in matches.itertuples()
]
picked = st.selectbox(f"匹配订单 Matching orders ({len(matches)})", labels, key="lookup_pick")
order_key = matches["order_key"].iloc[labels.index(picked)]

order = query("select * from fct_orders where order_key = ?", (order_key,)).iloc[0]
receiver = query(
    "select receiver_name, receiver_phone, receiver_address from dim_order_receivers where order_key = ?",
    (order_key,),
)


def text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    return str(value)


st.subheader(f"订单 {order['order_no']}")
facts = {
    "平台 platform": order["platform"],
    "状态 status": order["status"],
    "支付时间 paid": order["paid_at"],
    "审单时间 reviewed": order["reviewed_at"],
    "仓库 warehouse": order["warehouse_code"],
    "发货时间 shipped": order["shipped_at"],
    "签收时间 signed": order["signed_at"],
    "72小时签收 on time 72 h": order["on_time_72h"],
    "延误环节 delay stage": order["delay_stage"],
}
if "order_amount" in order.index:  # dropped by data.query for roles without `amounts`
    facts["订单金额 amount (元)"] = f"{order['order_amount']:,.2f}"
if not receiver.empty:
    facts["收件人 receiver"] = receiver["receiver_name"].iloc[0]
    facts["电话 phone"] = receiver["receiver_phone"].iloc[0]
    facts["地址 address"] = receiver["receiver_address"].iloc[0]
i18n.dataframe(
    pd.DataFrame({"项目": list(facts), "值": [text(v) for v in facts.values()]}),
    hide_index=True,
    width="stretch",
    height=35 * (len(facts) + 1) + 3,  # every row visible, no inner scrolling
    key="lookup_facts",
)

st.subheader(t("明细 Lines"))
show(
    query("select * from fct_order_lines where order_key = ? order by line_no, sku", (order_key,)),
    {"sku": "商家编码", "product_name": "商品", "category": "类目", "quantity": "数量", "line_amount": "金额",
     "is_gift": "赠品"},
    "没有明细 No lines.",
)  # fmt: skip

events = query(
    "select * from fct_warehouse_events where order_key = ? order by event_time, event, barcode", (order_key,)
)
event_columns = {"event_time": "时间", "event": "事件", "warehouse_code": "仓库", "operator": "操作人",
                 "tracking_no": "物流单号", "barcode": "商品条码", "wave_no": "波次号", "remark": "备注"}  # fmt: skip
st.subheader(t("审单 Review"))
show(events.loc[events["event"] == "审单"], event_columns, "还没有审单 Not reviewed yet.")
st.subheader(t("出库 Outbound / 异常上报"))
show(
    events.loc[events["event"].isin(["出库扫描", "出库", "异常上报"])],
    event_columns,
    "还没有出库记录 No outbound yet.",
)

st.subheader(t("物流 Tracking"))
numbers = (
    [n for n in str(order["tracking_nos"] or "").split(";") if n] if pd.notna(order["tracking_nos"]) else []
)
if not numbers:
    st.caption("没有快递单号 No tracking number.")
nodes = query(
    "select * from fct_track_events where list_contains(?, tracking_no) order by tracking_no, node_index",
    (numbers,),
)
for number in numbers:
    own = nodes.loc[nodes["tracking_no"] == number]
    carrier = own["carrier"].iloc[0] if len(own) else None
    st.markdown(f"快递单号 {tracking_link(carrier, number)} · {carrier or '未知快递'} · {len(own)} 个节点")
    own = own.assign(state=own["state"].map(lambda s: f"{s} {STATE.get(str(s), '')}".strip()))
    show(
        own,
        {"node_time": "时间", "state": "状态", "context": "内容", "area_name": "地区"},
        "没有轨迹 No track nodes.",
    )

st.subheader(t("SLA 预警 Alerts"))
show(
    query("select * from fct_sla_alerts where order_key = ? order by raised_at", (order_key,)),
    {"alert_type": "预警", "recipient_role": "接收人", "raised_at": "时间"},
    "没有预警 No alerts.",
)
st.subheader(t("物流异常 Logistics exceptions"))
show(
    query("select * from fct_logistics_exceptions where order_key = ? order by since", (order_key,)),
    {"tracking_no": "快递单号", "carrier": "快递", "exception_type": "异常", "since": "开始", "last_event_at": "最后节点",
     "last_context": "最后内容"},
    "没有物流异常 No open exceptions.",
)  # fmt: skip

published = tables()
if "fct_three_way_match" in published:
    st.subheader(t("付款对账 Payments"))
    show(
        query("select * from fct_three_way_match where order_key = ?", (order_key,)),
        {"payment_refs": "付款凭证", "paid_amount": "已付", "match_status": "状态", "difference_type": "差异",
         "responsible_team": "责任组"},
        "不在对账范围 Not in reconciliation scope.",
    )  # fmt: skip
if "fct_aftersales" in published:
    st.subheader(t("售后 After-sales"))
    show(
        query("select * from fct_aftersales where order_key = ? order by applied_at", (order_key,)),
        {"ticket_no": "售后单号", "sku": "商家编码", "reason_tags": "原因", "applied_at": "申请时间",
         "resolved_at": "完成时间", "refund_amount": "退款金额"},
        "没有售后 No after-sales tickets.",
    )  # fmt: skip
if not can("pii"):
    st.caption("个人信息已脱敏 Personal data is masked for your role.")
