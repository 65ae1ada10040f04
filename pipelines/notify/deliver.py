"""One delivery pass: discover new alerts, send what is due to each channel, record it in the ledger.

Semantics (see docs/orchestration.md): the ledger row is written `sending` *before* each HTTP attempt and
`delivered` right after the robot's OK. A failure leaves it `failed`: tried again on the next pass, never
dropped. If the process dies between the robot's OK and the ledger write (or the robot timed out, so it may
have posted), the next send of that alert is labelled "可能重复" (possible duplicate): at-least-once with
the rare in-doubt case announced, because a silently lost alert is worse than a labelled repeat. No
webhook exposes an idempotency key, so nothing stronger is possible against these robots.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from ..settings import now_shanghai
from . import ledger
from .channels import Channel, DeliveryError, LogChannel, RobotChannel, pack_messages, render_message
from .sources import ALERT_SOURCES, SOURCES_BY_NAME, AlertSource

LOG_CHUNK = 20000  # alerts per ledger round trip when writing the log file
PREVIEW = 10  # lines of the asset's preview metadata


@dataclass(frozen=True)
class DeliveryConfig:
    batch_size: int = 20  # alerts per robot message
    max_messages_per_pass: int = 10  # per robot channel and pass (the robots allow about 20 per minute)
    attempts: int = 3  # HTTP attempts per message within a pass
    backoff_seconds: float = 1.0  # wait 1 s, 2 s, 4 s … between attempts
    timeout_seconds: float = 10.0
    max_age_hours: float | None = (
        None  # robots skip (ledger: `expired`) alerts older than this when first seen
    )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> DeliveryConfig:
        env = os.environ if env is None else env
        names = {
            "batch_size": ("ORDERLENS_ALERT_BATCH_SIZE", int),
            "max_messages_per_pass": ("ORDERLENS_ALERT_MAX_MESSAGES", int),
            "attempts": ("ORDERLENS_ALERT_ATTEMPTS", int),
            "backoff_seconds": ("ORDERLENS_ALERT_BACKOFF_SECONDS", float),
            "timeout_seconds": ("ORDERLENS_ALERT_TIMEOUT_SECONDS", float),
            "max_age_hours": ("ORDERLENS_ALERT_MAX_AGE_HOURS", float),
        }
        values = {}
        for field_name, (var, cast) in names.items():
            if env.get(var):
                try:
                    values[field_name] = cast(env[var])
                except ValueError:
                    raise ValueError(f"{var}={env[var]!r} is not a number") from None
        return cls(**values)


@dataclass
class PassReport:
    new_alerts: dict[str, int] = field(default_factory=dict)  # source -> alerts first seen in this pass
    skipped_sources: list[str] = field(default_factory=list)  # sources whose table does not exist yet
    delivered: dict[str, int] = field(default_factory=dict)  # channel -> alerts delivered in this pass
    messages: dict[str, int] = field(default_factory=dict)  # channel -> messages accepted in this pass
    failed_messages: int = 0
    errors: list[str] = field(default_factory=list)  # redacted
    status: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> status -> alerts, after
    preview: list[str] = field(default_factory=list)  # the first lines delivered in this pass

    @property
    def undelivered(self) -> int:
        return sum(
            n
            for counts in self.status.values()
            for s, n in counts.items()
            if s not in ("delivered", "expired")
        )


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, str]:
    """POST JSON; returns (HTTP status, body text). Timeouts and connection errors raise OSError."""
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _timed_out(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError)


def _line(source: AlertSource | None, row: dict) -> str:
    text = source.render(row["payload"]) if source else json.dumps(row["payload"], ensure_ascii=False)
    flag = "（可能重复）" if row["possible_duplicate"] else ""
    return f"- {flag}{text} #{row['alert_id'][:12]}"


def run_pass(
    con: duckdb.DuckDBPyConnection,
    channels: list[Channel],
    config: DeliveryConfig | None = None,
    sources: Iterable[AlertSource] = ALERT_SOURCES,
    post: Callable[[str, bytes, float], tuple[int, str]] = http_post,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = now_shanghai,
    log: Callable[[str], None] = lambda _msg: None,
) -> PassReport:
    config = config or DeliveryConfig()
    report = PassReport()
    ledger.ensure_ledger(con)
    names = [c.name for c in channels]
    for source in sources:
        if not ledger.table_exists(con, source):
            report.skipped_sources.append(source.name)
            log(f"alert source {source.name}: table {source.table} does not exist yet, skipped")
            continue
        expire_before = now() - timedelta(hours=config.max_age_hours) if config.max_age_hours else None
        report.new_alerts[source.name] = ledger.discover(con, source, names, now(), expire_before)
    for channel in channels:
        report.delivered[channel.name] = 0
        report.messages[channel.name] = 0
        if isinstance(channel, LogChannel):
            _deliver_to_log(con, channel, report, now)
        else:
            _deliver_to_robot(con, channel, config, report, post, sleep, now, log)
    report.status = ledger.status_counts(con)
    return report


def _deliver_to_log(con, channel: LogChannel, report: PassReport, now) -> None:
    """Every due alert in one pass: all marked `sending` (one UPDATE), written in order (one sorted read,
    streamed LOG_CHUNK rows at a time), fsynced, then all marked `delivered` (one UPDATE). A pass that dies
    in between leaves them `sending`: the next pass writes them again as possible duplicates. (It was one
    sorted scan of the ledger and two UPDATEs per 20,000 alerts: quadratic in the alerts of a first build
    over a year of history — 30 min at 10M orders.)"""
    channel.path.parent.mkdir(parents=True, exist_ok=True)
    sending = ledger.mark_all_sending(con, channel.name, now())
    if not sending:
        return
    stamp = now().isoformat(sep=" ")
    written = 0
    with open(channel.path, "a", encoding="utf-8") as f:
        for chunk in ledger.in_flight(con, channel.name, LOG_CHUNK):
            for r in chunk:
                line = {
                    "logged_at": stamp,
                    "alert_id": r["alert_id"],
                    "source": r["source"],
                    "possible_duplicate": r["possible_duplicate"],
                    "text": _line(SOURCES_BY_NAME.get(r["source"]), r)[2:],
                    "alert": r["payload"],
                }
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
            written += len(chunk)
            report.messages[channel.name] += 1
            report.preview += [
                _line(SOURCES_BY_NAME.get(r["source"]), r) for r in chunk[: PREVIEW - len(report.preview)]
            ]
        f.flush()
        os.fsync(f.fileno())
    ledger.mark_all_delivered(con, channel.name, now())
    report.delivered[channel.name] += written


def _deliver_to_robot(con, channel: RobotChannel, config, report: PassReport, post, sleep, now, log) -> None:
    rows = ledger.due(con, channel.name, config.max_messages_per_pass * config.batch_size)
    by_source: dict[str, list[dict]] = {}
    for r in rows:
        by_source.setdefault(r["source"], []).append(r)
    messages: list[tuple[str, list[dict]]] = []
    for name, group in by_source.items():
        source = SOURCES_BY_NAME.get(name)
        title = f"orderlens {source.title if source else name}"
        by_id = {r["alert_id"]: r for r in group}
        lines = [(r["alert_id"], _line(source, r)) for r in group]
        for ids in pack_messages(lines, config.batch_size, channel.max_bytes, title):
            messages.append((title, [by_id[i] for i in ids]))
    for title, group in messages[: config.max_messages_per_pass]:
        ids = [r["alert_id"] for r in group]
        error, in_doubt, rate_limited = None, False, False
        for attempt in range(1, config.attempts + 1):
            if in_doubt:  # an earlier attempt timed out: the robot may have posted it
                group = [{**r, "possible_duplicate": True} for r in group]
            source = SOURCES_BY_NAME.get(group[0]["source"])
            text = render_message(title, [_line(source, r) for r in group])
            ledger.mark_sending(con, channel.name, ids, now(), in_doubt)
            url, body = channel.request(title, text, int(time.time() * 1000))
            try:
                status, answer = post(url, body, config.timeout_seconds)
                channel.check_answer(status, answer)
            except DeliveryError as exc:
                error, rate_limited = str(exc), exc.rate_limited
            except OSError as exc:  # timeout, connection refused, reset (urllib.error.URLError is an OSError)
                reason = getattr(exc, "reason", exc)
                error = f"no answer: {type(reason).__name__}: {reason}"
                in_doubt = in_doubt or _timed_out(exc)
            else:
                ledger.mark_delivered(con, channel.name, ids, now())
                report.delivered[channel.name] += len(ids)
                report.messages[channel.name] += 1
                report.preview += [_line(source, r) for r in group[: PREVIEW - len(report.preview)]]
                error = None
                break
            error = channel.redact(error)
            ledger.mark_failed(con, channel.name, ids, error, in_doubt)
            log(f"{channel.name}: attempt {attempt}/{config.attempts} for {len(ids)} alerts failed: {error}")
            if rate_limited or attempt == config.attempts:
                break
            sleep(config.backoff_seconds * 2 ** (attempt - 1))
        if error is not None:
            report.failed_messages += 1
            report.errors.append(f"{channel.name}: {error}")
            if rate_limited:
                log(f"{channel.name}: rate limited, the rest waits for the next pass")
                break
