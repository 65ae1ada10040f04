"""The `orderlens` command: help, clear errors, and honest 'not built yet'."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main

ORDERLENS = str(Path(sys.executable).parent / "orderlens")


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["generate", "--help"], ["demo", "--help"],
                                  ["export", "differences", "--help"]])  # fmt: skip
def test_help_for_every_subcommand(args):
    proc = subprocess.run([ORDERLENS, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "usage: orderlens" in proc.stdout


def test_run_on_a_missing_landing_zone_says_so(tmp_path, capsys):
    rc = main(["run", "--landing", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb")])
    assert rc == 2
    assert "does not exist" in capsys.readouterr().err


def test_run_rejects_a_bad_as_of(tmp_path, capsys):
    rc = main(["run", "--landing", str(tmp_path), "--as-of", "tomorrow-ish"])
    assert rc == 2
    assert "not a time" in capsys.readouterr().err


def test_export_without_a_snapshot_says_so(tmp_path, capsys):
    out = tmp_path / "d.xlsx"
    rc = main(["export", "differences", "--date", "2026-10-14", "--format", "xlsx", "--out", str(out),
               "--published", str(tmp_path / "published")])  # fmt: skip
    assert rc == 2
    assert "no published snapshot" in capsys.readouterr().err
    assert not out.exists()


def test_export_rejects_a_bad_date(tmp_path, capsys):
    rc = main(["export", "differences", "--date", "14/10/2026", "--out", str(tmp_path / "d.csv")])
    assert rc == 2
    assert "is not a date" in capsys.readouterr().err


def test_run_summary_says_where_the_time_went(capsys):
    """A long run (10M orders: tens of minutes) ends with its steps, slowest first."""
    from pipelines.cli import _print_summary
    from pipelines.runner import RunSummary

    summary = RunSummary(success=True, seconds=95.0)
    summary.step_seconds = {"ingest_landing": 41.25, "orderlens_dbt_models": 50.0, "publish": 1.04}
    _print_summary(summary)
    out = capsys.readouterr().out
    assert "  steps: orderlens_dbt_models 50.0 s, ingest_landing 41.2 s, publish 1.0 s\n" in out
