"""A new day on top of a built warehouse (issue 11, docs/incremental.md).

The suite's generated zone (1,800 orders, 25 days, seed 23) is split by export day: the warehouse is built on
the files of the first 24 days with as_of = the end of day 24, then the files of day 25 are added and the run
repeated with the zone's as_of. The result must equal the full build of the whole zone (the shared
`generated_zone_run`, which the other tests compare with the generator's truth) in every relation of the
`marts` schema, row for row (EXCEPT ALL both ways), and the second run must load only the new files and update
the incremental staging models incrementally (not rebuild them)."""

from __future__ import annotations

import json
import time

import duckdb
import pytest

from pipelines.synthetic.new_day import link_files, split_last_day
from tests.truthcheck import compare

# Two pipeline runs on top of the shared one (first build, new day): ~3 min on a quiet machine,
# far more on a loaded one.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

INCREMENTAL_MODELS = [
    "stg_tracks__pushes",
    "stg_tracks__track_nodes",
    "stg_warehouse__events",
    "stg_douyin__order_lines",
    "stg_miniprogram__order_lines",
    "stg_taobao__orders",
    "stg_taobao__order_lines",
    "stg_pinduoduo__orders",
    "stg_erp__order_lines",
    "stg_settlements__payments",
]


def _last_dbt_run_results(since: float, as_of: str) -> dict:
    """run_results.json of the newest dbt invocation of the Dagster dbt step (one target folder each, under this
    process's dbt target folder — its own per pytest-xdist worker) written after `since` (time.time()). as_of
    reaches dbt through the environment (macros/as_of.sql), so it is not in the recorded args: the newest run
    after `since` in this worker's folder is the run (the module's runs go one after the other)."""
    from pipelines.settings import dbt_target_dir

    found = []
    for path in dbt_target_dir().glob("orderlens_dbt_models-*/run_results.json"):
        if path.stat().st_mtime >= since:
            found.append((path.stat().st_mtime, json.loads(path.read_text())))
    assert found, f"no run_results.json of a dbt build (as_of {as_of}) since {since} in {dbt_target_dir()}"
    return max(found, key=lambda f: f[0])[1]


@pytest.fixture(scope="module")
def new_day_run(generated_zone_run, tmp_path_factory):
    from pipelines.runner import run_all
    from pipelines.settings import load_settings

    zone, full_settings, _, _ = generated_zone_run
    split = split_last_day(zone)
    work = tmp_path_factory.mktemp("new_day")
    landing = work / "landing"
    link_files(zone, split.before, landing)
    started = time.time()
    # the first build with full_refresh=True (what `orderlens run --full-refresh` passes): on an empty warehouse
    # it is an ordinary full build, and it shows the flag reaching dbt without a run of its own
    first = run_all(
        load_settings(str(landing), str(work / "warehouse.duckdb"), split.as_of_before), full_refresh=True
    )
    assert first.success, first.errors
    first_results = _last_dbt_run_results(started, split.as_of_before)
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        (first_loaded_at,) = con.execute("select max(loaded_at) from raw._manifest").fetchone()
    link_files(zone, split.new_day, landing)
    settings = load_settings(str(landing), str(work / "warehouse.duckdb"), split.as_of)
    started = time.time()
    second = run_all(settings)
    assert second.success, second.errors
    second_results = _last_dbt_run_results(started, split.as_of)
    return split, settings, full_settings, first, second, first_loaded_at, (first_results, second_results)


def test_the_split_holds_back_only_the_last_day(new_day_run):
    split, *_ = new_day_run
    assert split.as_of == "2026-11-08 23:00:00" and split.as_of_before == "2026-11-07 23:59:59"
    assert {rel.split("/")[0] for rel in split.new_day} >= {"orders", "tracks", "warehouse", "settlements"}
    assert all("20261108" in rel for rel in split.new_day), [r for r in split.new_day if "20261108" not in r]
    assert not [rel for rel in split.before if "20261108" in rel]


def test_the_second_run_loads_only_the_new_files(new_day_run):
    split, settings, _, first, second, first_loaded_at, _ = new_day_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        loaded_later = sorted(
            row[0]
            for row in con.execute(
                "select source_file from raw._manifest where loaded_at > ?", [first_loaded_at]
            ).fetchall()
        )
    assert loaded_later == sorted(split.new_day)
    assert second.files_loaded == len(split.new_day)
    # every earlier file is skipped (seen before, by SHA-256)
    assert second.files_skipped == len(split.before)
    assert first.files_loaded + first.files_skipped == len(split.before)


