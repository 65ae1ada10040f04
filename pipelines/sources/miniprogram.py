"""有赞 mini-program orders (`orders/miniprogram/*.jsonl`): one raw row per order line. CONTRACT §1.4.

Each line holds one `full_order_info` object. Every item of `orders[]` becomes a row with the order's
fields repeated; the parcels' `delivery_order[].express_info.express_no` are joined with ';' (first
occurrence of each number, in the order written) into `tracking_nos`, their `express_id`s likewise
into `express_ids` (same positions). Receiver fields are kept as written, encrypted (`$…$1$`) or not:
never join on them. A missing `is_present` reads as false (not a gift).

Canonical status: WAIT_BUYER_PAY pending_payment, WAIT_SELLER_SEND_GOODS paid,
WAIT_BUYER_CONFIRM_GOODS shipped, TRADE_SUCCESS completed; TRADE_CLOSED is `refunded` when the order
has a pay_time (closed after payment: 有赞 closes a paid order only by a full refund), else `cancelled`.

Row numbers are line numbers; the rows of one order share its line number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .common import (
    CellError,
    FileFormatError,
    ParseResult,
    Rejected,
    Source,
    clean_cell,
    parse_id,
    parse_int,
    parse_money,
    parse_timestamp,
)

ORDER_NO = re.compile(r"^E\d{20,}$")
STATUSES = (
    "WAIT_BUYER_PAY",
    "WAIT_SELLER_SEND_GOODS",
    "WAIT_BUYER_CONFIRM_GOODS",
    "TRADE_SUCCESS",
    "TRADE_CLOSED",
)
_CANONICAL = {
    "WAIT_BUYER_PAY": "pending_payment",
    "WAIT_SELLER_SEND_GOODS": "paid",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_SUCCESS": "completed",
}

COLUMNS = {
    "tid": "VARCHAR",
    "status_raw": "VARCHAR",
    "status": "VARCHAR",
    "created": "TIMESTAMP",
    "pay_time": "TIMESTAMP",
    "consign_time": "TIMESTAMP",
    "success_time": "TIMESTAMP",
    "update_time": "TIMESTAMP",
    "payment": "DECIMAL(18,2)",
    "total_fee": "DECIMAL(18,2)",
    "post_fee": "DECIMAL(18,2)",
    "receiver_name": "VARCHAR",
    "receiver_tel": "VARCHAR",
    "delivery_province": "VARCHAR",
    "delivery_city": "VARCHAR",
    "delivery_district": "VARCHAR",
    "delivery_address": "VARCHAR",
    "oid": "VARCHAR",
    "outer_sku_id": "VARCHAR",
    "title": "VARCHAR",
    "num": "INTEGER",
    "line_payment": "DECIMAL(18,2)",
    "is_present": "BOOLEAN",
    "line_count": "INTEGER",
    "tracking_nos": "VARCHAR",
    "express_ids": "VARCHAR",
}


def canonical_status(status_raw: str, pay_time) -> str:
    if status_raw == "TRADE_CLOSED":
        return "refunded" if pay_time is not None else "cancelled"
    return _CANONICAL[status_raw]


def _s(value) -> str | None:
    """A JSON scalar as cleaned text (numbers as written, None for null/empty/null tokens)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_cell(str(value))


def _obj(parent: dict, key: str) -> dict:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CellError(f"{key} is a JSON {type(value).__name__}, expected an object")
    return value


