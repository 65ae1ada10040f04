"""抖店 parser and the exactly-once loader, on the hand-made fixture (truth in make_douyin_fixture.py)."""

from datetime import datetime
from decimal import Decimal

import duckdb

from pipelines.ingest import ingest_source
from pipelines.sources import douyin
from pipelines.sources.registry import SOURCES

FIRST = "orders/douyin/douyin_orders_20261012_230000.csv"


def test_parser_reads_quirky_rows_and_rejects_bad_ones(douyin_landing):
    result = douyin.parse_file(douyin_landing / FIRST)
    assert result.rows_read == 7
    assert [r["sub_order_no"] for r in result.rows] == [
        "6920000000000000101",
        "6920000000000000102",
        "6920000000000000201",
        "6920000000000000301",
    ]
    first = result.rows[0]
    assert first["order_no"] == "6920000000000000001"  # ="…" unwrapped, trailing \t gone, text not float
    assert first["line_amount"] == Decimal("1299.00")  # ¥ and thousands separator
    assert first["tracking_nos"] == "JT0001;JT0002"
    assert first["status"] == "shipped"
    assert result.rows[1]["line_amount"] == Decimal("0.00")
    assert result.rows[3]["status"] == "pending_payment" and result.rows[3]["paid_at"] is None
    assert [(r.row_number, r.reason.split(" ")[0]) for r in result.rejected] == [
        (6, "商品金额"),
        (7, "主订单编号"),
        (8, "订单状态"),
    ]
    assert "destroyed by Excel" in result.rejected[1].reason
    assert "已发送" in result.rejected[2].reason


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
