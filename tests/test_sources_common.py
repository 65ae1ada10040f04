"""Cell cleaning, encodings, money, ids: the helpers every landing parser relies on."""

import os
from datetime import datetime
from decimal import Decimal

import pytest

from pipelines.sources.common import (
    CellError,
    clean_cell,
    clean_header,
    decode_bytes,
    export_time_of,
    parse_id,
    parse_money,
    parse_timestamp,
    split_tracking_numbers,
)

TEXT = "订单号,金额\n260112-123456789012345\t,￥1,234.50\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_decode_detects_every_contract_encoding(data, encoding):
    text, detected = decode_bytes(data)
    assert text == TEXT
    assert detected == encoding


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('="2412345678901234567"', "2412345678901234567"),
        ("260112-123456789012345\t", "260112-123456789012345"),
        ("\u00a0 张三 \u3000", "张三"),
        ("-", None),
        ("无", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_cell(cell, expected):
    assert clean_cell(cell) == expected


def test_clean_header_strips_stray_spaces_and_bom():
    assert clean_header("\ufeff 订单付款时间 ") == "订单付款时间"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("¥1,299.00", "1299.00"),
        ("￥ 59.9 ", "59.90"),
        ("59.90元\t", "59.90"),
        ("-12.00", "-12.00"),
        ("０.５０", "0.50"),
    ],
)
def test_parse_money(cell, expected):
    assert parse_money(cell, "金额") == Decimal(expected)


@pytest.mark.parametrize("cell", ["12,3x.00", "1.234", "abc"])
def test_parse_money_rejects_broken_amounts_naming_the_column(cell):
    with pytest.raises(CellError, match="金额"):
        parse_money(cell, "金额")


def test_ids_stay_text_byte_for_byte():
    assert parse_id('="2412345678901234567"', "订单编号") == "2412345678901234567"
    assert parse_id("260112-123456789012345\t", "订单号") == "260112-123456789012345"


@pytest.mark.parametrize("cell", ["2.41E+18", "6.92e+18", "2.412345678901E+18"])
def test_excel_destroyed_ids_are_rejected(cell):
    with pytest.raises(CellError, match="destroyed by Excel"):
        parse_id(cell, "订单编号")


def test_timestamps_in_every_contract_form():
    assert parse_timestamp("2026-01-12 14:37:13", "t") == datetime(2026, 1, 12, 14, 37, 13)
    assert parse_timestamp("2026/01/12 14:37", "t") == datetime(2026, 1, 12, 14, 37)
    # unix seconds are UTC instants; the warehouse keeps Asia/Shanghai wall-clock (UTC+8)
    assert parse_timestamp("1768199833", "t") == datetime(2026, 1, 12, 14, 37, 13)
    with pytest.raises(CellError, match="not a time"):
        parse_timestamp("yesterday", "t")


def test_split_tracking_numbers():
    assert split_tracking_numbers("JT0001;JT0002") == ["JT0001", "JT0002"]
    assert split_tracking_numbers("SF1,SF2；SF1") == ["SF1", "SF2"]
    assert split_tracking_numbers("No:SF1234567890123") == ["SF1234567890123"]
    assert split_tracking_numbers("-") == []


def test_export_time_from_file_name(tmp_path):
    path = tmp_path / "douyin_orders_20261012_230000.csv"
    path.write_text("x")
    assert export_time_of(path) == datetime(2026, 10, 12, 23, 0, 0)
    daily = tmp_path / "wms_WH-SH_20261024.csv"
    daily.write_text("x")
    assert export_time_of(daily) == datetime(2026, 10, 24)
    undated = tmp_path / "export.csv"
    undated.write_text("x")
    os.utime(undated, (1768199833, 1768199833))
    assert export_time_of(undated) == datetime(2026, 1, 12, 14, 37, 13)  # mtime, as Asia/Shanghai
