"""拼多多, 淘宝/天猫, ERP order exports and the settlement bills: hand-made files in the contract's quirks
(CONTRACT §1.2, §1.3, §1.5, §1.6), loaded through the exactly-once loader into DuckDB; then the generator's
landing zone against its truth, and the staging models built by dbt."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import conservation_violations, ingest_source
from pipelines.sources.registry import SOURCES

ROOT = Path(__file__).resolve().parent.parent
LOADED_AT = datetime(2026, 10, 25, 9)
MINE = [
    "orders_pinduoduo",
    "orders_taobao",
    "order_lines_taobao",
    "orders_erp",
    "settlements_douyin",
    "settlements_pinduoduo",
    "settlements_taobao",
    "settlements_miniprogram",
    "settlements_erp",
]


def header(names: str) -> list[str]:
    """A header as exported: comma-separated names, stray spaces kept."""
    return names.split(",")


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8", newline="\n") -> None:
    """Cells are written as given (already quoted where the export quotes them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


def load(landing: Path, *names: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in names:
        ingest_source(con, SOURCES[name], landing, LOADED_AT)
        assert conservation_violations(con, name) == []
    return con


def rejected(con, source: str) -> list[tuple]:
    return con.execute(
        "select source_file, row_number, reason from raw.rejected_rows where source = ? "
        "order by source_file, row_number",
        [source],
    ).fetchall()


# ------------------------------------------------------------------------------------------- 拼多多

PDD_HEADER = header(
    "订单号,订单状态,商品,商品id,商品规格,商家编码-规格维度,商品数量(件),商品总价(元),邮费(元),店铺优惠折扣(元),"
    "平台优惠折扣(元),用户实付金额(元),商家实收金额(元),订单成交时间,支付时间,发货时间,确认收货时间,收货人,手机,省,市,"
    "区,街道,快递单号,快递公司,售后状态,商家备注"
)


def pdd_row(
    order_no, status, amount, created, paid, shipped, received, tracking, aftersale="无售后或售后取消"
):
    t = "\t"
    return [
        f"{order_no}{t}", status, "橙镜 洁齿骨 1.5kg", f"5000245240{t}", "洁齿骨 1.5kg", f"LS0402{t}", "1",
        amount, "0.00", "0.00", "0.00", amount, amount, f"{created}{t}", f"{paid}{t}", f"{shipped}{t}",
        f"{received}{t}", "韩兰桂", "152****7734", "河北省", "石家庄市", "裕华区", "振兴路660号", f"{tracking}{t}",
        "中通快递", aftersale, "",
    ]  # fmt: skip


@pytest.fixture
def pdd_landing(tmp_path) -> Path:
    landing = tmp_path / "landing"
    rows = [
        pdd_row("261016-214095261258445", "已发货，待收货", "23.00", "2026-10-16 00:55:10", "2026-10-16 01:08:36",
                "2026-10-16 10:05:15", "", "73897261258445"),
        pdd_row("261016-864581506679524", "已收货", '"1,024.90"', "2026-10-16 21:04:11", "2026-10-16 21:05:18",
                "2026-10-16 22:53:18", "2026-10-24 03:32:33", "JT7360927328294"),
        pdd_row("261017-000000000000001", "未发货，退款成功", "66.00", "2026-10-17 09:00:00", "2026-10-17 09:01:00",
                "", "", "", aftersale="退款成功"),
        pdd_row("261017-000000000000002", "已收货", "¥99.00", "2026-10-17 10:00:00", "2026-10-17 10:01:00",
                "2026-10-17 12:00:00", "2026-10-20 08:00:00", "YT5808610690711", aftersale="退款成功"),
        pdd_row("261017-000000000000003", "待付款", "19.90", "", "", "", "", ""),
        pdd_row("261017-000000000000004", "待成团", "19.90", "2026-10-17 11:00:00", "", "", "", ""),
        pdd_row("261017-000000000000005", "待发货", '"1,2x3.00"', "2026-10-17 11:00:00", "2026-10-17 11:00:30", "",
                "", ""),
    ]  # fmt: skip
    write_csv(
        landing / "orders/pinduoduo/pdd_orders_20261024_230000.csv",
        PDD_HEADER,
        rows,
        encoding="utf-8-sig",
        newline="\r\n",
    )

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(PDD_HEADER)
    ws.append(
        ["261015-097546296610918", "已发货，待收货", "橙镜 牛肉冻干犬粮 30支", 5000039658, "30支", "DG0302", 1,
         242.0, 0.0, 0.0, 0.0, 242.0, 242.5, datetime(2026, 10, 15, 5, 39, 50), datetime(2026, 10, 15, 5, 54, 37),
         "2026-10-15 09:16:59", None, "黄英平", "186****1744", "山东省", "青岛市", "黄岛区", "光明路377号",
         "74625296610918", "中通快递", "无售后或售后取消", None]
    )  # fmt: skip
    wb.save(landing / "orders/pinduoduo/pdd_orders_20261015_230000.xlsx")
    return landing


def test_pinduoduo_csv_and_xlsx_are_typed_with_canonical_status(pdd_landing):
    con = load(pdd_landing, "orders_pinduoduo")
    rows = con.execute(
        "select order_no, status_raw, aftersale_status_raw, status, product_id, sku, order_amount, created_at,"
        " shipped_at, received_at, tracking_nos, order_date, _source_file, _row_number "
        "from raw.orders_pinduoduo order by _source_file, _row_number"
    ).fetchall()
    csv_file = "orders/pinduoduo/pdd_orders_20261024_230000.csv"
    xlsx_file = "orders/pinduoduo/pdd_orders_20261015_230000.xlsx"
    assert rows == [
        # XLSX: numbers and datetimes as typed cells, the id as text
        ("261015-097546296610918", "已发货,待收货", "无售后或售后取消", "shipped", "5000039658", "DG0302",
         Decimal("242.50"), datetime(2026, 10, 15, 5, 39, 50), datetime(2026, 10, 15, 9, 16, 59), None,
         "74625296610918", date(2026, 10, 15), xlsx_file, 2),
        ("261016-214095261258445", "已发货,待收货", "无售后或售后取消", "shipped", "5000245240", "LS0402",
         Decimal("23.00"), datetime(2026, 10, 16, 0, 55, 10), datetime(2026, 10, 16, 10, 5, 15), None,
         "73897261258445", date(2026, 10, 16), csv_file, 2),
        ("261016-864581506679524", "已收货", "无售后或售后取消", "completed", "5000245240", "LS0402",
         Decimal("1024.90"), datetime(2026, 10, 16, 21, 4, 11), datetime(2026, 10, 16, 22, 53, 18),
         datetime(2026, 10, 24, 3, 32, 33), "JT7360927328294", date(2026, 10, 16), csv_file, 3),
        ("261017-000000000000001", "未发货,退款成功", "退款成功", "refunded", "5000245240", "LS0402",
         Decimal("66.00"), datetime(2026, 10, 17, 9), None, None, None, date(2026, 10, 17), csv_file, 4),
        # 已收货 but 售后状态 退款成功: refunded
        ("261017-000000000000002", "已收货", "退款成功", "refunded", "5000245240", "LS0402",
         Decimal("99.00"), datetime(2026, 10, 17, 10), datetime(2026, 10, 17, 12), datetime(2026, 10, 20, 8),
         "YT5808610690711", date(2026, 10, 17), csv_file, 5),
        # empty 订单成交时间: the order number's date survives in order_date (staging falls back to it)
        ("261017-000000000000003", "待付款", "无售后或售后取消", "pending_payment", "5000245240", "LS0402",
         Decimal("19.90"), None, None, None, None, date(2026, 10, 17), csv_file, 6),
    ]  # fmt: skip
    assert rejected(con, "orders_pinduoduo") == [
        (csv_file, 7, "订单状态 '待成团' is not a known value (待付款, 待发货, 已发货，待收货, 已收货, 已取消, "
                      "未发货，退款成功, 已发货，退款成功, 已收货，退款成功)"),
        (csv_file, 8, "商品总价(元) '1,2x3.00' is not an amount in yuan; "
                      "用户实付金额(元) '1,2x3.00' is not an amount in yuan; "
                      "商家实收金额(元) '1,2x3.00' is not an amount in yuan"),
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------- 淘宝/天猫

TB_HEADER = header(
    "订单编号,买家会员名,支付单号,买家应付货款,买家应付邮费,总金额,买家实际支付金额,订单状态,买家留言,收货人姓名,"
    "收货地址 ,联系手机,订单创建时间,订单付款时间 ,宝贝标题 ,宝贝种类 ,物流单号 ,物流公司,订单备注,宝贝总数量,店铺名称,"
    "订单关闭原因"
)
TB_DETAIL_HEADER = header("订单编号,标题,价格,购买数量,外部系统编号,商品属性,套餐信息,备注,订单状态,商家编码")


def tb_row(order_no, status, goods, post, created, paid, tracking):
    total = str(Decimal(goods) + Decimal(post))
    return [
        order_no, "tb6119081216", "2026101600000000200000467221", goods, post, total, total if paid else "0.00",
        status, "", "李强", "江苏省 苏州市 工业园区 胜利路532号", "186****2201", created, paid, "橙镜 猫粮 6L", "2",
        tracking, "顺丰速运" if tracking else "", "", "3", "橙镜宠物旗舰店", "",
    ]  # fmt: skip


@pytest.fixture
def taobao_landing(tmp_path) -> Path:
    landing = tmp_path / "landing"
    orders = [
        tb_row('="2323521476278806792"', "卖家已发货，等待买家确认", "681.70", "0.00", "2026-10-16 00:54:08",
               "2026-10-16 00:55:53", '"No:SF6928296355139,78772278806792"'),
        tb_row('="386433570191065057"', '"买家已付款,等待卖家发货"', "119.80", "8.00", "2026-10-16 08:55:47",
               "2026-10-16 08:55:59", ""),
        tb_row('="2004850798120871669"', "交易关闭", "66.00", "0.00", "2026/10/16 11:09", "", ""),
        tb_row('="2764984198524227871"', "交易关闭", "217.90", "0.00", "2026-10-16 20:57:12",
               "2026-10-16 20:58:07", ""),
        tb_row('="2710469125471582830"', "交易成功", "88.00", "0.00", "2026-10-16 21:30:00", "2026-10-16 21:30:36",
               "No:SF1234567890123"),
        tb_row('="2953540940629517953"', "等待买家付款", "54.00", "0.00", "2026-10-16 22:00:00", "", ""),
        tb_row("2.41E+18", '"买家已付款,等待卖家发货"', "59.00", "0.00", "2026-10-16 21:00:00", "2026-10-16 21:00:30",
               ""),
        tb_row('="2954448961681907215"', "等待发货", "59.00", "0.00", "2026-10-16 21:00:00", "", ""),
    ]  # fmt: skip
    write_csv(
        landing / "orders/taobao/ExportOrderList_20261016_230000.csv",
        TB_HEADER,
        orders,
        encoding="gb18030",
        newline="\r\n",
    )
    lines = [
        ['="2323521476278806792"', "橙镜 鸡肉冻干双拼猫粮 6L", "217.90", "1", "DG0102", "规格:6L", "", "",
         "卖家已发货，等待买家确认", "DG0102"],
        ['="2323521476278806792"', "橙镜 三文鱼冻干全价猫粮 10袋装", "231.90", "2", "DG0202", "规格:10袋装", "", "",
         "卖家已发货，等待买家确认", "DG0202"],
        ['="2323521476278806792"', "赠品 试吃装", "0.00", "1", "ZP0001", "", "", "", "卖家已发货，等待买家确认",
         "ZP0001"],
        ['="386433570191065057"', "橙镜 鸡胸肉干 10袋装", "59.90", "2", "LS0201", "", "", "",
         '"买家已付款,等待卖家发货"', "LS0201"],
        ['="386433570191065057"', "橙镜 鸡胸肉干 10袋装", "5x.90", "2", "LS0201", "", "", "", "交易成功", "LS0201"],
    ]  # fmt: skip
    write_csv(
        landing / "orders/taobao/ExportOrderDetailList_20261016_230000.csv",
        TB_DETAIL_HEADER,
        lines,
        encoding="gb18030",
        newline="\r\n",
    )
    return landing


def test_taobao_gb18030_exports_are_typed_with_canonical_status(taobao_landing):
    con = load(taobao_landing, "orders_taobao", "order_lines_taobao")
    rows = con.execute(
        "select order_no, status_raw, status, goods_amount, shipping_fee, order_amount, paid_amount, created_at,"
        " paid_at, tracking_nos, address, _row_number from raw.orders_taobao order by _row_number"
    ).fetchall()
    address = "江苏省 苏州市 工业园区 胜利路532号"
    assert rows == [
        ("2323521476278806792", "卖家已发货,等待买家确认", "shipped", Decimal("681.70"), Decimal("0.00"),
         Decimal("681.70"), Decimal("681.70"), datetime(2026, 10, 16, 0, 54, 8), datetime(2026, 10, 16, 0, 55, 53),
         "SF6928296355139;78772278806792", address, 2),
        ("386433570191065057", "买家已付款,等待卖家发货", "paid", Decimal("119.80"), Decimal("8.00"),
         Decimal("127.80"), Decimal("127.80"), datetime(2026, 10, 16, 8, 55, 47), datetime(2026, 10, 16, 8, 55, 59),
         None, address, 3),
        # 交易关闭 before payment: cancelled; after payment: refunded
        ("2004850798120871669", "交易关闭", "cancelled", Decimal("66.00"), Decimal("0.00"), Decimal("66.00"),
         Decimal("0.00"), datetime(2026, 10, 16, 11, 9), None, None, address, 4),
        ("2764984198524227871", "交易关闭", "refunded", Decimal("217.90"), Decimal("0.00"), Decimal("217.90"),
         Decimal("217.90"), datetime(2026, 10, 16, 20, 57, 12), datetime(2026, 10, 16, 20, 58, 7), None, address, 5),
        ("2710469125471582830", "交易成功", "completed", Decimal("88.00"), Decimal("0.00"), Decimal("88.00"),
         Decimal("88.00"), datetime(2026, 10, 16, 21, 30), datetime(2026, 10, 16, 21, 30, 36), "SF1234567890123",
         address, 6),
        ("2953540940629517953", "等待买家付款", "pending_payment", Decimal("54.00"), Decimal("0.00"),
         Decimal("54.00"), Decimal("0.00"), datetime(2026, 10, 16, 22), None, None, address, 7),
    ]  # fmt: skip
    orders_file = "orders/taobao/ExportOrderList_20261016_230000.csv"
    assert rejected(con, "orders_taobao") == [
        (orders_file, 8, "订单编号 '2.41E+18' was destroyed by Excel (scientific notation); "
                         "re-export the file without opening it in Excel"),
        (orders_file, 9, "订单状态 '等待发货' is not a known value (等待买家付款, 买家已付款,等待卖家发货, "
                         "卖家已发货，等待买家确认, 交易成功, 交易关闭)"),
    ]  # fmt: skip
    lines = con.execute(
        "select order_no, sku, unit_price, quantity, status_raw, _row_number from raw.order_lines_taobao "
        "order by _row_number"
    ).fetchall()
    assert lines == [
        ("2323521476278806792", "DG0102", Decimal("217.90"), 1, "卖家已发货,等待买家确认", 2),
        ("2323521476278806792", "DG0202", Decimal("231.90"), 2, "卖家已发货,等待买家确认", 3),
        ("2323521476278806792", "ZP0001", Decimal("0.00"), 1, "卖家已发货,等待买家确认", 4),
        ("386433570191065057", "LS0201", Decimal("59.90"), 2, "买家已付款,等待卖家发货", 5),
    ]
    assert rejected(con, "order_lines_taobao") == [
        (
            "orders/taobao/ExportOrderDetailList_20261016_230000.csv",
            6,
            "价格 '5x.90' is not an amount in yuan",
        ),
    ]


# ------------------------------------------------------------------------------------------- ERP (B2B)

ERP_HEADER = header(
    "销售订单号,客户编码,客户名称,下单时间,商家编码,数量,单价,金额,订单总额,仓库编码,收货地址,联系人,联系电话,状态"
)


def erp_row(order_no, placed, sku, qty, price, amount, total, status):
    return [order_no, "KH00008", "杭州喵汪供应链管理有限公司", placed, sku, qty, price, amount, total, "WH-CD",
            "贵州省贵阳市仓库", "郭经理", "13825338626", status]  # fmt: skip


@pytest.fixture
def erp_landing(tmp_path) -> Path:
    landing = tmp_path / "landing"
    write_csv(
        landing / "orders/erp/erp_sales_orders_20261022_230000.csv",
        ERP_HEADER,
        [
            erp_row("SO20261019000002", "2026-10-19 21:21:28", "WJ0301", "90", "102.80", "9252.00",
                    '"11,742.00"', "已审核"),
            erp_row("SO20261019000002", "2026-10-19 21:21:28", "ZL0201", "20", "124.50", "2490.00",
                    '"11,742.00"', "已审核"),
            erp_row("SO20261021000012", "2026-10-21 22:20:09", "MS0401", "20", "37.70", "754.00", "754.00",
                    "已发货"),
            erp_row("SO20261021000013", "2026-10-21 22:30:00", "MS0401", "10", "37.70", "377.00", "377.00",
                    "已完成"),
            erp_row("SO20261021000014", "2026-10-21 22:40:00", "MS0401", "10", "37.70", "377.00", "377.00",
                    "已取消"),
            erp_row("SO20261022965578", "2026-10-22 17:00:00", "ZL0101", "10", '"1,2x3.00"', '"1,2x3.00"',
                    '"1,2x3.00"', "已审核"),
            erp_row("SO2026102200", "2026-10-22 17:00:00", "ZL0101", "10", "1.00", "10.00", "10.00", "已审核"),
        ],
    )  # fmt: skip
    return landing


def test_erp_lines_are_typed_with_canonical_status(erp_landing):
    con = load(erp_landing, "orders_erp")
    rows = con.execute(
        "select order_no, sku, quantity, unit_price, line_amount, order_amount, placed_at, status_raw, status "
        "from raw.orders_erp order by _row_number"
    ).fetchall()
    placed = datetime(2026, 10, 19, 21, 21, 28)
    assert rows == [
        ("SO20261019000002", "WJ0301", 90, Decimal("102.80"), Decimal("9252.00"), Decimal("11742.00"), placed,
         "已审核", "paid"),
        ("SO20261019000002", "ZL0201", 20, Decimal("124.50"), Decimal("2490.00"), Decimal("11742.00"), placed,
         "已审核", "paid"),
        ("SO20261021000012", "MS0401", 20, Decimal("37.70"), Decimal("754.00"), Decimal("754.00"),
         datetime(2026, 10, 21, 22, 20, 9), "已发货", "shipped"),
        ("SO20261021000013", "MS0401", 10, Decimal("37.70"), Decimal("377.00"), Decimal("377.00"),
         datetime(2026, 10, 21, 22, 30), "已完成", "completed"),
        ("SO20261021000014", "MS0401", 10, Decimal("37.70"), Decimal("377.00"), Decimal("377.00"),
         datetime(2026, 10, 21, 22, 40), "已取消", "cancelled"),
    ]  # fmt: skip
    erp_file = "orders/erp/erp_sales_orders_20261022_230000.csv"
    assert rejected(con, "orders_erp") == [
        (erp_file, 7, "单价 '1,2x3.00' is not an amount in yuan; 金额 '1,2x3.00' is not an amount in yuan; "
                      "订单总额 '1,2x3.00' is not an amount in yuan"),
        (erp_file, 8, "销售订单号 'SO2026102200' does not look like an order number (expected SO and 14 digits)"),
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------- settlements

SETTLE_HEADER = header("结算时间,结算单号,订单号,结算金额,备注")


@pytest.fixture
def settlement_landing(tmp_path) -> Path:
    landing = tmp_path / "landing"
    write_csv(
        landing / "settlements/douyin/douyin_settlement_20261020.csv",
        SETTLE_HEADER,
        [
            ["2026-10-20 02:00:08", "JS20261020493699967120", "6926101521314159265", "127.00", "订单结算"],
            ["2026-10-20 10:33:45", "JS20261020241717515467", "6926101581506935303", "-473.90", "售后退款"],
        ],
    )
    # the next day's bill repeats yesterday's first row: it counts once in staging
    write_csv(
        landing / "settlements/douyin/douyin_settlement_20261021.csv",
        SETTLE_HEADER,
        [
            ["2026-10-20 02:00:08", "JS20261020493699967120", "6926101521314159265", "127.00", "订单结算"],
            ["2026-10-21 03:00:00", "JS20261021000000000001", "6.93E+18", "88.00", "订单结算"],
        ],
    )
    write_csv(
        landing / "settlements/pinduoduo/pinduoduo_settlement_20261020.csv",
        SETTLE_HEADER,
        [
            [
                "2026-10-20 02:09:57",
                "JS20261020905664870426",
                "261017-415477787197297\t",
                '"1,273.90"',
                "订单结算",
            ],
            [
                "2026-10-22 13:47:50",
                "JS20261022814699199783",
                "261017-921330822293991\t",
                "-112.00",
                "售后退款",
            ],
        ],
        encoding="utf-8-sig",
    )
    write_csv(
        landing / "settlements/taobao/taobao_settlement_20261020.csv",
        SETTLE_HEADER,
        [
            ["2026-10-20 02:17:50", "JS20261020723629773732", "2421181539366548527", "¥146.90", "订单结算"],
            ["2026-10-22 01:59:39", "JS20261022429085519196", "2953540940629517953", "¥-54.00", "售后退款"],
            ["2026-10-22 02:00:00", "JS20261022429085519197", "2953540940629517954", "¥5x.00", "订单结算"],
        ],
        encoding="gb18030",
    )
    write_csv(
        landing / "settlements/miniprogram/miniprogram_settlement_20261024.csv",
        SETTLE_HEADER,
        [
            [
                "2026-10-24 11:10:08",
                "JS20261024316470303935",
                "E20261019082339698944004",
                "-711.70",
                "售后退款",
            ]
        ],
    )
    return landing


def test_settlements_one_table_per_platform_negative_refunds(settlement_landing):
    con = load(
        settlement_landing, *(f"settlements_{p}" for p in ("douyin", "pinduoduo", "taobao", "miniprogram"))
    )
    union = " union all ".join(
        f"select platform, settled_at, settlement_no, order_no, amount, remark, _source_file "
        f"from raw.settlements_{p}"
        for p in ("douyin", "pinduoduo", "taobao", "miniprogram")
    )
    rows = con.execute(f"select * from ({union}) order by platform, _source_file, settled_at").fetchall()
    d1, d2 = (
        "settlements/douyin/douyin_settlement_20261020.csv",
        "settlements/douyin/douyin_settlement_20261021.csv",
    )
    assert rows == [
        ("douyin", datetime(2026, 10, 20, 2, 0, 8), "JS20261020493699967120", "6926101521314159265",
         Decimal("127.00"), "订单结算", d1),
        ("douyin", datetime(2026, 10, 20, 10, 33, 45), "JS20261020241717515467", "6926101581506935303",
         Decimal("-473.90"), "售后退款", d1),
        ("douyin", datetime(2026, 10, 20, 2, 0, 8), "JS20261020493699967120", "6926101521314159265",
         Decimal("127.00"), "订单结算", d2),
        ("miniprogram", datetime(2026, 10, 24, 11, 10, 8), "JS20261024316470303935", "E20261019082339698944004",
         Decimal("-711.70"), "售后退款", "settlements/miniprogram/miniprogram_settlement_20261024.csv"),
        ("pinduoduo", datetime(2026, 10, 20, 2, 9, 57), "JS20261020905664870426", "261017-415477787197297",
         Decimal("1273.90"), "订单结算", "settlements/pinduoduo/pinduoduo_settlement_20261020.csv"),
        ("pinduoduo", datetime(2026, 10, 22, 13, 47, 50), "JS20261022814699199783", "261017-921330822293991",
         Decimal("-112.00"), "售后退款", "settlements/pinduoduo/pinduoduo_settlement_20261020.csv"),
        ("taobao", datetime(2026, 10, 20, 2, 17, 50), "JS20261020723629773732", "2421181539366548527",
         Decimal("146.90"), "订单结算", "settlements/taobao/taobao_settlement_20261020.csv"),
        ("taobao", datetime(2026, 10, 22, 1, 59, 39), "JS20261022429085519196", "2953540940629517953",
         Decimal("-54.00"), "售后退款", "settlements/taobao/taobao_settlement_20261020.csv"),
    ]  # fmt: skip
    assert rejected(con, "settlements_douyin") == [
        (d2, 3, "订单号 '6.93E+18' was destroyed by Excel (scientific notation); "
                "re-export the file without opening it in Excel"),
    ]  # fmt: skip
    assert rejected(con, "settlements_taobao") == [
        (
            "settlements/taobao/taobao_settlement_20261020.csv",
            4,
            "结算金额 '¥5x.00' is not an amount in yuan",
        ),
    ]
    # every platform has its table, even without files (dbt's union needs all five)
    ingest_source(con, SOURCES["settlements_erp"], settlement_landing, LOADED_AT)
    assert con.execute("select count(*) from raw.settlements_erp").fetchone() == (0,)


def test_registry_lists_every_source_once():
    assert set(MINE) <= set(SOURCES)
    assert all(SOURCES[n].name == n for n in SOURCES)


# ------------------------------------------------------------------------------------------- staging (dbt)


def test_staging_models_keep_the_latest_export_and_count_settlements_once(
    pdd_landing, taobao_landing, erp_landing, settlement_landing, tmp_path
):
    # a later 拼多多 export of one order (now received) must win over the earlier one
    later = [
        pdd_row("261016-214095261258445", "已收货", "23.00", "2026-10-16 00:55:10", "2026-10-16 01:08:36",
                "2026-10-16 10:05:15", "2026-10-25 08:00:00", "73897261258445"),
    ]  # fmt: skip
    write_csv(
        pdd_landing / "orders/pinduoduo/pdd_orders_20261025_230000.csv",
        PDD_HEADER,
        later,
        encoding="utf-8-sig",
    )
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for landing in (pdd_landing,):  # all fixtures share tmp_path / "landing"
            for name in MINE:
                ingest_source(con, SOURCES[name], landing, LOADED_AT)
    assert pdd_landing == taobao_landing == erp_landing == settlement_landing
    env = {**os.environ, "ORDERLENS_WAREHOUSE": str(warehouse)}
    select = ["staging.pinduoduo", "staging.taobao", "staging.erp", "staging.settlements"]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--select", *select, "--project-dir", "dbt_project",
         "--profiles-dir", "dbt_project", "--target-path", str(tmp_path / "target"), "--log-path",
         str(tmp_path / "logs")],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        pdd = con.execute(
            "select order_key, status, created_at, _source_file from staging.stg_pinduoduo__orders "
            "where order_no in ('261016-214095261258445', '261017-000000000000003') order by order_key"
        ).fetchall()
        assert pdd == [
            ("pinduoduo:261016-214095261258445", "completed", datetime(2026, 10, 16, 0, 55, 10),
             "orders/pinduoduo/pdd_orders_20261025_230000.csv"),
            # empty 订单成交时间: the date of the order number
            ("pinduoduo:261017-000000000000003", "pending_payment", datetime(2026, 10, 17),
             "orders/pinduoduo/pdd_orders_20261024_230000.csv"),
        ]  # fmt: skip
        lines = con.execute(
            "select order_key, line_no, sku, quantity, line_amount from staging.stg_taobao__order_lines "
            "order by order_key, line_no"
        ).fetchall()
        assert lines == [
            ("taobao:2323521476278806792", "1", "DG0102", 1, Decimal("217.90")),
            ("taobao:2323521476278806792", "2", "DG0202", 2, Decimal("463.80")),
            ("taobao:2323521476278806792", "3", "ZP0001", 1, Decimal("0.00")),
            ("taobao:386433570191065057", "1", "LS0201", 2, Decimal("119.80")),
        ]
        erp = con.execute(
            "select order_key, line_no, paid_at, status from staging.stg_erp__order_lines "
            "where order_no = 'SO20261019000002' order by line_no"
        ).fetchall()
        placed = datetime(2026, 10, 19, 21, 21, 28)
        assert erp == [
            ("erp:SO20261019000002", "1", placed, "paid"),
            ("erp:SO20261019000002", "2", placed, "paid"),
        ]
        payments = con.execute(
            "select payment_ref, order_key, amount from staging.stg_settlements__payments "
            "where platform = 'douyin' order by payment_ref"
        ).fetchall()
        assert payments == [  # the repeated row once
            ("settlement:douyin:JS20261020241717515467", "douyin:6926101581506935303", Decimal("-473.90")),
            ("settlement:douyin:JS20261020493699967120", "douyin:6926101521314159265", Decimal("127.00")),
        ]
        assert con.execute("select count(*) from staging.stg_settlements__payments").fetchone() == (7,)


# ------------------------------------------------------------------------------------------- the generator


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    pytest.importorskip("pipelines.synthetic")
    from pipelines.synthetic import generate

    out = tmp_path_factory.mktemp("zone") / "landing"
    generate(out, orders=1000, days=10, seed=1, receipts=False, progress=False)
    con = duckdb.connect()
    for name in MINE:
        ingest_source(con, SOURCES[name], out, LOADED_AT)
        assert conservation_violations(con, name) == []
    truth = out / "_truth"
    for name in ("orders", "order_lines", "payments", "rejected_rows"):
        con.execute(f"create table t_{name} as select * from read_csv(?, all_varchar = true)", [
            str(truth / f"{name}.csv")
        ])  # fmt: skip
    return con


def test_generated_bad_rows_are_exactly_the_rejected_ones(generated):
    folders = ("orders/pinduoduo", "orders/taobao", "orders/erp") + tuple(
        f"settlements/{p}" for p in ("douyin", "pinduoduo", "taobao", "miniprogram", "erp")
    )
    truth = generated.execute(
        "select source_file, cast(row_number as integer) from t_rejected_rows "
        f"where source in ({', '.join('?' for _ in folders)}) order by all",
        list(folders),
    ).fetchall()
    assert truth  # the generator plants bad 拼多多, 淘宝 and ERP rows
    ours = generated.execute(
        "select source_file, row_number from raw.rejected_rows "
        f"where source in ({', '.join('?' for _ in MINE)}) order by all",
        MINE,
    ).fetchall()
    # both number rows by line in the file (header = line 1)
    assert ours == truth


LATEST = """
    select * from (
        select *, row_number() over (
            partition by order_no order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number
        ) as k from raw.{table}
    ) where k = 1
"""


@pytest.mark.parametrize("platform, table", [("pinduoduo", "orders_pinduoduo"), ("taobao", "orders_taobao"),
                                             ("erp", "orders_erp")])  # fmt: skip
def test_generated_orders_match_the_truth(generated, platform, table):
    paid = "placed_at" if platform == "erp" else "paid_at"  # B2B: paid_at is 下单时间
    rows = generated.execute(
        f"""
        select t.order_key, t.status, s.status, cast(t.order_amount as decimal(18, 2)) = s.order_amount,
            t.paid_at is not distinct from strftime(s.{paid}, '%Y-%m-%d %H:%M:%S')
        from (select * from t_orders where platform = ?) t
        full join ({LATEST.format(table=table)}) s on t.order_no = s.order_no
        """,
        [platform],
    ).fetchall()
    assert len(rows) > 20
    assert all(key is not None and mine is not None for key, _t, mine, _a, _p in rows), "order sets differ"
    assert all(amount_ok and paid_ok for *_x, amount_ok, paid_ok in rows)
    # the truth upgrades a platform state with logistics (出库 before 发货时间, signed parcels): only there
    # may it run ahead of the platform's own status
    upgraded = {("shipped", "paid"), ("signed", "paid"), ("signed", "shipped")}
    assert all(t == mine or (t, mine) in upgraded for _k, t, mine, _a, _p in rows)


def test_generated_lines_and_settlements_match_the_truth(generated):
    for platform, table, amount in (("taobao", "order_lines_taobao", "unit_price * quantity"),
                                    ("erp", "orders_erp", "line_amount")):  # fmt: skip
        diff = generated.execute(
            f"""
            with latest as (
                select * from (
                    select *, dense_rank() over (
                        partition by order_no order by _export_time desc, _loaded_at desc, _file_sha256 desc
                    ) as k from raw.{table}
                ) where k = 1
            ),
            mine as (select ? || ':' || order_no as order_key, sku, sum(quantity) as q, sum({amount}) as a
                     from latest group by all),
            truth as (select order_key, sku, sum(cast(quantity as integer)) as q,
                          sum(cast(line_amount as decimal(18, 2))) as a
                      from t_order_lines where order_key like ? || ':%' group by all)
            select count(*) from mine full join truth using (order_key, sku)
            where mine.q is distinct from truth.q or mine.a is distinct from truth.a
            """,
            [platform, platform],
        ).fetchone()[0]
        assert diff == 0, platform
    settled = " union all ".join(
        f"select distinct 'settlement:' || platform || ':' || settlement_no as payment_ref, "
        f"platform || ':' || order_no as order_key, amount, strftime(settled_at, '%Y-%m-%d %H:%M:%S') as t "
        f"from raw.settlements_{p}"
        for p in ("douyin", "pinduoduo", "taobao", "miniprogram", "erp")
    )
    mismatched = generated.execute(
        f"""
        select count(*), count(*) filter (where s.payment_ref is null or tp.payment_ref is null
            or cast(tp.amount as decimal(18, 2)) <> s.amount or tp.paid_at <> s.t
            or tp.allocations is not null and tp.allocations not like s.order_key || '=%')
        from (select * from t_payments where payment_ref like 'settlement:%') tp
        full join ({settled}) s using (payment_ref)
        """
    ).fetchone()
    assert mismatched[0] > 100 and mismatched[1] == 0
