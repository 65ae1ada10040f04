"""售后归因 After-sales: the weekly reason-tag report (rpt_aftersales_weekly), the tickets behind one tag
(fct_aftersales), the correction actions raised by mis-shipments (fct_correction_actions), and the week's
HTML page (`<warehouse folder>/reports/aftersales-<YYYY-Www>.html`) when the pipeline wrote one.
"""

from __future__ import annotations

from datetime import date, timedelta

import plotly.express as px
import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import require
from apps.streamlit.data import query, reports_dir, snapshot_as_of
from apps.streamlit.downloads import download_buttons
from apps.streamlit.i18n import t

require("aftersales")

ACTIONS = {"freeze_order": "冻结订单", "qc_task": "质检任务", "supplier_alert": "供应商预警"}


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def pct(value) -> str:
    return "—" if value is None or value != value else f"{value:.1%}"


as_of = snapshot_as_of()
st.title(t("售后归因 After-sales"))
st.caption(f"截至 as of {as_of:%Y-%m-%d %H:%M} · 按申请周 by the week the ticket was opened")

weekly = query("select * from rpt_aftersales_weekly order by week_start desc, rank")
if weekly.empty:
    st.info("还没有售后工单 No after-sales tickets yet.")
    st.stop()
weeks = sorted({d.date() if hasattr(d, "date") else d for d in weekly["week_start"]}, reverse=True)
week = st.selectbox(
    "周 Week", weeks, format_func=lambda d: f"{iso_week(d)} (周一 {d:%Y-%m-%d})", key="aftersales_week"
)
rows = weekly.loc[weekly["week_start"].dt.date == week].sort_values(["rank", "reason_tag"])

c1, c2, c3 = st.columns(3)
week_tickets = int(query("select count(*) as n from fct_aftersales where week_start = ?", (week,))["n"][0])
c1.metric(t("工单 Tickets"), f"{week_tickets:,}")
c2.metric(t("原因标签 Tags"), f"{len(rows):,}")
top = rows.iloc[0]
c3.metric(t("第一原因 Top tag"), f"{top['reason_tag']} {pct(top['share_of_tickets'])}")

fig = px.bar(
    rows, x="reason_tag", y="share_of_tickets", text=rows["share_of_tickets"].map(pct),
    labels={"reason_tag": "原因标签", "share_of_tickets": "占工单比例"}, color_discrete_sequence=["#d62728"],
)  # fmt: skip
fig.update_yaxes(tickformat=".0%")
fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=320)
st.plotly_chart(fig, width="stretch", key="aftersales_shares")

st.subheader(t("前三原因 Top 3 tags"))
top3 = rows.loc[rows["rank"] <= 3]
for row in top3.itertuples():
    st.markdown(
        f"**{int(row.rank)}. {row.reason_tag}** — {int(row.tickets)} 单 ({pct(row.share_of_tickets)}) · "
        f"SKU `{row.top_sku}` {pct(row.top_sku_share)} · 品类 {row.top_category} {pct(row.top_category_share)}"
        f" · 仓 {row.top_warehouse} {pct(row.top_warehouse_share)}"
        f" · 出库时段 {row.top_hour_slot} {pct(row.top_hour_slot_share)}"
    )
table = rows.rename(
    columns={
        "rank": "排名", "reason_tag": "原因标签", "tickets": "工单数", "share_of_tickets": "占比",
        "top_sku": "主要SKU", "top_sku_share": "SKU占比", "top_category": "主要品类", "top_category_share": "品类占比",
        "top_warehouse": "主要仓", "top_warehouse_share": "仓占比", "top_hour_slot": "出库时段",
        "top_hour_slot_share": "时段占比", "avg_handling_minutes": "平均处理分钟",
    }
).drop(columns=["week_start"])  # fmt: skip
i18n.dataframe(table, hide_index=True, width="stretch", key="aftersales_week_table")
download_buttons(table, f"aftersales_{iso_week(week)}", key="aftersales_week_dl")

page = reports_dir() / f"aftersales-{iso_week(week)}.html"
if page.is_file():
    st.download_button(
        f"下载周报 HTML ({page.name})",
        page.read_bytes,
        file_name=page.name,
        mime="text/html",
        key="aftersales_html",
        on_click="ignore",
    )
else:
    st.caption(f"该周没有 HTML 周报 No HTML page for {iso_week(week)} (`{page.name}`).")

# --- drill-down ------------------------------------------------------------------------------------------
st.subheader(t("工单明细 Tickets of a tag"))
tag = st.selectbox("原因标签 Tag", list(rows["reason_tag"]), key="aftersales_tag")
tickets = query(
    """
    select ticket_no, order_no, platform, sku, category, warehouse_code, array_to_string(reason_tags, ';')
           as reason_tags, applied_at, resolved_at, handling_minutes, resolution, hour_slot, item_discrepancy,
           refund_amount, note
    from fct_aftersales
    where week_start = ? and list_contains(reason_tags, ?)
    order by applied_at, ticket_no
    """,
    (week, tag),
)
st.caption(f"{len(tickets):,} 张工单 tickets tagged {tag}")
i18n.dataframe(tickets, hide_index=True, width="stretch", key="aftersales_tickets")
download_buttons(tickets, f"aftersales_{iso_week(week)}_{tag}", key="aftersales_tickets_dl")

# --- correction actions ------------------------------------------------------------------------------------
st.subheader(t("纠正措施 Correction actions"))
all_actions = st.toggle("全部周 All weeks", value=False, key="aftersales_actions_all")
actions = query("select * from fct_correction_actions order by created_at, action_type, target")
if not all_actions:
    start = week
    actions = actions.loc[
        (actions["created_at"].dt.date >= start) & (actions["created_at"].dt.date < start + timedelta(days=7))
    ]
st.caption(f"{len(actions):,} 条 actions")
shown = actions.assign(action_type=actions["action_type"].map(lambda a: ACTIONS.get(a, a))).rename(
    columns={"trigger_ref": "触发订单", "action_type": "措施", "target": "对象", "warehouse_code": "仓库",
             "sku": "SKU", "created_at": "时间"}
)  # fmt: skip
i18n.dataframe(shown, hide_index=True, width="stretch", key="aftersales_actions")
download_buttons(shown, "correction_actions", key="aftersales_actions_dl")