def test_the_staging_models_were_updated_incrementally(new_day_run):
    """The first run (run_all(full_refresh=True)) ran `dbt build --full-refresh` and built the incremental
    models in full (no changed-keys filter in the SQL dbt ran); the second ran them incrementally: their SQL
    reads only the keys loaded after the model's watermark."""
    split, *_, (first_results, second_results) = new_day_run
    assert first_results["args"].get("full_refresh") is True
    assert not second_results["args"].get("full_refresh")
    for results, as_of, incremental in [
        (first_results, split.as_of_before, False),
        (second_results, split.as_of, True),
    ]:
        # the invocation of that run: its as_of (through ORDERLENS_AS_OF) is in the SQL dbt ran
        assert any(as_of in (r.get("compiled_code") or "") for r in results["results"]), as_of
        by_model = {
            r["unique_id"].split(".")[-1]: r
            for r in results["results"]
            if r["unique_id"].startswith("model.")
        }
        for name in INCREMENTAL_MODELS:
            assert by_model[name]["status"] == "success", by_model[name]
            assert ("_loaded_at >" in by_model[name]["compiled_code"]) is incremental, (name, incremental)


def _relations(con, catalog: str) -> list[str]:
    return sorted(
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'marts'",
            [catalog],
        ).fetchall()
    )


def _mart_differences(warehouse, full_warehouse) -> dict:
    """Every relation of the `marts` schema of `warehouse` against `full_warehouse`: EXCEPT ALL both ways
    (up to 5 rows each way are printed per differing relation)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{full_warehouse}' as full_build (read_only)")
        (catalog,) = con.execute("select current_database()").fetchone()
        ours = _relations(con, catalog)
        assert ours == _relations(con, "full_build")
        assert "fct_orders" in ours and len(ours) >= 17
        differences = {}
        for name in ours:
            columns = ", ".join(
                f'"{c}"'
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_catalog = ? "
                    "and table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [catalog, name],
                ).fetchall()
            )
            ours_q = f"select {columns} from {catalog}.marts.{name}"
            full_q = f"select {columns} from full_build.marts.{name}"
            only_ours = con.execute(f"select * from ({ours_q} except all {full_q}) limit 5").fetchall()
            only_full = con.execute(f"select * from ({full_q} except all {ours_q}) limit 5").fetchall()
            if only_ours or only_full:
                differences[name] = {"incremental only": only_ours, "full build only": only_full}
    for name, diff in differences.items():
        print(name, diff)
    return differences


def test_every_mart_equals_the_full_build(new_day_run):
    _, settings, full_settings, *_ = new_day_run
    assert _mart_differences(settings.warehouse_path, full_settings.warehouse_path) == {}


def test_orders_after_the_new_day_match_the_truth(new_day_run, generated_zone_run):
    zone = generated_zone_run[0]
    _, settings, *_ = new_day_run
    columns = ["order_key", "status", "shipped_at", "signed_at", "tracking_nos", "on_time_72h", "delay_stage"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert compare(con, zone, "marts.fct_orders", "orders.csv", columns) == 1800


def test_run_full_refresh_reaches_the_run(tmp_path, monkeypatch, capsys):
    """`orderlens run --full-refresh` hands full_refresh=True to run_all (which passes it to the dbt step);
    without the flag it is False. Documented in `orderlens run --help`."""
    import pipelines.runner
    from pipelines.cli import build_parser, main
    from pipelines.runner import RunSummary

    seen = []
    monkeypatch.setattr(
        pipelines.runner,
        "run_all",
        lambda settings, log_level, full_refresh: seen.append(full_refresh) or RunSummary(True, 0.0),
    )
    args = [
        "run",
        "--landing",
        str(tmp_path),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--as-of",
        "2026-11-08",
    ]
    assert main(args + ["--full-refresh"]) == 0
    assert main(args) == 0
    assert seen == [True, False]
    run_help = build_parser()._subparsers._group_actions[0].choices["run"].format_help()
    assert "--full-refresh" in run_help and "incremental" in run_help
