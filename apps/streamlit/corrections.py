"""Append one person's receipt correction to `landing/receipts/corrections.csv` (docs/receipts.md).

The row is checked with the parser's own rules (pipelines.sources.receipt_corrections) before it is
written, so the pipeline accepts what the page wrote. The append is atomic: an exclusive lock on the file,
then one O_APPEND write of the whole row (a header first when the file is new or empty). An existing file
keeps its own header: the row is written in that header's column order. The next `orderlens run` applies it.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
from datetime import datetime
from pathlib import Path

from pipelines.sources.common import CellError, clean_header
from pipelines.sources.receipt_corrections import FIELDS, HEADERS, _value

CORRECTIONS_FILE = Path("receipts") / "corrections.csv"
HEADER = ["文件", "回单编号", "字段", "更正值", "确认人", "确认时间", "备注"]
KEYS = [HEADERS[h] for h in HEADER]  # source_file, receipt_no, field, value, confirmed_by, confirmed_at, note
# the fields offered on the page (Chinese names the parser accepts), 确认 = confirm as read
FIELD_CHOICES = ["确认", "金额", "回单编号", "流水号", "日期", "付款人", "付款人账号", "收款人", "收款人账号", "订单号", "银行"]  # fmt: skip


def _csv_line(values: list) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return buf.getvalue()


def append_correction(
    landing: Path,
    *,
    source_file: str | None,
    receipt_no: str | None,
    field: str,
    value: str | None,
    confirmed_by: str,
    confirmed_at: datetime,
    note: str | None = None,
) -> Path:
    """Append one row; ValueError (nothing written) when the parser would reject it."""
    if field not in FIELDS:
        raise ValueError(f"字段 {field!r} is not a receipt field")
    if not (source_file or receipt_no):
        raise ValueError("文件 and 回单编号 are both empty: say which receipt")
    if not confirmed_by:
        raise ValueError("确认人 is empty")
    value = (value or "").strip() or None
    if FIELDS[field] == "confirm":
        value = None
    try:
        value = _value(FIELDS[field], value)  # written as the parser normalises it (5,940 -> 5940.00)
    except CellError as exc:
        raise ValueError(str(exc)) from None
    record = {
        "source_file": source_file,
        "receipt_no": receipt_no,
        "field": field,
        "value": value,
        "confirmed_by": confirmed_by,
        "confirmed_at": confirmed_at.strftime("%Y-%m-%d %H:%M:%S"),
        "note": (note or "").strip() or None,
    }
    path = landing / CORRECTIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        existing = Path(path).read_bytes()
        prefix = ""
        if existing.strip(b"\xef\xbb\xbf \r\n"):
            try:
                text = existing.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValueError(
                    f"{path} is not UTF-8 (re-save it as UTF-8, or add a new corrections*.csv)"
                ) from None
            first = next(csv.reader(io.StringIO(text)))
            keys = [HEADERS.get(clean_header(h)) for h in first]
            missing = [k for k in KEYS if k not in keys and record[k] is not None]
            if missing:
                raise ValueError(f"{path}: its header has no column for {', '.join(missing)}")
            row = [record.get(k) if k else None for k in keys]
            if not text.endswith(("\n", "\r")):
                prefix = "\n"
            data = (prefix + _csv_line(row)).encode("utf-8")
        else:
            os.ftruncate(fd, 0)
            data = ("\ufeff" + _csv_line(HEADER) + _csv_line([record[k] for k in KEYS])).encode("utf-8")
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)  # releases the lock
    return path
