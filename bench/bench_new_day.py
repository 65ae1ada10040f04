"""New-day benchmark (issue 11): one more day of files on top of a built warehouse, against a full rebuild.

    .venv/bin/python bench/bench_new_day.py --zone /work/bench_data/zone1m --work /tmp/newday1m

1. Split the zone by export day (pipelines/synthetic/new_day.py): every file exported before the as_of day is
   hard-linked into WORK/landing, and the first build runs on it (`run_all`, as_of = the end of the day before).
   The warehouse is kept as WORK/base.duckdb (`--reuse-base` skips this step on a later run).
2. The new day: the as_of day's files are linked in, and `run_all` runs again (as_of = the zone's) on a copy of
   the base warehouse: ingest loads only the new files, dbt updates the incremental models and rebuilds the rest.
3. The baseline, in the same process: `run_all` of the whole zone into an empty warehouse (full ingest, full
   dbt build) with the same as_of.
4. Every relation of the `marts` schema of 2 and 3 compared with EXCEPT ALL both ways.

For 2 and 3: wall seconds of ingest (the ingest_landing step), dbt (the one dbt build step) and the rest (receipts,
publish, reports, alerts), the total; CPU seconds (user+sys of this process and of its children — dbt runs as
a child process — DuckDB's threads included); peak RSS MB of this process (sampled) and of the largest child;
then the ratios new day / full build. Run with nothing else on the machine if you can: the load average is
printed at every step.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_ingest import RssSampler  # noqa: E402
from pipelines.runner import run_all  # noqa: E402
from pipelines.settings import load_settings  # noqa: E402
from pipelines.synthetic.new_day import link_files, split_last_day  # noqa: E402


def cpu_now() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def measured_run(landing: Path, warehouse: Path, as_of: str, sampler: RssSampler, tag: str) -> dict:
    print(f"[{tag}] load average {os.getloadavg()[0]:.1f}; run_all as_of {as_of} on {warehouse}", flush=True)
    own0, kids0 = cpu_now()
    sampler.reset()
    started = time.monotonic()
    summary = run_all(load_settings(str(landing), str(warehouse), as_of), log_level="WARNING")
    wall = time.monotonic() - started
    own1, kids1 = cpu_now()
    if not summary.success:
        raise SystemExit(f"[{tag}] run failed: {summary.errors} {summary.failed_checks}")
    steps = summary.step_seconds
    ingest = sum(s for k, s in steps.items() if k.startswith("raw__") or k == "ingest_landing")
    dbt = sum(s for k, s in steps.items() if "dbt" in k)
    step = {
        "tag": tag,
        "wall": wall,
        "ingest": ingest,
        "dbt": dbt,
        "rest": wall - ingest - dbt,
        "cpu": (own1 - own0) + (kids1 - kids0),
        "cpu_dbt_process": kids1 - kids0,
        "peak_self_mb": sampler.peak,
        "peak_child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "files_loaded": summary.files_loaded,
        "files_skipped": summary.files_skipped,
        "rows_loaded": summary.rows_loaded,
        "load_end": os.getloadavg()[0],
        "slowest_steps": sorted(steps.items(), key=lambda kv: -kv[1])[:6],
    }
    print(
        f"[{tag}] {wall:.1f} s wall (ingest {ingest:.1f}, dbt {dbt:.1f}, rest {step['rest']:.1f}); "
        f"CPU {step['cpu']:.1f} s (dbt process {step['cpu_dbt_process']:.1f}); peak RSS {sampler.peak:,.0f} MB "
        f"(largest child so far {step['peak_child_mb']:,.0f} MB); files loaded {summary.files_loaded:,}, "
        f"skipped {summary.files_skipped:,}, rows {summary.rows_loaded:,}; load average {step['load_end']:.1f}",
        flush=True,
    )
    print(
        f"[{tag}] slowest steps: " + ", ".join(f"{k} {s:.1f}" for k, s in step["slowest_steps"]), flush=True
    )
    print_dbt_nodes(tag, started)
    return step


def print_dbt_nodes(tag: str, since: float, top: int = 10) -> None:
    """The dbt step's own account (run_results.json that dagster-dbt left under the dbt target folder):
    seconds summed over models and over tests, and the slowest models."""
    import json

    from pipelines.settings import dbt_target_dir

    started_at = time.time() - (time.monotonic() - since)
    found = [p for p in dbt_target_dir().rglob("run_results.json") if p.stat().st_mtime >= started_at]
    if not found:
        print(f"[{tag}] no run_results.json of this run under {dbt_target_dir()}", flush=True)
        return
    results = json.loads(max(found, key=lambda p: p.stat().st_mtime).read_text())["results"]
    models = sorted(
        (
            (r["execution_time"], r["unique_id"].split(".")[-1])
            for r in results
            if r["unique_id"].startswith("model.")
        ),
        reverse=True,
    )
    tests = [r["execution_time"] for r in results if r["unique_id"].startswith(("test.", "unit_test."))]
    print(
        f"[{tag}] dbt nodes: {len(models)} models {sum(t for t, _ in models):.1f} s, {len(tests)} tests "
        f"{sum(tests):.1f} s; slowest models: " + ", ".join(f"{n} {t:.1f}" for t, n in models[:top]),
        flush=True,
    )


def compare_marts(a: Path, b: Path) -> bool:
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    names = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'a' and table_schema = 'marts' "
            "order by 1"
        ).fetchall()
    ]
    same = True
    print(f"{'mart':32} {'new-day rows':>14} {'full rows':>12} {'nd-full':>8} {'full-nd':>8}")
    for name in names:
        cols = ", ".join(
            f'"{c}"'
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'a' "
                "and table_schema = 'marts' and table_name = ? order by ordinal_position",
                [name],
            ).fetchall()
        )
        qa, qb = f"select {cols} from a.marts.{name}", f"select {cols} from b.marts.{name}"
        na = con.execute(f"select count(*) from a.marts.{name}").fetchone()[0]
        nb = con.execute(f"select count(*) from b.marts.{name}").fetchone()[0]
        ab = con.execute(f"select count(*) from ({qa} except all {qb})").fetchone()[0]
        ba = con.execute(f"select count(*) from ({qb} except all {qa})").fetchone()[0]
        same &= ab == 0 and ba == 0 and na == nb
        print(f"{name:32} {na:>14,} {nb:>12,} {ab:>8,} {ba:>8,}")
    print(f"new day == full build: {'yes' if same else 'NO'}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--zone", type=Path, default=Path("/work/bench_data/zone1m"), help="generated zone")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_new_day"), help="working folder")
    parser.add_argument("--reuse-base", action="store_true", help="keep WORK/base.duckdb from an earlier run")
    parser.add_argument("--no-full", action="store_true", help="skip the full-rebuild baseline")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="no copies of the warehouse (10M: each is tens of GB): the new day runs on the first build's "
        "warehouse itself; implies --no-full; with --reuse-base the first build resumes on WORK/first",
    )
    parser.add_argument(
        "--new-day-only",
        action="store_true",
        help="with --in-place --reuse-base: the first build is done (WORK/first), run only the new day",
    )
    args = parser.parse_args()

    os.environ.pop("DAGSTER_HOME", None)  # ephemeral instance: no run history written
    split = split_last_day(args.zone)
    print(
        f"zone {args.zone}: {len(split.before):,} files before {split.day} (first build as_of {split.as_of_before}), "
        f"{len(split.new_day):,} files of the new day (as_of {split.as_of}); load average {os.getloadavg()} "
        f"on {os.cpu_count()} cores",
        flush=True,
    )
    work = args.work
    landing = work / "landing"
    base = work / "base.duckdb"
    sampler = RssSampler()
    if args.in_place:
        first = work / "first" / "warehouse.duckdb"
        if not (args.reuse_base and first.exists()):
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        link_files(args.zone, split.before, landing)
        # with --reuse-base the first build resumes on the warehouse left by an earlier attempt (files loaded
        # then are skipped, dbt builds what is missing); --new-day-only takes that warehouse as built
        if not args.new_day_only:
            measured_run(landing, first, split.as_of_before, sampler, "first build")
        link_files(args.zone, split.new_day, landing)
        measured_run(landing, first, split.as_of, sampler, "new day")
        sampler.stop()
        return 0
    if not (args.reuse_base and base.exists()):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        link_files(args.zone, split.before, landing)
        measured_run(landing, work / "first" / "warehouse.duckdb", split.as_of_before, sampler, "first build")
        shutil.copyfile(work / "first" / "warehouse.duckdb", base)
    link_files(args.zone, split.new_day, landing)

    nd_wh = work / "new_day" / "warehouse.duckdb"
    shutil.rmtree(nd_wh.parent, ignore_errors=True)
    nd_wh.parent.mkdir(parents=True)
    shutil.copyfile(base, nd_wh)
    new_day = measured_run(landing, nd_wh, split.as_of, sampler, "new day")
    if args.no_full:
        return 0

    full_wh = work / "full" / "warehouse.duckdb"
    shutil.rmtree(full_wh.parent, ignore_errors=True)
    full_wh.parent.mkdir(parents=True)
    full = measured_run(landing, full_wh, split.as_of, sampler, "full build")

    print("\nnew day vs full rebuild (same process, same landing zone, same as_of):")
    for key, label in [("ingest", "ingest s"), ("dbt", "dbt s"), ("wall", "total wall s"), ("cpu", "CPU s")]:
        print(
            f"  {label:14} new day {new_day[key]:8.1f}   full {full[key]:8.1f}   ratio {new_day[key] / full[key]:.3f}"
        )
    same = compare_marts(nd_wh, full_wh)
    sampler.stop()
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
