"""抖店 parser and the exactly-once loader, on the hand-made fixture (truth in make_douyin_fixture.py)."""

from datetime import datetime
from decimal import Decimal

import duckdb

from pipelines.ingest import ingest_source
from pipelines.sources.registry import SOURCES

FIRST = "orders/douyin/douyin_orders_20261012_230000.csv"


def test_quirky_rows_are_typed_and_bad_ones_rejected_with_reasons(douyin_landing):
    con = duckdb.connect()
    ingest_source(con, SOURCES["orders_douyin"], douyin_landing, datetime(2026, 10, 14, 9))
    rows = con.execute(
        "select sub_order_no, order_no, line_amount, tracking_nos, status, paid_at, _row_number "
        "from raw.orders_douyin where _source_file = ? order by _row_number",
        [FIRST],
    ).fetchall()
    assert rows == [
        # ="…" unwrapped, trailing \t gone, text not float; ¥ and thousands separator; two tracking numbers
        ("6920000000000000101", "6920000000000000001", Decimal("1299.00"), "JT0001;JT0002", "shipped",
         datetime(2026, 10, 12, 10, 0, 5), 2),
        ("6920000000000000102", "6920000000000000001", Decimal("0.00"), "JT0001;JT0002", "shipped",
         datetime(2026, 10, 12, 10, 0, 5), 3),
        ("6920000000000000201", "6920000000000000002", Decimal("59.90"), None, "paid",
         datetime(2026, 10, 12, 10, 0, 5), 4),
        ("6920000000000000301", "6920000000000000003", Decimal("59.90"), None, "pending_payment", None, 5),
    ]  # fmt: skip
    rejected = con.execute(
        "select row_number, reason, json_extract_string(raw, '$.商品金额') from raw.rejected_rows "
        "where source_file = ? order by row_number",
        [FIRST],
    ).fetchall()
    assert rejected == [
        (6, "商品金额 '12,3x.00' is not an amount in yuan", "12,3x.00"),
        (7, "主订单编号 '6.92E+18' was destroyed by Excel (scientific notation); re-export the file without "
            "opening it in Excel", "59.90"),
        (8, "订单状态 '已发送' is not a known value (待支付, 备货中, 部分发货, 已发货, 已完成, 已取消)", "59.90"),
    ]  # fmt: skip


def test_ingest_is_exactly_once_and_loses_nothing(douyin_landing, tmp_path):
    source = SOURCES["orders_douyin"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        report = ingest_source(con, source, douyin_landing, datetime(2026, 10, 14, 9))
        statuses = {f.source_file: f.status for f in report.files}
        assert statuses == {
            FIRST: "loaded",  # oldest export first...
            "orders/douyin/copy_of_first.csv": "skipped",  # ...so its copy (same SHA-256) is not loaded twice
            "orders/douyin/douyin_broken_20261013_090000.csv": "failed",
            "orders/douyin/douyin_orders_20261013_080000.csv": "loaded",
        }
        assert report.rows_loaded == 5
        assert report.rows_rejected == 3
        # nothing lost: per file, rows read = rows loaded + rows rejected
        for read, loaded, rejected in con.execute(
            "select rows_read, rows_loaded, rows_rejected from raw._manifest where status = 'loaded'"
        ).fetchall():
            assert read == loaded + rejected
        assert con.execute("select count(*) from raw.orders_douyin").fetchone()[0] == 5
        rejects = con.execute(
            "select source_file, row_number from raw.rejected_rows order by source_file, row_number"
        ).fetchall()
        assert rejects == [
            ("orders/douyin/douyin_broken_20261013_090000.csv", 0),
            (FIRST, 6),
            (FIRST, 7),
            (FIRST, 8),
        ]
        before = con.execute("select * from raw.orders_douyin order by _source_file, _row_number").fetchall()

        again = ingest_source(con, source, douyin_landing, datetime(2026, 10, 15, 9))
        assert {f.status for f in again.files} == {"skipped"}
        after = con.execute("select * from raw.orders_douyin order by _source_file, _row_number").fetchall()
        assert after == before
        assert con.execute("select count(*) from raw.rejected_rows").fetchone()[0] == 4
        # the 19-digit id survived byte for byte
        assert (
            con.execute("select min(order_no) from raw.orders_douyin").fetchone()[0] == "6920000000000000001"
        )


def test_conservation_check_catches_a_lost_row(douyin_landing, tmp_path):
    from pipelines.ingest import conservation_violations

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ingest_source(con, SOURCES["orders_douyin"], douyin_landing, datetime(2026, 10, 14, 9))
        assert conservation_violations(con, "orders_douyin") == []
        con.execute("delete from raw.orders_douyin where sub_order_no = '6920000000000000102'")
        assert conservation_violations(con, "orders_douyin") == [(FIRST, 7, 3, 3)]
