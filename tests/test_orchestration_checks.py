"""Asset checks beyond the dbt tests: the published snapshot's freshness, the delivery backlog; the
delivery asset materialised on its own with `dg.materialize`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import dagster as dg
import duckdb

from pipelines.defs.alerts.assets import alert_deliveries
from pipelines.defs.publish.checks import snapshot_fresh
from pipelines.defs.resources import OrderlensConfig
from pipelines.publish import current_version, publish


def _warehouse_with_marts(path):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_sla_alerts as select 'douyin:' || i as order_key, 'stock_shortage' as alert_type, "
            "'purchasing' as recipient_role, timestamp '2026-10-12 10:00:00' as raised_at from range(3) t(i)"
        )
        con.execute(
            "create table marts.fct_logistics_exceptions (tracking_no varchar, carrier varchar, order_key varchar, "
            "exception_type varchar, since timestamp, last_event_at timestamp, last_context varchar)"
        )


def test_snapshot_freshness_warns_once_the_snapshot_is_older_than_the_limit(tmp_path, monkeypatch):
    warehouse = tmp_path / "w.duckdb"
    _warehouse_with_marts(warehouse)
    monkeypatch.setenv("ORDERLENS_PUBLISHED", str(tmp_path / "published"))  # not a snapshot of another test
    resource = OrderlensConfig(warehouse=str(warehouse), as_of="2026-10-14 09:00:00")
    missing = snapshot_fresh(orderlens=resource)
    assert (missing.passed, missing.severity) == (False, dg.AssetCheckSeverity.WARN)

    publish(warehouse, tmp_path / "published", "2026-10-14 09:00:00")
    fresh = snapshot_fresh(orderlens=resource)
    assert fresh.passed and fresh.metadata["as_of"].value == "2026-10-14 09:00:00"
    assert fresh.metadata["age_minutes"].value < 5

    manifest_path = tmp_path / "published" / current_version(tmp_path / "published") / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["published_at"] = (datetime.now() - timedelta(minutes=61)).isoformat(timespec="seconds")
    manifest_path.write_text(json.dumps(manifest))
    stale = snapshot_fresh(orderlens=resource)
    assert (stale.passed, stale.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert 61 <= stale.metadata["age_minutes"].value < 62
    monkeypatch.setenv("ORDERLENS_SNAPSHOT_MAX_AGE_MINUTES", "120")
    assert snapshot_fresh(orderlens=resource).passed


def test_delivery_asset_materialises_and_warns_while_a_robot_fails(tmp_path, monkeypatch):
    warehouse = tmp_path / "w.duckdb"
    _warehouse_with_marts(warehouse)
    # a robot that is not there: connection refused on a closed loopback port
    monkeypatch.setenv("ORDERLENS_WECOM_WEBHOOK", "http://127.0.0.1:9/cgi-bin/webhook/send?key=k-secret")
    monkeypatch.setenv("ORDERLENS_ALERT_BACKOFF_SECONDS", "0")
    resources = {"orderlens": OrderlensConfig(warehouse=str(warehouse))}
    with dg.instance_for_test() as instance:
        result = dg.materialize([alert_deliveries], resources=resources, instance=instance)
        assert result.success
        (check,) = result.get_asset_check_evaluations()
        assert (check.check_name, check.passed, check.severity) == (
            "no_failed_deliveries",
            False,
            dg.AssetCheckSeverity.WARN,
        )
        meta = result.asset_materializations_for_node("ops__alert_deliveries")[0].metadata
        assert meta["undelivered"].value == 3 and meta["skipped_sources"].value == (
            "correction_actions, channel_health, stockout_streaks, order_risks"
        )
        assert "k-secret" not in json.dumps({k: str(v.value) for k, v in meta.items()})
        assert "k-secret" not in str(check.metadata)

        monkeypatch.delenv("ORDERLENS_WECOM_WEBHOOK")  # no robot: the log file takes them
        monkeypatch.setenv("ORDERLENS_ALERT_LOG", str(tmp_path / "alerts.log"))
        again = dg.materialize([alert_deliveries], resources=resources, instance=instance)
        (check,) = again.get_asset_check_evaluations()
        assert check.passed
        meta = again.asset_materializations_for_node("ops__alert_deliveries")[0].metadata
        assert meta["delivered_this_pass"].value == {"log": 3}
        assert meta["preview"].value.count("**缺货** → 采购") == 3
        assert meta["dagster/row_count"].value == 6  # 3 alerts x (wecom still pending, log delivered)
    assert len((tmp_path / "alerts.log").read_text().splitlines()) == 3


def test_every_asset_has_a_known_group_an_owner_and_a_description():
    from pipelines.definitions import load_definitions

    graph = load_definitions().resolve_asset_graph()
    allowed = {"ingest", "receipts", "staging", "marts", "publish", "reports", "delivery"}
    problems = [
        f"{key.to_user_string()}: group {node.group_name}, owners {node.owners}, description {bool(node.description)}"
        for key in graph.get_all_asset_keys()
        if (node := graph.get(key)).is_materializable
        and (node.group_name not in allowed or not node.owners or not node.description)
    ]
    assert problems == []
    assert graph.get(dg.AssetKey(["ops", "alert_deliveries"])).group_name == "delivery"
    assert graph.get(dg.AssetKey(["ops", "alert_deliveries"])).pools == {"orderlens_warehouse"}
    assert graph.get(dg.AssetKey(["marts", "fct_orders"])).owners == ["team:analytics-engineering"]
