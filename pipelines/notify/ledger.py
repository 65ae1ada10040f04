"""The delivery ledger `ops.alert_deliveries`: one row per alert × channel.

status: `pending` (never tried) → `sending` (written before each HTTP attempt) → `delivered`, or
`failed` (the last attempt failed; tried again next pass). A row found in `sending` at the start of a
pass was in flight when the previous pass died: it is sent again, marked as a possible duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import duckdb

from .sources import AlertSource

LEDGER = "ops.alert_deliveries"

DDL = f"""
create table if not exists {LEDGER} (
    alert_id varchar not null,          -- sha256 of the source and its key columns
    source varchar not null,            -- AlertSource.name
    channel varchar not null,           -- wecom | dingtalk | feishu | log
    status varchar not null,            -- pending | sending | delivered | failed | expired
    attempts integer not null,
    event_at timestamp,                 -- when the alert happened (the source's time column)
    payload varchar not null,           -- the mart row as JSON, as first seen
    first_seen_at timestamp not null,
    first_attempt_at timestamp,
    delivered_at timestamp,
    last_error varchar,                 -- never holds a URL or a secret
    possible_duplicate boolean not null default false,
    primary key (alert_id, channel)
)
"""


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(DDL)


def table_exists(con: duckdb.DuckDBPyConnection, source: AlertSource) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [source.schema, source.table_name],
        ).fetchone()[0]
    )


def alert_id_sql(source: AlertSource, alias: str = "t") -> str:
    """SQL for the stable alert id: sha256 over the source name and the key columns as text."""
    parts = [f"'{source.name}'"] + [
        f'coalesce(cast({alias}."{c}" as varchar), chr(0))' for c in source.key_columns
    ]
    return f"sha256(concat_ws(chr(31), {', '.join(parts)}))"


def discover(
    con: duckdb.DuckDBPyConnection,
    source: AlertSource,
    channels: list[str],
    now: datetime,
    expire_before: datetime | None = None,
) -> int:
    """Add the source's rows not yet in the ledger as `pending`, one per channel. Returns alerts added.

    expire_before: a robot channel records alerts that happened before it as `expired` (kept, never sent),
    so a robot configured on an old warehouse does not receive its whole history; the log gets everything."""
    before = con.execute(f"select count(*) from {LEDGER}").fetchone()[0]
    values = ", ".join(f"('{c}')" for c in channels)
    con.execute(
        f"""
        insert into {LEDGER} (alert_id, source, channel, status, attempts, event_at, payload, first_seen_at)
        with alerts as (
            select {alert_id_sql(source)} as alert_id,
                cast(t."{source.time_column}" as timestamp) as event_at,
                cast(to_json(t) as varchar) as payload
            from {source.table} as t
            where {source.where}
            qualify row_number() over (partition by alert_id order by event_at) = 1
        )
        select a.alert_id, ?, c.channel,
            case when c.channel <> 'log' and a.event_at < ? then 'expired' else 'pending' end,
            0, a.event_at, a.payload, ?
        from alerts as a
        cross join (values {values}) as c(channel)
        where not exists (
            select 1 from {LEDGER} as l where l.alert_id = a.alert_id and l.channel = c.channel
        )
        """,
        [source.name, expire_before, now],
    )
    return (con.execute(f"select count(*) from {LEDGER}").fetchone()[0] - before) // max(1, len(channels))


def due(con: duckdb.DuckDBPyConnection, channel: str, limit: int | None) -> list[dict]:
    """Undelivered alerts of a channel: in-doubt (`sending`) first, then oldest event first."""
    rows = con.execute(
        f"""
        select alert_id, source, status, payload, possible_duplicate or status = 'sending' from {LEDGER}
        where channel = ? and status not in ('delivered', 'expired')
        order by status = 'sending' desc, event_at, alert_id
        {"limit " + str(int(limit)) if limit is not None else ""}
        """,
        [channel],
    ).fetchall()
    return _alerts(rows)


def _alerts(rows: list[tuple]) -> list[dict]:
    """Ledger rows (alert_id, source, status, payload, possible_duplicate) as the dicts delivery works with."""
    return [
        {"alert_id": a, "source": s, "status": st, "payload": json.loads(p), "possible_duplicate": dup}
        for a, s, st, p, dup in rows
    ]


def mark_sending(con, channel: str, ids: list[str], now: datetime, possible_duplicate: bool) -> None:
    con.execute(
        f"""update {LEDGER} set status = 'sending', attempts = attempts + 1,
            first_attempt_at = coalesce(first_attempt_at, ?),
            possible_duplicate = possible_duplicate or ? or status = 'sending'
        where channel = ? and alert_id in (select unnest(?::varchar[]))""",
        [now, possible_duplicate, channel, ids],
    )


def mark_all_sending(con, channel: str, now: datetime) -> int:
    """Every undelivered alert of the channel to `sending` (one in flight already: possible duplicate).
    Returns how many."""
    return con.execute(
        f"""update {LEDGER} set status = 'sending', attempts = attempts + 1,
            first_attempt_at = coalesce(first_attempt_at, ?),
            possible_duplicate = possible_duplicate or status = 'sending'
        where channel = ? and status not in ('delivered', 'expired')""",
        [now, channel],
    ).fetchall()[0][0]


def in_flight(con, channel: str, size: int) -> Iterator[list[dict]]:
    """The channel's `sending` alerts, possible duplicates first, then oldest event first, `size` at a time
    (one sorted read, streamed)."""
    result = con.execute(
        f"""select alert_id, source, status, payload, possible_duplicate from {LEDGER}
        where channel = ? and status = 'sending'
        order by possible_duplicate desc, event_at, alert_id""",
        [channel],
    )
    while rows := result.fetchmany(size):
        yield _alerts(rows)


def mark_all_delivered(con, channel: str, now: datetime) -> None:
    con.execute(
        f"""update {LEDGER} set status = 'delivered', delivered_at = ?, last_error = null
        where channel = ? and status = 'sending'""",
        [now, channel],
    )


def mark_delivered(con, channel: str, ids: list[str], now: datetime) -> None:
    con.execute(
        f"""update {LEDGER} set status = 'delivered', delivered_at = ?, last_error = null
        where channel = ? and alert_id in (select unnest(?::varchar[]))""",
        [now, channel, ids],
    )


def mark_failed(con, channel: str, ids: list[str], error: str, in_doubt: bool) -> None:
    """in_doubt: the robot may have received it (a timeout): the next send says "possible duplicate"."""
    con.execute(
        f"""update {LEDGER} set status = 'failed', last_error = ?, possible_duplicate = possible_duplicate or ?
        where channel = ? and alert_id in (select unnest(?::varchar[]))""",
        [error, in_doubt, channel, ids],
    )


def status_counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """{channel: {status: alerts}}."""
    out: dict[str, dict[str, int]] = {}
    for channel, status, n in con.execute(
        f"select channel, status, count(*) from {LEDGER} group by all order by all"
    ).fetchall():
        out.setdefault(channel, {})[status] = n
    return out
