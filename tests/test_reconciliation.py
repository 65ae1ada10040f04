"""Three-way reconciliation on a generated landing zone, compared row for row with the generator's truth
(exact): fct_three_way_match (three_way_match.csv and the match columns of orders.csv), every payment's
bucket and allocation (payments.csv, payment_allocations.csv), rpt_misdirected_payers, rpt_daily_differences,
the KPI difference_rate by paid day, conservation by stream, and the finance export read back from the
published snapshot.

Receipts: the zone is generated without images (receipts=False) and raw.bank_receipts is filled from
_truth/receipts.csv, one row per receipt file with the columns the OCR asset writes ("perfect OCR"), then dbt
builds everything downstream and the snapshot is published again. The comparison therefore does not depend on
OCR accuracy (real OCR flags some receipts for review that the truth considers fine)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.exports.differences import (
    HEADERS,
    TYPE_LABELS,
    DifferencesExport,
    DifferencesExportError,
    export_differences,
    write_csv,
    write_xlsx,
)
from pipelines.publish import publish
from pipelines.receipts import RAW_COLUMNS
from pipelines.runner import run_all
from pipelines.settings import load_settings
from pipelines.synthetic import generate
from tests.truthcheck import as_text, assert_same, truth_rows

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

MATCH_COLUMNS = [
    "match_key",
    "order_key",
    "order_no",
    "tracking_nos",
    "payment_refs",
    "order_amount",
    "paid_amount",
    "logistics_state",
    "match_status",
    "difference_type",
    "responsible_team",
]


def fill_perfect_receipts(con: duckdb.DuckDBPyConnection, zone: Path) -> int:
    """raw.bank_receipts from _truth/receipts.csv: what a perfect OCR of every receipt file would read."""
    con.execute("delete from raw.bank_receipts")
    rows = []
    for r in truth_rows(zone, "receipts.csv"):
        rec = dict.fromkeys(RAW_COLUMNS)
        rec.update(
            source_file=r["source_file"],
            _file_sha256=hashlib.sha256(r["source_file"].encode()).hexdigest(),
            _loaded_at=dt.datetime(2026, 1, 1),
            source_kind=r["format"],
            bank=r["bank"],
            receipt_no=r["receipt_no"],
            txn_serial=r["txn_serial"],
            # only CMB prints the time of day (the OCR reads it into txn_date); the others a date
            txn_date=f"{r['txn_date']} {r['txn_time']}"
            if r["bank"] == "CMB" and r["txn_time"]
            else r["txn_date"],
            payer_name=r["payer_name"],
            payer_account=r["payer_account"],
            payer_bank=r["payer_bank"],
            payee_name=r["payee_name"],
            payee_account=r["payee_account"],
            payee_bank=r["payee_bank"],
            # the figure the receipt prints; a words/figure disagreement is what needs_review says
            amount=r["amount"],
            amount_in_words_ok=r["words_ok"] == "true",
            purpose=r["purpose"],
            summary=r["summary"],
            order_nos=r["order_nos"] or None,
            is_reprint=r["is_reprint"] == "true",
            confidence=99.0,
            needs_review=r["needs_review"] == "true",
            review_reason=r["review_reason"] or None,
        )
        rows.append([rec[c] for c in RAW_COLUMNS])
    placeholders = ", ".join(f"cast(? as {t})" for t in RAW_COLUMNS.values())
    con.executemany(f"insert into raw.bank_receipts ({', '.join(RAW_COLUMNS)}) values ({placeholders})", rows)
    return len(rows)


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory):
    zone = tmp_path_factory.mktemp("recon") / "landing"
    summary = generate(zone, orders=1500, days=24, seed=31, receipts=False, progress=False)
    settings = load_settings(str(zone), str(zone.parent / "warehouse.duckdb"), summary["as_of"])
    result = run_all(settings)
    assert result.success, result.errors
    assert "intermediate/int_three_way_match_conservation:assert_three_way_match_conserves_streams" in (
        result.passed_checks
    )
    with duckdb.connect(str(settings.warehouse_path)) as con:
        assert fill_perfect_receipts(con, zone) == summary["truth"]["receipts"]
    proc = subprocess.run(
        [str(BIN / "dbt"), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--select", "+fct_bank_receipts+", "--vars", json.dumps({"as_of": summary["as_of"]}),
         "--target-path", str(zone.parent / "dbt_target"), "--log-path", str(zone.parent / "dbt_logs")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "ORDERLENS_WAREHOUSE": str(settings.warehouse_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:]
    published = publish(settings.warehouse_path, settings.published_dir, summary["as_of"])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield zone, con, settings, summary, published


def test_three_way_match_equals_the_truth(reconciled):
    zone, con, *_ = reconciled
    truth = [tuple(r[c] for c in MATCH_COLUMNS) for r in truth_rows(zone, "three_way_match.csv")]
    ours = [
        tuple(as_text(v) for v in r)
        for r in con.execute(f"select {', '.join(MATCH_COLUMNS)} from marts.fct_three_way_match").fetchall()
    ]
    assert_same("fct_three_way_match", ours, truth)
    kinds = Counter(r[9] or "matched" for r in truth)
    # the zone exercises every difference type (else the comparison proves less than it claims)
    assert set(kinds) >= {
        "matched",
        "order_without_logistics",
        "logistics_without_payment",
        "amount_mismatch",
        "payment_without_order",
        "logistics_without_order",
    }, kinds


def test_order_match_columns_equal_orders_truth(reconciled):
    zone, con, *_ = reconciled
    cols = [
        "order_key",
        "match_status",
        "difference_type",
        "responsible_team",
        "paid_amount",
        "logistics_state",
    ]
    truth = [
        tuple(r[c] for c in cols) for r in truth_rows(zone, "orders.csv") if r["in_match_scope"] == "true"
    ]
    ours = [
        tuple(as_text(v) for v in r)
        for r in con.execute(
            f"select {', '.join(cols)} from marts.fct_three_way_match where item_type = 'order'"
        ).fetchall()
    ]
    assert_same("fct_three_way_match orders", ours, truth)


def test_payments_buckets_and_allocations_equal_the_truth(reconciled):
    zone, con, *_ = reconciled
    truth = [
        (r["payment_ref"], r["kind"], r["amount"], r["bucket"], r["allocations"])
        for r in truth_rows(zone, "payments.csv")
    ]
    ours = con.execute(
        """
        with alloc as (
            select payment_ref,
                   string_agg(order_key || '=' || cast(allocated_amount as varchar), ';' order by position) as a
            from intermediate.int_payment_allocations group by payment_ref
        )
        select p.payment_ref, p.payment_kind, p.amount,
               case when not p.is_counted then 'needs_review'
                    when m.match_key is not null then 'payment_without_order'
                    else 'allocated' end,
               coalesce(a.a, '')
        from intermediate.int_payments_unioned p
        left join alloc a on a.payment_ref = p.payment_ref
        left join marts.fct_three_way_match m on m.match_key = p.payment_ref and m.item_type = 'payment'
        """
    ).fetchall()
    assert_same("payments", [tuple(as_text(v) for v in r) for r in ours], truth)
    truth_alloc = [
        (r["payment_ref"], r["order_key"], r["order_no"], r["allocated_amount"])
        for r in truth_rows(zone, "payment_allocations.csv")
    ]
    ours_alloc = con.execute(
        "select payment_ref, order_key, order_no, allocated_amount from intermediate.int_payment_allocations "
        "where payment_ref like 'receipt:%'"
    ).fetchall()
    assert_same("payment_allocations", [tuple(as_text(v) for v in r) for r in ours_alloc], truth_alloc)
    # multi-order receipts are in the zone (20% of B2B payments pay two orders)
    assert any(";" in r[4] for r in truth if r[1] == "receipt"), "no multi-order receipt in the zone"
    # a re-printed receipt is one payment: the truth lists two files for it, we count it once
    assert any(";" in r["source_files"] for r in truth_rows(zone, "payments.csv")), "no re-print in the zone"


def test_misdirected_payers_equal_the_truth(reconciled):
    zone, con, *_ = reconciled
    cols = ["payer_name", "orphan_payments", "orphan_amount", "first_seen", "last_seen"]
    truth = [tuple(r[c] for c in cols) for r in truth_rows(zone, "misdirected_payers.csv")]
    ours = con.execute(f"select {', '.join(cols)} from marts.rpt_misdirected_payers").fetchall()
    assert_same("rpt_misdirected_payers", [tuple(as_text(v) for v in r) for r in ours], truth)
    assert len(truth) == 2


def test_daily_differences_hold_every_pending_row(reconciled):
    zone, con, _settings, summary, _ = reconciled
    report_date = summary["as_of"][:10]
    cols = ["match_key", "order_no", "tracking_nos", "payment_refs", "order_amount", "paid_amount",
            "difference_type", "responsible_team"]  # fmt: skip
    truth = [
        (report_date, *(r[c] for c in cols))
        for r in truth_rows(zone, "three_way_match.csv")
        if r["match_status"] == "pending"
    ]
    ours = con.execute(f"select report_date, {', '.join(cols)} from marts.rpt_daily_differences").fetchall()
    assert_same("rpt_daily_differences", [tuple(as_text(v) for v in r) for r in ours], truth)
    assert (
        con.execute("select count(*) from marts.rpt_daily_differences where detail is null").fetchone()[0]
        == 0
    )


def test_difference_rate_by_paid_day(reconciled):
    zone, con, *_ = reconciled
    scope, pending = Counter(), Counter()
    for r in truth_rows(zone, "orders.csv"):
        if r["in_match_scope"] == "true":
            scope[r["paid_at"][:10]] += 1
            pending[r["paid_at"][:10]] += r["match_status"] == "pending"
    truth = [(d, scope[d], pending[d], f"{pending[d] / scope[d]:.6f}") for d in scope]
    ours = [
        (as_text(d), n, p, f"{rate:.6f}")
        for d, n, p, rate in con.execute(
            "select day, orders_in_scope, orders_pending, difference_rate "
            "from intermediate.int_kpi_reconciliation_daily"
        ).fetchall()
    ]
    assert_same("int_kpi_reconciliation_daily", ours, truth)


def test_conservation_by_stream(reconciled):
    zone, con, *_ = reconciled
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select stream, items_in, items_out, items_under_review, violations "
            "from intermediate.int_three_way_match_conservation"
        ).fetchall()
    }
    payments = truth_rows(zone, "payments.csv")
    assert rows["orders"][:2] == (len(truth_rows(zone, "orders.csv")),) * 2
    assert rows["payments"] == (
        len(payments),
        len(payments),
        sum(r["bucket"] == "needs_review" for r in payments),
        0,
    )
    assert rows["tracking_numbers"][:2] == (len(truth_rows(zone, "tracking.csv")),) * 2
    assert all(r[-1] == 0 for r in rows.values()), rows


def test_conservation_check_fails_on_a_duplicated_row(reconciled, tmp_path):
    """The singular test really fails: copy the warehouse, duplicate one order row, run the test."""
    _zone, con, settings, summary, _ = reconciled
    copy = tmp_path / "w.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    with duckdb.connect(str(copy)) as c:
        c.execute(
            "insert into marts.fct_three_way_match select * from marts.fct_three_way_match "
            "where item_type = 'order' limit 1"
        )
    proc = subprocess.run(
        [str(BIN / "dbt"), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--select", "int_three_way_match_conservation", "--vars", json.dumps({"as_of": summary["as_of"]}),
         "--target-path", str(copy.parent / "dbt_target"), "--log-path", str(copy.parent / "dbt_logs")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "ORDERLENS_WAREHOUSE": str(copy)},
    )  # fmt: skip
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "assert_three_way_match_conserves_streams" in proc.stdout


# ----------------------------------------------------------------------------- the finance export
def _mart_rows(con) -> dict[str, list[list]]:
    by_type = defaultdict(list)
    for dtype, team, order_no, tracking, refs, oa, pa, detail in con.execute(
        "select difference_type, responsible_team, order_no, tracking_nos, payment_refs, order_amount, "
        "paid_amount, detail from marts.rpt_daily_differences order by match_key"
    ).fetchall():
        by_type[dtype].append([TYPE_LABELS[dtype], team, order_no, tracking, refs, oa, pa, detail])
    return by_type


def test_export_xlsx_has_a_sheet_per_type_with_numbers(reconciled, tmp_path):
    _zone, con, settings, summary, _ = reconciled
    out = tmp_path / "diff.xlsx"
    day = dt.date.fromisoformat(summary["as_of"][:10])
    export = export_differences(settings.published_dir, day, "xlsx", out)
    wb = load_workbook(out)
    assert wb.sheetnames == list(TYPE_LABELS.values())
    expected = _mart_rows(con)
    assert sum(export.counts.values()) == sum(len(v) for v in expected.values())
    for dtype, label in TYPE_LABELS.items():
        ws = wb[label]
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0]) == HEADERS
        got = [list(r) for r in rows[1:]]
        want = [[None if v is None else (float(v) if isinstance(v, Decimal) else v) for v in r]
                for r in expected.get(dtype, [])]  # fmt: skip
        assert got == want, (label, got[:3], want[:3])
        for row in ws.iter_rows(min_row=2):
            for cell in (row[5], row[6]):  # 订单金额, 到账金额
                assert cell.value is None or cell.data_type == "n", (label, cell.coordinate, cell.value)
                assert cell.value is None or cell.number_format == "#,##0.00", (label, cell.coordinate)


def test_export_csv_is_utf8_bom_with_the_same_rows(reconciled, tmp_path):
    _zone, con, settings, summary, _ = reconciled
    out = tmp_path / "diff.csv"
    day = dt.date.fromisoformat(summary["as_of"][:10])
    export_differences(settings.published_dir, day, "csv", out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == HEADERS
    expected = [[as_text(v) for v in r] for dtype in TYPE_LABELS for r in _mart_rows(con).get(dtype, [])]
    assert rows[1:] == expected


def test_export_refuses_another_day(reconciled, tmp_path):
    _zone, _con, settings, summary, _ = reconciled
    day = dt.date.fromisoformat(summary["as_of"][:10]) - dt.timedelta(days=1)
    with pytest.raises(DifferencesExportError, match="09:00:00"):
        export_differences(settings.published_dir, day, "xlsx", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_export_neutralises_formulas_but_keeps_numbers(tmp_path):
    export = DifferencesExport(report_date=dt.date(2026, 10, 1), as_of=None)
    export.rows = [
        ["金额不符", "出纳组", "=HYPERLINK(\"http://x\")", "+86123", "@SUM(A1)", Decimal("-17.10"), Decimal("5.00"),
         "-1 元"],
        ["有款无单", "出纳组", "\tSO1", "\rX", "receipt:ICBC:1", None, Decimal("1234.50"), "说明"],
    ]  # fmt: skip
    write_xlsx(export, tmp_path / "x.xlsx")
    wb = load_workbook(tmp_path / "x.xlsx")
    r1 = [c.value for c in wb["金额不符"][2]]
    assert r1 == [
        "金额不符",
        "出纳组",
        '\'=HYPERLINK("http://x")',
        "'+86123",
        "'@SUM(A1)",
        -17.1,
        5.0,
        "'-1 元",
    ]
    assert wb["金额不符"]["F2"].data_type == "n"
    r2 = [c.value for c in wb["有款无单"][2]]
    # XML stores a lone CR as a line break: what matters is the leading apostrophe
    assert r2[3] in ("'\rX", "'\nX")
    assert r2[:3] + r2[4:] == ["有款无单", "出纳组", "'\tSO1", "receipt:ICBC:1", None, 1234.5, "说明"]
    write_csv(export, tmp_path / "x.csv")
    text = (tmp_path / "x.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    assert rows[1] == ["金额不符", "出纳组", "'=HYPERLINK(\"http://x\")", "'+86123", "'@SUM(A1)", "-17.10", "5.00",
                       "'-1 元"]  # fmt: skip


def test_export_command_writes_the_day(reconciled, tmp_path, capsys):
    from pipelines.cli import main

    _zone, con, settings, summary, _ = reconciled
    out = tmp_path / "差异.xlsx"
    day = summary["as_of"][:10]
    rc = main(["export", "differences", "--date", day, "--format", "xlsx", "--out", str(out),
               "--published", str(settings.published_dir)])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    total = con.execute("select count(*) from marts.rpt_daily_differences").fetchone()[0]
    assert f"{total} pending items of {day}" in capsys.readouterr().out
    assert sum(load_workbook(out)[s].max_row - 1 for s in TYPE_LABELS.values()) == total