def _bool(value, label: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    v = str(value).strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise CellError(f"{label} {value!r} is not true or false")


def order_rows(payload, line_number: int) -> list[dict]:
    """The raw rows (one per orders[] item) of one line; CellError naming the field when it cannot load."""
    if not isinstance(payload, dict):
        raise CellError(f"expected a JSON object, found a JSON {type(payload).__name__}")
    info = payload.get("full_order_info")
    if not isinstance(info, dict):
        raise CellError("full_order_info is missing (not an 有赞 order payload)")
    order = _obj(info, "order_info")
    pay = _obj(info, "pay_info")
    addr = _obj(info, "address_info")
    tid = parse_id(_s(order.get("tid")), "order_info.tid")
    if not ORDER_NO.match(tid):
        raise CellError(
            f"order_info.tid {tid!r} does not look like an 有赞 order number (expected E + 20+ digits)"
        )
    status_raw = _s(order.get("status"))
    if status_raw is None:
        raise CellError("order_info.status is empty")
    if status_raw not in STATUSES:
        raise CellError(f"order_info.status {status_raw!r} is not a known value ({', '.join(STATUSES)})")
    times = {
        col: parse_timestamp(_s(order.get(col)), f"order_info.{col}", required=(col == "created"))
        for col in ("created", "pay_time", "consign_time", "success_time", "update_time")
    }
    money = {
        col: parse_money(_s(pay.get(col)), f"pay_info.{col}", required=(col == "payment"))
        for col in ("payment", "total_fee", "post_fee")
    }
    tracking: list[str] = []
    express_ids: list[str] = []
    deliveries = info.get("delivery_order") or []
    if not isinstance(deliveries, list):
        raise CellError("delivery_order is not a list")
    for d in deliveries:
        express = _obj(d, "express_info") if isinstance(d, dict) else {}
        no = _s(express.get("express_no"))
        if no is not None and no not in tracking:
            tracking.append(no)
            express_ids.append(_s(express.get("express_id")) or "")
    lines = info.get("orders")
    if not isinstance(lines, list) or not lines:
        raise CellError(f"order {tid} has no lines (orders[] is empty or missing)")
    base = {
        "tid": tid,
        "status_raw": status_raw,
        "status": canonical_status(status_raw, times["pay_time"]),
        **times,
        **money,
        **{
            col: _s(addr.get(col))
            for col in (
                "receiver_name",
                "receiver_tel",
                "delivery_province",
                "delivery_city",
                "delivery_district",
                "delivery_address",
            )
        },
        "line_count": len(lines),
        "tracking_nos": ";".join(tracking) or None,
        "express_ids": ";".join(express_ids) if tracking else None,
        "_row_number": line_number,
    }
    rows = []
    for i, item in enumerate(lines):
        if not isinstance(item, dict):
            raise CellError(f"orders[{i}] is a JSON {type(item).__name__}, expected an object")
        oid = _s(item.get("oid"))
        if oid is None:
            raise CellError(f"orders[{i}].oid is empty")
        rows.append(
            {
                **base,
                "oid": oid,
                "outer_sku_id": _s(item.get("outer_sku_id")),
                "title": _s(item.get("title")),
                "num": parse_int(_s(item.get("num")), f"orders[{i}].num"),
                "line_payment": parse_money(_s(item.get("payment")), f"orders[{i}].payment", required=False),
                "is_present": _bool(item.get("is_present"), f"orders[{i}].is_present"),
            }
        )
    return rows


def parse_file(path: Path) -> ParseResult:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"not UTF-8 JSON lines (bad byte at offset {exc.start})") from exc
    if not text.strip():
        raise FileFormatError("file is empty")
    if text.lstrip()[:1] not in ("{", "["):
        shown = " ".join(text.split())[:40]
        raise FileFormatError(f"not JSON lines (each line is a {{…}} object; this file reads {shown!r})")
    result = ParseResult()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            payload = json.loads(line)
        except json.JSONDecodeError as exc:
            reason = f"line {n}: invalid JSON ({exc.msg} at column {exc.colno})"
            result.rejected.append(Rejected(n, reason, {"line": line[:2000]}))
            continue
        try:
            rows = order_rows(payload, n)
        except CellError as exc:
            raw = payload if isinstance(payload, dict) else {"value": payload}
            result.rejected.append(Rejected(n, f"line {n}: {exc}", raw))
            continue
        result.rows.extend(rows)
    # rows read = rows written + rows rejected, so the loader's conservation check holds per file
    result.rows_read = len(result.rows) + len(result.rejected)
    return result


SPEC = Source(
    name="orders_miniprogram",
    patterns=("orders/miniprogram/*.jsonl",),
    parse_file=parse_file,
    columns=COLUMNS,
    description="有赞 mini-program orders (full_order_info JSON lines), one row per order line, CONTRACT §1.4",
)
