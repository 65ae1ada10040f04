"""Fulfilment marts on a generated landing zone, compared row for row with the generator's truth (exact):
fct_orders (orders.csv), fct_fulfillment_heatmap (heatmap.csv), fct_sla_alerts (sla_alerts.csv) and
fct_logistics_exceptions (logistics_exceptions.csv)."""

from collections import defaultdict

import duckdb
import pytest

from tests.truthcheck import compare, truth_rows


@pytest.fixture(scope="module")
def generated_run(generated_zone_run):
    zone, settings, _, result = generated_zone_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield zone, con, result


ORDER_COLUMNS = [
    "order_key",
    "platform",
    "order_no",
    "channel",
    "paid_at",
    "reviewed_at",
    "warehouse_code",
    "shipped_at",
    "signed_at",
    "order_amount",
    "status",
    "tracking_nos",
    "on_time_72h",
    "shipped_within_24h",
    "delay_stage",
]


def test_every_order_matches_the_truth(generated_run):
    zone, con, _ = generated_run
    assert compare(con, zone, "marts.fct_orders", "orders.csv", ORDER_COLUMNS) == 1800


def test_gift_flag_matches_the_truth_lines(generated_run):
    zone, con, _ = generated_run
    gifts = defaultdict(bool)
    for line in truth_rows(zone, "order_lines.csv"):
        gifts[line["order_key"]] |= line["is_gift"] == "true"
    truth = {row["order_key"]: gifts[row["order_key"]] for row in truth_rows(zone, "orders.csv")}
    ours = dict(con.execute("select order_key, is_gift_included from marts.fct_orders").fetchall())
    assert ours == truth


def test_customer_key_identifies_the_same_buyers_as_the_truth(generated_run):
    """customer_key is our own pseudonymous key: per platform it must partition orders exactly as the
    world's customer id does (same buyer ⇔ same key)."""
    zone, con, _ = generated_run
    truth = {row["order_key"]: row["customer_id"] for row in truth_rows(zone, "orders.csv")}
    ours = dict(con.execute("select order_key, customer_key from marts.fct_orders").fetchall())
    keys_per_customer, customers_per_key = defaultdict(set), defaultdict(set)
    for order_key, customer_key in ours.items():
        platform = order_key.split(":", 1)[0]
        keys_per_customer[(platform, truth[order_key])].add(customer_key)
        customers_per_key[customer_key].add(truth[order_key])
    assert [c for c, keys in keys_per_customer.items() if len(keys) > 1] == []
    assert [k for k, customers in customers_per_key.items() if len(customers) > 1] == []


def test_heatmap_matches_the_truth(generated_run):
    zone, con, _ = generated_run
    columns = ["day", "warehouse_code", "overdue_unshipped_orders"]
    assert compare(con, zone, "marts.fct_fulfillment_heatmap", "heatmap.csv", columns) == 30 * 4
    (overdue,) = con.execute(
        "select sum(overdue_unshipped_orders) from marts.fct_fulfillment_heatmap"
    ).fetchone()
    assert overdue > 0  # the planted late orders show


def test_sla_alerts_match_the_truth(generated_run):
    zone, con, _ = generated_run
    columns = ["order_key", "alert_type", "recipient_role", "raised_at"]
    assert compare(con, zone, "marts.fct_sla_alerts", "sla_alerts.csv", columns) > 0
    kinds = {k for (k,) in con.execute("select distinct alert_type from marts.fct_sla_alerts").fetchall()}
    assert kinds == {"review_pending", "review_escalated", "stock_shortage"}


def test_logistics_exceptions_match_the_truth(generated_run):
    zone, con, _ = generated_run
    columns = [
        "tracking_no",
        "carrier",
        "order_key",
        "exception_type",
        "since",
        "last_event_at",
        "last_context",
    ]
    assert compare(con, zone, "marts.fct_logistics_exceptions", "logistics_exceptions.csv", columns) > 0


def test_the_new_marts_pass_their_checks(generated_run):
    _, _, result = generated_run
    built = set(result.marts_built)
    assert {"fct_orders", "fct_fulfillment_heatmap", "fct_sla_alerts", "fct_logistics_exceptions"} <= {
        name.split(".")[-1] for name in built
    }
    assert result.failed_checks == []
