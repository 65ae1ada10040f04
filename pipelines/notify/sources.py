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
)  # fmt: skip

SOURCES_BY_NAME = {s.name: s for s in ALERT_SOURCES}
