"""抖店 order export (商品维度 CSV): one row per 子订单 (SKU line). CONTRACT §1.1."""

from __future__ import annotations

import re
from pathlib import Path

from .common import (
    CellError,
    ParseResult,
    Rejected,
    Source,
    clean_cell,
    parse_id,
    parse_int,
    parse_money,
    parse_timestamp,
    read_csv_rows,
    split_tracking_numbers,
)

SOURCE = "orders_douyin"

COLUMNS = [
    "主订单编号", "子订单编号", "选购商品", "商品ID", "商家编码", "商品数量", "商品金额",
    "订单应付金额", "订单提交时间", "支付完成时间", "订单完成时间", "订单状态", "售后状态", "收件人",
    "收件人手机号", "省", "市", "区", "街道", "详细地址", "达人ID", "达人昵称", "直播间ID", "视频ID",
    "流量来源", "快递公司", "快递单号", "发货时间", "商家备注",
]  # fmt: skip

# 订单状态 -> canonical order status (fct_orders.status); 售后状态 退款成功 overrides to refunded.
STATUS_MAP = {
    "待支付": "pending_payment",
    "备货中": "paid",
    "部分发货": "shipped",
    "已发货": "shipped",
    "已完成": "completed",
    "已取消": "cancelled",
}
AFTERSALE_STATUSES = {"售后中", "退款成功", "售后关闭"}

_ORDER_NO = re.compile(r"^\d{10,20}$")

# Typed output columns, in order: the shape of raw.orders_douyin (plus the _ lineage columns).
RAW_COLUMNS = {
    "order_no": "VARCHAR",
    "sub_order_no": "VARCHAR",
    "product_title": "VARCHAR",
    "product_id": "VARCHAR",
    "sku": "VARCHAR",
    "quantity": "INTEGER",
    "line_amount": "DECIMAL(18,2)",
    "order_amount": "DECIMAL(18,2)",
    "created_at": "TIMESTAMP",
    "paid_at": "TIMESTAMP",
    "completed_at": "TIMESTAMP",
    "status_raw": "VARCHAR",
    "aftersale_status_raw": "VARCHAR",
    "status": "VARCHAR",
    "receiver_name": "VARCHAR",
    "receiver_phone": "VARCHAR",
    "province": "VARCHAR",
    "city": "VARCHAR",
    "district": "VARCHAR",
    "street": "VARCHAR",
    "address": "VARCHAR",
    "author_id": "VARCHAR",
    "author_name": "VARCHAR",
    "room_id": "VARCHAR",
    "video_id": "VARCHAR",
    "traffic_source": "VARCHAR",
    "courier": "VARCHAR",
    "tracking_nos": "VARCHAR",
    "shipped_at": "TIMESTAMP",
    "merchant_remark": "VARCHAR",
}


def _canonical_status(status_raw: str | None, aftersale_raw: str | None) -> str:
    if status_raw is None:
        raise CellError("订单状态 is empty")
    if status_raw not in STATUS_MAP:
        raise CellError(f"订单状态 {status_raw!r} is not a known 抖店 status ({', '.join(STATUS_MAP)})")
    if aftersale_raw is not None and aftersale_raw not in AFTERSALE_STATUSES:
        raise CellError(f"售后状态 {aftersale_raw!r} is not a known 抖店 after-sales status")
    if aftersale_raw == "退款成功":
        return "refunded"
    return STATUS_MAP[status_raw]


def parse_row(row: dict) -> dict:
    """One CSV record (header -> cell) to a typed line. Raises CellError naming the column."""
    status_raw = clean_cell(row["订单状态"])
    aftersale_raw = clean_cell(row["售后状态"])
    return {
        "order_no": parse_id(row["主订单编号"], "主订单编号", _ORDER_NO),
        "sub_order_no": parse_id(row["子订单编号"], "子订单编号", _ORDER_NO),
        "product_title": clean_cell(row["选购商品"]),
        "product_id": clean_cell(row["商品ID"]),
        "sku": clean_cell(row["商家编码"]),
        "quantity": parse_int(row["商品数量"], "商品数量"),
        "line_amount": parse_money(row["商品金额"], "商品金额"),
        "order_amount": parse_money(row["订单应付金额"], "订单应付金额"),
        "created_at": parse_timestamp(row["订单提交时间"], "订单提交时间", required=True),
        "paid_at": parse_timestamp(row["支付完成时间"], "支付完成时间"),
        "completed_at": parse_timestamp(row["订单完成时间"], "订单完成时间"),
        "status_raw": status_raw,
        "aftersale_status_raw": aftersale_raw,
        "status": _canonical_status(status_raw, aftersale_raw),
        "receiver_name": clean_cell(row["收件人"]),
        "receiver_phone": clean_cell(row["收件人手机号"]),
        "province": clean_cell(row["省"]),
        "city": clean_cell(row["市"]),
        "district": clean_cell(row["区"]),
        "street": clean_cell(row["街道"]),
        "address": clean_cell(row["详细地址"]),
        "author_id": clean_cell(row["达人ID"]),
        "author_name": clean_cell(row["达人昵称"]),
        "room_id": clean_cell(row["直播间ID"]),
        "video_id": clean_cell(row["视频ID"]),
        "traffic_source": clean_cell(row["流量来源"]),
        "courier": clean_cell(row["快递公司"]),
        "tracking_nos": ";".join(split_tracking_numbers(row["快递单号"])) or None,
        "shipped_at": parse_timestamp(row["发货时间"], "发货时间"),
        "merchant_remark": clean_cell(row["商家备注"]),
    }


def parse_file(path: Path) -> ParseResult:
    """Parse one 抖店 export. Bad rows are returned as Rejected (row_number = line in the file, header = 1)."""
    records, _encoding = read_csv_rows(path, COLUMNS)
    result = ParseResult(rows_read=len(records))
    for index, record in enumerate(records):
        row_number = index + 2
        if "__malformed__" in record:
            result.rejected.append(
                Rejected(
                    row_number,
                    f"row has {record['__width__']} cells but the header has {record['__header_width__']}",
                    {"cells": record["__malformed__"]},
                )
            )
            continue
        try:
            result.rows.append({**parse_row(record), "_row_number": row_number})
        except CellError as exc:
            result.rejected.append(Rejected(row_number, str(exc), record))
    return result


SPEC = Source(
    name=SOURCE,
    patterns=("orders/douyin/*.csv",),
    parse_file=parse_file,
    columns=RAW_COLUMNS,
    description="抖店 order export, one row per 子订单 (SKU line), CONTRACT §1.1",
)
