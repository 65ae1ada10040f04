"""Three-way reconciliation with real receipts (rendered images, real tesseract): a small zone.

Real OCR flags some receipts for review that the truth considers fine, so this test does not demand the
truth's every row (tests/test_reconciliation.py does, with perfect OCR). It demands what must hold whatever
the OCR flags: the run passes its conservation check; a receipt the OCR let through is allocated exactly as
the truth allocates it (never silently to the wrong order or amount); a receipt under review reaches no order;
every receipt whose 大写 disagrees with its 小写 is under review; and every B2B order whose truth payments all
came through has exactly its truth row."""

from __future__ import annotations

import csv
import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.runner import run_all
from pipelines.settings import load_settings
from pipelines.synthetic import generate

COLUMNS = ["match_key", "order_key", "order_no", "tracking_nos", "payment_refs", "order_amount", "paid_amount",
           "logistics_state", "match_status", "difference_type", "responsible_team"]  # fmt: skip


def _truth(zone: Path, name: str) -> list[dict]:
    with open(zone / "_truth" / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


@pytest.fixture(scope="module")
def ocr_run(tmp_path_factory):
    os.environ["OMP_THREAD_LIMIT"] = "1"
    zone = tmp_path_factory.mktemp("recon_ocr") / "landing"
    summary = generate(zone, orders=600, days=12, seed=5, receipts=True, progress=False, processes=2)
    assert summary["receipts"] >= 10, summary["receipts"]
    settings = load_settings(str(zone), str(zone.parent / "warehouse.duckdb"), summary["as_of"])
    result = run_all(settings)
    assert result.success, result.errors
    assert "intermediate/int_three_way_match_conservation:assert_three_way_match_conserves_streams" in (
        result.passed_checks
    )
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield zone, con


def test_receipts_let_through_are_allocated_as_the_truth_says(ocr_run):
    zone, con = ocr_run
    truth = {r["payment_ref"]: r for r in _truth(zone, "payments.csv") if r["kind"] == "receipt"}
    ours = {
        ref: (counted, allocations or "")
        for ref, counted, allocations in con.execute(
            """
            select p.payment_ref, p.is_counted,
                   string_agg(a.order_key || '=' || cast(a.allocated_amount as varchar), ';' order by a.position)
            from intermediate.int_payments_unioned p
            left join intermediate.int_payment_allocations a on a.payment_ref = p.payment_ref
            where p.payment_kind = 'receipt'
            group by all
            """
        ).fetchall()
    }
    wrong, flagged = [], []
    for ref, t in truth.items():
        counted, allocations = ours.get(ref, (False, ""))
        if t["needs_review"] == "true":
            assert not counted, f"{ref}: 大写 ≠ 小写 in the truth, yet counted as a payment"
        if not counted:
            flagged.append(ref)
            assert allocations == "", f"{ref} is under review but allocated {allocations}"
        elif allocations != t["allocations"]:
            wrong.append((ref, allocations, t["allocations"]))
    # nothing the OCR let through is allocated differently from the truth (a misread receipt number would
    # show up as an unknown ref: it must have been flagged, not counted)
    unknown = [ref for ref, (counted, _a) in ours.items() if counted and ref not in truth]
    assert not wrong and not unknown, (wrong, unknown)
    print(f"{len(truth)} receipts: {len(truth) - len(flagged)} counted, {len(flagged)} under review")
    assert len(flagged) < len(truth)


def test_b2b_orders_whose_payments_came_through_match_the_truth(ocr_run):
    zone, con = ocr_run
    counted = {
        r[0]
        for r in con.execute(
            "select payment_ref from intermediate.int_payments_unioned where is_counted"
        ).fetchall()
    }
    truth_rows = {r["match_key"]: r for r in _truth(zone, "three_way_match.csv")}
    ours = {
        r[0]: r for r in con.execute(f"select {', '.join(COLUMNS)} from marts.fct_three_way_match").fetchall()
    }
    checked = 0
    for key, t in truth_rows.items():
        if not key.startswith("erp:"):
            continue
        refs = [x for x in t["payment_refs"].split(";") if x]
        if any(x not in counted for x in refs):
            continue
        # an order the truth sees unpaid may be named by a receipt the OCR flagged: still unpaid for us
        assert tuple(_text(v) for v in ours[key]) == tuple(t[c] for c in COLUMNS), key
        checked += 1
    assert checked >= 5
