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
    BulkReader,
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
    plain_json_shape,
    sql_clean_cell,
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


# ------------------------------------------------------------------ bulk path: DuckDB's JSON reader
# The same rows as `order_rows`, in SQL, for orders in the plain shape (clean texts, times as
# `YYYY-MM-DD HH:MM:SS` or empty, amounts as plain decimals, counts as digits). RECORD_OK is false for an order
# outside that shape: its file is then parsed by `parse_file`, which also names what is wrong.

_TIMES = ("created", "pay_time", "consign_time", "success_time", "update_time")
_MONEY = ("payment", "total_fee", "post_fee")
_ADDRESS = (
    "receiver_name",
    "receiver_tel",
    "delivery_province",
    "delivery_city",
    "delivery_district",
    "delivery_address",
)


def _varchars(names) -> str:
    return ", ".join(f"{n} VARCHAR" for n in names)


RECORD_COLUMNS = (
    "{full_order_info: 'STRUCT("
    f"order_info STRUCT(tid VARCHAR, status VARCHAR, {_varchars(_TIMES)}), "
    f"pay_info STRUCT({_varchars(_MONEY)}), "
    f"address_info STRUCT({_varchars(_ADDRESS)}), "
    "orders STRUCT(oid VARCHAR, outer_sku_id VARCHAR, title VARCHAR, num VARCHAR, payment VARCHAR, "
    "is_present VARCHAR)[], "
    "delivery_order STRUCT(express_info STRUCT(express_id VARCHAR, express_no VARCHAR))[])'}"
)
_CANONICAL_TS = r"'\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}'"
_AMOUNT = r"'-?[0-9]+(\.[0-9]{1,2})?'"


def _time_ok(v: str, required: bool) -> str:
    canonical = (
        f"(regexp_full_match({v}, {_CANONICAL_TS}) and try_strptime({v}, '%Y-%m-%d %H:%M:%S') is not null)"
    )
    return canonical if required else f"({v} is null or {v} = '' or {canonical})"


def _money_ok(v: str, required: bool) -> str:
    amount = f"(regexp_full_match({v}, {_AMOUNT}) and try_cast({v} as decimal(18,2)) is not null)"
    return amount if required else f"({v} is null or {v} = '' or {amount})"


def _money(v: str) -> str:
    return f"try_cast(nullif({v}, '') as decimal(18,2))"


def _record_ok(info: str) -> str:
    statuses = ", ".join(f"'{x}'" for x in STATUSES)
    o, p, a = f"{info}.order_info", f"{info}.pay_info", f"{info}.address_info"
    order_ok = " and ".join(
        [
            f"{info} is not null",
            f"regexp_full_match({o}.tid, 'E[0-9]{{20,}}')",
            f"{o}.status in ({statuses})",
            *(_time_ok(f"{o}.{c}", c == "created") for c in _TIMES),
            *(_money_ok(f"{p}.{c}", c == "payment") for c in _MONEY),
            *(sql_clean_cell(f"{a}.{c}") for c in _ADDRESS),
            f"len({info}.orders) > 0",
            f"coalesce(list_bool_and(list_transform({info}.delivery_order, lambda d: "
            f"{sql_clean_cell('d.express_info.express_no')} and {sql_clean_cell('d.express_info.express_id')})), "
            "true)",
        ]
    )
    item_ok = " and ".join(
        [
            "item is not null",
            f"item.oid is not null and {sql_clean_cell('item.oid')}",
            sql_clean_cell("item.outer_sku_id"),
            sql_clean_cell("item.title"),
            "regexp_full_match(item.num, '[0-9]+') and try_cast(item.num as integer) is not null",
            _money_ok("item.payment", False),
            "(item.is_present is null or item.is_present in ('', 'true', 'false', '1', '0'))",
        ]
    )
    return f"coalesce({order_ok} and list_bool_and(list_transform({info}.orders, lambda item: {item_ok})), false)"


RECORD_OK = _record_ok("full_order_info")
RECORD_ROWS = "coalesce(len(full_order_info.orders), 0)"


def bulk_select(records: str) -> str:
    o, p, a = "info.order_info", "info.pay_info", "info.address_info"
    parcels = (
        "list_transform(coalesce(info.delivery_order, []), "
        "lambda d: {'no': d.express_info.express_no, 'id': d.express_info.express_id})"
    )
    known = f"list_filter({parcels}, lambda x: x.no is not null)"
    first_of_each = (
        f"list_filter({known}, lambda x, i: list_position(list_transform({known}, lambda y: y.no), x.no) = i)"
    )
    return f"""
with orders as (
    select _file, _record, full_order_info as info from {records}
), judged as (
    select *, {first_of_each} as firsts from orders
), items as (
    select *, unnest(info.orders) as item from judged
)
select
    {o}.tid as tid,
    {o}.status as status_raw,
    case {o}.status
        when 'WAIT_BUYER_PAY' then 'pending_payment'
        when 'WAIT_SELLER_SEND_GOODS' then 'paid'
        when 'WAIT_BUYER_CONFIRM_GOODS' then 'shipped'
        when 'TRADE_SUCCESS' then 'completed'
        when 'TRADE_CLOSED' then case when nullif({o}.pay_time, '') is null then 'cancelled' else 'refunded' end
    end as status,
    {", ".join(f"try_cast(nullif({o}.{c}, '') as timestamp) as {c}" for c in _TIMES)},
    {", ".join(f"{_money(f'{p}.{c}')} as {c}" for c in _MONEY)},
    {", ".join(f"{a}.{c} as {c}" for c in _ADDRESS)},
    item.oid as oid,
    item.outer_sku_id as outer_sku_id,
    item.title as title,
    try_cast(item.num as integer) as num,
    {_money("item.payment")} as line_payment,
    coalesce(item.is_present in ('true', '1'), false) as is_present,
    len(info.orders) as line_count,
    nullif(array_to_string(list_transform(firsts, lambda x: x.no), ';'), '') as tracking_nos,
    case when len(firsts) > 0 then array_to_string(list_transform(firsts, lambda x: coalesce(x.id, '')), ';')
        end as express_ids,
    _file,
    _record as _row_number
from items
"""


SPEC = Source(
    name="orders_miniprogram",
    patterns=("orders/miniprogram/*.jsonl",),
    parse_file=parse_file,
    columns=COLUMNS,
    description="有赞 mini-program orders (full_order_info JSON lines), one row per order line, CONTRACT §1.4",
    bulk=BulkReader(
        shape=plain_json_shape,
        record_columns=RECORD_COLUMNS,
        record_ok=RECORD_OK,
        record_rows=RECORD_ROWS,
        select=bulk_select,
    ),
)
