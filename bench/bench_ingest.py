"""Ingest benchmark: every landing source (receipts excluded) of a generated zone into a fresh warehouse.

    .venv/bin/python bench/bench_ingest.py --orders 1000000 --days 365 [--landing DIR]

Prints seconds, rows/s and peak MB for the ingest, and beside it a baseline in the same process:
a plain `pandas.read_csv` (dtype=str) of the same CSV files (UTF-8 / GB18030 / UTF-16 by trying in turn),
which only reads text and neither cleans, types, judges nor stores anything.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.ingest import ingest_source  # noqa: E402
from pipelines.sources.registry import SOURCES  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pandas_baseline(files: list[Path]) -> tuple[float, int]:
    started, rows = time.perf_counter(), 0
    for path in files:
        if path.suffix != ".csv":
            continue
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
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    landing = Path(args.landing) if args.landing else work / "landing"
    if not args.landing:
        from pipelines.synthetic import generate

        t = time.perf_counter()
        generate(landing, orders=args.orders, days=args.days, seed=args.seed, receipts=False, progress=True)
        print(f"generated {args.orders:,} orders / {args.days} days in {time.perf_counter() - t:.1f} s")

    files = sorted({f for s in SOURCES.values() for f in s.files(landing)})
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    started = time.perf_counter()
    rows = rejected = 0
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        for source in SOURCES.values():
            t = time.perf_counter()
            report = ingest_source(con, source, landing, datetime.now())
            rows += report.rows_loaded
            rejected += report.rows_rejected
            print(
                f"  {source.name:28s} {report.count('loaded'):5d} files {report.rows_loaded:>11,} rows "
                f"{report.rows_rejected:>6,} rejected {time.perf_counter() - t:7.1f} s"
            )
    seconds = time.perf_counter() - started
    ingest_peak = peak_mb()
    base_seconds, base_rows = pandas_baseline(files)
    print(f"ingest: {len(files)} files, {size_mb:,.0f} MB, {rows:,} rows loaded, {rejected:,} rejected")
    print(
        f"ingest: {seconds:.1f} s, {rows / seconds:,.0f} rows/s, peak {ingest_peak:,.0f} MB (whole process)"
    )
    print(f"baseline pandas.read_csv (text only, CSV files): {base_seconds:.1f} s for {base_rows:,} rows")
    print(f"ratio ingest / baseline: {seconds / base_seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
