"""After-sales attribution, the weekly report and the mis-shipment correction loop on a generated landing zone,
compared row for row with the generator's truth (exact): fct_aftersales (aftersales_tickets.csv),
rpt_aftersales_weekly (aftersales_weekly.csv), int_mis_shipments (mis_shipments.csv), fct_correction_actions
(correction_actions.csv), int_kpi_aftersales_daily (derived from tracking.csv, mis_shipments.csv and the
tickets), the planted cluster, the rejected tickets end to end, and the HTML pages."""

import datetime as dt
import json
from collections import defaultdict

import duckdb
import pytest

from pipelines.reports.aftersales import week_label
from pipelines.runner import run_all
from pipelines.settings import load_settings
from pipelines.synthetic import generate
from tests.truthcheck import as_text, assert_same, truth_rows

# anomaly_rate 0.1 on 2,000 orders plants 10 mis-shipments (both kinds with seed 5) and a 20-ticket cluster
ORDERS, DAYS, SEED, ANOMALY_RATE = 2000, 28, 5, 0.1
FMT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory):
    zone = tmp_path_factory.mktemp("aftersales") / "landing"
    summary = generate(
        zone, orders=ORDERS, days=DAYS, seed=SEED, anomaly_rate=ANOMALY_RATE, receipts=False, progress=False
    )
    settings = load_settings(str(zone), str(zone.parent / "warehouse.duckdb"), summary["as_of"])
    result = run_all(settings)
    assert result.success, result.errors
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield zone, con, result, settings


TICKET_COLUMNS = [
    "ticket_no",
    "order_key",
    "sku",
    "category",
    "warehouse_code",
    "reason_tags",
    "applied_at",
    "resolved_at",
    "hour_slot",
    "handling_minutes",
    "refund_amount",
    "customer_orders_before",
    "expected_items",
    "shipped_items",
    "item_discrepancy",
]


def test_every_ticket_matches_the_truth(generated_run):
    zone, con, _, _ = generated_run
    truth = [tuple(row[c] for c in TICKET_COLUMNS) for row in truth_rows(zone, "aftersales_tickets.csv")]
    rows = con.execute(f"select {', '.join(TICKET_COLUMNS)} from marts.fct_aftersales").fetchall()
    assert all(isinstance(r[TICKET_COLUMNS.index("reason_tags")], list) for r in rows)  # a list, not text
    assert_same("fct_aftersales", [tuple(as_text(v, 2) for v in r) for r in rows], truth)
    # the association is not trivially empty: multi-tag tickets, returning customers, differing items
    column = {c: [r[i] for r in truth] for i, c in enumerate(TICKET_COLUMNS)}
    assert sum("|" in t for t in column["reason_tags"]) >= 3
    assert sum(n != "0" for n in column["customer_orders_before"]) >= 3
    assert any(d.startswith("missing gift ") for d in column["item_discrepancy"])
    assert any("extra " in d for d in column["item_discrepancy"])


def test_each_ticket_carries_its_orders_payments_and_match_status(generated_run):
    """The ticket's payments come from the three-way match (both payment streams): paid amount, match
    status and difference type equal the truth's for the ticket's order."""
    zone, con, _, _ = generated_run
    orders = {r["order_key"]: r for r in truth_rows(zone, "orders.csv")}
    tickets = truth_rows(zone, "aftersales_tickets.csv")
    truth = [
        (
            t["ticket_no"],
            orders[t["order_key"]]["paid_amount"]
            if orders[t["order_key"]]["in_match_scope"] == "true"
            else "",
            orders[t["order_key"]]["match_status"],
            orders[t["order_key"]]["difference_type"],
        )
        for t in tickets
    ]
    rows = con.execute(
        "select ticket_no, paid_amount, match_status, difference_type from marts.fct_aftersales"
    ).fetchall()
    assert_same("fct_aftersales payments", [tuple(as_text(v, 2) for v in r) for r in rows], truth)
    assert sum(r[2] == "pending" for r in rows) >= 1 and sum(r[2] == "matched" for r in rows) >= 1


def test_every_weekly_row_matches_the_truth(generated_run):
    zone, con, _, _ = generated_run
    weekly_truth = truth_rows(zone, "aftersales_weekly.csv")
    columns = list(weekly_truth[0])
    decimals = {c: 2 if c == "avg_handling_minutes" else 4 for c in columns}
    rows = con.execute(f"select {', '.join(columns)} from marts.rpt_aftersales_weekly").fetchall()
    ours = [tuple(as_text(v, decimals[c]) for v, c in zip(r, columns, strict=True)) for r in rows]
    assert_same("rpt_aftersales_weekly", ours, [tuple(r[c] for c in columns) for r in weekly_truth])
    assert len({r["week_start"] for r in weekly_truth}) >= 4


