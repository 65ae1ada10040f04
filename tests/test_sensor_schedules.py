"""The landing-zone sensor and the Asia/Shanghai schedules, evaluated with Dagster's test contexts."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from dagster._utils.schedules import cron_string_iterator  # the daemon's own tick iterator

from pipelines.definitions import load_definitions
from pipelines.defs.resources import OrderlensConfig
from pipelines.ingest import ensure_raw_schema

FIXTURE = Path(__file__).parent / "fixtures" / "landing_douyin"
DOUYIN = dg.AssetKey(["raw", "orders_douyin"])
PDD = dg.AssetKey(["raw", "orders_pinduoduo"])


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return load_definitions()


@pytest.fixture
def zone(tmp_path, monkeypatch) -> tuple[Path, Path]:
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing)
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("ORDERLENS_LANDING", str(landing))
    monkeypatch.setenv("ORDERLENS_WAREHOUSE", str(warehouse))
    return landing, warehouse


def _tick(defs, cursor=None):
    sensor = defs.get_repository_def().get_sensor_def("landing_zone_sensor")
    # both as context managers: the test context leaves no instance (or its state storage) installed behind it
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(
            instance=instance, cursor=cursor, definitions=defs, resources={"orderlens": OrderlensConfig()}
        ) as context,
    ):
        return sensor.evaluate_tick(context)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_files_start_one_run_of_their_raw_asset_and_everything_downstream(defs, zone):
    landing, _ = zone
    first = _tick(defs)
    (request,) = first.run_requests
    graph = defs.resolve_asset_graph()
    selected = set(request.asset_selection)
    assert selected == dg.AssetSelection.assets(DOUYIN).downstream().resolve(graph)
    assert {
        DOUYIN,
        dg.AssetKey(["staging", "stg_douyin__order_lines"]),
        dg.AssetKey(["marts", "fct_orders"]),
        dg.AssetKey(["published", "marts_snapshot"]),
        dg.AssetKey(["ops", "alert_deliveries"]),
    } <= selected
    assert PDD not in selected and dg.AssetKey(["staging", "stg_pinduoduo__orders"]) not in selected
    # the run key is the hash of the new file set (the copy of the first file has the same bytes: one entry)
    douyin = sorted((landing / "orders" / "douyin").glob("*.csv"))
    shas = {p.name: _sha(p) for p in douyin}
    assert shas["copy_of_first.csv"] == shas["douyin_orders_20261012_230000.csv"]
    items = sorted(
        (f"orders/douyin/{name}", sha)
        for name, sha in shas.items()
        if name != "douyin_orders_20261012_230000.csv"
    )
    assert request.run_key == "landing-" + hashlib.sha256(json.dumps(items).encode()).hexdigest()[:20]
    cursor = json.loads(first.cursor)
    assert sorted(cursor["files"]) == [f"orders/douyin/{p.name}" for p in douyin]

    # same files, next tick (the cursor persisted by the daemon): no run
    second = _tick(defs, first.cursor)
    assert second.run_requests == [] and second.skip_message == "no new landing files"
    assert second.cursor == first.cursor
    # touched but same bytes: no run either
    os.utime(douyin[0], (1_800_000_000, 1_800_000_000))
    assert _tick(defs, first.cursor).run_requests == []

    # a new 拼多多 export: one run, for 拼多多 and what is downstream of it only
    pdd = landing / "orders" / "pinduoduo" / "pdd_orders_20261014_080000.csv"
    pdd.parent.mkdir(parents=True)
    pdd.write_text("订单号,订单状态\n260112-123456789012345,待发货\n", encoding="utf-8")
    third = _tick(defs, second.cursor)
    (request,) = third.run_requests
    assert set(request.asset_selection) == dg.AssetSelection.assets(PDD).downstream().resolve(graph)
    assert DOUYIN not in request.asset_selection
    assert (
        request.run_key
        == "landing-"
        + hashlib.sha256(
            json.dumps([["orders/pinduoduo/pdd_orders_20261014_080000.csv", _sha(pdd)]]).encode()
        ).hexdigest()[:20]
    )
    assert _tick(defs, third.cursor).run_requests == []
    # the same file changed (a corrected re-export under the same name): a new run with a new key
    pdd.write_text("订单号,订单状态\n260112-123456789012345,已发货，待收货\n", encoding="utf-8")
    fourth = _tick(defs, third.cursor)
    (again,) = fourth.run_requests
    assert again.run_key != request.run_key and PDD in again.asset_selection


def test_files_the_warehouse_already_loaded_start_nothing(defs, zone):
    landing, warehouse = zone
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        for path in sorted((landing / "orders" / "douyin").glob("*.csv")):
            con.execute(
                "insert into raw._manifest values (?, 'orders_douyin', ?, null, 0, 0, 0, 'loaded', null, now()) "
                "on conflict do nothing",
                [_sha(path), path.name],
            )  # the copy's bytes are the same as the first file's: one manifest row for both
    tick = _tick(defs)  # a fresh cursor (sensor just turned on after `orderlens run`)
    assert tick.run_requests == [] and tick.skip_message == "no new landing files"
    assert len(json.loads(tick.cursor)["files"]) == 4


def test_a_busy_warehouse_postpones_the_look_without_moving_the_cursor(defs, zone):
    _, warehouse = zone
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(warehouse)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        tick = _tick(defs)
        assert tick.run_requests == [] and "busy" in tick.skip_message
        assert tick.cursor is None  # nothing recorded: the files are looked at again on the next tick
    finally:
        holder.kill()
        holder.wait()
    assert len(_tick(defs).run_requests) == 1


@pytest.mark.parametrize(
    ("name", "scheduled", "as_of"),
    [
        ("sla_pass_every_15_minutes", datetime(2026, 10, 14, 1, 15, tzinfo=ZoneInfo("UTC")), "2026-10-14 09:15:00"),
        ("daily_difference_report_0900", datetime(2026, 10, 14, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "2026-10-14 09:00:00"),
        ("weekly_aftersales_report_fri_1800", datetime(2026, 10, 16, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "2026-10-16 18:00:00"),
    ],
)  # fmt: skip
def test_schedules_run_in_shanghai_time_with_the_tick_as_as_of(defs, name, scheduled, as_of):
    schedule = defs.get_schedule_def(name)
    assert schedule.execution_timezone == "Asia/Shanghai"
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(instance=instance, scheduled_execution_time=scheduled) as context,
    ):
        (request,) = schedule.evaluate_tick(context).run_requests
    assert request.run_config == {"resources": {"orderlens": {"config": {"as_of": as_of}}}}
    assert request.tags["orderlens/as_of"] == as_of
    assert request.run_key.endswith(as_of)


def test_schedule_crons_and_jobs(defs):
    crons = {s.name: (s.cron_schedule, s.job_name) for s in defs.schedules}
    assert crons == {
        "sla_pass_every_15_minutes": ("*/15 * * * *", "sla_pass"),
        "daily_difference_report_0900": ("0 9 * * *", "daily_difference_report"),
        "weekly_aftersales_report_fri_1800": ("0 18 * * 5", "weekly_aftersales_report"),
    }
    # next ticks, in Shanghai time, after Thursday 2026-10-15 17:50 Shanghai
    start = datetime(2026, 10, 15, 17, 50, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    for name, expected in [
        ("sla_pass_every_15_minutes", "2026-10-15 18:00"),
        ("daily_difference_report_0900", "2026-10-16 09:00"),
        ("weekly_aftersales_report_fri_1800", "2026-10-16 18:00"),
    ]:
        schedule = defs.get_schedule_def(name)
        tick = next(cron_string_iterator(start, schedule.cron_schedule, schedule.execution_timezone))
        assert tick.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") == expected, name
    sla = defs.resolve_job_def("sla_pass")
    from pipelines.notify.sources import ALERT_SOURCES

    # every alert mart (SLA, logistics, correction actions, the signals) and the delivery, nothing else
    assert set(sla.asset_layer.executable_asset_keys) == {
        *(dg.AssetKey(src.table.split(".")) for src in ALERT_SOURCES),
        dg.AssetKey(["ops", "alert_deliveries"]),
    }
    assert dg.AssetKey(["marts", "fct_sla_alerts"]) in sla.asset_layer.executable_asset_keys


@pytest.mark.slow
def test_the_sla_pass_job_rebuilds_the_alert_marts_and_sends_nothing_twice(
    skeleton_run, tmp_path, monkeypatch
):
    settings, _ = skeleton_run
    warehouse = tmp_path / "warehouse.duckdb"  # a copy: the skeleton's warehouse stays as it was
    shutil.copyfile(settings.warehouse_path, warehouse)
    shutil.copytree(settings.published_dir, tmp_path / "published")
    shutil.copytree(settings.warehouse_path.parent / "alerts", tmp_path / "alerts")
    monkeypatch.setenv("ORDERLENS_LANDING", str(settings.landing_dir))
    monkeypatch.setenv("ORDERLENS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("ORDERLENS_PUBLISHED", str(tmp_path / "published"))
    monkeypatch.delenv("ORDERLENS_AS_OF", raising=False)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        delivered_before = con.execute("select count(*) from ops.alert_deliveries").fetchone()[0]
    defs = load_definitions()
    job = defs.resolve_job_def("sla_pass")
    schedule = defs.get_schedule_def("sla_pass_every_15_minutes")
    with dg.instance_for_test() as instance:
        tick = datetime(2026, 10, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # six days later
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=tick) as context:
            (request,) = schedule.evaluate_tick(context).run_requests
        result = job.execute_in_process(run_config=request.run_config, instance=instance)
    assert result.success
    built = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    from pipelines.notify.sources import ALERT_SOURCES

    assert built == {src.table.replace(".", "/") for src in ALERT_SOURCES} | {"ops/alert_deliveries"}
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert "snapshot_fresh" in checks and "no_failed_deliveries" in checks
    with duckdb.connect(str(warehouse), read_only=True) as con:
        in_marts = con.execute(
            "select (select count(*) from marts.fct_sla_alerts) + (select count(*) from marts.fct_logistics_exceptions)"
        ).fetchone()[0]
        ledger = con.execute("select status, count(*) from ops.alert_deliveries group by all").fetchall()
    # the fixture zone has no tracks or stock: six days later it raises the same alerts, rebuilt with the
    # later as_of; every one is in the ledger, delivered, and none went out a second time
    assert in_marts == delivered_before > 0
    assert ledger == [("delivered", in_marts)]
    (delivery,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path[0] == "ops"]
    assert delivery.materialization.metadata["delivered_this_pass"].value == {"log": 0}
    lines = (tmp_path / "alerts" / "alerts.log").read_text().splitlines()
    assert len(lines) == in_marts == len({json.loads(x)["alert_id"] for x in lines})
