"""Ingest benchmark: every landing source (receipts excluded) of a generated zone into a fresh warehouse.

    .venv/bin/python bench/bench_ingest.py --landing /work/bench_data/zone1m       # an existing zone
    .venv/bin/python bench/bench_ingest.py --orders 1000000 --days 365             # generate one first

Per source: files (and how many DuckDB read in bulk), rows loaded and rejected, wall seconds, CPU seconds
(user + system of the whole process, DuckDB's threads included), rows/s, peak resident MB while that
source loaded (sampled every 20 ms from /proc/self/status), and the ratio to a plain pandas load of the
same files: `pandas.read_csv(dtype=str)` for CSV (UTF-8 / GB18030 / UTF-16 by trying in turn),
`pandas.read_excel` for XLSX, `pandas.read_json` for JSON (lines=True for JSON lines). The baseline only
reads text; it neither cleans, types, judges, stores, nor keeps anything exactly once.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.ingest import INGEST_WORKERS, ingest_source, ingest_sources  # noqa: E402
from pipelines.sources.registry import SOURCES  # noqa: E402


class RssSampler:
    """Peak resident set size (MB) of this process since the last `reset`."""

    def __init__(self, every: float = 0.02):
        self.peak = 0.0
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss_mb())
            time.sleep(self._every)

    def reset(self) -> None:
        self.peak = self.rss_mb()

    def stop(self) -> None:
        self._stop.set()


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def pandas_load(files: list[Path]) -> tuple[float, int]:
    started, rows = time.perf_counter(), 0
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            rows += len(pd.read_excel(path, dtype=str))
        elif suffix in (".json", ".jsonl"):
            try:
                rows += len(pd.read_json(path, lines=suffix == ".jsonl", dtype=False))
            except ValueError:
                continue
        else:
            for encoding in ("utf-8-sig", "gb18030", "utf-16"):
                try:
                    rows += len(pd.read_csv(path, dtype=str, encoding=encoding))
                    break
                except (UnicodeError, pd.errors.ParserError):
                    continue
    return time.perf_counter() - started, rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--landing", help="an existing landing zone (skips generation)")
    parser.add_argument("--sources", help="comma-separated subset of sources (default: all)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    parser.add_argument(
        "--sequential", action="store_true", help="one source after the other (per-source CPU s and peak MB)"
    )
    parser.add_argument(
        "--workers", type=int, default=INGEST_WORKERS, help="sources loading at once (default: %(default)s)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    landing = Path(args.landing) if args.landing else work / "landing"
    if not args.landing:
        from pipelines.synthetic import generate

        t = time.perf_counter()
        generate(landing, orders=args.orders, days=args.days, seed=args.seed, receipts=False, progress=True)
        print(f"generated {args.orders:,} orders / {args.days} days in {time.perf_counter() - t:.1f} s")

    names = args.sources.split(",") if args.sources else list(SOURCES)
    sampler = RssSampler()
    header = (
        f"{'source':26s} {'files':>6s} {'duckdb':>6s} {'rows':>11s} {'rejected':>8s} {'wall s':>7s} "
        f"{'cpu s':>7s} {'rows/s':>9s} {'peak MB':>8s} {'pandas s':>8s} {'ratio':>6s}"
    )
    totals = {"files": 0, "rows": 0, "rejected": 0, "wall": 0.0, "cpu": 0.0, "base": 0.0, "mb": 0.0}
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        if args.sequential:
            print(header, flush=True)
            for name in names:
                source = SOURCES[name]
                files = source.files(landing)
                sampler.reset()
                t, c = time.perf_counter(), cpu_seconds()
                report = ingest_source(con, source, landing, datetime.now())
                wall, cpu = time.perf_counter() - t, cpu_seconds() - c
                peak = sampler.peak
                base = 0.0 if args.no_baseline or not files else pandas_load(files)[0]
                bulk = sum(1 for f in report.files if f.reader == "duckdb")
                print(
                    f"{name:26s} {len(files):6d} {bulk:6d} {report.rows_loaded:>11,} {report.rows_rejected:>8,} "
                    f"{wall:7.1f} {cpu:7.1f} {report.rows_loaded / max(wall, 1e-9):>9,.0f} {peak:8,.0f} "
                    f"{base:8.1f} {wall / base if base else float('nan'):6.2f}",
                    flush=True,
                )
                totals["files"] += len(files)
                totals["rows"] += report.rows_loaded
                totals["rejected"] += report.rows_rejected
                totals["wall"] += wall
                totals["cpu"] += cpu
                totals["base"] += base
                totals["mb"] = max(totals["mb"], peak)
        else:
            # what the ingest step does: the sources loading concurrently (ingest_sources), largest first
            sampler.reset()
            t0, c0 = time.perf_counter(), cpu_seconds()
            loads = {}
            for load in ingest_sources(
                con, [SOURCES[n] for n in names], landing, datetime.now(), workers=args.workers
            ):
                if load.error is not None:
                    raise load.error
                if load.violations:
                    raise SystemExit(f"{load.source}: rows not conserved: {load.violations[:5]}")
                loads[load.source] = load
                print(
                    f"  {load.source} done at {load.ended - t0:5.1f} s (started at {load.started - t0:5.1f} s)",
                    flush=True,
                )
            totals["wall"], totals["cpu"] = time.perf_counter() - t0, cpu_seconds() - c0
            totals["mb"] = sampler.peak
            print(
                f"{header}\n  (wall s: that source's own start to end, overlapping the others; cpu s: whole process, in TOTAL)"
            )
            for name in names:
                load, files = loads[name], SOURCES[name].files(landing)
                report, wall = load.report, load.ended - load.started
                base = 0.0 if args.no_baseline or not files else pandas_load(files)[0]
                bulk = sum(1 for f in report.files if f.reader == "duckdb")
                print(
                    f"{name:26s} {len(files):6d} {bulk:6d} {report.rows_loaded:>11,} {report.rows_rejected:>8,} "
                    f"{wall:7.1f} {'':>7s} {report.rows_loaded / max(wall, 1e-9):>9,.0f} {'':>8s} "
                    f"{base:8.1f} {wall / base if base else float('nan'):6.2f}",
                    flush=True,
                )
                totals["files"] += len(files)
                totals["rows"] += report.rows_loaded
                totals["rejected"] += report.rows_rejected
                totals["base"] += base
    sampler.stop()
    size_mb = sum(f.stat().st_size for n in names for f in SOURCES[n].files(landing)) / 1e6
    print(
        f"{'TOTAL':26s} {totals['files']:6d} {'':6s} {totals['rows']:>11,} {totals['rejected']:>8,} "
        f"{totals['wall']:7.1f} {totals['cpu']:7.1f} {totals['rows'] / totals['wall']:>9,.0f} "
        f"{totals['mb']:8,.0f} {totals['base']:8.1f} "
        f"{totals['wall'] / totals['base'] if totals['base'] else float('nan'):6.2f}"
    )
    print(
        f"input: {size_mb:,.0f} MB; CPU/wall {totals['cpu'] / totals['wall']:.2f}; "
        f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)"
    )
    print(f"warehouse (kept, for comparisons): {work / 'warehouse.duckdb'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
