"""The same dbt project on Apache Spark (issue 11, docs/spark.md), on the suite's shared generated landing zone
(1,800 orders, run once on DuckDB by `run_all` in conftest.py): DuckDB's raw schema is exported to Parquet
(pipelines.spark_export), `dbt build --target spark` runs every model, seed, data test and unit test on a
local PySpark session (profile target `spark`, method session), and every public mart of CONTRACT §2 built
by Spark is compared row for row with the one DuckDB built from the same raw rows.

Spark's marts are read from their Parquet files with DuckDB (no second JVM). The cost of the Spark step
(wall and CPU seconds of dbt + its JVM, peak RSS of the two) is printed; bench/RESULTS.md records it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.spark_export import export_raw

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"

# CONTRACT §2: every public mart.
PUBLIC_MARTS = [
    "fct_orders",
    "fct_order_lines",
    "fct_fulfillment_heatmap",
    "fct_three_way_match",
    "rpt_daily_differences",
    "rpt_misdirected_payers",
    "fct_bank_receipts",
    "fct_logistics_exceptions",
    "fct_sla_alerts",
    "fct_aftersales",
    "rpt_aftersales_weekly",
    "fct_correction_actions",
    "fct_kpi_daily",
    "audit_rejected_rows",
    "rpt_channel_health",
    "fct_stockout_streaks",
    "fct_order_risks",
]

# The fixture (DuckDB run + Spark build) took 877 s at load 12-14 on 2 cores; ~5 min expected on a quiet machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


class _TreeSampler:
    """Peak RSS (sum over the process and its descendants: dbt's Python and Spark's JVM) and CPU seconds of
    a running process tree, sampled every 0.25 s from /proc (Linux)."""

    TICK = os.sysconf("SC_CLK_TCK")
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _stat(pid: int) -> list[str] | None:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (fields := self._stat(int(entry.name))):
                parents[int(entry.name)] = int(fields[1])
        tree, frontier = [self.pid], [self.pid]
        while frontier:
            frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
            tree += frontier
        return tree

    def _run(self):
        while not self._stop.is_set():
            rss = 0
            for pid in self._tree():
                fields = self._stat(pid)
                if fields is None:
                    continue
                # utime, stime, cutime, cstime are fields 14-17; rss (pages) is field 24
                self.cpu[pid] = sum(int(fields[i - 3]) for i in (14, 15, 16, 17)) / self.TICK
                rss += int(fields[24 - 3]) * self.PAGE
            self.peak_rss = max(self.peak_rss, rss)
            self._stop.wait(0.25)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


def _normal(value):
    """One spelling for a value from either engine: decimals and floats by value, timestamps naive (Spark's
    are read back as UTC instants; the wall clock is what both store), lists as tuples."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return ("num", str(value.normalize()) if value != 0 else "0")
    if isinstance(value, float):
        if math.isnan(value):
            return ("float", "nan")
        return ("num", f"{value:.9g}")
    if isinstance(value, int):
        return ("num", str(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return ("ts", value.isoformat(sep=" "))
    if isinstance(value, list | tuple):
        return tuple(_normal(v) for v in value)
    return value


def _rows(con, sql: str, columns: list[str]) -> Counter:
    return Counter(tuple(_normal(v) for v in row) for row in con.execute(sql).fetchall())


@pytest.fixture(scope="module")
def spark_build(generated_zone_run, tmp_path_factory):
    """Spark builds from the raw rows of the suite's shared generated run (1,800 orders, conftest.py): its
    DuckDB marts are the reference, and no second DuckDB pipeline run is paid for."""
    base = tmp_path_factory.mktemp("spark")
    _zone, settings, _summary, result = generated_zone_run
    assert result.success, result.errors

    spark_dir = base / "spark"
    exported = export_raw(settings.warehouse_path, spark_dir / "raw")
    env = {
        **os.environ,
        "ORDERLENS_SPARK_DIR": str(spark_dir),
        "ORDERLENS_SPARK_RAW": str(spark_dir / "raw"),
        "ORDERLENS_WAREHOUSE": str(settings.warehouse_path),
    }
    cmd = [
        str(DBT), "build", "--target", "spark", "--threads", "2",
        "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project"),
        "--target-path", str(base / "target"), "--log-path", str(base / "logs"),
        "--vars", json.dumps({"as_of": settings.as_of_text}),
    ]  # fmt: skip
    t0 = time.perf_counter()
    with open(base / "dbt_spark.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        with _TreeSampler(proc.pid) as sampler:
            rc = proc.wait(timeout=1500)
    spark_seconds = time.perf_counter() - t0
    cost = {
        "spark_build_wall_s": round(spark_seconds, 1),
        "spark_build_cpu_s": round(sampler.cpu_seconds, 1),
        "spark_build_peak_rss_mb": round(sampler.peak_rss / 2**20),
        "load_avg_1m": round(os.getloadavg()[0], 1),
    }
    print(f"\nspark target cost: {cost}")
    log_text = (base / "dbt_spark.log").read_text(errors="replace")
    assert rc == 0, (
        f"dbt build --target spark exited {rc}:\n"
        + "\n".join(line for line in log_text.splitlines() if "WARN SparkSession" not in line)[-6000:]
    )
    run_results = json.loads((base / "target" / "run_results.json").read_text())
    return {
        "warehouse": settings.warehouse_path,
        "marts_dir": spark_dir / "warehouse" / "marts.db",
        "target": base / "target",
        "exported": exported,
        "run_results": run_results,
        "cost": cost,
    }


def test_export_writes_every_raw_table(spark_build):
    with duckdb.connect(str(spark_build["warehouse"]), read_only=True) as con:
        expected = {
            name: con.execute(f'select count(*) from raw."{name}"').fetchone()[0]
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        exported = {t.name: t.rows for t in spark_build["exported"]}
        assert exported == expected
        for t in spark_build["exported"]:
            n = con.execute(f"select count(*) from read_parquet('{t.path}/*.parquet')").fetchone()[0]
            assert n == t.rows, t.name


def test_dbt_build_on_spark_passes_models_and_tests(spark_build):
    results = spark_build["run_results"]["results"]
    bad = [(r["unique_id"], r["status"], (r.get("message") or "")[:300]) for r in results
           if r["status"] not in ("success", "pass")]  # fmt: skip
    assert not bad, "\n".join(map(str, bad))
    kinds = Counter(
        r["unique_id"].split(".")[0] for r in results if not r["unique_id"].startswith("operation.")
    )
    # every model, seed, data test and unit test of the project ran (not a selection)
    manifest = json.loads((spark_build["target"] / "manifest.json").read_text())
    expected = Counter(
        n.split(".")[0] for n in manifest["nodes"] if not n.startswith(("analysis.", "operation."))
    )
    expected.update(n.split(".")[0] for n in manifest.get("unit_tests", {}))
    assert kinds == expected


@pytest.mark.parametrize("mart", PUBLIC_MARTS)
def test_spark_mart_equals_duckdb_mart(spark_build, mart):
    files = sorted(Path(spark_build["marts_dir"], mart).glob("*.parquet"))
    assert files, f"Spark wrote no Parquet for marts.{mart} under {spark_build['marts_dir']}"
    with duckdb.connect(str(spark_build["warehouse"]), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        columns = [r[0] for r in con.execute(f"describe marts.{mart}").fetchall()]
        spark_columns = [
            r[0]
            for r in con.execute(f"describe select * from read_parquet({[str(f) for f in files]})").fetchall()
        ]
        assert spark_columns == columns
        select = ", ".join(f'"{c}"' for c in columns)
        ours = _rows(con, f"select {select} from marts.{mart}", columns)
        theirs = _rows(con, f"select {select} from read_parquet({[str(f) for f in files]})", columns)
    if ours != theirs:
        only_duckdb = list((ours - theirs).elements())[:8]
        only_spark = list((theirs - ours).elements())[:8]
        lines = [f"  duckdb only {r}" for r in only_duckdb] + [f"  spark only  {r}" for r in only_spark]
        pytest.fail(
            f"marts.{mart}: DuckDB {sum(ours.values())} rows, Spark {sum(theirs.values())}; columns {columns}\n"
            + "\n".join(lines)
        )
    assert sum(ours.values()) == sum(theirs.values())


def test_spark_export_cli_names_a_missing_warehouse(tmp_path, capsys):
    from pipelines.cli import main

    rc = main(["spark-export", "--warehouse", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "raw")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "nope.duckdb does not exist" in err and "orderlens run" in err


def test_spark_export_refuses_a_warehouse_without_raw_tables(tmp_path):
    warehouse = tmp_path / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(ValueError, match="no tables in schema 'raw'"):
        export_raw(warehouse, tmp_path / "raw")
