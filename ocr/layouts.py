"""Bank receipt layouts, as data.

A layout says how to recognise a bank's receipt (title keywords) and what each printed label means
(label -> record field). Labels that introduce a payer/payee block (CCB prints 付款人 / 收款人 above
two side-by-side columns, in either order) are listed in ``side_headers``; the fields under them are
written ``{side}_name`` / ``{side}_account`` and resolved by the header above the column, never by
the column's position. A field mapped to ``None`` is read but not kept (it still ends the previous
value). Adding a bank is adding a ``Layout`` to ``LAYOUTS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FIELD_READERS", "LAYOUTS", "Layout", "LABEL_CONFUSIONS"]


@dataclass(frozen=True)
class Layout:
    bank: str
    title_keywords: tuple[str, ...]  # any one of them in the first lines identifies the layout
    labels: dict[str, str | None]  # printed label -> record field (None: ignore the value)
    side_headers: dict[str, str] = field(default_factory=dict)  # block header -> "payer" | "payee"
    # labels whose presence also identifies the layout when the title is unreadable
    signature: tuple[str, ...] = ()
    # how this bank prints its ids (regex, full match); a value read that does not fit needs review
    id_patterns: dict[str, str] = field(default_factory=dict)
    # how to read a field's value (a key of ocr.fieldread.READERS) where this bank differs from FIELD_READERS
    readers: dict[str, str | None] = field(default_factory=dict)
    # the labels as printed, line by line (top to bottom, left to right; lines without a label left
    # out): the field reader matches the label chunks it finds in the pixels to these lines and reads
    # no label text when they fit (empty: every label is read)
    rows: tuple[tuple[str, ...], ...] = ()

    def reader(self, fld: str | None) -> str | None:
        """Key of ocr.fieldread.READERS for the value of ``fld`` (None: not read)."""
        if fld is None:
            return None
        key = fld.format(side="payer") if "{side}" in fld else fld
        return self.readers.get(key, FIELD_READERS.get(key, "text"))


ICBC = Layout(
    bank="ICBC",
    title_keywords=("工商银行", "业务回单", "工商"),
    labels={
        "日期": "txn_date",
        "回单编号": "receipt_no",
        "付款人户名": "payer_name",
        "付款人账号": "payer_account",
        "付款人开户行": "payer_bank",
        "收款人户名": "payee_name",
        "收款人账号": "payee_account",
        "收款人开户行": "payee_bank",
        "币种": None,
        "小写": "amount",
        "金额(大写)": "amount_in_words",
        "用途": "purpose",
        "附言": "purpose",
        "流水号": "txn_serial",
        "摘要": "summary",
        "打印次数": "print_count",
    },
    signature=("付款人户名", "收款人户名", "金额(大写)"),
    id_patterns={"receipt_no": r"\d{16}", "txn_serial": r"[A-Z]{2}\d{18}"},
    rows=(
        ("日期", "回单编号"),
        ("付款人户名", "收款人户名"),
        ("付款人账号", "收款人账号"),
        ("付款人开户行", "收款人开户行"),
        ("币种", "小写"),
        ("金额(大写)",),
        ("用途",),
        ("流水号", "摘要"),
        ("打印次数",),
    ),
)

CCB = Layout(
    bank="CCB",
    title_keywords=("建设银行", "电子回执", "建设"),
    labels={
        "日期": "txn_date",
        "凭证号": "receipt_no",
        "账户明细编号-交易流水号": "txn_serial",
        "交易流水号": "txn_serial",
        "全称": "{side}_name",
        "账号": "{side}_account",
        "开户行": "{side}_bank",
        "大写金额": "amount_in_words",
        "小写金额": "amount",
        "用途": "purpose",
        "附言": "purpose",
        "摘要": "summary",
        "打印次数": "print_count",
    },
    side_headers={"付款人": "payer", "收款人": "payee"},
    signature=("凭证号", "全称", "大写金额"),
    id_patterns={"receipt_no": r"\d{9}", "txn_serial": r"\d{8}-\d{10}"},
    rows=(
        ("日期", "凭证号"),
        ("账户明细编号-交易流水号",),
        ("全称", "全称"),
        ("账号", "账号"),
        ("开户行", "开户行"),
        ("大写金额",),
        ("小写金额",),
        ("用途",),
        ("摘要",),
        ("打印次数",),
    ),
)

CMB = Layout(
    bank="CMB",
    title_keywords=("招商银行", "入账回单", "招商"),
    labels={
        "交易日期": "txn_date",
        "业务类型": None,
        "交易流水": "txn_serial",
        "收款账号": "payee_account",
        "收款人": "payee_name",
        "付款账号": "payer_account",
        "付款人": "payer_name",
        "付款开户行": "payer_bank",
        "交易金额(小写)": "amount",
        "交易金额(大写)": "amount_in_words",
        "交易摘要": "summary",
        "用途": "purpose",
        "附言": "purpose",
        "回单编号": "receipt_no",
    },
    signature=("交易流水", "交易金额(小写)", "付款开户行"),
    id_patterns={"receipt_no": r"\d{20}", "txn_serial": r"[A-Z]\d{12}"},
    rows=tuple(
        (label,)
        for label in (
            "交易日期",
            "业务类型",
            "交易流水",
            "收款账号",
            "收款人",
            "付款账号",
            "付款人",
            "付款开户行",
            "交易金额(小写)",
            "交易金额(大写)",
            "交易摘要",
            "用途",
            "回单编号",
        )
    ),
)

LAYOUTS: tuple[Layout, ...] = (ICBC, CCB, CMB)

# The field reader (ocr.fieldread) reads each value region with the model and characters its field
# needs. "digits": the English model limited to digits, Latin capitals and the figure's punctuation
# (ids, accounts, dates, the amount figure: chi_sim merges "¥2" into one CJK glyph, reads O for 0);
# "words": chi_sim limited to the money characters (大写) and their known misreads; "text": chi_sim
# (names, 用途 with its order numbers); None: not read at all (branch names, currency: nothing uses them).
FIELD_READERS: dict[str, str | None] = {
    "txn_date": "digits",
    "receipt_no": "digits",
    "txn_serial": "digits",
    "payer_account": "digits",
    "payee_account": "digits",
    "amount": "digits",
    "print_count": "digits",
    "amount_in_words": "words",
    "payer_name": "text",
    "payee_name": "text",
    "purpose": "text",
    "summary": "text",
    "payer_bank": None,
    "payee_bank": None,
}

# Characters tesseract (chi_sim) prints for label characters on these receipts; applied to label
# candidates only (text before a colon), never to values.
LABEL_CONFUSIONS: dict[str, str] = {
    "入": "人",
    "丈": "款",
    "坎": "款",
    "歼": "款",
    "欧": "款",
    "软": "款",
    "默": "款",
    "敦": "款",
    "帐": "账",
    "胀": "账",
    "咏": "账",
    "灵": "账",  # 账号 read as 灵号 (CCB, field reader)
    "亏": "号",
    "导": "号",
    "余": "途",
    "涂": "途",
    "簿": "摘",
    "填": "摘",
    "泻": "写",
    "检": "称",  # 全称 read as 全检 / 兴称 / 至称 / 企称 (CCB side-by-side blocks)
    "兴": "全",
    "至": "全",
    "企": "全",
    "（": "(",
    "）": ")",
    "—": "-",
    "_": "-",
}
