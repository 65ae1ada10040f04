"""The published snapshot: atomic pointer swap, old versions pruned, readers never see half a snapshot."""

import duckdb
import pytest

from pipelines import publish as pub


def _warehouse(path, rows):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.fct_x as select range as id from range(?)", [rows])


def test_publish_swaps_pointer_and_prunes(tmp_path):
    wh, out = tmp_path / "w.duckdb", tmp_path / "published"
    assert pub.current_version(out) is None
    with pytest.raises(FileNotFoundError, match="orderlens run"):
        pub.snapshot_connection(out)
    versions = []
    for rows in (1, 2, 3, 4, 5):
        _warehouse(wh, rows)
        result = pub.publish(wh, out, "2026-10-14 09:00:00")
        versions.append(result.version)
        assert pub.current_version(out) == result.version
        with pub.snapshot_connection(out) as con:
            assert con.execute("select count(*) from fct_x").fetchone()[0] == rows
    kept = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert kept == sorted(versions[-pub.KEEP_VERSIONS :])
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp folders or pointers left


def test_reader_on_an_old_version_keeps_working_while_a_new_one_lands(tmp_path):
    wh, out = tmp_path / "w.duckdb", tmp_path / "published"
    _warehouse(wh, 10)
    old = pub.publish(wh, out, "a").version
    reader = pub.snapshot_connection(out, old)
    _warehouse(wh, 20)
    new = pub.publish(wh, out, "b").version
    assert reader.execute("select count(*) from fct_x").fetchone()[0] == 10
    with pub.snapshot_connection(out) as con:
        assert con.execute("select count(*) from fct_x").fetchone()[0] == 20
    assert pub.current_version(out) == new
    reader.close()


def test_publish_refuses_an_empty_marts_schema(tmp_path):
    wh = tmp_path / "w.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts")
    with pytest.raises(RuntimeError, match="nothing to publish"):
        pub.publish(wh, tmp_path / "p", "x")
