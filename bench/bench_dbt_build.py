"""dbt build benchmark: the fulfilment marts on an ingested warehouse, against one-connection floors.

    .venv/bin/python bench/bench_dbt_build.py --warehouse /work/bench_data/wh1m/warehouse.duckdb \\
        --as-of "2027-10-14 23:00:00" --repeat 2

The raw warehouse (what `pipelines.ingest` left, plus `pipelines.receipts.ensure_receipt_tables` for a zone
without receipts: raw tables only, no models) is never written to: every
measured step starts from a fresh copy of it in --work. Steps:

1. `dbt build --select +fct_orders +fct_order_lines +fct_fulfillment_heatmap +fct_sla_alerts
   +fct_logistics_exceptions +fct_kpi_daily --threads 2 --indirect-selection cautious --vars '{"as_of": ...}'`
   (models, source tests, data tests and unit tests of that closure; `cautious` leaves out the tests that also
   read a model outside it, e.g. relationships from dim_order_receivers to fct_orders), then the same
   selection as `dbt build --resource-type model --resource-type seed` ("run": models and the seed they
   read, no tests). For each: wall seconds, peak RSS of the dbt process (os.wait4), and the slowest models
   from target/run_results.json.
2. The floors. (a) The hand-written floor of issue 6, bench/floor_fulfilment.sql: one DuckDB script that
   computes the six marts from the raw tables (after `SET VARIABLE as_of = TIMESTAMP '…'`), in ONE
   DuckDB connection of a plain Python process, 2 threads (docs/dbt_build_speed.md). (b) The replay: the
   same models' SQL, as dbt compiled it (target/manifest.json, compiled_code), executed in topological
   order in ONE DuckDB connection of a plain Python process, 2 threads: no dbt start-up, no parsing, no
   adapter round trips, no contracts, no tests, no threads of dbt. Views stay views and tables tables, as
   dbt materialises them. The replayed script is written to <work>/floor_replay.sql.
3. The ratio dbt / floor, for build-with-tests and run-only, against both floors.
4. Proof that each floor is the same result: for each of the six marts, row counts on both sides and the
   rows of `floor EXCEPT ALL dbt` and `dbt EXCEPT ALL floor` (both must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt_project"
DBT = ROOT / ".venv" / "bin" / "dbt"
PYTHON = ROOT / ".venv" / "bin" / "python"
HAND_FLOOR = ROOT / "bench" / "floor_fulfilment.sql"

MARTS = [
    "fct_orders",
    "fct_order_lines",
    "fct_fulfillment_heatmap",
    "fct_sla_alerts",
    "fct_logistics_exceptions",
    "fct_kpi_daily",
]
SELECT = [f"+{m}" for m in MARTS]


def run_measured(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, float, float, int]:
    """Run cmd; return (wall seconds, CPU seconds user+sys, peak RSS MB of that process, exit code)."""
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def fresh_copy(raw: Path, dest_dir: Path) -> Path:
    if dest_dir.exists():
        shutil.rmtree(dest_dir)
    dest_dir.mkdir(parents=True)
    dest = dest_dir / "warehouse.duckdb"  # same file name → same catalog name ("warehouse") as dbt compiles
    shutil.copyfile(raw, dest)
    return dest


def dbt_step(command: str, raw: Path, work: Path, as_of: str, tag: str) -> dict:
    wh = fresh_copy(raw, work / tag)
    target = work / tag / "target"
    env = {**os.environ, "ORDERLENS_WAREHOUSE": str(wh), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # As `orderlens run` does: the project parsed once for this warehouse (pipelines.runner.ensure_dbt_manifest;
    # a deployment parses when the project or the warehouse changes, not every run) and as_of passed through the
    # environment (macros/as_of.sql), so the build keeps dbt's partial parsing. The parse is timed on its own.
    parse_cmd = [str(DBT), "parse", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                 "--target-path", str(target)]  # fmt: skip
    parse_wall, parse_cpu, _rss, parse_rc = run_measured(parse_cmd, env, work / tag / "parse.log")
    if parse_rc:
        raise SystemExit(f"dbt parse failed: {work / tag / 'parse.log'}")
    env["ORDERLENS_AS_OF"] = as_of
    # "run" = models and the one seed they read, no tests (plain `dbt run` skips the seed)
    verb = ["build", "--resource-type", "model", "--resource-type", "seed"] if command == "run" else [command]
    cmd = [
        str(DBT),
        *verb,
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--target-path",
        str(target),
        "--threads",
        "2",
        "--indirect-selection",
        "cautious",
        "--select",
        *SELECT,
    ]
    wall, cpu, rss, rc = run_measured(cmd, env, work / tag / "dbt.log")
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = [r for r in results if r["unique_id"].startswith("model.")]
    tests = [r for r in results if not r["unique_id"].startswith("model.")]
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    return {
        "tag": tag,
        "wall": wall,
        "cpu": cpu,
        "rss": rss,
        "rc": rc,
        "warehouse": wh,
        "target": target,
        "models": sorted(models, key=lambda r: -r["execution_time"]),
        "model_seconds": sum(r["execution_time"] for r in models),
        "tests": len(tests),
        "slow_tests": sorted(tests, key=lambda r: -r["execution_time"]),
        "test_seconds": sum(r["execution_time"] for r in tests),
        "failed": failed,
        "cmd": cmd,
        "parse_wall": parse_wall,
        "parse_cpu": parse_cpu,
    }


def replay_statements(manifest_path: Path) -> list[tuple[str, str, str]]:
    """(kind, name, SQL) of the replay, kind "schema", "seed" or "model": schemas, the seeds copied from the dbt-built warehouse (attached as dbtwh),
    then the compiled SQL of every selected model in dependency order, as dbt materialises it."""
    manifest = json.loads(manifest_path.read_text())
    nodes = manifest["nodes"]
    wanted: set[str] = set()
    stack = [f"model.orderlens.{m}" for m in MARTS]
    seeds: set[str] = set()
    while stack:
        uid = stack.pop()
        if uid.startswith("seed."):
            seeds.add(uid)
        if uid in wanted or not uid.startswith("model."):
            continue
        wanted.add(uid)
        stack.extend(nodes[uid]["depends_on"]["nodes"])
    order: list[str] = []
    done: set[str] = set()

    def visit(uid: str) -> None:
        if uid in done:
            return
        for dep in nodes[uid]["depends_on"]["nodes"]:
            if dep in wanted:
                visit(dep)
        done.add(uid)
        order.append(uid)

    for uid in sorted(wanted):
        visit(uid)
    statements = []
    schemas = sorted({nodes[u]["schema"] for u in order})
    statements.extend(("schema", s, f'create schema if not exists "{s}";') for s in schemas)
    # seeds are input, not work: copied from the dbt-built warehouse (attached as dbtwh by floor_step)
    for uid in sorted(seeds):
        seed = manifest["nodes"][uid]
        statements.append(
            (
                "seed",
                seed["name"],
                f'create schema if not exists "{seed["schema"]}";\n'
                f"create or replace table {seed['relation_name']} as "
                f'select * from dbtwh."{seed["schema"]}"."{seed["alias"]}";',
            )
        )
    for uid in order:
        node = nodes[uid]
        code = node.get("compiled_code")
        if not code:
            raise SystemExit(f"{uid} has no compiled_code in {manifest_path}")
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        statements.append(
            ("model", node["name"], f"create or replace {kind} {node['relation_name']} as (\n{code}\n);")
        )
    return statements


def floor_script(manifest_path: Path, out: Path) -> int:
    """The compiled SQL of every selected model, in dependency order, as one DuckDB script."""
    statements = replay_statements(manifest_path)
    out.write_text("\n\n".join(f"-- {name}\n{sql}" for _, name, sql in statements) + "\n")
    return sum(1 for kind, _, _ in statements if kind == "model")


def floor_step(raw: Path, work: Path, script: Path, dbt_wh: Path) -> dict:
    wh = fresh_copy(raw, work / "floor")
    code = (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute('set threads = 2')\n"
        "con.execute(f\"attach '{sys.argv[3]}' as dbtwh (read_only)\")\n"
        "con.execute(open(sys.argv[2]).read())\n"
        "con.close()\n"
    )
    wall, cpu, rss, rc = run_measured(
        [str(PYTHON), "-c", code, str(wh), str(script), str(dbt_wh)],
        dict(os.environ),
        work / "floor" / "floor.log",
    )
    if rc:
        raise SystemExit(f"floor failed, see {work / 'floor' / 'floor.log'}")
    return {"wall": wall, "cpu": cpu, "rss": rss, "warehouse": wh}


def hand_floor_step(raw: Path, work: Path, as_of: str) -> dict:
    """bench/floor_fulfilment.sql on a fresh copy of the raw warehouse, one connection, 2 threads."""
    wh = fresh_copy(raw, work / "floor_hand")
    code = (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute('set threads = 2')\n"
        "con.execute('set variable as_of = cast(? as timestamp)', [sys.argv[3]])\n"
        "con.execute(open(sys.argv[2]).read())\n"
        "con.close()\n"
    )
    wall, cpu, rss, rc = run_measured(
        [str(PYTHON), "-c", code, str(wh), str(HAND_FLOOR), as_of],
        dict(os.environ),
        work / "floor_hand" / "floor.log",
    )
    if rc:
        raise SystemExit(f"hand-written floor failed, see {work / 'floor_hand' / 'floor.log'}")
    return {"wall": wall, "cpu": cpu, "rss": rss, "warehouse": wh}


def compare(floor_wh: Path, dbt_wh: Path) -> bool:
    import duckdb

    ok = True
    with duckdb.connect(str(floor_wh), read_only=True) as con:
        con.execute(f"attach '{dbt_wh}' as dbtwh (read_only)")
        print(f"{'mart':26s} {'dbt rows':>10s} {'floor rows':>10s} {'floor-dbt':>9s} {'dbt-floor':>9s}")
        for mart in MARTS:
            f, d = f"warehouse.marts.{mart}", f"dbtwh.marts.{mart}"
            nd = con.execute(f"select count(*) from {d}").fetchone()[0]
            nf = con.execute(f"select count(*) from {f}").fetchone()[0]
            fd = con.execute(
                f"select count(*) from (select * from {f} except all select * from {d})"
            ).fetchone()[0]
            df = con.execute(
                f"select count(*) from (select * from {d} except all select * from {f})"
            ).fetchone()[0]
            ok = ok and nd == nf and fd == 0 and df == 0
            print(f"{mart:26s} {nd:>10,} {nf:>10,} {fd:>9,} {df:>9,}")
    return ok


def report(step: dict, top: int) -> None:
    status = "ok" if step["rc"] == 0 and not step["failed"] else f"FAILED {step['failed'][:5]}"
    print(
        f"dbt {step['tag']}: {step['wall']:.1f} s wall, {step['cpu']:.1f} s CPU (user+sys; /2 = "
        f"{step['cpu'] / 2:.1f} s on 2 cores), peak RSS {step['rss']:,.0f} MB, "
        f"{len(step['models'])} models ({step['model_seconds']:.1f} s summed), "
        f"{step['tests']} tests ({step['test_seconds']:.1f} s summed); {status}"
    )
    print(
        f"  (before it, not in the figure: dbt parse of the project for this warehouse {step['parse_wall']:.1f} s "
        f"wall, {step['parse_cpu']:.1f} s CPU — once per project or warehouse change, as `orderlens run` does; "
        f"a build that must parse too takes about that much longer)"
    )
    print(f"  slowest models ({step['tag']}):")
    for r in step["models"][:top]:
        print(f"    {r['unique_id'].split('.')[-1]:36s} {r['execution_time']:6.2f} s")
    if step["slow_tests"]:
        print(f"  slowest tests ({step['tag']}):")
        for r in step["slow_tests"][: max(3, top // 2)]:
            print(f"    {r['unique_id'].split('.')[2][:60]:60s} {r['execution_time']:6.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--warehouse", required=True, help="ingested raw warehouse (only read, copied)")
    parser.add_argument("--as-of", required=True, help="the landing zone's as_of (its _truth/meta.json)")
    parser.add_argument("--work", default="/tmp/dbtbench_work", help="scratch folder (copies, targets)")
    parser.add_argument("--repeat", type=int, default=1, help="measure each step this many times; best kept")
    parser.add_argument("--top", type=int, default=8, help="slowest models to print")
    parser.add_argument("--skip-build", action="store_true", help="only dbt run (no tests) and the floor")
    parser.add_argument(
        "--keep", action="store_true", help="keep the built warehouses in --work (to compare)"
    )
    args = parser.parse_args()
    raw, work = Path(args.warehouse), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average at the start: {os.getloadavg()} (2 cores)", flush=True)

    best: dict[str, dict] = {}
    floors: list[dict] = []
    hands: list[dict] = []
    for i in range(args.repeat):
        for command in ("run",) if args.skip_build else ("build", "run"):
            step = dbt_step(command, raw, work, args.as_of, command)
            report(step, args.top)
            print(f"  load average now: {os.getloadavg()[0]:.1f}", flush=True)
            if step["rc"] or step["failed"]:
                print(f"see {work / command / 'dbt.log'}")
                return 1
            if command not in best or step["wall"] < best[command]["wall"]:
                best[command] = {k: step[k] for k in ("wall", "cpu", "rss")}
        if i == 0:
            script = work / "floor_replay.sql"
            n = floor_script(work / "run" / "target" / "manifest.json", script)
            print(f"floor script: {n} models → {script}")
        hand = hand_floor_step(raw, work, args.as_of)
        hands.append(hand)
        print(
            f"floor (hand-written, bench/floor_fulfilment.sql): {hand['wall']:.1f} s wall, "
            f"{hand['cpu']:.1f} s CPU, peak RSS {hand['rss']:,.0f} MB",
            flush=True,
        )
        if i == 0:
            same = compare(hand["warehouse"], work / "run" / "warehouse.duckdb")
            print("hand-written floor == dbt: " + ("yes" if same else "NO"), flush=True)
            if not same:
                return 1
        fl = floor_step(raw, work, script, work / "run" / "warehouse.duckdb")
        floors.append(fl)
        print(
            f"floor (dbt's compiled SQL replayed in one connection): {fl['wall']:.1f} s wall, "
            f"{fl['cpu']:.1f} s CPU, peak RSS {fl['rss']:,.0f} MB",
            flush=True,
        )
        if i == 0:
            same = compare(fl["warehouse"], work / "run" / "warehouse.duckdb")
            print("floor == dbt: " + ("yes" if same else "NO"), flush=True)
            if not same:
                return 1
    floor = min(floors, key=lambda f: f["wall"])
    hand = min(hands, key=lambda f: f["wall"])
    print(
        f"\nbest of {args.repeat}: hand-written floor {hand['wall']:.1f} s wall, {hand['cpu']:.1f} s CPU; "
        f"compiled-SQL replay {floor['wall']:.1f} s wall, {floor['cpu']:.1f} s CPU"
    )
    for command, b in best.items():
        print(
            f"  dbt {command:5s} {b['wall']:6.1f} s wall {b['cpu']:6.1f} s CPU (/2 = {b['cpu'] / 2:5.1f} s)  "
            f"peak {b['rss']:6,.0f} MB  ratio dbt/hand-written floor wall {b['wall'] / hand['wall']:.2f}, "
            f"CPU {b['cpu'] / hand['cpu']:.2f}; dbt/replay wall {b['wall'] / floor['wall']:.2f}, "
            f"CPU {b['cpu'] / floor['cpu']:.2f}"
        )
    print(f"load average at the end: {os.getloadavg()} (2 cores)")
    if not args.keep:
        for tag in ("build", "run", "floor", "floor_hand"):
            shutil.rmtree(work / tag, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
