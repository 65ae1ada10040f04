"""Person confirmations of bank e-receipts: `landing/receipts/corrections*.csv` (docs/receipts.md).

One row per field a person corrected, or per receipt a person confirmed as read:

    文件,回单编号,字段,更正值,确认人,确认时间,备注
    receipts/ICBC_回单_20261020_2026102042451038.jpg,,金额,5940.00,王芳,2026-10-21 10:02:00,大写写错，以小写为准
    ,2026102042451038,确认,,王芳,2026-10-21 10:03:00,与银行流水核对无误

- 文件 (the receipt file, path under the landing zone or its bare file name) or 回单编号 (the receipt
  number, as read or as corrected by a 文件 row) says which receipt; one of them is required.
- 字段 is a field name (Chinese or the column name of fct_bank_receipts, see FIELDS) or 确认 (confirm
  the receipt as read, 更正值 empty).
- 确认人 is required: a correction nobody signed is not applied.
English headers (source_file, receipt_no, field, value, confirmed_by, confirmed_at, note) work too.

Pure parsing: typed rows and rejected rows with a reason; the pipeline loads them on every run.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

from .common import (
    CellError,
    FileFormatError,
    ParseResult,
    Rejected,
    clean_cell,
    clean_header,
    decode_bytes,
    parse_money,
    parse_timestamp,
)

PATTERNS = ("receipts/corrections*.csv", "receipts/corrections*.CSV")

HEADERS = {
    "文件": "source_file",
    "回单文件": "source_file",
    "source_file": "source_file",
    "回单编号": "receipt_no",
    "凭证号": "receipt_no",
    "receipt_no": "receipt_no",
    "字段": "field",
    "field": "field",
    "更正值": "value",
    "正确值": "value",
    "value": "value",
    "确认人": "confirmed_by",
    "confirmed_by": "confirmed_by",
    "确认时间": "confirmed_at",
    "confirmed_at": "confirmed_at",
    "备注": "note",
    "note": "note",
}
REQUIRED_HEADERS = ("field", "confirmed_by")

CONFIRM = "confirm"
# accepted names (Chinese as on the receipts, or the mart's column names) -> field
FIELDS = {
    "确认": CONFIRM,
    "确认无误": CONFIRM,
    "confirm": CONFIRM,
    "银行": "bank",
    "bank": "bank",
    "回单编号": "receipt_no",
    "凭证号": "receipt_no",
    "receipt_no": "receipt_no",
    "流水号": "txn_serial",
    "交易流水": "txn_serial",
    "交易流水号": "txn_serial",
    "txn_serial": "txn_serial",
    "日期": "txn_date",
    "交易日期": "txn_date",
    "txn_date": "txn_date",
    "付款人": "payer_name",
    "付款人户名": "payer_name",
    "付款人全称": "payer_name",
    "payer_name": "payer_name",
    "付款人账号": "payer_account",
    "付款账号": "payer_account",
    "payer_account": "payer_account",
    "收款人": "payee_name",
    "收款人户名": "payee_name",
    "收款人全称": "payee_name",
    "payee_name": "payee_name",
    "收款人账号": "payee_account",
    "收款账号": "payee_account",
    "payee_account": "payee_account",
    "金额": "amount",
    "小写金额": "amount",
    "小写": "amount",
    "amount": "amount",
    "订单号": "order_nos",
    "order_nos": "order_nos",
}
BANKS = ("ICBC", "CCB", "CMB")

COLUMNS = {
    "source_file": "VARCHAR",
    "receipt_no": "VARCHAR",
    "field": "VARCHAR",
    "value": "VARCHAR",
    "confirmed_by": "VARCHAR",
    "confirmed_at": "TIMESTAMP",
    "note": "VARCHAR",
}

_ACCOUNT = re.compile(r"^\d{8,30}$")
_ORDER_SPLIT = re.compile(r"[\s,，;；、]+")


def _value(field: str, value: str | None) -> str | None:
    """The correction's value in the warehouse's text form; CellError when it does not fit the field."""
    if field == CONFIRM:
        return None
    if field == "order_nos":  # empty = the receipt names no order
        return (
            " ".join(t for t in _ORDER_SPLIT.split(unicodedata.normalize("NFKC", value or "")) if t) or None
        )
    if value is None:
        raise CellError(f"更正值 is empty for 字段 {field} (use 字段 确认 to confirm a receipt as read)")
    v = unicodedata.normalize("NFKC", value).strip()
    if field == "amount":
        amount = parse_money(v, "更正值")
        if amount is None or amount <= 0:
            raise CellError(f"更正值 {value!r} is not a positive amount in yuan")
        return f"{amount:.2f}"
    if field == "txn_date":
        return parse_timestamp(v, "更正值", required=True).strftime("%Y-%m-%d %H:%M:%S")
    if field == "bank":
        if v.upper() not in BANKS:
            raise CellError(f"更正值 {value!r} is not a bank code ({', '.join(BANKS)})")
        return v.upper()
    if field in ("payer_account", "payee_account"):
        v = re.sub(r"[\s-]", "", v)
        if not _ACCOUNT.match(v):
            raise CellError(f"更正值 {value!r} is not an account number (8 to 30 digits)")
    return v


def parse_corrections(path: Path) -> ParseResult:
    """Rows of one corrections file (typed) and its rejected rows (row numbers: header = 1)."""
    text, _enc = decode_bytes(path.read_bytes())
    reader = csv.reader(io.StringIO(text))
    try:
        header = [clean_header(h) for h in next(reader)]
    except StopIteration as exc:
        raise FileFormatError("empty file (no header)") from exc
    names = [HEADERS.get(h) for h in header]
    missing = [h for h in REQUIRED_HEADERS if h not in names]
    if missing or ("source_file" not in names and "receipt_no" not in names):
        raise FileFormatError(
            "header must name 文件 or 回单编号, and 字段, 更正值, 确认人 (确认时间, 备注 optional); got "
            + ", ".join(header)
        )
    result = ParseResult()
    for row_number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        result.rows_read += 1
        raw = {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header)}
        rec = {n: clean_cell(cells[i]) if i < len(cells) else None for i, n in enumerate(names) if n}
        try:
            if not rec.get("source_file") and not rec.get("receipt_no"):
                raise CellError("文件 and 回单编号 are both empty: say which receipt")
            field_name = rec.get("field")
            field = FIELDS.get(unicodedata.normalize("NFKC", field_name or "").strip())
            if field is None:
                raise CellError(
                    f"字段 {field_name!r} is not a receipt field (use one of: 确认, "
                    + ", ".join(k for k in FIELDS if not k.isascii() and k not in ("确认", "确认无误"))
                    + ")"
                )
            value = _value(field, rec.get("value"))
            if not rec.get("confirmed_by"):
                raise CellError("确认人 is empty: a correction must say who made it")
            confirmed_at = parse_timestamp(rec.get("confirmed_at"), "确认时间")
        except CellError as exc:
            result.rejected.append(Rejected(row_number, str(exc), raw))
            continue
        source_file = rec.get("source_file")
        result.rows.append(
            {
                "source_file": source_file.replace("\\", "/") if source_file else None,
                "receipt_no": rec.get("receipt_no"),
                "field": field,
                "value": value,
                "confirmed_by": rec["confirmed_by"],
                "confirmed_at": confirmed_at,
                "note": rec.get("note"),
                "_row_number": row_number,
            }
        )
    return result
