"""The declarative CSV/XLSX loader: encodings, malformed lines, XLSX, enums with full-width punctuation."""

from datetime import datetime
from decimal import Decimal

import duckdb
import pytest
from openpyxl import Workbook

from pipelines.ingest import ingest_source
from pipelines.sources.tabular import Col, TabularSource, sniff_encoding

SPEC = TabularSource(
    name="t_orders",
    patterns=("t/*.csv", "t/*.xlsx"),
    description="test source",
    columns=(
        Col("订单号", "order_no", "id", required=True, pattern=r"\d{6}-\d{15}", hint="YYMMDD-15 digits"),
        Col("订单状态", "status_raw", "enum", required=True, values=("已发货，待收货", "待发货")),
        Col("用户实付金额(元)", "paid", "money"),
        Col("支付时间", "paid_at", "ts"),
        Col("数量", "qty", "int"),
    ),
    xlsx=True,
)
HEADER = "订单号,订单状态,用户实付金额(元),支付时间,数量\n"
GOOD = '260112-123456789012345\t,已发货，待收货\t,"1,299.00",2026/01/12 14:37,2\n'


def _load(tmp_path, name: str, data: bytes):
    (tmp_path / "t").mkdir(exist_ok=True)
    (tmp_path / "t" / name).write_bytes(data)
    con = duckdb.connect()
    report = ingest_source(con, SPEC, tmp_path, datetime(2026, 1, 13))
    return con, report


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_every_encoding_loads_the_same_row(tmp_path, encoding):
    con, report = _load(tmp_path, "a.csv", (HEADER + GOOD).encode(encoding))
    assert report.rows_loaded == 1, report.files
    assert con.execute("select order_no, status_raw, paid, paid_at, qty from raw.t_orders").fetchall() == [
        ("260112-123456789012345", "已发货,待收货", Decimal("1299.00"), datetime(2026, 1, 12, 14, 37), 2)
    ]


def test_sniff_encoding(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(("订单号\n" * 1000).encode("gb18030"))
    assert sniff_encoding(path) == "gb18030"
    path.write_bytes(("订单号\n" * 1000).encode("utf-16-le"))
    assert sniff_encoding(path) == "utf-16-le"


def test_malformed_lines_are_rejected_with_their_line_numbers(tmp_path):
    body = (
        HEADER
        + GOOD
        + "260112-123456789012346,待发货\n"
        + GOOD.replace("123456789012345", "123456789012347")
        + "a,b,c,d,e,f,g\n"
    )
    con, report = _load(tmp_path, "a.csv", body.encode())
    assert (report.rows_loaded, report.rows_rejected) == (2, 2)
    assert con.execute("select order_no, _row_number from raw.t_orders order by 2").fetchall() == [
        ("260112-123456789012345", 2),
        ("260112-123456789012347", 4),
    ]
    rejected = con.execute("select row_number, reason from raw.rejected_rows order by 1").fetchall()
    assert [r[0] for r in rejected] == [3, 5]
    assert all(r[1].startswith("malformed CSV line") for r in rejected)
    read, loaded, bad = con.execute(
        "select rows_read, rows_loaded, rows_rejected from raw._manifest"
    ).fetchone()
    assert read == loaded + bad == 4


def test_bad_cells_name_column_and_value(tmp_path):
    body = (
        HEADER
        + "2.60112E+20,待发货,1.00,,1\n"
        + "12345,待发货,1.00,,1\n"
        + "260112-123456789012345,已收货,x,昨天,1.5x\n"
    )
    con, _ = _load(tmp_path, "a.csv", body.encode())
    reasons = [
        r[0] for r in con.execute("select reason from raw.rejected_rows order by row_number").fetchall()
    ]
    assert reasons == [
        "订单号 '2.60112E+20' was destroyed by Excel (scientific notation); re-export the file without opening it in Excel",
        "订单号 '12345' does not look like an order number (expected YYMMDD-15 digits)",
        "订单状态 '已收货' is not a known value (已发货，待收货, 待发货); 用户实付金额(元) 'x' is not an amount in yuan; "
        "支付时间 '昨天' is not a time (expected YYYY-MM-DD HH:MM:SS); 数量 '1.5x' is not a whole number",
    ]


def test_xlsx_export(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["订单号", "订单状态", "用户实付金额(元)", "支付时间", "数量"])
    ws.append(["260112-123456789012345\t", "待发货", 59.9, datetime(2026, 1, 12, 14, 37, 13), 3])
    (tmp_path / "t").mkdir()
    wb.save(tmp_path / "t" / "a.xlsx")
    con = duckdb.connect()
    report = ingest_source(con, SPEC, tmp_path, datetime(2026, 1, 13))
    assert report.rows_loaded == 1
    assert con.execute("select order_no, paid, paid_at, qty from raw.t_orders").fetchall() == [
        ("260112-123456789012345", Decimal("59.90"), datetime(2026, 1, 12, 14, 37, 13), 3)
    ]


CELLS = TabularSource(
    name="t_cells",
    patterns=("c/*.csv",),
    description="every kind, plain cells and quirky ones",
    columns=(
        Col("金额", "amount", "money"),
        Col("数量", "qty", "int"),
        Col("快递单号", "tracking", "tracking"),
        Col("状态", "status", "enum", values=("已发货，待收货", "待发货")),
        Col("备注", "remark"),
    ),
)


def test_plain_and_quirky_cells_are_typed_alike(tmp_path):
    """Plain cells take cheap paths (cast as is); quirky ones the full cleaning: both give the same values."""
    rows = [
        ("46.90", "2", "SF1", "待发货", "x", (Decimal("46.90"), 2, "SF1", "待发货", "x")),
        ("-5", "0012", "No123", "已发货,待收货", "无", (Decimal("-5.00"), 12, "123", "已发货,待收货", None)),
        ("¥46.9", "1,000", "NO:SF1;SF2", "已发货，待收货", " a\u00a0b ", (Decimal("46.90"), 1000, "SF1;SF2",
                                                                       "已发货,待收货", "a b")),
        ('="46.90"', "２", "no:SF1/SF1", '="待发货"', "'0012", (Decimal("46.90"), 2, "SF1", "待发货", "0012")),
        ("１２.５", "\t3\t", "sf1 sf2", "待发货\t", "-", (Decimal("12.50"), 3, "sf1;sf2", "待发货", None)),
        ("1,299.00元", "7", "AB12", "\u3000待发货", "", (Decimal("1299.00"), 7, "AB12", "待发货", None)),
        ("-", "", "-", "", "N/A", (None, None, None, None, None)),
    ]  # fmt: skip
    (tmp_path / "c").mkdir()
    with open(tmp_path / "c" / "a.csv", "w", encoding="utf-8", newline="") as f:
        import csv

        w = csv.writer(f)
        w.writerow(["金额", "数量", "快递单号", "状态", "备注"])
        for *cells, _expected in rows:
            w.writerow(cells)
    con = duckdb.connect()
    ingest_source(con, CELLS, tmp_path, datetime(2026, 1, 13))
    assert con.execute("select reason from raw.rejected_rows").fetchall() == []
    got = con.execute(
        "select amount, qty, tracking, status, remark from raw.t_cells order by _row_number"
    ).fetchall()
    assert got == [expected for *_cells, expected in rows]
