"""三流对账 Reconciliation: the day's pending pool (rpt_daily_differences of the snapshot's as_of day) by
difference type and responsible team, filters, one row's detail from fct_three_way_match, the payers whose
money arrives with no order (rpt_misdirected_payers), and the finance export.

The CSV / XLSX downloads are written by pipelines.exports.differences, the code behind
`orderlens export differences --date <as_of day>`: the same file, not a re-implementation.
"""

from __future__ import annotations

import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import can, require
from apps.streamlit.data import differences_file, query, snapshot_as_of
from apps.streamlit.downloads import download_buttons
from apps.streamlit.i18n import t
from pipelines.exports.differences import TYPE_LABELS

require("reconciliation")

as_of = snapshot_as_of()
report_date = as_of.date()
st.title(t("三流对账 Reconciliation"))
st.caption(
    f"待处理差异池 pending pool as of {as_of:%Y-%m-%d %H:%M} (report date {report_date}) · "
    "订单流 × 物流流 × 资金流"
)

LIMIT = 2000  # rows listed (and offered for the detail); counts and sums cover the whole pool
POOL = "from rpt_daily_differences where report_date = ?"
# DuckDB aggregates the pool (tens of thousands of items a day on 1,000,000 orders); the columns keep the
# mart's money names so data.query drops them for roles without `amounts`.
summary = query(
    f"""
    select difference_type, responsible_team, count(*) as items,
           coalesce(sum(order_amount), 0) as order_amount, coalesce(sum(paid_amount), 0) as paid_amount,
           coalesce(sum(coalesce(order_amount, paid_amount)), 0) as amount
    {POOL}
    group by all
    """,
    (report_date,),
)
show_amounts = "amount" in summary.columns

c1, c2 = st.columns(2)
c1.metric(t("待处理差异 Pending items"), f"{int(summary['items'].sum()):,}")
if show_amounts:
    c2.metric(t("涉及金额 Amount (元)"), f"{float(summary['amount'].fillna(0).astype(float).sum()):,.2f}")

# --- by type and team ---------------------------------------------------------------------------------
st.subheader(t("按差异类型与责任组 By type and team"))
order = {code: i for i, code in enumerate(TYPE_LABELS)}
summary = summary.sort_values(
    ["difference_type", "responsible_team"], key=lambda s: s.map(order) if s.name == "difference_type" else s
)
summary["差异类型"] = summary["difference_type"].map(lambda code: TYPE_LABELS.get(code, code))
columns = {"差异类型": "差异类型", "responsible_team": "责任组", "items": "条数"}
if show_amounts:
    columns |= {"order_amount": "订单金额", "paid_amount": "到账金额"}
    summary["order_amount"] = summary["order_amount"].astype(float)
    summary["paid_amount"] = summary["paid_amount"].astype(float)
by_type = summary[list(columns)].rename(columns=columns)
money_format = {c: st.column_config.NumberColumn(format="%.2f") for c in ("订单金额", "到账金额")}
i18n.dataframe(by_type, hide_index=True, width="stretch", key="recon_summary", column_config=money_format)

# --- filters and rows (in DuckDB, bound parameters) --------------------------------------------------------
st.subheader(t("差异明细 Items"))
f1, f2, f3 = st.columns([2, 2, 3])
types = f1.multiselect("差异类型 Type", list(by_type["差异类型"].unique()), key="recon_types")
teams = f2.multiselect(
    "责任组 Team", sorted(summary["responsible_team"].dropna().unique()), key="recon_teams"
)
term = f3.text_input("订单号 / 物流单号 / 回单 contains", key="recon_term").strip()
codes = [code for code, label in TYPE_LABELS.items() if label in types] + [
    label for label in types if label not in TYPE_LABELS.values()
]
FILTER = f"""
    {POOL}
    and (? or list_contains(?, difference_type))
    and (? or list_contains(?, responsible_team))
    and (? = '' or contains(lower(concat_ws(' ', order_no, tracking_nos, payment_refs)), lower(?)))
"""
filters = (report_date, not types, codes, not teams, list(teams), term, term)
matching = int(query(f"select count(*) as n {FILTER}", filters)["n"][0])
rows = query(
    f"""
    select difference_type, responsible_team, match_key, order_no, tracking_nos, payment_refs,
           order_amount, paid_amount, detail
    {FILTER}
    order by difference_type, match_key
    limit {LIMIT}
    """,
    filters,
)
rows["差异类型"] = rows["difference_type"].map(lambda code: TYPE_LABELS.get(code, code))
columns = {
    "差异类型": "差异类型", "responsible_team": "责任组", "order_no": "订单号", "tracking_nos": "物流单号",
    "payment_refs": "回单编号", "order_amount": "订单金额", "paid_amount": "到账金额", "detail": "说明",
    "match_key": "匹配键",
}  # fmt: skip
table = rows[[c for c in columns if c in rows.columns]].rename(columns=columns)
if matching > LIMIT:
    st.caption(f"{matching:,} 条 rows · 显示前 {LIMIT:,} 条 (showing the first {LIMIT:,}; filter to narrow)")
else:
    st.caption(f"{matching:,} 条 rows")
i18n.dataframe(table, hide_index=True, width="stretch", key="recon_rows")

keys = list(rows["match_key"])
if keys:
    names = {
        r.match_key: " · ".join(str(v) for v in (r.差异类型, r.order_no) if v is not None)
        for r in rows.itertuples()
    }
    pick = st.selectbox("查看一条 Detail of one item", keys, format_func=names.get, key="recon_pick")
    detail = query("select * from fct_three_way_match where match_key = ?", (pick,))
    if not detail.empty:
        facts = detail.iloc[0].astype(str).reset_index()
        facts.columns = ["项目", "值"]
        i18n.dataframe(facts, hide_index=True, width="stretch", key="recon_detail")

# --- misdirected payers ----------------------------------------------------------------------------------
st.subheader(t("有款无单的付款人 Payers with money but no order"))
payers = query("select * from rpt_misdirected_payers order by orphan_payments desc, payer_name")
payers = payers.rename(
    columns={"payer_name": "付款人", "orphan_payments": "无单付款笔数", "orphan_amount": "金额",
             "first_seen": "首次", "last_seen": "最近"}
)  # fmt: skip
if payers.empty:
    st.caption("没有 None.")
else:
    i18n.dataframe(payers, hide_index=True, width="stretch", key="recon_payers")
    download_buttons(payers, "misdirected_payers", key="recon_payers_dl")

# --- the finance export (same code as `orderlens export differences`) -------------------------------------
if can("export"):
    st.subheader(t("导出 Export"))
    st.caption(f"与 `orderlens export differences --date {report_date}` 相同的文件 (the same file)")
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "下载差异 CSV",
        lambda: differences_file("csv")[0],
        file_name=f"differences-{report_date}.csv",
        mime="text/csv",
        key="recon_export_csv",
        on_click="ignore",
    )
    right.download_button(
        "下载差异 XLSX",
        lambda: differences_file("xlsx")[0],
        file_name=f"differences-{report_date}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="recon_export_xlsx",
        on_click="ignore",
    )
