"""The Dagster definitions load, and hold the whole graph with its wiring."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.definitions import load_definitions

ROOT = Path(__file__).resolve().parent.parent


def test_definitions_validate_from_the_workspace(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ORDERLENS_WAREHOUSE": str(tmp_path / "w.duckdb")}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All code locations passed validation" in proc.stdout + proc.stderr


def test_dg_check_defs_in_the_activated_venv(tmp_path):
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "VIRTUAL_ENV": str(bin_dir.parent),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(tmp_path),
        "ORDERLENS_WAREHOUSE": str(tmp_path / "w.duckdb"),
    }
    proc = subprocess.run(
        [str(bin_dir / "dg"), "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All definitions loaded successfully" in proc.stdout + proc.stderr


def test_asset_graph_keys_groups_and_pool():
    defs = load_definitions()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "raw/orders_douyin",
        "raw/rejected_rows",
        "staging/stg_douyin__order_lines",
        "staging/stg_audit__rejected_rows",
        "marts/fct_order_lines",
        "marts/audit_rejected_rows",
        "published/marts_snapshot",
    } <= keys
    # a dbt source raw.orders_douyin is the Python asset ["raw", "orders_douyin"]: lineage is connected
    stg = graph.get(dg.AssetKey(["staging", "stg_douyin__order_lines"]))
    assert dg.AssetKey(["raw", "orders_douyin"]) in stg.parent_keys
    publish = graph.get(dg.AssetKey(["published", "marts_snapshot"]))
    assert dg.AssetKey(["marts", "fct_order_lines"]) in publish.parent_keys
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["raw/orders_douyin"] == "ingest"
    assert groups["staging/stg_douyin__order_lines"] == "staging"
    assert groups["marts/fct_order_lines"] == "marts"
    assert groups["published/marts_snapshot"] == "publish"
    # every asset that writes the warehouse shares one pool (limited to 1 in dagster.yaml)
    for key in ("raw/orders_douyin", "marts/fct_order_lines", "published/marts_snapshot"):
        node = graph.get(dg.AssetKey.from_user_string(key))
        assert node.pools == {"orderlens_warehouse"}, key
    # dbt tests are asset checks
    checks = {c.name for c in graph.asset_check_keys}
    assert "unique_fct_order_lines_order_line_key" in checks
