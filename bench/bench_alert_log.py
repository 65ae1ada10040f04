"""Alert log delivery at scale (issue 11): one delivery pass of N new alerts to the log channel (no webhook),
what a first build over a seller's history does. Before: a sorted scan of the ledger and two UPDATEs per
20,000 alerts (quadratic: at 10M orders, 9.6M SLA alerts, 1.6 GB written in 15 min and slowing); now one pass.

    .venv/bin/python bench/bench_alert_log.py --alerts 200000 2000000

Prints per size: seconds of discovery (ledger insert) and of writing the log, alerts/s, and the seconds per
alert relative to the smallest size (1.0 = linear).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.notify.channels import LogChannel  # noqa: E402
from pipelines.notify.deliver import run_pass  # noqa: E402


def one(n: int, work: Path) -> tuple[float, float]:
    con = duckdb.connect(str(work / f"w{n}.duckdb"))
    con.execute("set threads = 2")
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_sla_alerts as select 'douyin:' || i as order_key, "
        "case i % 3 when 0 then 'review_pending' when 1 then 'review_escalated' else 'stock_shortage' end "
        "as alert_type, 'ops_lead' as recipient_role, timestamp '2026-10-12 10:00:00' + to_seconds(i) as raised_at "
        f"from range({n}) t(i)"
    )
    log = LogChannel(work / f"alerts{n}.log")
    started = time.perf_counter()
    report = run_pass(con, [log])
    total = time.perf_counter() - started
    assert report.delivered == {"log": n}, report.delivered
    with open(log.path, encoding="utf-8") as f:
        assert sum(1 for _ in f) == n
    con.close()
    return total, log.path.stat().st_size / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, nargs="+", default=[200_000, 2_000_000])
    args = ap.parse_args()
    base = None
    with tempfile.TemporaryDirectory(prefix="bench-alert-log-") as tmp:
        for n in sorted(args.alerts):
            seconds, mb = one(n, Path(tmp))
            per = seconds / n
            base = base or per
            print(
                f"{n:>10,} alerts: {seconds:7.1f} s (discovery + log), {n / seconds:>9,.0f} alerts/s, "
                f"{mb:,.0f} MB of log; s per alert / smallest size's = {per / base:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
