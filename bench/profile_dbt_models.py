"""Profile the fulfilment models' SQL: where each model spends its time, operator by operator.

    .venv/bin/python bench/profile_dbt_models.py --warehouse /work/bench_data/wh1m/warehouse.duckdb \\
        --as-of "2027-10-14 23:00:00" --top 8

On a fresh copy of the raw warehouse, `dbt run` of the bench selection (bench_dbt_build.SELECT) gives the
compiled SQL (manifest); then the same statements are replayed one by one in ONE DuckDB connection
(2 threads), each timed, and the slowest `--top` are run again under DuckDB's profiler
(`enable_profiling = 'json'`): per operator, its own time (CPU seconds summed over threads) and the rows it
produced. This is how the slow parts of a model are found — not by guessing. `--manifest` reuses the
manifest of an earlier run (skips the dbt run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_dbt_build as bench  # noqa: E402


def operators(node: dict, out: list[tuple[float, str, int, str]]) -> None:
    """Flatten DuckDB's JSON profile (DuckDB 1.4+/2.x layout: "operator" → name, timing, intermediate_rows,
    children): (own seconds, operator name, rows out, extra info) per operator."""
    for op in node.get("operator") or node.get("children") or []:
        extra = op.get("extra_info") or {}
        detail = ", ".join(f"{k}={v}" for k, v in extra.items()) if isinstance(extra, dict) else str(extra)
        rows = int(op.get("intermediate_rows") or op.get("operator_cardinality") or 0)
        timing = float(op.get("timing") or op.get("operator_timing") or 0.0)
        out.append(
            (timing, str(op.get("name") or op.get("type")).strip(), rows, detail.replace("\n", " ")[:160])
        )
        operators({"children": op.get("children") or []}, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--warehouse", required=True, type=Path, help="the ingested raw warehouse (never written)"
    )
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--work", type=Path, default=Path("/tmp/dbtprofile_work"))
    ap.add_argument("--top", type=int, default=8, help="profile this many of the slowest models")
    ap.add_argument("--operators", type=int, default=8, help="operators shown per profiled model")
    ap.add_argument(
        "--manifest",
        type=Path,
        help="a manifest.json with compiled SQL (skips the dbt run); its seeds are read from ../warehouse.duckdb "
        "beside its target folder, as this script and bench_dbt_build.py leave them",
    )
    args = ap.parse_args()

    import duckdb

    args.work.mkdir(parents=True, exist_ok=True)
    manifest = args.manifest
    if manifest is None:
        step = bench.dbt_step("run", args.warehouse, args.work, args.as_of, "compile")
        if step["rc"]:
            raise SystemExit(f"dbt failed: {args.work / 'compile' / 'dbt.log'}")
        manifest = step["target"] / "manifest.json"
        dbt_wh = step["warehouse"]
    else:
        dbt_wh = manifest.parent.parent / "warehouse.duckdb"
    statements = bench.replay_statements(manifest)
    wh = bench.fresh_copy(args.warehouse, args.work / "replay")
    con = duckdb.connect(str(wh))
    con.execute("set threads = 2")
    con.execute(f"attach '{dbt_wh}' as dbtwh (read_only)")
    timings = []
    started = time.perf_counter()
    for _, name, sql in statements:
        t0 = time.perf_counter()
        con.execute(sql)
        timings.append((time.perf_counter() - t0, name, sql))
    total = time.perf_counter() - started
    print(f"replay: {len(statements)} statements, {total:.1f} s wall (one connection, 2 threads)")
    for seconds, name, _ in sorted(timings, reverse=True)[: max(args.top * 2, 12)]:
        print(f"  {name:38s} {seconds:6.2f} s")
    profile = args.work / "profile.json"
    for seconds, name, sql in sorted(timings, reverse=True)[: args.top]:
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{profile}'")
        t0 = time.perf_counter()
        con.execute(sql)
        again = time.perf_counter() - t0
        con.execute("pragma disable_profiling")
        ops: list[tuple[float, str, int, str]] = []
        operators(json.loads(profile.read_text()), ops)
        busy = sum(o[0] for o in ops)
        print(
            f"\n{name}: {seconds:.2f} s, profiled run {again:.2f} s wall, operators {busy:.2f} s CPU summed"
        )
        for own, op, rows, detail in sorted(ops, reverse=True)[: args.operators]:
            print(f"  {own:6.2f} s {100 * own / max(busy, 1e-9):5.1f}%  {op:22s} {rows:>11,} rows  {detail}")
    con.close()
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
