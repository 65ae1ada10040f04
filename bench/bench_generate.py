"""Benchmark the synthetic landing-zone generator.

    .venv/bin/python bench/bench_generate.py                 # 1,000,000 orders over 365 days, receipts off
    .venv/bin/python bench/bench_generate.py --orders 100000 --days 365

Prints seconds, rows/s, peak RSS (ru_maxrss) and the ratio to a baseline run in the same process
(the same generator at 1/10 of the orders, scaled by 10: ratio ~1.0 means linear scaling).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.synthetic import generate  # noqa: E402


def cpu_seconds() -> float:
    """user + sys CPU seconds of this process and its waited-for children (the forked writers)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def run(out: Path, orders: int, days: int, seed: int, **kw) -> tuple[float, float, dict]:
    t, c = time.perf_counter(), cpu_seconds()
    s = generate(out, orders=orders, days=days, seed=seed, receipts=False, progress=False, **kw)
    return time.perf_counter() - t, cpu_seconds() - c, s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--out", type=Path, default=None, help="output folder (default: a temporary folder, removed)"
    )
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument(
        "--shard-size", type=int, default=None, help="orders per shard (default: the generator's)"
    )
    args = ap.parse_args(argv)
    kw = {"shard_size": args.shard_size} if args.shard_size else {}
    tmp = Path(tempfile.mkdtemp(prefix="orderlens-bench-"))
    out = args.out or tmp / "zone"
    try:
        base_s = None
        if not args.no_baseline:
            base_orders = max(1000, args.orders // 10)
            base_s, base_cpu, _ = run(tmp / "baseline", base_orders, args.days, args.seed, **kw)
            shutil.rmtree(tmp / "baseline", ignore_errors=True)
            print(
                f"baseline: {base_orders:,} orders / {args.days} days: {base_s:.1f} s, {base_cpu:.1f} CPU s"
            )
        secs, cpu, s = run(out, args.orders, args.days, args.seed, **kw)
        rows = sum(s["rows"].values())
        files = sum(s["files"].values())
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        result = {
            "orders": args.orders,
            "days": args.days,
            "seconds": round(secs, 1),
            "cpu_seconds": round(cpu, 1),
            "shards": s.get("shards", 1),
            "load_avg_1m_end": round(os.getloadavg()[0], 1),
            "files": files,
            "rows": rows,
            "rows_per_s": round(rows / secs),
            "orders_per_s": round(args.orders / secs),
            "output_mb": round(size / 2**20),
            "peak_rss_mb": round(peak_mb),
            "peak_rss_child_mb": round(child_mb),
        }
        if base_s:
            scale = args.orders / max(1000, args.orders // 10)
            result["ratio_to_scaled_baseline"] = round(secs / (base_s * scale), 2)
            result["cpu_ratio_to_scaled_baseline"] = round(cpu / (base_cpu * scale), 2)
        print(json.dumps(result, indent=1))
        print("timings:", json.dumps(s["timings"]))
        print("rows:", json.dumps(s["rows"], ensure_ascii=False))
    finally:
        if args.out is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
