"""DuckDB's memory limit and spill folder (issue 11): one pair of settings for every warehouse connection, the
pipeline's and dbt's. DuckDB's own default (80 % of RAM) let dbt's DuckDB reach 15.4 GB at 10M orders."""

import json
import os
import subprocess
from pathlib import Path

import duckdb

from pipelines.settings import DBT_PROJECT_DIR, DUCKDB_MEMORY_LIMIT_DEFAULT, duckdb_config

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_a_share_of_ram_and_a_spill_folder_beside_the_warehouse(monkeypatch, tmp_path):
    monkeypatch.delenv("ORDERLENS_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("ORDERLENS_DUCKDB_TEMP", raising=False)
    warehouse = tmp_path / "wh.duckdb"
    assert duckdb_config(warehouse) == {"memory_limit": "40%", "temp_directory": f"{warehouse}.tmp"}
    assert DUCKDB_MEMORY_LIMIT_DEFAULT == "40%"
    with duckdb.connect(str(warehouse), config=duckdb_config(warehouse)) as con:
        limit, temp = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    ram_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    number, unit = limit.split()
    gib = float(number) * {"GiB": 1, "MiB": 1 / 1024}[unit]
    assert abs(gib - 0.4 * ram_gib) < 0.1, (limit, ram_gib)
    assert temp == f"{warehouse}.tmp"


def test_the_environment_sets_them(monkeypatch, tmp_path):
    monkeypatch.setenv("ORDERLENS_DUCKDB_MEMORY_LIMIT", "1GiB")
    monkeypatch.setenv("ORDERLENS_DUCKDB_TEMP", str(tmp_path / "spill"))
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse), config=duckdb_config(warehouse)) as con:
        got = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    assert got == ("1.0 GiB", str(tmp_path / "spill"))


def _dbt_show_settings(tmp_path: Path, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ORDERLENS_DUCKDB_")}
    environment.update(
        ORDERLENS_WAREHOUSE=str(tmp_path / "wh.duckdb"),
        ORDERLENS_AS_OF="2026-10-14 12:00:00",
        DBT_TARGET_PATH=str(tmp_path / "target"),
        **env,
    )
    out = subprocess.run(
        [str(ROOT / ".venv/bin/dbt"), "show", "--output", "json", "--log-format", "json", "--inline",
         "select current_setting('memory_limit') as m, current_setting('temp_directory') as t"],
        cwd=DBT_PROJECT_DIR, env=environment, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    previews = [json.loads(line)["data"].get("preview") for line in out.splitlines() if line.startswith("{")]
    return json.loads(next(p for p in previews if p))[0]


def test_dbt_profile_reads_the_same_settings(tmp_path):
    """dbt's DuckDB (a separate process, profiles.yml) gets the same limit and spill folder as the pipeline's."""
    with duckdb.connect() as con:
        con.execute("set memory_limit = '40%'")
        forty_percent = con.execute("select current_setting('memory_limit')").fetchone()[0]
    assert _dbt_show_settings(tmp_path) == {"m": forty_percent, "t": f"{tmp_path / 'wh.duckdb'}.tmp"}
    spill = tmp_path / "spill"
    got = _dbt_show_settings(
        tmp_path, ORDERLENS_DUCKDB_MEMORY_LIMIT="1500MiB", ORDERLENS_DUCKDB_TEMP=str(spill)
    )
    assert got == {"m": "1.4 GiB", "t": str(spill)}


SPILL_TWICE = """
import json, sys
from dbt.cli.main import dbtRunner

query = "select count(*) as n from (select md5(i::varchar) as h from range(3000000) t(i) order by h)"
runner = dbtRunner()
for _ in range(2):  # the second one opens new cursors on the database that has spilled
    result = runner.invoke(["show", "--inline", query, "--quiet", "--output", "json"])
    print(json.dumps([result.success, str(result.exception)]))
"""


def test_dbt_keeps_working_after_duckdb_spilled(tmp_path):
    """The limit and the spill folder are given when dbt opens the database (config_options): as `settings`
    dbt-duckdb SETs them again on every new cursor, and DuckDB refuses to switch temp_directory once it has
    spilled — the 10M build failed that way on its first model after a spill."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ORDERLENS_DUCKDB_")}
    environment.update(
        ORDERLENS_WAREHOUSE=str(tmp_path / "wh.duckdb"),
        ORDERLENS_AS_OF="2026-10-14 12:00:00",
        DBT_TARGET_PATH=str(tmp_path / "target"),
        ORDERLENS_DUCKDB_MEMORY_LIMIT="50MB",  # the sort of 3M hashes (~200 MB) must spill
    )
    out = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", SPILL_TWICE],
        cwd=DBT_PROJECT_DIR, env=environment, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    runs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("[")]
    assert runs == [[True, "None"], [True, "None"]], out.stdout[-2000:] + out.stderr[-2000:]
