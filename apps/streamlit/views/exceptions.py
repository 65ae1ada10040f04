"""物流异常 / SLA 预警: open logistics exceptions (fct_logistics_exceptions) and open SLA alerts
(fct_sla_alerts), by age at the snapshot's as_of.

An alert is open while its order is still in the state that raised it: review_pending / review_escalated
until the order is reviewed (first 审单), stock_shortage until it ships (or is cancelled / refunded).
Every row of fct_logistics_exceptions is open by definition (a later push that clears it removes it).
"""

from __future__ import annotations

import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import require
from apps.streamlit.charts import stacked_by_age as stacked
from apps.streamlit.data import query, snapshot_as_of
from apps.streamlit.downloads import download_buttons
from apps.streamlit.i18n import t

require("exceptions")

# age buckets in hours: [lower, upper) -> label; the SQL below computes the same buckets
AGE_SQL = """
    case
        when age_hours < 24 then '1: <24h'
        when age_hours < 48 then '2: 1-2天'
        when age_hours < 72 then '3: 2-3天'
        when age_hours < 168 then '4: 3-7天'
        else '5: >7天'
    end
"""
EXCEPTION_TYPES = {"stalled_24h": "停滞超24h", "rejected": "拒签/退签", "returned": "退回", "problem": "疑难"}
ALERT_TYPES = {"review_pending": "待审单", "review_escalated": "审单超时升级", "stock_shortage": "缺货"}

as_of = snapshot_as_of()
st.title(t("物流异常 / SLA 预警"))
st.caption(f"截至 as of {as_of:%Y-%m-%d %H:%M} · 账龄 = as_of − 开始时间 (age at the snapshot's as_of)")

LIMIT = 2000  # rows listed per table (oldest first); counts and the chart cover every row
AGED = """
    select *, {age} as age_bucket
    from (
        select x.*, (epoch(cast(? as timestamp)) - epoch(x.{since})) / 3600.0 as age_hours
        from ({source}) as x
    )
"""
EXCEPTIONS = AGED.format(
    age=AGE_SQL,
    since="since",
    source="select e.*, o.order_no, o.platform from fct_logistics_exceptions as e "
    "left join fct_orders as o on o.order_key = e.order_key",
)
ALERTS = AGED.format(
    age=AGE_SQL,
    since="raised_at",
    source="select * from fct_sla_alert_states",  # alerts joined to their orders, is_open at as_of
)

show_all = st.toggle("包括已关闭的预警 Include closed alerts", value=False, key="alerts_all")
# DuckDB counts by age bucket and type over every row; only the first LIMIT rows of each list reach the page
# (on 1,000,000 orders fct_sla_alerts holds millions of alerts).
which = "true" if show_all else "is_open"
exc_counts = query(  # counts need no order columns: no join to the 1 M orders
    "select age_bucket, exception_type, count(*) as count from ("
    + AGED.format(age=AGE_SQL, since="since", source="select * from fct_logistics_exceptions")
    + ") group by all",
    (as_of,),
)
alert_counts = query(
    f"select age_bucket, alert_type, count(*) as count from ({ALERTS}) where {which} group by all", (as_of,)
)
exceptions = query(f"{EXCEPTIONS} order by since, tracking_no limit {LIMIT}", (as_of,))
alerts = query(f"{ALERTS} where {which} order by raised_at, order_key, alert_type limit {LIMIT}", (as_of,))
n_exceptions = int(exc_counts["count"].sum())
n_alerts = int(alert_counts["count"].sum())
n_escalated = int(alert_counts.loc[alert_counts["alert_type"] == "review_escalated", "count"].sum())

c1, c2, c3 = st.columns(3)
c1.metric(t("未关闭物流异常 Open exceptions"), f"{n_exceptions:,}")
c2.metric(t("未关闭SLA预警 Open alerts" if not show_all else "SLA预警 Alerts"), f"{n_alerts:,}")
c3.metric(t("其中审单超时 Escalated"), f"{n_escalated:,}")


def by_age(counts, type_column, names):
    return counts.assign(**{type_column: counts[type_column].map(lambda k: names.get(k, k))})


def shown_of(total: int) -> None:
    if total > LIMIT:
        st.caption(f"显示最早的 {LIMIT:,} 条 (showing the oldest {LIMIT:,} of {total:,})")


tab_exc, tab_alert = st.tabs([t("物流异常 Logistics exceptions"), t("SLA 预警 Alerts")])
with tab_exc:
    if exceptions.empty:
        st.caption("没有未关闭的物流异常 No open exceptions.")
    else:
        counts = by_age(exc_counts, "exception_type", EXCEPTION_TYPES)
        st.plotly_chart(stacked(counts, "exception_type"), width="stretch", key="exc_age")
        table = exceptions.assign(exception_type=exceptions["exception_type"].map(EXCEPTION_TYPES)).rename(
            columns={
                "tracking_no": "快递单号", "carrier": "快递", "order_no": "订单号", "platform": "平台",
                "exception_type": "异常", "since": "开始", "age_hours": "账龄(小时)", "age_bucket": "账龄段",
                "last_event_at": "最后节点", "last_context": "最后内容",
            }
        )[["快递单号", "快递", "订单号", "平台", "异常", "开始", "账龄(小时)", "账龄段", "最后节点", "最后内容"]]  # fmt: skip
        table["账龄(小时)"] = table["账龄(小时)"].round(1)
        shown_of(n_exceptions)
        i18n.dataframe(table, hide_index=True, width="stretch", key="exc_table")
        download_buttons(table, "logistics_exceptions", key="exc")
with tab_alert:
    if alerts.empty:
        st.caption("没有未关闭的预警 No open alerts.")
    else:
        counts = by_age(alert_counts, "alert_type", ALERT_TYPES)
        st.plotly_chart(stacked(counts, "alert_type"), width="stretch", key="alert_age")
        table = alerts.assign(alert_type=alerts["alert_type"].map(ALERT_TYPES)).rename(
            columns={
                "order_no": "订单号", "platform": "平台", "warehouse_code": "仓库", "alert_type": "预警",
                "recipient_role": "接收人", "raised_at": "触发时间", "age_hours": "账龄(小时)",
                "age_bucket": "账龄段", "is_open": "未关闭",
            }
        )[["订单号", "平台", "仓库", "预警", "接收人", "触发时间", "账龄(小时)", "账龄段", "未关闭"]]  # fmt: skip
        table["账龄(小时)"] = table["账龄(小时)"].round(1)
        shown_of(n_alerts)
        i18n.dataframe(table, hide_index=True, width="stretch", key="alert_table")
        download_buttons(table, "sla_alerts", key="alerts")
