"""快递100 track pushes (`tracks/*.json|*.jsonl`): one raw row per track node. CONTRACT §1.8.

A file holds one push object, a JSON array of pushes, or JSON lines (one push per line). Every push
carries the whole history of one tracking number so far, newest node first; a later push supersedes an
earlier one (staging keeps only the latest push per number). Each node becomes one row with the push's
fields repeated; a push whose `data` is empty still gives one row with the node columns null.

State codes are 快递100's (`state_provider = 'kuaidi100'`): another aggregator's numbers mean other
things, so the codes are stored as text next to their provider, never mapped.

Row numbers (`_row_number`, rejected `row_number`): the line for JSON lines, the push's position
(1-based) for an array, 1 for a single object.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from .common import (
    BulkReader,
    CellError,
    FileFormatError,
    ParseResult,
    Rejected,
    Source,
    parse_timestamp,
    plain_json_shape,
    sql_not_json_literal,
    sql_plain_text,
)

PROVIDER = "kuaidi100"
CARRIERS = ("jtexpress", "zhongtong", "shunfeng", "yuantong", "yunda", "shentong", "ems", "jd")
PUSH_STATUSES = ("polling", "shutdown", "abort")
_CARRIERS = frozenset(CARRIERS)
_CODE = re.compile(r"^\d{1,4}$")
_CANONICAL_TS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

COLUMNS = {
    "tracking_no": "VARCHAR",
    "carrier": "VARCHAR",
    "state_provider": "VARCHAR",
    "push_status": "VARCHAR",
    "push_state": "VARCHAR",
    "is_check": "BOOLEAN",
    "push_index": "INTEGER",
    "push_latest_at": "TIMESTAMP",
    "node_count": "INTEGER",
    "node_index": "INTEGER",
    "node_time": "TIMESTAMP",
    "node_ftime": "TIMESTAMP",
    "context": "VARCHAR",
    "node_state": "VARCHAR",
    "area_name": "VARCHAR",
}


class PushError(ValueError):
    """A push that cannot be loaded; the message says which field and why."""


def _text(value) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    v = str(value).strip()
    return v or None


def _time(value, label: str) -> str | datetime | None:
    """Asia/Shanghai text or unix seconds (JSON number or digits) -> naive wall-clock time.

    The common `YYYY-MM-DD HH:MM:SS` text is validated and returned as text (DuckDB casts it), anything
    else as a datetime."""
    if type(value) is str and len(value) == 19 and _CANONICAL_TS.match(value):
        try:  # fromisoformat validates the calendar (no 2026-02-30)
            datetime.fromisoformat(value)
            return value
        except ValueError:
            raise PushError(f"{label} {value!r} is not a time (expected YYYY-MM-DD HH:MM:SS)") from None
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PushError(f"{label} {value!r} is not a time")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            value = int(value)
        value = str(int(value))
    if not isinstance(value, str):
        raise PushError(f"{label} {value!r} is not a time")
    try:
        return parse_timestamp(value, label)
    except CellError as exc:
        raise PushError(str(exc)) from None


def _code(value, label: str) -> str | None:
    if type(value) is str and value.isdigit() and len(value) <= 4:
        return value
    v = _text(value)
    if v is not None and not _CODE.match(v):
        raise PushError(f"{label} {v!r} is not a 快递100 state code (a number such as 0, 3, 14)")
    return v


def push_rows(push, push_index: int, row_number: int) -> list[dict]:
    """The raw rows (one per node, at least one) of one push; PushError when it cannot be loaded."""
    if not isinstance(push, dict):
        raise PushError(f"expected a push object, found a JSON {type(push).__name__}")
    last = push.get("lastResult")
    if not isinstance(last, dict):
        raise PushError("lastResult is missing (not a 快递100 push)")
    nu = _text(last.get("nu"))
    if nu is None:
        raise PushError("lastResult.nu (tracking number) is missing")
    com = _text(last.get("com"))
    if com is None:
        raise PushError(f"lastResult.com (carrier) is missing for {nu}")
    if com not in _CARRIERS:
        raise PushError(f"unknown carrier code {com!r} for {nu} (expected one of {', '.join(CARRIERS)})")
    status = _text(push.get("status"))
    if status is not None and status not in PUSH_STATUSES:
        raise PushError(f"status {status!r} is not a push status ({', '.join(PUSH_STATUSES)})")
    state = _code(last.get("state"), "lastResult.state")
    ischeck = _text(last.get("ischeck"))
    if ischeck not in (None, "0", "1"):
        raise PushError(f"lastResult.ischeck {ischeck!r} is not 0 or 1")
    data = last.get("data")
    if data is None:
        data = []
    if not isinstance(data, list):
        raise PushError(f"lastResult.data is a JSON {type(data).__name__}, expected a list of nodes")
    base = {
        "tracking_no": nu,
        "carrier": com,
        "state_provider": PROVIDER,
        "push_status": status,
        "push_state": state,
        "is_check": None if ischeck is None else ("true" if ischeck == "1" else "false"),
        "push_index": push_index,
        "push_latest_at": None,
        "node_count": len(data),
        "_row_number": row_number,
    }
    if not data:
        return [base]
    rows = []
    for i, node in enumerate(data):
        if not isinstance(node, dict):
            raise PushError(f"data[{i}] is a JSON {type(node).__name__}, expected a node object")
        try:  # labels name the node only when something is wrong (f-strings per node cost time)
            raw_time = node.get("time")
            node_time = _time(raw_time, "data[i].time")
            if node_time is None:
                raise PushError("data[i].time is empty")
            raw_ftime = node.get("ftime")
            row = base.copy()
            row["node_index"] = i
            row["node_time"] = node_time
            row["node_ftime"] = node_time if raw_ftime == raw_time else _time(raw_ftime, "data[i].ftime")
            row["context"] = _text(node.get("context"))
            row["node_state"] = _code(node.get("statusCode"), "data[i].statusCode")
            row["area_name"] = _text(node.get("areaName"))
        except PushError as exc:
            raise PushError(str(exc).replace("data[i]", f"data[{i}]")) from None
        rows.append(row)
    latest = rows[0]["node_time"]
    for r in rows:
        r["push_latest_at"] = latest
    return rows


def _pushes(text: str) -> tuple[list[tuple[int, str, object]], list[Rejected]]:
    """[(row_number, where, decoded push)] and the lines that are not JSON, for the three file shapes."""
    start = text.lstrip()[:1]
    if start not in ("{", "["):
        shown = " ".join(text.split())[:40]
        raise FileFormatError(f"not JSON (a push file starts with {{ or [; this one reads {shown!r})")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as whole:
        lines = text.splitlines()
        decoded: list[tuple[int, str, object]] = []
        bad: list[Rejected] = []
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                decoded.append((n, f"line {n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                bad.append(
                    Rejected(
                        n, f"line {n}: invalid JSON ({exc.msg} at column {exc.colno})", {"line": line[:2000]}
                    )
                )
        if decoded:
            return decoded, bad
        # not JSON lines either: one broken JSON document
        reason = f"invalid JSON at line {whole.lineno} column {whole.colno}: {whole.msg}"
        return [], [Rejected(whole.lineno, reason, {"text": text[:2000]})]
    if isinstance(doc, list):
        return [(i, f"push {i}", push) for i, push in enumerate(doc, start=1)], []
    return [(1, "push", doc)], []


def parse_file(path: Path) -> ParseResult:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"not UTF-8 JSON (bad byte at offset {exc.start})") from exc
    if not text.strip():
        raise FileFormatError("file is empty")
    decoded, rejected = _pushes(text)
    result = ParseResult(rejected=rejected)
    rows = result.rows
    for row_number, where, push in decoded:
        try:
            rows.extend(push_rows(push, row_number, row_number))
        except PushError as exc:
            raw = push if isinstance(push, dict) else {"value": push}
            result.rejected.append(Rejected(row_number, f"{where}: {exc}", raw))
    result.rejected.sort(key=lambda r: r.row_number)
    # rows read = rows written + rows rejected, so the loader's conservation check holds per file
    result.rows_read = len(rows) + len(result.rejected)
    return result


# ------------------------------------------------------------------ bulk path: DuckDB's JSON reader
# The same rows as `push_rows`, in SQL, for pushes in the plain shape (texts as text, times as
# `YYYY-MM-DD HH:MM:SS`, codes as digits). RECORD_OK is false for a push outside that shape: its file is then
# parsed by `parse_file`, which also names what is wrong. Equality of both paths is tested.

_NODE = 'STRUCT("time" VARCHAR, ftime VARCHAR, context VARCHAR, statusCode VARCHAR, areaName VARCHAR)'
RECORD_COLUMNS = (
    "{status: 'VARCHAR', lastResult: "
    f"'STRUCT(nu VARCHAR, ischeck VARCHAR, com VARCHAR, state VARCHAR, data {_NODE}[])'}}"
)


def _canonical_time(v: str) -> str:
    return f"(regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}} \\d{{2}}:\\d{{2}}:\\d{{2}}') and try_strptime({v}, '%Y-%m-%d %H:%M:%S') is not null)"


def _code_sql(v: str) -> str:
    return f"({v} is null or regexp_full_match({v}, '\\d{{1,4}}'))"


_CARRIER_LIST = ", ".join(f"'{c}'" for c in CARRIERS)
_STATUS_LIST = ", ".join(f"'{s}'" for s in PUSH_STATUSES)
_NODE_OK = (
    f"n is not null and {_canonical_time('n.time')} "
    f"and (n.ftime is null or n.ftime = n.time or {_canonical_time('n.ftime')}) "
    f"and {sql_plain_text('n.context')} and {_code_sql('n.statusCode')} and {sql_plain_text('n.areaName')}"
)
RECORD_OK = (
    "coalesce(lastResult is not null "
    f"and (status is null or status in ({_STATUS_LIST})) "
    f"and regexp_full_match(lastResult.nu, '[0-9A-Za-z]+') and {sql_not_json_literal('lastResult.nu')} "
    f"and lastResult.com in ({_CARRIER_LIST}) and {_code_sql('lastResult.state')} "
    "and (lastResult.ischeck is null or lastResult.ischeck in ('0', '1')) "
    f"and coalesce(list_bool_and(list_transform(lastResult.data, lambda n: {_NODE_OK})), true), false)"
)
RECORD_ROWS = "greatest(coalesce(len(lastResult.data), 0), 1)"


def bulk_select(records: str) -> str:
    return f"""
