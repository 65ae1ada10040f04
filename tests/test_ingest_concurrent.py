"""The landing sources load concurrently (one Dagster step, one DuckDB cursor per source): the warehouse must
hold exactly what one-source-after-the-other loading gives, row for row, every file's rows conserved, and a
second run must load nothing. Loads that interfered (a cursor seeing another source's temporary tables or
transaction, a file claimed twice, rows written to the wrong table) would show up as a difference here."""

from __future__ import annotations

import os
from datetime import datetime

import dagster as dg
import duckdb
import pytest

from pipelines.defs.ingest.assets import ingest_landing
from pipelines.defs.resources import OrderlensConfig
from pipelines.ingest import ingest_source, ingest_sources
from pipelines.sources.registry import SOURCES
from pipelines.synthetic import generate


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    landing = tmp_path_factory.mktemp("concurrent") / "landing"
    generate(landing, orders=600, days=6, seed=5, receipts=False, progress=False)
    return landing


@pytest.fixture(scope="module")
def one_after_the_other(zone, tmp_path_factory):
    """The reference: every source loaded alone, in the registry's order."""
    path = tmp_path_factory.mktemp("sequential") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        reports = {
            name: ingest_source(con, source, zone, datetime(2026, 1, 1)) for name, source in SOURCES.items()
        }
    return path, reports


def _differences(left, right) -> dict[str, tuple[int, int, int, int]]:
    """Per raw table whose contents differ (load times excluded): (rows left, rows right, only left, only right)."""
    con = duckdb.connect()
    con.execute("attach ? as l (read_only)", [str(left)])
    con.execute("attach ? as r (read_only)", [str(right)])
    tables = {
        db: {
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where database_name = ? and schema_name = 'raw'", [db]
            ).fetchall()
        }
        for db in ("l", "r")
    }
    assert tables["l"] == tables["r"], tables
    out = {}
    for t in sorted(tables["l"]):
        when = {"_manifest": "loaded_at", "_file_stats": None}.get(t, "_loaded_at")
        cols = f"* exclude ({when})" if when else "*"
        rows = [con.execute(f"select count(*) from {db}.raw.{t}").fetchone()[0] for db in ("l", "r")]
        only = [
            con.execute(
                f"select count(*) from (select {cols} from {x}.raw.{t} except all select {cols} from {y}.raw.{t})"
            ).fetchone()[0]
            for x, y in (("l", "r"), ("r", "l"))
        ]
        if only != [0, 0] or rows[0] != rows[1]:
            out[t] = (*rows, *only)
    return out


def test_every_source_at_once_loads_what_one_after_the_other_loads(zone, one_after_the_other, tmp_path):
    reference, reports = one_after_the_other
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        # as many workers as sources: every source's load overlaps every other's
        loads = {
            load.source: load
            for load in ingest_sources(
                con, list(SOURCES.values()), zone, datetime(2026, 1, 1), workers=len(SOURCES)
            )
        }
    assert sorted(loads) == sorted(SOURCES)
    errors = {name: repr(load.error) for name, load in loads.items() if load.error is not None}
    assert errors == {}
    off = {name: load.violations for name, load in loads.items() if load.violations}
    assert off == {}, off
    got = {name: (load.report.rows_loaded, load.report.rows_rejected) for name, load in loads.items()}
    want = {name: (r.rows_loaded, r.rows_rejected) for name, r in reports.items()}
    assert got == want
    assert sum(n for n, _ in want.values()) > 10_000  # a real load, not an empty zone
    assert sum(r.count("loaded") for r in reports.values()) > 80
    assert {name: load.table_rows for name, load in loads.items()} == {
        n: r.rows_loaded for n, r in reports.items()
    }
    differences = _differences(reference, path)
    assert differences == {}, (
        f"(rows sequential, rows concurrent, only sequential, only concurrent): {differences}"
    )


