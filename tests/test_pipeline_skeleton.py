"""The walking skeleton end to end: landing -> raw -> dbt staging -> marts -> published Parquet."""

import json
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.publish import current_version, snapshot_connection
from pipelines.runner import run_all
from pipelines.settings import duckdb_config

ROOT = Path(__file__).resolve().parent.parent


def test_full_materialisation_builds_and_publishes_the_marts(skeleton_run):
    settings, summary = skeleton_run
    assert summary.success, summary.errors
    assert (summary.files_loaded, summary.files_skipped, summary.files_failed) == (2, 1, 1)
    assert (summary.rows_loaded, summary.rows_rejected) == (5, 3)
    marts = sorted(p.stem for p in (ROOT / "dbt_project" / "models" / "marts").glob("*.sql"))
    assert sorted(summary.marts_built) == marts  # every mart model built
    assert summary.failed_checks == []
    # the ingest conservation check and the dbt tests ran as asset checks, and passed
    assert {
        "raw/orders_douyin:rows_conserved",
        "marts/fct_order_lines:unique_fct_order_lines_order_line_key",
        "marts/audit_rejected_rows:not_null_audit_rejected_rows_reason",
    } <= set(summary.passed_checks)

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        lines = con.execute(
            "select order_line_key, sku, quantity, line_amount, is_gift from marts.fct_order_lines order by 1"
        ).fetchall()
        status = con.execute(
            "select status from staging.stg_douyin__order_lines where order_no = '6920000000000000002'"
        ).fetchall()
        rejected = con.execute("select count(*) from marts.audit_rejected_rows").fetchone()[0]
    assert lines == [
        ("douyin:6920000000000000001:6920000000000000101", "DG-001", 2, Decimal("1299.00"), False),
        ("douyin:6920000000000000001:6920000000000000102", "GIFT-01", 1, Decimal("0.00"), True),
        ("douyin:6920000000000000002:6920000000000000201", "MS-010", 1, Decimal("59.90"), False),
        ("douyin:6920000000000000003:6920000000000000301", "MS-010", 1, Decimal("59.90"), False),
    ]
    assert status == [("shipped",)]  # the later export (13 Oct) replaced the 12 Oct state, no duplicate line
    assert rejected == 4

    version = current_version(settings.published_dir)
    assert version == summary.published_version
    manifest = json.loads((settings.published_dir / version / "manifest.json").read_text())
    assert sorted(manifest["tables"]) == marts  # every mart published
    assert (manifest["tables"]["audit_rejected_rows"], manifest["tables"]["fct_order_lines"]) == (4, 4)
    assert manifest["as_of"] == "2026-10-14 09:00:00"
    with snapshot_connection(settings.published_dir) as con:
        assert con.execute("select count(*) from fct_order_lines where is_gift").fetchone()[0] == 1


def test_rerun_on_unchanged_landing_changes_nothing(skeleton_run, tmp_path, monkeypatch):
    settings, first = skeleton_run
    # a fresh clone has no .dagster/: the run creates it (with the pool settings) instead of failing
    home = tmp_path / "fresh" / ".dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = {
            t: con.execute(f"select * from {t} order by all").fetchall()
            for t in (
                "raw.orders_douyin",
                "raw.rejected_rows",
                "marts.fct_order_lines",
                "marts.audit_rejected_rows",
            )
        }
    # every connection the run opens to the warehouse carries the memory limit and spill folder (issue 11)
    opened = []
    real_connect = duckdb.connect

    def recording_connect(database=":memory:", *args, **kwargs):
        if str(database) == str(settings.warehouse_path):
            opened.append(kwargs.get("config"))
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", recording_connect)
    second = run_all(settings)
    monkeypatch.setattr(duckdb, "connect", real_connect)
    assert second.success, second.errors
    assert len(opened) >= 3 and all(config == duckdb_config(settings.warehouse_path) for config in opened), (
        opened
    )
    assert (second.files_loaded, second.files_skipped, second.files_failed) == (0, 4, 0)
    assert (second.rows_loaded, second.rows_rejected) == (0, 0)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        after = {t: con.execute(f"select * from {t} order by all").fetchall() for t in before}
    assert after == before
    assert current_version(settings.published_dir) == second.published_version != first.published_version
    assert "default_limit: 1" in (home / "dagster.yaml").read_text()
    assert any((home / "history").iterdir())  # the run is in the instance's history


def test_every_run_leaves_the_days_difference_export(skeleton_run):
    """The reports/differences_xlsx asset writes the as_of day's pending pool (what the 09:00 schedule leaves
    for finance): one sheet per difference type, one row per rpt_daily_differences row of that day."""
    from openpyxl import load_workbook

    from pipelines.exports.differences import HEADERS, TYPE_LABELS

    settings, _ = skeleton_run
    out = settings.exports_dir / "differences-2026-10-14.xlsx"
    assert out.is_file()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        by_type = dict(
            con.execute(
                "select difference_type, count(*) from marts.rpt_daily_differences "
                "where report_date = date '2026-10-14' group by 1"
            ).fetchall()
        )
    assert sum(by_type.values()) > 0  # the fixture's orders are shipped but not paid or signed
    book = load_workbook(out)
    assert book.sheetnames == list(TYPE_LABELS.values())
    for dtype, label in TYPE_LABELS.items():
        rows = list(book[label].iter_rows(values_only=True))
        assert list(rows[0]) == HEADERS
        assert len(rows) - 1 == by_type.get(dtype, 0), label


def test_a_run_leaves_the_process_environment_as_it_found_it(skeleton_run):
    """run_all sets ORDERLENS_* for its steps only: a later run_all in the same process that leaves the
    published folder to its default must not publish into the first run's folder (conftest clears them)."""
    import os

    from pipelines.runner import SETTINGS_ENV

    # ORDERLENS_WAREHOUSE is left out: an asset materialised on its own (tests of single assets) sets it for
    # dbt's profile through the resource; run_all restores it like the others
    names = [n for n in SETTINGS_ENV if n != "ORDERLENS_WAREHOUSE"]
    assert {name: os.environ.get(name) for name in names} == dict.fromkeys(names)