with pushes as (
    select _file, _record, status, lastResult as r, coalesce(len(lastResult.data), 0) as node_count
    from {records}
), nodes as (
    select *,
        unnest(case when node_count = 0 then [null] else r.data end) as n,
        unnest(case when node_count = 0 then [null] else range(node_count) end) as node_index
    from pushes
)
select
    r.nu as tracking_no,
    r.com as carrier,
    '{PROVIDER}' as state_provider,
    status as push_status,
    r.state as push_state,
    case r.ischeck when '1' then true when '0' then false end as is_check,
    _record as push_index,
    try_cast(r.data[1].time as timestamp) as push_latest_at,
    node_count,
    node_index,
    try_cast(n.time as timestamp) as node_time,
    try_cast(case when n.ftime = n.time then n.time else n.ftime end as timestamp) as node_ftime,
    n.context as context,
    n.statusCode as node_state,
    n.areaName as area_name,
    _file,
    _record as _row_number
from nodes
"""


SPEC = Source(
    name="tracks",
    patterns=("tracks/*.json", "tracks/*.jsonl"),
    parse_file=parse_file,
    columns=COLUMNS,
    description="快递100 track pushes, one row per track node (push fields repeated), CONTRACT §1.8",
    bulk=BulkReader(
        shape=plain_json_shape,
        record_columns=RECORD_COLUMNS,
        record_ok=RECORD_OK,
        record_rows=RECORD_ROWS,
        select=bulk_select,
    ),
)
