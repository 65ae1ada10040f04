"""回单复核 Receipt review: receipts the OCR flagged (fct_bank_receipts.needs_review), the image beside the
fields read, and — for roles with `receipt_correct` — a form that corrects one field or confirms the receipt
as read. The form appends a row to `landing/receipts/corrections.csv` (apps/streamlit/corrections.py); the
warehouse is never written: the next `orderlens run` applies the correction.

Images are read from the landing zone ($ORDERLENS_LANDING): `source_file` is relative to it. PNG / JPG are
shown as they are; of a PDF the first page is rendered with pypdfium2.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import can, current_user, require
from apps.streamlit.corrections import FIELD_CHOICES, append_correction
from apps.streamlit.data import landing_dir, query, snapshot_as_of
from apps.streamlit.i18n import t
from pipelines.settings import now_shanghai

require("receipts")

FIELD_LABELS = {
    "bank": "银行", "receipt_no": "回单编号", "txn_serial": "流水号", "txn_date": "日期", "payer_name": "付款人",
    "payer_account": "付款人账号", "payee_name": "收款人", "payee_account": "收款人账号", "amount": "金额",
    "amount_in_words_ok": "大写与小写一致", "order_nos": "订单号", "confidence": "识别置信度",
    "review_reason": "复核原因", "source_file": "文件",
}  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=32)
def pdf_first_page(path: str, mtime: float):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return pdf[0].render(scale=2).to_pil()
    finally:
        pdf.close()


def show_image(path: Path) -> None:
    if not path.is_file():
        st.warning(f"找不到回单文件 File not found in the landing zone: `{path}`")
        return
    if path.suffix.lower() == ".pdf":
        st.image(pdf_first_page(str(path), path.stat().st_mtime), caption=path.name, width="stretch")
    else:
        st.image(str(path), caption=path.name, width="stretch")


st.title(t("回单复核 Receipt review"))
as_of = snapshot_as_of()
st.caption(f"截至 as of {as_of:%Y-%m-%d %H:%M} · 待复核的银行回单 receipts that need a person's review")

receipts = query(
    """
    select receipt_ref, source_file, bank, receipt_no, txn_serial, txn_date, payer_name, payer_account,
           payee_name, payee_account, amount, amount_in_words_ok, array_to_string(order_nos, ' ') as order_nos,
           confidence, review_reason
    from fct_bank_receipts
    where needs_review
    order by txn_date, receipt_ref
    """
)
total = int(query("select count(*) as n from fct_bank_receipts")["n"][0])
c1, c2 = st.columns(2)
c1.metric(t("待复核 Need review"), f"{len(receipts):,}")
c2.metric(t("回单总数 Receipts"), f"{total:,}")
if receipts.empty:
    st.success("没有待复核的回单 Nothing to review.")
    st.stop()

i18n.dataframe(
    receipts.rename(columns=FIELD_LABELS).drop(columns=["receipt_ref"]),
    hide_index=True,
    width="stretch",
    key="receipts_queue",
)

refs = list(receipts["receipt_ref"])
pick = st.selectbox(
    "回单 Receipt",
    refs,
    format_func=lambda r: f"{r} · {receipts.loc[receipts['receipt_ref'] == r, 'review_reason'].iloc[0]}",
    key="receipts_pick",
)
row = receipts.loc[receipts["receipt_ref"] == pick].iloc[0]
left, right = st.columns([3, 2])
with left:
    show_image(landing_dir() / str(row["source_file"]))
with right:
    facts = row.drop(labels=["receipt_ref"]).astype(str).rename(index=FIELD_LABELS).reset_index()
    facts.columns = ["字段", "识别值"]
    i18n.dataframe(facts, hide_index=True, width="stretch", key="receipts_fields")

if can("receipt_correct"):
    st.subheader(t("更正或确认 Correct or confirm"))
    st.info(
        "更正写入落地区的 `receipts/corrections.csv`，下次 `orderlens run` 时生效。"
        " The change takes effect on the next `orderlens run`."
    )
    with st.form("receipt_correction", clear_on_submit=True):
        field = st.selectbox("字段 Field (确认 = confirm as read)", FIELD_CHOICES, key="correct_field")
        value = st.text_input("更正值 Correct value (empty for 确认)", key="correct_value")
        note = st.text_input("备注 Note", key="correct_note")
        submitted = st.form_submit_button("保存 Save")
    if submitted:
        try:
            path = append_correction(
                landing_dir(),
                source_file=str(row["source_file"]),
                receipt_no=None,
                field=field,
                value=value,
                confirmed_by=current_user(),
                confirmed_at=now_shanghai(),
                note=note,
            )
        except ValueError as exc:
            st.error(f"没有保存 Not saved: {exc}")
        else:
            st.success(f"已记录 Saved to `{path.name}` ({field}) — 下次运行生效 applied by the next run.")
