"""Two runs launched at once against one Dagster instance and one warehouse: the pool
`orderlens_warehouse` (limit 1, dagster.yaml) serialises every step that writes the warehouse, so
neither run meets DuckDB's file lock and both succeed. The runs are the ingest steps (the landing sources'
step, which loads them concurrently on one connection, and the receipts' steps, each opening the warehouse
read-write) to keep the test short; dbt and publish sit in the same pool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.settings import prepare_dagster_home

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "landing_douyin"


@pytest.mark.slow
def test_two_runs_at_once_take_turns_on_the_warehouse(tmp_path):
    home = tmp_path / "dagster_home"
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing)
    config = tmp_path / "in_process.yaml"
    config.write_text(
        "execution:\n  config:\n    in_process: {}\n"
    )  # one process per run, as `orderlens run`
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ORDERLENS_LANDING": str(landing),
        "ORDERLENS_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "ORDERLENS_AS_OF": "2026-10-14 09:00:00",
        "ORDERLENS_ALERT_LOG": str(tmp_path / "alerts.log"),
    }
    command = [
        str(Path(sys.executable).parent / "dagster"),
        *("job", "execute", "-m", "pipelines.definitions", "-j", "__ASSET_JOB", "-c", str(config)),
        *(
            "-o",
            "*raw__rejected_rows",
        ),  # every ingest asset and raw/rejected_rows: each opens the warehouse read-write
    ]
    # what `orderlens run` and `pipelines.serve` do first: the instance with the pool's one slot allocated
    # up front (allocated lazily, two runs starting together on a fresh instance would each add a slot)
    prepare_dagster_home(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs() == []
        assert instance.event_log_storage.get_concurrency_info("orderlens_warehouse").slot_count == 1
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=800)[0] for p in runs]
    for proc, out in zip(runs, outputs, strict=True):
        assert "Could not set lock" not in out, out[-3000:]
        assert proc.returncode == 0, out[-3000:]

    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records()
        assert len(records) == 2 and {r.dagster_run.status for r in records} == {dg.DagsterRunStatus.SUCCESS}
        windows = []  # (start, end, run, step) of every step: all of them write the warehouse
        for record in records:
            run_id = record.dagster_run.run_id
            starts, ends = {}, {}
            for entry in instance.all_logs(run_id):
                event = entry.dagster_event
                if event is None or not event.step_key:
                    continue
                if event.event_type == dg.DagsterEventType.STEP_START:
                    starts[event.step_key] = entry.timestamp
                elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                    ends[event.step_key] = entry.timestamp
            expected = {"ingest_landing"} | {  # the landing sources' assets, loaded together in one step
                "raw__bank_receipts",  # the receipts assets feed raw/rejected_rows too
                "raw__receipt_corrections",
                "raw__rejected_rows",
            }
            assert set(starts) == set(ends) == expected, sorted(starts)
            windows += [(starts[k], ends[k], run_id, k) for k in starts]
    windows.sort()
    runs_span = {
        run: (min(s for s, _, r, _ in windows if r == run), max(e for _, e, r, _ in windows if r == run))
        for run in {w[2] for w in windows}
    }
    (a_start, a_end), (b_start, b_end) = runs_span.values()
    assert a_start < b_end and b_start < a_end, "the two runs did not overlap in time: nothing was proven"
    overlapping = [(x[3], y[3]) for i, x in enumerate(windows) for y in windows[i + 1 :] if y[0] < x[1]]
    assert overlapping == [], overlapping
    # whichever run came second found every file loaded and added nothing: one copy of each row
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw._manifest").fetchone()[0] == 3
        assert con.execute("select count(*) from raw.orders_douyin").fetchone()[0] == 5
        assert con.execute("select count(*) from raw.rejected_rows").fetchone()[0] == 4
