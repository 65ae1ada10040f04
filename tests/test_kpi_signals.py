"""KPIs and early-warning signals on a generated landing zone, compared row for row with the generator's
truth (exact): fct_kpi_daily (kpi_daily.csv), fct_kpi_daily_warehouse (kpi_daily_warehouse.csv) and their
bases (outbound_packages.csv, inquiry_orders.csv); rpt_channel_health (channel_health.csv),
fct_stockout_streaks (stockout_streaks.csv), fct_order_risks (order_risks.csv)."""

import csv
import json
from pathlib import Path

import duckdb
import pytest

from tests.truthcheck import compare, truth_rows


@pytest.fixture(scope="module")
def generated_run(generated_zone_run):
    zone, settings, summary, result = generated_zone_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield zone, con, result, summary


KPI_COLUMNS = [
    "day",
    "orders_paid",
    "on_time_72h_rate",
    "shipped_within_24h_rate",
    "repeat_inquiry_rate",
    "avg_outbound_seconds",
]


def test_outbound_packages_match_the_truth(generated_run):
    zone, con, _, _ = generated_run
    columns = ["tracking_no", "warehouse_code", "first_scanned_at", "handed_over_at", "outbound_seconds"]
    n = compare(
        con, zone, "intermediate.int_outbound_packages", "outbound_packages.csv", columns, decimal_places=None
    )
    assert n > 1500


def test_inquiring_orders_match_the_truth(generated_run):
    zone, con, _, _ = generated_run
    columns = ["order_key", "first_inquiry_at", "inquiries", "logistics_inquiries"]
    assert (
        compare(
            con,
            zone,
            "intermediate.int_inquiries_by_order",
            "inquiry_orders.csv",
            columns,
            decimal_places=None,
        )
        > 0
    )


def test_kpi_daily_matches_the_truth(generated_run):
    zone, con, _, summary = generated_run
    days = compare(con, zone, "marts.fct_kpi_daily", "kpi_daily.csv", KPI_COLUMNS, decimal_places=None)
    assert days == 25  # every day of the window, up to the as_of day
    columns = [c for (c,) in con.execute("select column_name from (describe marts.fct_kpi_daily)").fetchall()]
    assert columns == [
        "day",
        "orders_paid",
        "on_time_72h_rate",
        "shipped_within_24h_rate",
        "difference_rate",
        "mis_shipment_rate",
        "repeat_inquiry_rate",
        "avg_aftersales_minutes",
        "avg_outbound_seconds",
    ]
    (last_day, paid, repeat) = con.execute(
        "select max(day), sum(orders_paid), max(repeat_inquiry_rate) from marts.fct_kpi_daily"
    ).fetchone()
    assert last_day.isoformat() == summary["as_of"][:10]
    (paid_orders,) = con.execute("select count(*) from marts.fct_orders where paid_at is not null").fetchone()
    assert paid == paid_orders
    assert repeat > 0  # the planted repeat inquiries show


def test_kpi_daily_by_warehouse_matches_the_truth(generated_run):
    zone, con, _, _ = generated_run
    columns = ["day", "warehouse_code", "packages", "avg_outbound_seconds"]
    assert (
        compare(
            con,
            zone,
            "marts.fct_kpi_daily_warehouse",
            "kpi_daily_warehouse.csv",
            columns,
            decimal_places=None,
        )
        > 0
    )


def test_channel_health_matches_the_truth(generated_run):
    zone, con, _, _ = generated_run
    columns = ["day", "channel", "channel_id", "orders", "unpaid_after_72h", "unpaid_rate", "alert"]
    assert (
        compare(con, zone, "marts.rpt_channel_health", "channel_health.csv", columns, decimal_places=None) > 0
    )
    # the planted bad live room, and only it, raises the alert
    bad_room = json.loads((zone / "_truth" / "meta.json").read_text(encoding="utf-8"))["planted"][
        "bad_live_room"
    ]
    alerts = con.execute(
        "select cast(day as varchar), channel_id from marts.rpt_channel_health where alert"
    ).fetchall()
    assert alerts == [(bad_room["day"], bad_room["room_id"])]


