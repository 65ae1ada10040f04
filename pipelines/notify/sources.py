"""Which marts raise alerts, declaratively: one `AlertSource` per mart, one line each.

An alert is one row of the mart, identified by a stable hash of its key columns (`alert_id`), so the
same row seen by the next pass (or the next rebuild of the mart) is the same alert. A source whose
table does not exist yet (its mart comes with a later issue) is skipped, and the pass says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

KUAIDI100_PAGE = "https://www.kuaidi100.com/chaxun?com={com}&nu={nu}"

ALERT_TYPES = {
    "review_pending": "待审单",
    "review_escalated": "审单超时 2 小时",
    "stock_shortage": "缺货",
}
ROLES = {"ops_lead": "运营主管", "warehouse_supervisor": "仓库主管", "purchasing": "采购"}
EXCEPTION_TYPES = {
    "stalled_24h": "超 24 小时无物流更新",
    "rejected": "拒签/退签",
    "returned": "退回",
    "problem": "疑难件",
}
ACTION_TYPES = {"freeze_order": "冻结订单", "qc_task": "质检任务", "supplier_alert": "供应商预警"}


def _t(value) -> str:
    return "" if value is None else str(value)[:16]


def _sla_line(row: dict) -> str:
    kind = ALERT_TYPES.get(row["alert_type"], row["alert_type"])
    role = ROLES.get(row["recipient_role"], row["recipient_role"])
    return f"**{kind}** → {role}：订单 `{row['order_key']}`，{_t(row['raised_at'])}"


def _logistics_line(row: dict) -> str:
    kind = EXCEPTION_TYPES.get(row["exception_type"], row["exception_type"])
    link = KUAIDI100_PAGE.format(com=row.get("carrier") or "", nu=row["tracking_no"])
    order = f"订单 `{row['order_key']}`" if row.get("order_key") else "无对应订单"
    context = (row.get("last_context") or "").replace("\n", " ")[:40]
    return f"**{kind}**：[{row['tracking_no']}]({link})，{order}，自 {_t(row['since'])}，{context}"


def _channel_line(row: dict) -> str:
    rate = row.get("unpaid_rate")
    share = f"{float(rate):.0%}" if rate is not None else "?"
    kind = {"直播": "直播间", "短视频": "视频"}.get(row.get("channel") or "", row.get("channel") or "")
    return (
        f"**72 小时未付款率 {share}**：{kind} `{row['channel_id']}`，{_t(row['day'])[:10]} 创建 "
        f"{row['orders']} 单，{row['unpaid_after_72h']} 单未付款（流量质量下降）"
    )


def _streak_line(row: dict) -> str:
    orders = (row.get("order_keys") or "").replace(";", "、")
    return (
        f"**连续断货 {row['orders_blocked']} 单** → 采购：SKU `{row['sku']}`（供应商 {row.get('supplier') or '未知'}），"
        f"{_t(row['first_order_at'])} 至 {_t(row['last_order_at'])}，订单 {orders[:300]}"
    )


def _risk_line(row: dict) -> str:
    return f"**收货地址多次变更**：订单 `{row['order_key']}`，{row.get('detail') or ''}，发货前请电话确认"


def _correction_line(row: dict) -> str:
    kind = ACTION_TYPES.get(row["action_type"], row["action_type"])
    where = " ".join(x for x in (row.get("warehouse_code"), row.get("sku")) if x)
    return f"**{kind}**：{row['target']}（{where}），触发 {row['trigger_ref']}，{_t(row['created_at'])}"


@dataclass(frozen=True)
class AlertSource:
    name: str  # ledger `source`
    table: str  # schema.table in the warehouse (a mart)
    key_columns: tuple[str, ...]  # what makes a row the same alert across rebuilds
    time_column: str  # when the alert happened (ordering, `event_at`)
    title: str  # message heading
    render: Callable[[dict], str]  # one markdown line per alert
    where: str = "true"  # which rows of the mart are alerts (a fixed SQL predicate over its columns)

    @property
    def schema(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def table_name(self) -> str:
        return self.table.split(".", 1)[1]


# One line per alert mart. A logistics exception that clears and comes back later (a new `since`) is a new
# alert; an SLA alert is one per order and type; a correction action one per trigger, type and target.
ALERT_SOURCES: tuple[AlertSource, ...] = (
    AlertSource("sla_alerts", "marts.fct_sla_alerts", ("order_key", "alert_type"), "raised_at", "SLA 告警", _sla_line),
    AlertSource("logistics_exceptions", "marts.fct_logistics_exceptions", ("tracking_no", "order_key", "exception_type", "since"), "since", "物流异常", _logistics_line),  # noqa: E501
    AlertSource("correction_actions", "marts.fct_correction_actions", ("trigger_ref", "action_type", "target"), "created_at", "错发纠正措施", _correction_line),  # noqa: E501
    # signals (docs/signals.md): a channel alert per creation day x room/video; a stock-out streak is one alert
    # however long it grows (keyed by its first order); an address risk one per order
    AlertSource("channel_health", "marts.rpt_channel_health", ("day", "channel", "channel_id"), "day", "渠道健康预警", _channel_line, where="alert"),  # noqa: E501
    AlertSource("stockout_streaks", "marts.fct_stockout_streaks", ("sku", "warehouse_scope", "first_order_at"), "first_order_at", "连续断货（采购）", _streak_line),  # noqa: E501
    AlertSource("order_risks", "marts.fct_order_risks", ("order_key", "risk_type"), "detected_at", "订单风险", _risk_line),  # noqa: E501
)  # fmt: skip

SOURCES_BY_NAME = {s.name: s for s in ALERT_SOURCES}
