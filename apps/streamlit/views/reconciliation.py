"""三流对账 Reconciliation: the day's pending pool (rpt_daily_differences of the snapshot's as_of day) by
difference type and responsible team, filters, one row's detail from fct_three_way_match, the payers whose
money arrives with no order (rpt_misdirected_payers), and the finance export.

The CSV / XLSX downloads are written by pipelines.exports.differences, the code behind
`orderlens export differences --date <as_of day>`: the same file, not a re-implementation.
"""

from __future__ import annotations

import streamlit as st

from apps.streamlit.auth import can, require
from apps.streamlit.data import differences_file, query, snapshot_as_of
from apps.streamlit.downloads import download_buttons
from pipelines.exports.differences import TYPE_LABELS

require("reconciliation")

as_of = snapshot_as_of()
report_date = as_of.date()
st.title("三流对账 Reconciliation")
st.caption(
    f"待处理差异池 pending pool as of {as_of:%Y-%m-%d %H:%M} (report date {report_date}) · "
    "订单流 × 物流流 × 资金流"
)

pool = query(
    """
    select difference_type, responsible_team, match_key, order_no, tracking_nos, payment_refs,
           order_amount, paid_amount, detail
    from rpt_daily_differences
    where report_date = ?
    order by difference_type, match_key
    """,
    (report_date,),
)
pool["差异类型"] = pool["difference_type"].map(lambda t: TYPE_LABELS.get(t, t))
show_amounts = "order_amount" in pool.columns

c1, c2 = st.columns(2)
c1.metric("待处理差异 Pending items", f"{len(pool):,}")
if show_amounts:
    money = pool["order_amount"].fillna(pool["paid_amount"]).astype(float).sum()
    c2.metric("涉及金额 Amount (元)", f"{money:,.2f}")

# --- by type and team ---------------------------------------------------------------------------------
st.subheader("按差异类型与责任组 By type and team")
agg = {"match_key": "count"}
if show_amounts:
    pool["_order"] = pool["order_amount"].astype(float)
    pool["_paid"] = pool["paid_amount"].astype(float)
    agg |= {"_order": "sum", "_paid": "sum"}
summary = pool.groupby(["差异类型", "responsible_team"], as_index=False).agg(agg)
summary = summary.rename(
    columns={"responsible_team": "责任组", "match_key": "条数", "_order": "订单金额", "_paid": "到账金额"}
)
order = {label: i for i, label in enumerate(TYPE_LABELS.values())}
summary = summary.sort_values(
    ["差异类型", "责任组"], key=lambda s: s.map(order) if s.name == "差异类型" else s
)
money_format = {c: st.column_config.NumberColumn(format="%.2f") for c in ("订单金额", "到账金额")}
st.dataframe(summary, hide_index=True, width="stretch", key="recon_summary", column_config=money_format)

# --- filters and rows -----------------------------------------------------------------------------------
st.subheader("差异明细 Items")
f1, f2, f3 = st.columns([2, 2, 3])
types = f1.multiselect("差异类型 Type", list(summary["差异类型"].unique()), key="recon_types")
teams = f2.multiselect("责任组 Team", sorted(pool["responsible_team"].dropna().unique()), key="recon_teams")
term = f3.text_input("订单号 / 物流单号 / 回单 contains", key="recon_term").strip()
rows = pool
if types:
    rows = rows.loc[rows["差异类型"].isin(types)]
if teams:
    rows = rows.loc[rows["responsible_team"].isin(teams)]
if term:
    hay = rows[["order_no", "tracking_nos", "payment_refs"]].fillna("").agg(" ".join, axis=1)
    rows = rows.loc[hay.str.contains(term, case=False, regex=False)]
columns = {
    "差异类型": "差异类型", "responsible_team": "责任组", "order_no": "订单号", "tracking_nos": "物流单号",
    "payment_refs": "回单编号", "order_amount": "订单金额", "paid_amount": "到账金额", "detail": "说明",
    "match_key": "匹配键",
}  # fmt: skip
table = rows[[c for c in columns if c in rows.columns]].rename(columns=columns)
st.caption(f"{len(table):,} 条 rows")
st.dataframe(table, hide_index=True, width="stretch", key="recon_rows")

keys = list(rows["match_key"])
if keys:
    pick = st.selectbox(
        "查看一条 Detail of one item",
        keys,
        format_func=lambda k: " · ".join(
            str(v)
            for v in rows.loc[rows["match_key"] == k, ["差异类型", "order_no"]].iloc[0]
            if v is not None
        ),
        key="recon_pick",
    )
    detail = query("select * from fct_three_way_match where match_key = ?", (pick,))
    if not detail.empty:
        facts = detail.iloc[0].astype(str).reset_index()
        facts.columns = ["项目", "值"]
        st.dataframe(facts, hide_index=True, width="stretch", key="recon_detail")

# --- misdirected payers ----------------------------------------------------------------------------------
st.subheader("有款无单的付款人 Payers with money but no order")
payers = query("select * from rpt_misdirected_payers order by orphan_payments desc, payer_name")
payers = payers.rename(
    columns={"payer_name": "付款人", "orphan_payments": "无单付款笔数", "orphan_amount": "金额",
             "first_seen": "首次", "last_seen": "最近"}
)  # fmt: skip
if payers.empty:
    st.caption("没有 None.")
else:
    st.dataframe(payers, hide_index=True, width="stretch", key="recon_payers")
    download_buttons(payers, "misdirected_payers", key="recon_payers_dl")

# --- the finance export (same code as `orderlens export differences`) -------------------------------------
if can("export"):
    st.subheader("导出 Export")
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
