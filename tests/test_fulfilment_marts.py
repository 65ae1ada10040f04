"""Fulfilment marts on a generated landing zone, compared row for row with the generator's truth (exact):
fct_orders (orders.csv), fct_fulfillment_heatmap (heatmap.csv), fct_sla_alerts (sla_alerts.csv) and
fct_logistics_exceptions (logistics_exceptions.csv)."""

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.runner import run_all
from pipelines.settings import load_settings
from pipelines.synthetic import generate


def _truth(zone: Path, name: str) -> list[dict]:
    with open(zone / "_truth" / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _text(value) -> str:
    """A warehouse value written the way the truth CSVs write it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _compare(con, zone: Path, mart: str, truth_file: str, columns: list[str]) -> int:
    truth = sorted(tuple(row[c] for c in columns) for row in _truth(zone, truth_file))
    ours = sorted(
        tuple(_text(v) for v in row)
        for row in con.execute(f"select {', '.join(columns)} from marts.{mart}").fetchall()
    )
    if ours != truth:
        truth_set, ours_set = set(truth), set(ours)
        missing = [r for r in truth if r not in ours_set][:10]
        extra = [r for r in ours if r not in truth_set][:10]
        lines = "\n".join([f"  missing {r}" for r in missing] + [f"  extra   {r}" for r in extra])
        pytest.fail(f"{mart}: {len(ours)} rows, truth {len(truth)}; columns {columns}\n{lines}")
    return len(truth)


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory):
    zone = tmp_path_factory.mktemp("fulfil") / "landing"
    summary = generate(zone, orders=1800, days=25, seed=23, receipts=False, progress=False)
    settings = load_settings(str(zone), str(zone.parent / "warehouse.duckdb"), summary["as_of"])
    result = run_all(settings)
    assert result.success, result.errors
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
    assert _compare(con, zone, "fct_orders", "orders.csv", ORDER_COLUMNS) == 1800


def test_gift_flag_matches_the_truth_lines(generated_run):
    zone, con, _ = generated_run
    gifts = defaultdict(bool)
    for line in _truth(zone, "order_lines.csv"):
        gifts[line["order_key"]] |= line["is_gift"] == "true"
    truth = {row["order_key"]: gifts[row["order_key"]] for row in _truth(zone, "orders.csv")}
    ours = dict(con.execute("select order_key, is_gift_included from marts.fct_orders").fetchall())
    assert ours == truth


def test_customer_key_identifies_the_same_buyers_as_the_truth(generated_run):
    """customer_key is our own pseudonymous key: per platform it must partition orders exactly as the
    world's customer id does (same buyer ⇔ same key)."""
    zone, con, _ = generated_run
    truth = {row["order_key"]: row["customer_id"] for row in _truth(zone, "orders.csv")}
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
    assert _compare(con, zone, "fct_fulfillment_heatmap", "heatmap.csv", columns) == 30 * 4
    (overdue,) = con.execute(
        "select sum(overdue_unshipped_orders) from marts.fct_fulfillment_heatmap"
    ).fetchone()
    assert overdue > 0  # the planted late orders show


def test_sla_alerts_match_the_truth(generated_run):
    zone, con, _ = generated_run
    columns = ["order_key", "alert_type", "recipient_role", "raised_at"]
    assert _compare(con, zone, "fct_sla_alerts", "sla_alerts.csv", columns) > 0
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
    assert _compare(con, zone, "fct_logistics_exceptions", "logistics_exceptions.csv", columns) > 0


def test_the_new_marts_pass_their_checks(generated_run):
    _, _, result = generated_run
    built = set(result.marts_built)
    assert {"fct_orders", "fct_fulfillment_heatmap", "fct_sla_alerts", "fct_logistics_exceptions"} <= {
        name.split(".")[-1] for name in built
    }
    assert result.failed_checks == []