def test_the_dagster_step_reports_each_source_and_a_second_run_loads_nothing(
    zone, one_after_the_other, tmp_path
):
    reference, reports = one_after_the_other
    path = tmp_path / "warehouse.duckdb"
    resources = {"orderlens": OrderlensConfig(landing=str(zone), warehouse=str(path))}
    with dg.instance_for_test() as instance:
        first = dg.materialize([ingest_landing], resources=resources, instance=instance)
        assert first.success
        meta = {
            m.asset_key.path[-1]: {k: v.value for k, v in m.metadata.items()}
            for m in first.get_asset_materialization_events()
            for m in [m.event_specific_data.materialization]
        }
        assert sorted(meta) == sorted(SOURCES)
        assert {n: (m["rows_loaded"], m["rows_rejected"]) for n, m in meta.items()} == {
            n: (r.rows_loaded, r.rows_rejected) for n, r in reports.items()
        }
        assert {n: m["dagster/row_count"] for n, m in meta.items()} == {
            n: r.rows_loaded for n, r in reports.items()
        }
        checks = {(c.asset_key.path[-1], c.check_name): c.passed for c in first.get_asset_check_evaluations()}
        assert checks == {(name, "rows_conserved"): True for name in SOURCES}
        assert _differences(reference, path) == {}

        second = dg.materialize([ingest_landing], resources=resources, instance=instance)
        assert second.success
        again = [
            {k: v.value for k, v in e.event_specific_data.materialization.metadata.items()}
            for e in second.get_asset_materialization_events()
        ]
        assert len(again) == len(SOURCES)
        assert [(m["files_loaded"], m["rows_loaded"], m["rows_rejected"]) for m in again] == [
            (0, 0, 0)
        ] * len(SOURCES)
        assert sum(m["files_skipped_seen_before"] for m in again) == sum(
            r.count("loaded") + r.count("failed") + r.count("skipped") for r in reports.values()
        )
        assert _differences(reference, path) == {}


def test_a_selection_loads_only_the_selected_sources(zone, one_after_the_other, tmp_path):
    _reference, reports = one_after_the_other
    path = tmp_path / "warehouse.duckdb"
    resources = {"orderlens": OrderlensConfig(landing=str(zone), warehouse=str(path))}
    picked = [dg.AssetKey(["raw", "tracks"]), dg.AssetKey(["raw", "inquiries"])]
    with dg.instance_for_test() as instance:
        result = dg.materialize([ingest_landing], resources=resources, instance=instance, selection=picked)
    assert result.success
    assert sorted(e.asset_key for e in result.get_asset_materialization_events()) == sorted(picked)
    with duckdb.connect(str(path), read_only=True) as con:
        by_source = dict(
            con.execute("select source, sum(rows_loaded) from raw._manifest group by 1").fetchall()
        )
    assert by_source == {
        "tracks": reports["tracks"].rows_loaded,
        "inquiries": reports["inquiries"].rows_loaded,
    }


def test_a_file_unchanged_since_it_was_hashed_is_not_read_again(
    zone, one_after_the_other, tmp_path, monkeypatch
):
    """raw._file_stats: a file at the same path with the same size and mtime as when its bytes were hashed is
    skipped without reading it (a new day at 10M otherwise re-hashes the 41 GB zone); a touched file is hashed
    again (same bytes: skipped), a rewritten one is hashed and loaded."""
    import shutil

    import pipelines.ingest as ingest

    _reference, reports = one_after_the_other
    landing = tmp_path / "landing"
    shutil.copytree(zone, landing)
    tracks = {f.source_file: f for f in reports["tracks"].files if f.status == "loaded"}
    held, rewritten = sorted(tracks)[:2]  # two track files with different bytes
    assert tracks[held].sha256 != tracks[rewritten].sha256
    (landing / held).rename(tmp_path / "held")

    fingerprinted: list[str] = []
    real = ingest._fingerprint

    def counting(path, bulk):
        fingerprinted.append(path.relative_to(landing).as_posix())
        return real(path, bulk)

    def run():
        fingerprinted.clear()
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
            loads = list(ingest_sources(con, list(SOURCES.values()), landing, datetime(2026, 1, 2)))
            stats = dict(con.execute("select source_file, mtime_ns from raw._file_stats").fetchall())
        assert [load.error for load in loads if load.error] == []
        loaded = sorted(f.source_file for load in loads for f in load.report.files if f.status == "loaded")
        return loaded, sum(load.report.rows_loaded for load in loads), stats

    monkeypatch.setattr(ingest, "_fingerprint", counting)
    first, _rows, stats = run()
    every_file = sorted(p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file())
    assert len(fingerprinted) == len(stats) > 80 and held not in stats
    assert sorted(stats) == sorted(f for f in every_file if not f.startswith("_truth/"))

    assert run()[:2] == ([], 0) and fingerprinted == []  # nothing read at all

    os.utime(landing / rewritten, ns=(1_900_000_000_000_000_000, 1_900_000_000_000_000_000))  # touched
    loaded, rows, stats = run()
    assert (loaded, rows, fingerprinted) == ([], 0, [rewritten])
    assert stats[rewritten] == 1_900_000_000_000_000_000

    shutil.copyfile(tmp_path / "held", landing / rewritten)  # new bytes at a known path
    loaded, rows, _stats = run()
    assert (loaded, rows, fingerprinted) == ([rewritten], tracks[held].rows_loaded, [rewritten])