def test_the_planted_cluster_is_rank_1_with_its_category_and_warehouse(generated_run):
    zone, con, _, _ = generated_run
    planted = json.loads((zone / "_truth" / "meta.json").read_text(encoding="utf-8"))["planted"]
    cluster = planted["aftersales_cluster"]
    assert (cluster["tag"], cluster["category"], cluster["warehouse"]) == ("包装破损", "猫砂系列", "WH-CD")
    cluster_orders = {
        r["order_key"]
        for r in truth_rows(zone, "orders.csv")
        if "aftersales_cluster" in r["anomalies"].split(";")
    }
    per_week = defaultdict(int)
    for t in truth_rows(zone, "aftersales_tickets.csv"):
        if t["order_key"] in cluster_orders and cluster["tag"] in t["reason_tags"].split("|"):
            day = dt.datetime.strptime(t["applied_at"], FMT).date()
            per_week[day - dt.timedelta(days=day.weekday())] += 1
    assert sum(per_week.values()) == cluster["tickets"] == 20
    weeks = sorted(w for w, n in per_week.items() if n >= 5)  # the weeks the cluster concentrates in
    assert len(weeks) >= 2
    for week in weeks:
        row = con.execute(
            "select rank, top_category, top_warehouse from marts.rpt_aftersales_weekly "
            "where week_start = ? and reason_tag = ?",
            [week, cluster["tag"]],
        ).fetchone()
        assert row == (1, cluster["category"], cluster["warehouse"]), week


def test_mis_shipments_match_the_truth(generated_run):
    zone, con, _, _ = generated_run
    columns = [
        "order_key",
        "kind",
        "ordered_sku",
        "shipped_sku",
        "warehouse_code",
        "wave_no",
        "tracking_no",
        "detected_at",
    ]
    truth = [tuple(r[c] for c in columns) for r in truth_rows(zone, "mis_shipments.csv")]
    rows = con.execute(f"select {', '.join(columns)} from intermediate.int_mis_shipments").fetchall()
    assert_same("int_mis_shipments", [tuple(as_text(v) for v in r) for r in rows], truth)
    assert {r[1] for r in truth} == {"wrong_item", "missing_gift"}


def test_every_correction_action_matches_the_truth(generated_run):
    zone, con, _, _ = generated_run
    columns = ["trigger_ref", "action_type", "target", "warehouse_code", "sku", "created_at"]
    truth = [tuple(r[c] for c in columns) for r in truth_rows(zone, "correction_actions.csv")]
    rows = con.execute(f"select {', '.join(columns)} from marts.fct_correction_actions").fetchall()
    assert_same("fct_correction_actions", [tuple(as_text(v) for v in r) for r in rows], truth)
    kinds = defaultdict(int)
    for r in truth:
        kinds[r[1]] += 1
    assert set(kinds) == {"freeze_order", "qc_task", "supplier_alert"}
    assert kinds["qc_task"] < len(truth_rows(zone, "mis_shipments.csv"))  # a SKU mis-shipped twice: one task


def test_rejected_tickets_are_audited_and_not_in_the_mart(generated_run):
    """No tag, an unknown tag, 其他 without 补充说明: rejected at ingest (truth rejected_rows.csv), listed in
    audit_rejected_rows with the reason, and absent from fct_aftersales."""
    zone, con, _, _ = generated_run
    truth = {
        (r["source_file"], int(r["row_number"]))
        for r in truth_rows(zone, "rejected_rows.csv")
        if r["source"] == "aftersales"
    }
    audited = con.execute(
        "select source_file, row_number, reason, raw from marts.audit_rejected_rows where source = 'aftersales_tickets'"
    ).fetchall()
    assert {(f, n) for f, n, _, _ in audited} == truth
    reasons = sorted(reason for _, _, reason, _ in audited)
    assert any("holds no tag" in r or "is empty" in r for r in reasons), reasons
    assert any("is not a standard tag" in r for r in reasons), reasons
    assert any("其他 needs 补充说明" in r for r in reasons), reasons
    rejected_tickets = {json.loads(raw)["售后单号"] for _, _, _, raw in audited}
    in_mart = {t for (t,) in con.execute("select ticket_no from marts.fct_aftersales").fetchall()}
    assert len(rejected_tickets) == len(truth) >= 3
    assert rejected_tickets & in_mart == set()
    assert len(in_mart) == len(truth_rows(zone, "aftersales_tickets.csv"))


