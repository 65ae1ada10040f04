"""Personal data masking, in one place. data.query() applies it to every result for roles without `pii`,
so a page cannot forget it; pages that build strings from PII call mask_value() themselves."""

from __future__ import annotations

import pandas as pd

# column name -> kind of masking. Any result column with one of these names is masked.
PII_COLUMNS: dict[str, str] = {
    "receiver_name": "name",
    "receiver_phone": "phone",
    "receiver_address": "address",
    "contact_name": "name",
    "contact_phone": "phone",
    "payer_name": "name",
    "payer_account": "account",
    "收件人": "name",
    "手机": "phone",
    "地址": "address",
}


def mask_value(value, kind: str):
    """李艳 -> 李*, 158****1382 -> *******1382, 四川省成都市武侯区… -> 四川省成都市****, account -> ****1234."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    text = str(value)
    if not text:
        return text
    if kind == "name":
        return text[0] + "*" * max(1, len(text) - 1)
    if kind in ("phone", "account"):
        keep = text[-4:] if len(text) > 4 else ""
        return "*" * max(4, len(text) - len(keep)) + keep
    if kind == "address":
        return text[:6] + "****"
    return "****"


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame with every PII column masked (other columns untouched)."""
    columns = [c for c in frame.columns if c in PII_COLUMNS]
    if not columns:
        return frame
    masked = frame.copy()
    for column in columns:
        kind = PII_COLUMNS[column]
        masked[column] = masked[column].map(lambda v, k=kind: mask_value(v, k))
    return masked