def test_stockout_streaks_match_the_truth(generated_run):
    zone, con, _, _ = generated_run
    columns = ["sku", "warehouse_scope", "first_order_at", "last_order_at", "orders_blocked"]
    assert (
        compare(con, zone, "marts.fct_stockout_streaks", "stockout_streaks.csv", columns, decimal_places=None)
        > 0
    )
    # the purchasing alert names the supplier of the SKU and exactly orders_blocked orders
    catalogue = {r["商家编码"]: r["供应商"] for r in _csv(zone / "products" / "sku_master.csv")}
    for sku, supplier, order_keys, blocked in con.execute(
        "select sku, supplier, order_keys, orders_blocked from marts.fct_stockout_streaks"
    ).fetchall():
        assert supplier == catalogue[sku]
        assert len(set(order_keys.split(";"))) == blocked


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_order_risks_match_the_truth(generated_run):
    zone, con, _, _ = generated_run
    columns = ["order_key", "risk_type", "detail", "detected_at"]
    assert compare(con, zone, "marts.fct_order_risks", "order_risks.csv", columns, decimal_places=None) > 0


def test_order_history_keeps_every_address_the_exports_showed(generated_run):
    """For each planted address-change order the history holds as many address changes as the world made
    (2 or 1), and no other order's address ever changes."""
    zone, con, _, _ = generated_run
    planted = {}
    for row in truth_rows(zone, "orders.csv"):
        anomalies = row["anomalies"].split(";")
        if "address_changed_2" in anomalies:
            planted[row["order_key"]] = 2
        elif "address_changed_1" in anomalies:
            planted[row["order_key"]] = 1
    ours = dict(
        con.execute(
            "select order_key, count(*) from intermediate.int_order_states_history"
            " where address_changed group by order_key"
        ).fetchall()
    )
    assert ours == planted
    # every export of every order was read: each order has at least one state
    (orders_with_history,) = con.execute(
        "select count(distinct order_key) from intermediate.int_order_states_history"
    ).fetchone()
    assert orders_with_history == 1800


def test_the_new_marts_pass_their_checks(generated_run):
    _, _, result, _ = generated_run
    built = {name.split(".")[-1] for name in result.marts_built}
    assert {
        "fct_kpi_daily",
        "fct_kpi_daily_warehouse",
        "rpt_channel_health",
        "fct_stockout_streaks",
        "fct_order_risks",
    } <= built
    assert result.failed_checks == []


def test_risk_page_shows_the_mart_signals(generated_run, monkeypatch):
    """风险预警 on the published snapshot: the counts equal the marts, every signal is listed, and the
    drill-down of a stock-out streak lists exactly its blocked orders."""
    from streamlit.testing.v1 import AppTest

    zone, con, result, _ = generated_run
    published = zone.parent / "published"
    assert result.published_version and (published / result.published_version).is_dir()
    monkeypatch.setenv("ORDERLENS_PUBLISHED", str(published))
    from pipelines import access

    users = zone.parent / "users.json"
    if not users.exists():
        access.add_user("ana", "analyst", "analyst-pass", users)
    monkeypatch.setenv("ORDERLENS_USERS_FILE", str(users))
    (channel,) = con.execute("select count(*) from marts.rpt_channel_health where alert").fetchone()
    (streaks,) = con.execute("select count(*) from marts.fct_stockout_streaks").fetchone()
    (risks,) = con.execute("select count(*) from marts.fct_order_risks").fetchone()
    (streak_orders,) = con.execute(
        "select orders_blocked from marts.fct_stockout_streaks order by streak_key limit 1"
    ).fetchone()

    app = str(Path(__file__).resolve().parent.parent / "apps" / "streamlit" / "app.py")
    at = AppTest.from_file(app, default_timeout=60)
    at.session_state["orderlens_user"] = "ana"  # signed in as an analyst (the page is in that role)
    at.run()
    at.switch_page("views/risk_signals.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "信号总数 Signals": f"{channel + streaks + risks:,}",
        "渠道预警 Channel alerts": f"{channel:,}",
        "连续断货 Stock-out streaks": f"{streaks:,}",
        "订单风险 Order risks": f"{risks:,}",
    }
    truth_counts = (
        sum(r["alert"] == "true" for r in truth_rows(zone, "channel_health.csv")),
        len(truth_rows(zone, "stockout_streaks.csv")),
        len(truth_rows(zone, "order_risks.csv")),
    )
    assert (channel, streaks, risks) == truth_counts
    assert min(truth_counts) > 0  # the generator plants every kind of signal
    assert len(at.dataframe[0].value) == channel + streaks + risks
    # drill down into the stock-out streak
    box = at.selectbox[0]
    streak_option = next(i for i, label in enumerate(box.options) if "连续断货" in label)
    box.set_value(streak_option).run()
    assert not at.exception, at.exception
    assert len(at.dataframe[1].value) == streak_orders
