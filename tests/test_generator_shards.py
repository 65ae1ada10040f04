"""A sharded generator run (issue 11: the 10M zone is built shard by shard, bounded memory): a zone of 3 shards
of 400 orders, each with its own RNG stream and id ranges, appended to the same per-day files. The pipeline on
that zone reproduces the truth exactly — every per-entity file (appended shard by shard) and every aggregate
(merged from the shards' partial sums). One shard is the unsharded world byte for byte."""

import json
import os
import subprocess

import duckdb
import pytest

from pipelines.synthetic import generate
from tests.test_aftersales import TICKET_COLUMNS
from tests.test_fulfilment_marts import ORDER_COLUMNS
from tests.test_kpi_signals import KPI_COLUMNS
from tests.test_reconciliation import BIN, MATCH_COLUMNS, ROOT, fill_perfect_receipts
from tests.truthcheck import as_text, assert_same, compare, truth_rows

ORDERS, DAYS, SEED, SHARD = 1200, 24, 34, 400


@pytest.fixture(scope="module")
def sharded_run(tmp_path_factory, dbt_manifest, dagster_home):
    from pipelines.runner import run_all
    from pipelines.settings import load_settings

    base = tmp_path_factory.mktemp("sharded")
    zone = base / "landing"
    summary = generate(
        zone, orders=ORDERS, days=DAYS, seed=SEED, receipts=False, progress=False, shard_size=SHARD
    )
    assert summary["shards"] == 3
    settings = load_settings(str(zone), str(base / "warehouse.duckdb"), summary["as_of"])
    result = run_all(settings)
    assert result.success, result.errors
    # receipts as a perfect OCR reads them (as tests/test_reconciliation.py does), then what depends on them
    with duckdb.connect(str(settings.warehouse_path)) as con:
        assert fill_perfect_receipts(con, zone) == summary["truth"]["receipts"] > 0
    proc = subprocess.run(
        [str(BIN / "dbt"), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--select", "+fct_bank_receipts+", "--vars", json.dumps({"as_of": summary["as_of"]}),
         "--target-path", str(base / "dbt_target"), "--log-path", str(base / "dbt_logs")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "ORDERLENS_WAREHOUSE": str(settings.warehouse_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield zone, con, summary, result


def test_every_order_of_every_shard_matches_the_truth(sharded_run):
    zone, con, summary, _ = sharded_run
    assert compare(con, zone, "marts.fct_orders", "orders.csv", ORDER_COLUMNS) == ORDERS
    keys = [r["order_key"] for r in truth_rows(zone, "orders.csv")]
    assert len(set(keys)) == ORDERS  # ids are unique over the shards
    customers = {r["customer_id"] for r in truth_rows(zone, "orders.csv")}
    assert len(customers) > 400


def test_rejected_rows_and_duplicates(sharded_run):
    zone, con, _, result = sharded_run
    truth = sorted((r["source_file"], int(r["row_number"])) for r in truth_rows(zone, "rejected_rows.csv"))
    ours = con.execute(
        "select source_file, row_number from marts.audit_rejected_rows order by 1, 2"
    ).fetchall()
    assert [tuple(r) for r in ours] == truth
    assert result.rows_rejected == len(truth)


@pytest.mark.parametrize(
    ("relation", "truth_file", "columns", "options"),
    [
        (
            "marts.fct_fulfillment_heatmap",
            "heatmap.csv",
            ["day", "warehouse_code", "overdue_unshipped_orders"],
            {},
        ),
        (
            "marts.fct_sla_alerts",
            "sla_alerts.csv",
            ["order_key", "alert_type", "recipient_role", "raised_at"],
            {},
        ),
        (
            "marts.fct_logistics_exceptions",
            "logistics_exceptions.csv",
            [
                "tracking_no",
                "carrier",
                "order_key",
                "exception_type",
                "since",
                "last_event_at",
                "last_context",
            ],
            {},
        ),
        ("marts.fct_kpi_daily", "kpi_daily.csv", KPI_COLUMNS, {"decimal_places": None}),
        (
            "marts.fct_kpi_daily_warehouse",
            "kpi_daily_warehouse.csv",
            ["day", "warehouse_code", "packages", "avg_outbound_seconds"],
            {"decimal_places": None},
        ),
        (
            "intermediate.int_outbound_packages",
            "outbound_packages.csv",
            ["tracking_no", "warehouse_code", "first_scanned_at", "handed_over_at", "outbound_seconds"],
            {"decimal_places": None},
        ),
        (
            "marts.rpt_channel_health",
            "channel_health.csv",
            ["day", "channel", "channel_id", "orders", "unpaid_after_72h", "unpaid_rate", "alert"],
            {"decimal_places": None},
        ),
        (
            "marts.fct_stockout_streaks",
            "stockout_streaks.csv",
            ["sku", "warehouse_scope", "first_order_at", "last_order_at", "orders_blocked"],
            {"decimal_places": None},
        ),
        (
            "marts.fct_order_risks",
            "order_risks.csv",
            ["order_key", "risk_type", "detail", "detected_at"],
            {"decimal_places": None},
        ),
        ("marts.fct_three_way_match", "three_way_match.csv", MATCH_COLUMNS, {}),
        (
            "marts.fct_correction_actions",
            "correction_actions.csv",
            ["trigger_ref", "action_type", "target", "warehouse_code", "sku", "created_at"],
            {},
        ),
    ],
)
def test_mart_matches_the_merged_truth(sharded_run, relation, truth_file, columns, options):
    zone, con, _, _ = sharded_run
    n = compare(con, zone, relation, truth_file, columns, **options)
    # this small zone has no stock-out streak of 3 orders (the shortage alerts are compared above)
    assert n > 0 or truth_file == "stockout_streaks.csv"


def test_aftersales_tickets_and_weekly_report(sharded_run):
    zone, con, _, _ = sharded_run
    truth = [tuple(r[c] for c in TICKET_COLUMNS) for r in truth_rows(zone, "aftersales_tickets.csv")]
    rows = con.execute(f"select {', '.join(TICKET_COLUMNS)} from marts.fct_aftersales").fetchall()
    assert_same("fct_aftersales", [tuple(as_text(v, 2) for v in r) for r in rows], truth)
    weekly = truth_rows(zone, "aftersales_weekly.csv")
    columns = list(weekly[0])
    decimals = {c: 2 if c == "avg_handling_minutes" else 4 for c in columns}
    rows = con.execute(f"select {', '.join(columns)} from marts.rpt_aftersales_weekly").fetchall()
    ours = [tuple(as_text(v, decimals[c]) for v, c in zip(r, columns, strict=True)) for r in rows]
    assert_same("rpt_aftersales_weekly", ours, [tuple(r[c] for c in columns) for r in weekly])


def test_freeze_orders_reach_the_later_shards(sharded_run):
    """Shard 0 plants the mis-shipments; orders of every shard in the window are frozen."""
    zone, _, _, _ = sharded_run
    orders = truth_rows(zone, "orders.csv")
    shard_of = {r["order_key"]: i * 3 // ORDERS for i, r in enumerate(orders)}
    frozen = {
        shard_of[r["target"]]
        for r in truth_rows(zone, "correction_actions.csv")
        if r["action_type"] == "freeze_order"
    }
    assert frozen - {0}, frozen


def test_one_shard_is_the_unsharded_zone(tmp_path):
    a = generate(tmp_path / "a", orders=300, days=6, seed=4, receipts=False, progress=False, shard_size=300)
    b = generate(tmp_path / "b", orders=300, days=6, seed=4, receipts=False, progress=False, shard_size=10**9)
    assert a["shards"] == b["shards"] == 1
    fa = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    fb = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert fa == fb
    assert [p for p in fa if (tmp_path / "a" / p).read_bytes() != (tmp_path / "b" / p).read_bytes()] == []


def test_sharded_runs_are_deterministic(tmp_path):
    kw = dict(orders=300, days=6, seed=4, receipts=False, progress=False, shard_size=100)
    generate(tmp_path / "a", **kw)
    generate(tmp_path / "b", **kw)
    fa = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert [p for p in fa if (tmp_path / "a" / p).read_bytes() != (tmp_path / "b" / p).read_bytes()] == []


def test_receipt_sample_is_consistent_in_every_truth_file(tmp_path):
    """--receipt-sample N: N bank-transfer payments exist (rendered, in the truth), over every shard; a B2B
    order whose payment was left out is unpaid everywhere — orders.csv, the allocations, the match."""
    zone = tmp_path / "z"
    s = generate(
        zone, orders=1500, days=12, seed=5, progress=False, processes=1, shard_size=500, receipt_sample=12
    )
    pays = [p for p in truth_rows(zone, "payments.csv") if p["kind"] == "receipt"]
    assert len(pays) == 12
    receipts = truth_rows(zone, "receipts.csv")
    rendered = sorted(str(p.relative_to(zone)) for p in (zone / "receipts").iterdir())
    assert (
        sorted(r["source_file"] for r in receipts)
        == rendered
        == sorted(f for p in pays for f in p["source_files"].split(";"))
    )
    assert s["receipts"] == s["receipt_truth"] == len(rendered)
    # the two repeat payers of the misdirected-payer report are in the sample
    assert len(truth_rows(zone, "misdirected_payers.csv")) == 2
    allocated: dict[str, int] = {}
    for a in truth_rows(zone, "payment_allocations.csv"):
        allocated[a["order_key"]] = allocated.get(a["order_key"], 0) + 1
    matches = {m["match_key"]: m for m in truth_rows(zone, "three_way_match.csv")}
    erp = [o for o in truth_rows(zone, "orders.csv") if o["platform"] == "erp"]
    bad = []
    for o in erp:
        anomalies = o["anomalies"].split(";")
        paid = o["order_key"] in allocated
        if paid != (o["paid_amount"] != ""):
            bad.append((o["order_key"], "paid_amount", o["paid_amount"]))
        if o["in_match_scope"] == "true" and matches[o["order_key"]]["payment_refs"] == "" and paid:
            bad.append((o["order_key"], "payment_refs"))
        # no payment in the zone: the match says so (no tracking number yet, or logistics without payment)
        unpaid_kinds = ("order_without_logistics", "logistics_without_payment")
        if not paid and o["in_match_scope"] == "true" and o["difference_type"] not in unpaid_kinds:
            bad.append((o["order_key"], o["difference_type"]))
        if not paid and "b2b_amount_mismatch" in anomalies:
            bad.append((o["order_key"], "b2b_amount_mismatch without a payment"))
    assert bad == [], bad[:20]
    assert sum(o["order_key"] in allocated for o in erp) >= 3
    # against the same zone with every payment: the left-out payments' orders are unpaid and flagged so
    full = tmp_path / "full"
    generate(full, orders=1500, days=12, seed=5, progress=False, receipts=False, shard_size=500)
    erp_full = [o for o in truth_rows(full, "orders.csv") if o["platform"] == "erp"]
    assert [o["order_key"] for o in erp_full] == [o["order_key"] for o in erp]

    def unpaid(rows):
        return sum("b2b_unpaid" in o["anomalies"].split(";") for o in rows)

    assert unpaid(erp) > unpaid(erp_full)
    assert sum(o["paid_amount"] != "" for o in erp) < sum(o["paid_amount"] != "" for o in erp_full)