def test_kpi_aftersales_daily_matches_values_derived_from_the_truth(generated_run):
    zone, con, _, _ = generated_run
    first_out: dict[str, dt.datetime] = {}
    for parcel in truth_rows(zone, "tracking.csv"):
        if parcel["outbound_at"]:
            at = dt.datetime.strptime(parcel["outbound_at"], FMT)
            for key in parcel["order_keys"].split(";"):
                first_out[key] = min(first_out.get(key, at), at)
    shipped = defaultdict(int)
    for at in first_out.values():
        shipped[at.date()] += 1
    mis = defaultdict(set)
    for m in truth_rows(zone, "mis_shipments.csv"):
        mis[dt.datetime.strptime(m["detected_at"], FMT).date()].add(m["order_key"])
    seconds = defaultdict(list)
    for t in truth_rows(zone, "aftersales_tickets.csv"):
        if t["resolved_at"]:
            resolved = dt.datetime.strptime(t["resolved_at"], FMT)
            applied = dt.datetime.strptime(t["applied_at"], FMT)
            seconds[resolved.date()].append(int((resolved - applied).total_seconds()))
    expected = {
        day: (
            len(mis[day]) / shipped[day] if shipped[day] else None,
            sum(seconds[day]) / len(seconds[day]) / 60 if seconds[day] else None,
        )
        for day in set(shipped) | set(seconds)
    }
    ours = {
        day: (rate, minutes)
        for day, rate, minutes in con.execute(
            "select day, mis_shipment_rate, avg_aftersales_minutes from intermediate.int_kpi_aftersales_daily"
        ).fetchall()
    }
    assert ours == expected
    assert sum(1 for rate, _ in ours.values() if rate) >= 1


def test_the_weekly_report_is_written_as_html_pages(generated_run):
    zone, _, _, settings = generated_run
    weekly = truth_rows(zone, "aftersales_weekly.csv")
    tags_per_week = defaultdict(set)
    for row in weekly:
        tags_per_week[row["week_start"]].add(row["reason_tag"])
    expected = {f"aftersales-{week_label(dt.date.fromisoformat(w))}.html" for w in tags_per_week}
    assert settings.reports_dir == settings.warehouse_path.parent / "reports"
    assert {p.name for p in settings.reports_dir.glob("aftersales-*.html")} == expected
    for week, tags in tags_per_week.items():
        page = (
            settings.reports_dir / f"aftersales-{week_label(dt.date.fromisoformat(week))}.html"
        ).read_text(encoding="utf-8")
        assert f"{TITLE_TEXT} {week_label(dt.date.fromisoformat(week))}" in page
        assert all(f"<td>{tag}</td>" in page for tag in tags), (week, tags)
        # self-contained: plotly.js is inline (no <script src=...>), the charts are drawn by it
        assert "<script src=" not in page and '<script type="text/javascript" src=' not in page
        assert "Plotly.newPlot" in page and len(page) > 1_000_000


TITLE_TEXT = "售后周报"


def test_the_after_sales_marts_pass_their_checks(generated_run):
    _, _, result, _ = generated_run
    assert {"fct_aftersales", "rpt_aftersales_weekly", "fct_correction_actions"} <= set(result.marts_built)
    assert result.failed_checks == []
    assert any(c.startswith("marts/rpt_aftersales_weekly:") for c in result.passed_checks)


def test_the_renderer_escapes_input_text_and_writes_nothing_without_weeks():
    """Pure renderer: no weeks → no page; text from the landing zone is escaped; the same frames give the
    same bytes."""
    import pandas as pd

    from pipelines.reports.aftersales import render_all

    empty = pd.DataFrame(columns=["week_start", "reason_tag", "tickets", "share_of_tickets", "rank"])
    assert render_all(empty) == {}
    weekly = pd.DataFrame(
        [
            {
                "week_start": dt.date(2026, 11, 2),
                "reason_tag": "包装破损",
                "tickets": 3,
                "share_of_tickets": 0.75,
                "rank": 1,
                "top_sku": "<script>alert(1)</script>",
                "top_sku_share": 2 / 3,
                "top_category": "猫砂系列",
                "top_category_share": 1.0,
                "top_warehouse": None,
                "top_warehouse_share": 1.0,
                "top_hour_slot": "08:00-10:00",
                "top_hour_slot_share": 1.0,
                "avg_handling_minutes": 61.5,
            }
        ]
    )
    pages = render_all(weekly, None, "2026-11-08 23:00:00")
    assert list(pages) == ["aftersales-2026-W45.html"]
    page = pages["aftersales-2026-W45.html"]
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<td>包装破损</td>" in page and "猫砂系列（100.0%）" in page and "75.0%" in page
    assert render_all(weekly, None, "2026-11-08 23:00:00") == pages


def test_a_report_cell_with_several_tags_is_a_list_not_an_error():
    """A ticket with two or more reason tags reaches the weekly HTML as a numpy array (the 10M build's report
    failed on `pd.isna(array)`); one tag, none, and plain values as before."""
    import numpy as np

    from pipelines.reports.aftersales import _cell

    assert _cell("reason_tags", np.array(["错发", "少件"])) == ("错发、少件", False)
    assert _cell("reason_tags", np.array(["错发"])) == ("错发", False)
    assert _cell("reason_tags", ["错发", "破损"]) == ("错发、破损", False)
    assert _cell("reason_tags", None) == ("—", False)
    assert _cell("sku", float("nan")) == ("—", False)
    assert _cell("tickets", 3) == ("3", True)
