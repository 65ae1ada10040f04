"""Operations sources: 快递100 tracks, 有赞 mini-program orders, warehouse log, inventory, products,
after-sales tickets and inquiries (CONTRACT §1.4, §1.8-§1.13), on hand-made files and on a generated zone.

The staging models' SQL is run on the in-memory DuckDB by rendering the few Jinja calls they use
(`source`, `ref`, `dbt.concat`), so the "latest push/export wins" rules are tested without dbt.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipelines.ingest import conservation_violations, ingest_source
from pipelines.sources.registry import SOURCES

ROOT = Path(__file__).resolve().parent.parent
STAGING = ROOT / "dbt_project" / "models" / "staging"
LOADED_AT = datetime(2026, 10, 25, 9)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MINE = [
    "tracks",
    "orders_miniprogram",
    "warehouse_log",
    "inventory_snapshots",
    "products",
    "aftersales_tickets",
    "inquiries",
]
TAG_LIST = "包装破损, 物流延误, 发错商品, 商品瑕疵, 赠品缺失, 规格不符, 客户误购, 其他"


def create_staging_view(con: duckdb.DuckDBPyConnection, model: str) -> None:
    """Create `staging.<model>` from its dbt SQL, rendered with Jinja as a full DuckDB build renders it:
    config() and changed_keys_filter() render nothing, source()/ref() name the raw and staging schemas,
    dbt.concat() is `||`, and the project's own macros used by staging come from dbt_project/macros."""
    import jinja2

    folder = model.split("__")[0].removeprefix("stg_")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    macros = env.from_string((ROOT / "dbt_project" / "macros" / "latest_file_rows.sql").read_text("utf-8"))
    context = {
        "config": lambda **_: "",  # materialisation: a view here either way
        "changed_keys_filter": lambda *_: "",  # renders nothing in a full build
        "target": SimpleNamespace(type="duckdb"),
        "source": lambda _schema, table: f"raw.{table}",
        "ref": lambda name: f"staging.{name}",
        "dbt": SimpleNamespace(concat=lambda parts: "(" + " || ".join(parts) + ")"),
        "latest_file_rows": macros.module.latest_file_rows,
    }
    sql = env.from_string((STAGING / folder / f"{model}.sql").read_text(encoding="utf-8")).render(context)
    con.execute("create schema if not exists staging")
    con.execute(f"create or replace view staging.{model} as {sql}")


def _write(root: Path, rel: str, text: str, encoding: str = "utf-8") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def _push(nu, com, status, state, ischeck, nodes) -> dict:
    return {
        "status": status,
        "billstatus": "got",
        "message": "",
        "lastResult": {
            "message": "ok",
            "nu": nu,
            "ischeck": ischeck,
            "condition": "F00",
            "com": com,
            "status": "200",
            "state": state,
            "data": [
                {"time": t, "ftime": t, "context": ctx, "statusCode": code, "areaName": area}
                for t, ctx, code, area in nodes
            ],
        },
    }


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


SF = "SF1234567890123"
ZTO = "73600316247086"
SF_PICKED = ("2026-10-15 09:30:00", "【深圳市】顺丰速运 已收取快件", "1", "深圳市")
SF_FULL = [
    ("2026-10-16 15:00:00", "【上海市】已签收，签收人凭取货码签收", "3", "上海市"),
    ("2026-10-16 09:00:00", "【上海市】快件交给张三，正在派送途中", "5", "上海市"),
    ("2026-10-15 20:00:00", "【深圳市】快件已发往 上海转运中心", "0", "深圳市"),
    SF_PICKED,
]
# 2026-10-17 08:30:00 and 2026-10-16 10:00:00 Asia/Shanghai, as a JSON number and as digits
ZTO_UNIX = [
    (1792197000, "【上海市】上海市分拨中心 已发出", "0", "上海市"),
    ("1792116000", "已揽收", "1", "杭州市"),
]


@pytest.fixture
def tracks_landing(tmp_path) -> Path:
    # a single push object (pretty-printed): the SF parcel just picked up
    _write(
        tmp_path,
        "tracks/kuaidi100_20261015_100000_SF1234567890123.json",
        json.dumps(_push(SF, "shunfeng", "polling", "1", "0", [SF_PICKED]), ensure_ascii=False, indent=2),
    )
    # a JSON array: the SF parcel signed (supersedes the first push), and a push with no nodes yet
    _write(
        tmp_path,
        "tracks/kuaidi100_batch_20261016.json",
        _dumps(
            [
                _push(SF, "shunfeng", "shutdown", "3", "1", SF_FULL),
                _push("YT1234567890123", "yuantong", "polling", "0", "0", []),
            ]
        ),
    )
    # JSON lines: unix-second times, a broken line, no nu, an unknown carrier, and a stale SF push
    # (older newest node) that arrives in a later file and must not supersede the signed one
    missing_nu = _push(None, "zhongtong", "polling", "0", "0", [])
    del missing_nu["lastResult"]["nu"]
    _write(
        tmp_path,
        "tracks/kuaidi100_push_20261017.jsonl",
        "\n".join(
            [
                _dumps(_push(ZTO, "zhongtong", "polling", "0", "0", ZTO_UNIX)),
                '{"status":"polling","lastResult":{"com":"zhongtong","nu":"7360',
                _dumps(missing_nu),
                _dumps(_push("JD0000000000001", "dhl", "polling", "0", "0", [])),
                _dumps(_push(SF, "shunfeng", "polling", "1", "0", [SF_PICKED])),
                "",
            ]
        ),
    )
    _write(tmp_path, "tracks/readme.json", "these are the courier pushes\n")
    return tmp_path


def test_tracks_one_row_per_node_in_all_three_file_shapes(tracks_landing):
    con = duckdb.connect()
    report = ingest_source(con, SOURCES["tracks"], tracks_landing, LOADED_AT)
    assert {f.source_file: f.status for f in report.files} == {
        "tracks/kuaidi100_20261015_100000_SF1234567890123.json": "loaded",
        "tracks/kuaidi100_batch_20261016.json": "loaded",
        "tracks/kuaidi100_push_20261017.jsonl": "loaded",
        "tracks/readme.json": "failed",
    }
    assert conservation_violations(con, "tracks") == []
    rows = con.execute(
        "select _source_file, _row_number, push_index, tracking_no, carrier, state_provider, push_status, "
        "push_state, is_check, push_latest_at, node_index, node_time, node_state, area_name from raw.tracks "
        "order by _source_file, push_index, node_index"
    ).fetchall()
    single, batch, lines = (
        "tracks/kuaidi100_20261015_100000_SF1234567890123.json",
        "tracks/kuaidi100_batch_20261016.json",
        "tracks/kuaidi100_push_20261017.jsonl",
    )
    t = datetime.fromisoformat
    assert rows == [
        (single, 1, 1, SF, "shunfeng", "kuaidi100", "polling", "1", False, t("2026-10-15 09:30:00"), 0,
         t("2026-10-15 09:30:00"), "1", "深圳市"),
        (batch, 1, 1, SF, "shunfeng", "kuaidi100", "shutdown", "3", True, t("2026-10-16 15:00:00"), 0,
         t("2026-10-16 15:00:00"), "3", "上海市"),
        (batch, 1, 1, SF, "shunfeng", "kuaidi100", "shutdown", "3", True, t("2026-10-16 15:00:00"), 1,
         t("2026-10-16 09:00:00"), "5", "上海市"),
        (batch, 1, 1, SF, "shunfeng", "kuaidi100", "shutdown", "3", True, t("2026-10-16 15:00:00"), 2,
         t("2026-10-15 20:00:00"), "0", "深圳市"),
        (batch, 1, 1, SF, "shunfeng", "kuaidi100", "shutdown", "3", True, t("2026-10-16 15:00:00"), 3,
         t("2026-10-15 09:30:00"), "1", "深圳市"),
        # a push with an empty data still gives one row, node columns null
        (batch, 2, 2, "YT1234567890123", "yuantong", "kuaidi100", "polling", "0", False, None, None, None, None,
         None),
        # unix seconds (JSON number and digits) read as Asia/Shanghai wall-clock
        (lines, 1, 1, ZTO, "zhongtong", "kuaidi100", "polling", "0", False, t("2026-10-17 08:30:00"), 0,
         t("2026-10-17 08:30:00"), "0", "上海市"),
        (lines, 1, 1, ZTO, "zhongtong", "kuaidi100", "polling", "0", False, t("2026-10-17 08:30:00"), 1,
         t("2026-10-16 10:00:00"), "1", "杭州市"),
        (lines, 5, 5, SF, "shunfeng", "kuaidi100", "polling", "1", False, t("2026-10-15 09:30:00"), 0,
         t("2026-10-15 09:30:00"), "1", "深圳市"),
    ]  # fmt: skip
    rejected = con.execute(
        "select source_file, row_number, reason from raw.rejected_rows order by source_file, row_number"
    ).fetchall()
    assert rejected == [
        (lines, 2, "line 2: invalid JSON (Unterminated string starting at at column 58)"),
        (lines, 3, "line 3: lastResult.nu (tracking number) is missing"),
        (lines, 4, "line 4: unknown carrier code 'dhl' for JD0000000000001 (expected one of jtexpress, "
                   "zhongtong, shunfeng, yuantong, yunda, shentong, ems, jd)"),
        ("tracks/readme.json", 0, "whole file rejected: not JSON (a push file starts with { or [; this one reads "
                                  "'these are the courier pushes')"),
    ]  # fmt: skip


def test_tracks_staging_keeps_the_latest_push_per_number(tracks_landing):
    con = duckdb.connect()
    ingest_source(con, SOURCES["tracks"], tracks_landing, LOADED_AT)
    create_staging_view(con, "stg_tracks__pushes")
    create_staging_view(con, "stg_tracks__track_nodes")
    create_staging_view(con, "stg_tracks__parcels")
    nodes = con.execute(
        "select tracking_no, node_index, node_state, _source_file from staging.stg_tracks__track_nodes "
        "order by 1, 2"
    ).fetchall()
    batch, lines = "tracks/kuaidi100_batch_20261016.json", "tracks/kuaidi100_push_20261017.jsonl"
    assert nodes == [
        (ZTO, 0, "0", lines),
        (ZTO, 1, "1", lines),
        # the signed push wins: its newest node is newest, although a stale push came in a later file
        (SF, 0, "3", batch),
        (SF, 1, "5", batch),
        (SF, 2, "0", batch),
        (SF, 3, "1", batch),
    ]
    parcels = con.execute(
        "select tracking_no, carrier, latest_state, first_node_at, latest_node_at, signed_at, nodes, pushes "
        "from staging.stg_tracks__parcels order by 1"
    ).fetchall()
    t = datetime.fromisoformat
    assert parcels == [
        (ZTO, "zhongtong", "0", t("2026-10-16 10:00:00"), t("2026-10-17 08:30:00"), None, 2, 1),
        (
            SF,
            "shunfeng",
            "3",
            t("2026-10-15 09:30:00"),
            t("2026-10-16 15:00:00"),
            t("2026-10-16 15:00:00"),
            4,
            3,
        ),
        ("YT1234567890123", "yuantong", "0", None, None, None, 0, 1),
    ]


# ----------------------------------------------------------------------------------- 有赞 mini-program

TID = "E20261015070342279062571"
CLOSED_PAID = "E20261015121702963192325"
CLOSED_UNPAID = "E20261015175009699967120"


def _youzan(tid, status, pay_time, success_time="", lines=None, deliveries=()) -> dict:
    lines = lines or [{"oid": "1", "outer_sku_id": "LS0101", "title": "猫条 6L", "num": 1, "payment": "46.90",
                       "is_present": False}]  # fmt: skip
    return {
        "full_order_info": {
            "order_info": {"tid": tid, "status": status, "created": "2026-10-15 07:03:42", "pay_time": pay_time,
                           "consign_time": "", "success_time": success_time,
                           "update_time": "2026-10-15 09:35:06"},
            "pay_info": {"payment": "71.80", "total_fee": "71.80", "post_fee": "0.00"},
            "address_info": {"receiver_name": "$722006527003AbX=$1$", "receiver_tel": "$722006527015AbX=$1$",
                             "delivery_province": "甘肃省", "delivery_city": "兰州市", "delivery_district": "城关区",
                             "delivery_address": "$398128951355AbX=$1$"},
            "orders": lines,
            "delivery_order": [{"express_info": {"express_id": e, "express_no": n}} for e, n in deliveries],
        }
    }  # fmt: skip


GIFT_ORDER_LINES = [
    {"oid": "2026101500000004", "outer_sku_id": "LS0302", "title": "橙镜 冻干鸡肉粒 500g", "num": 2,
     "payment": "71.80", "is_present": False},
    {"oid": "2026101500000005", "outer_sku_id": "ZP0002", "title": "猫条 1支装", "num": 1, "payment": "0.00",
     "is_present": True},
]  # fmt: skip


@pytest.fixture
def miniprogram_landing(tmp_path) -> Path:
    shipped = _youzan(
        TID,
        "WAIT_BUYER_CONFIRM_GOODS",
        "2026-10-15 07:04:33",
        lines=GIFT_ORDER_LINES,
        deliveries=[(7, "SF0324279062571"), (2, "YT1234567890123"), (7, "SF0324279062571")],
    )
    _write(
        tmp_path,
        "orders/miniprogram/youzan_orders_20261015_230000.jsonl",
        "\n".join(
            [
                _dumps(shipped),
                _dumps(_youzan(CLOSED_PAID, "TRADE_CLOSED", "2026-10-15 12:18:15")),
                _dumps(_youzan(CLOSED_UNPAID, "TRADE_CLOSED", "")),
                _dumps(_youzan("E20261015175009699967121", "TRADE_PAID", "")),
                _dumps(_youzan("12345", "WAIT_BUYER_PAY", "")),
                "",
                "{not json",
            ]
        )
        + "\n",
    )
    # the next day's export: the shipped order is now completed
    done = _youzan(
        TID,
        "TRADE_SUCCESS",
        "2026-10-15 07:04:33",
        "2026-10-16 10:00:00",
        lines=GIFT_ORDER_LINES,
        deliveries=[(7, "SF0324279062571"), (2, "YT1234567890123")],
    )
    _write(tmp_path, "orders/miniprogram/youzan_orders_20261016_230000.jsonl", _dumps(done) + "\n")
    return tmp_path


def test_miniprogram_one_row_per_line_encrypted_receiver_and_gift(miniprogram_landing):
    con = duckdb.connect()
    ingest_source(con, SOURCES["orders_miniprogram"], miniprogram_landing, LOADED_AT)
    assert conservation_violations(con, "orders_miniprogram") == []
    first = "orders/miniprogram/youzan_orders_20261015_230000.jsonl"
    rows = con.execute(
        "select _row_number, tid, oid, outer_sku_id, num, line_payment, is_present, payment, status_raw, status, "
        "pay_time, receiver_name, delivery_address, tracking_nos, express_ids from raw.orders_miniprogram "
        "where _source_file = ? order by _row_number, oid",
        [first],
    ).fetchall()
    paid = datetime(2026, 10, 15, 7, 4, 33)
    assert rows == [
        (1, TID, "2026101500000004", "LS0302", 2, Decimal("71.80"), False, Decimal("71.80"),
         "WAIT_BUYER_CONFIRM_GOODS", "shipped", paid, "$722006527003AbX=$1$", "$398128951355AbX=$1$",
         "SF0324279062571;YT1234567890123", "7;2"),
        (1, TID, "2026101500000005", "ZP0002", 1, Decimal("0.00"), True, Decimal("71.80"),
         "WAIT_BUYER_CONFIRM_GOODS", "shipped", paid, "$722006527003AbX=$1$", "$398128951355AbX=$1$",
         "SF0324279062571;YT1234567890123", "7;2"),
        (2, CLOSED_PAID, "1", "LS0101", 1, Decimal("46.90"), False, Decimal("71.80"), "TRADE_CLOSED", "refunded",
         datetime(2026, 10, 15, 12, 18, 15), "$722006527003AbX=$1$", "$398128951355AbX=$1$", None, None),
        (3, CLOSED_UNPAID, "1", "LS0101", 1, Decimal("46.90"), False, Decimal("71.80"), "TRADE_CLOSED",
         "cancelled", None, "$722006527003AbX=$1$", "$398128951355AbX=$1$", None, None),
    ]  # fmt: skip
    rejected = con.execute(
        "select row_number, reason from raw.rejected_rows where source_file = ? order by row_number", [first]
    ).fetchall()
    assert rejected == [
        (4, "line 4: order_info.status 'TRADE_PAID' is not a known value (WAIT_BUYER_PAY, WAIT_SELLER_SEND_GOODS, "
            "WAIT_BUYER_CONFIRM_GOODS, TRADE_SUCCESS, TRADE_CLOSED)"),
        (5, "line 5: order_info.tid '12345' does not look like an 有赞 order number (expected E + 20+ digits)"),
        (7, "line 7: invalid JSON (Expecting property name enclosed in double quotes at column 2)"),
    ]  # fmt: skip
    # the later export wins in staging
    create_staging_view(con, "stg_miniprogram__order_lines")
    assert con.execute(
        "select order_key, line_no, status, is_gift, completed_at, tracking_nos from staging.stg_miniprogram__order_lines "
        "where order_no = ? order by line_no",
        [TID],
    ).fetchall() == [
        (f"miniprogram:{TID}", "2026101500000004", "completed", False, datetime(2026, 10, 16, 10),
         "SF0324279062571;YT1234567890123"),
        (f"miniprogram:{TID}", "2026101500000005", "completed", True, datetime(2026, 10, 16, 10),
         "SF0324279062571;YT1234567890123"),
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------ warehouse log

WMS_HEADER = "时间,事件,订单号,平台,仓库编码,操作人,物流单号,商品条码,波次号,备注\n"


def test_warehouse_log_scans_and_bad_events(tmp_path):
    body = WMS_HEADER + (
        f"2026-10-16 08:00:00,审单,{TID},miniprogram,WH-SH,王芳,,,,\n"
        f"2026-10-16 08:13:58,出库扫描,{TID},miniprogram,WH-SH,李娜,SF0324279062571\t,6942732079197,BC1202610160800,\n"
        f"2026-10-16 08:14:13,出库扫描,{TID},miniprogram,WH-SH,李娜,SF0324279062571,6942731000000,BC1202610160800,\n"
        f"2026-10-16 08:14:13,出库扫描,{TID},miniprogram,WH-SH,李娜,SF0324279062571,6942731000000,BC1202610160800,\n"
        f"2026-10-16 08:40:00,出库,{TID},miniprogram,WH-SH,李娜,SF0324279062571,,BC1202610160800,\n"
        "2026-10-16 09:00:00,异常上报,2323521476278806792,taobao,WH-SH,刘洋,,,,\n"
        "2026-10-16 09:05:00,出库扫描,2323521476278806792,taobao,WH-SH,刘洋,,6942732079197,,\n"
        "2026-10-16 09:10:00,出库扫描,2323521476278806792,taobao,WH-SH,刘洋,YT1,6.94273E+12,,\n"
        "2026-10-16 09:20:00,发货,2323521476278806792,tmall,WH-SH,刘洋,YT1,,,\n"
        "2026/10/16 21:26,异常上报,6926101966417914673,douyin,WH-SH,刘洋,,,,拣货异常：货位无货，待盘点\n"
    )  # fmt: skip
    _write(tmp_path, "warehouse/wms_WH-SH_20261016.csv", body, "gb18030")
    con = duckdb.connect()
    ingest_source(con, SOURCES["warehouse_log"], tmp_path, LOADED_AT)
    assert conservation_violations(con, "warehouse_log") == []
    create_staging_view(con, "stg_warehouse__events")
    events = con.execute(
        "select _row_number, event_time, event, order_key, warehouse_code, tracking_no, barcode, wave_no, remark "
        "from staging.stg_warehouse__events order by _row_number"
    ).fetchall()
    key = f"miniprogram:{TID}"
    assert events == [
        (2, datetime(2026, 10, 16, 8), "审单", key, "WH-SH", None, None, None, None),
        (3, datetime(2026, 10, 16, 8, 13, 58), "出库扫描", key, "WH-SH", "SF0324279062571", "6942732079197",
         "BC1202610160800", None),
        # two units of one SKU scanned in the same second: two events
        (4, datetime(2026, 10, 16, 8, 14, 13), "出库扫描", key, "WH-SH", "SF0324279062571", "6942731000000",
         "BC1202610160800", None),
        (5, datetime(2026, 10, 16, 8, 14, 13), "出库扫描", key, "WH-SH", "SF0324279062571", "6942731000000",
         "BC1202610160800", None),
        (6, datetime(2026, 10, 16, 8, 40), "出库", key, "WH-SH", "SF0324279062571", None, "BC1202610160800", None),
        (11, datetime(2026, 10, 16, 21, 26), "异常上报", "douyin:6926101966417914673", "WH-SH", None, None, None,
         "拣货异常：货位无货，待盘点"),
    ]  # fmt: skip
    assert con.execute("select row_number, reason from raw.rejected_rows order by 1").fetchall() == [
        (7, "事件 异常上报 needs 备注 (empty)"),
        (8, "事件 出库扫描 needs 商品条码 and 物流单号 (missing: 物流单号)"),
        (9, "商品条码 '6.94273E+12' was destroyed by Excel (scientific notation); re-export the file without "
            "opening it in Excel"),
        (10, "事件 '发货' is not a known value (审单, 出库扫描, 出库, 异常上报); 平台 'tmall' is not a known value "
             "(douyin, pinduoduo, taobao, miniprogram, erp)"),
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------- after-sales

AS_HEADER = "售后单号,订单号,平台,商家编码,申请时间,原因标签,补充说明,处理完成时间,处理结果,退款金额\n"


def test_aftersales_tags_are_split_normalised_and_bad_tickets_rejected(tmp_path):
    body = AS_HEADER + (
        "SH1,6926101813944620862,douyin,MS0402,2026-10-24 01:23:28,包装破损;物流延误,,2026-10-24 06:07:02,退货退款,26.90\n"
        "SH2,261020-973547575338238\t,pinduoduo,WJ0202,2026-10-24 05:02:07,赠品缺失、其他,少发了猫条,,,0.00\n"
        "SH3,2630050675872892800,taobao,ZL0102,2026-10-24 15:21:04, 包装破损 ；包装破损,,,,¥12.00\n"
        "SH4,2436486112327359369,taobao,WJ0401,2026-10-24 22:00:00,,,,,0.00\n"
        "SH5,261021-014128013535355,pinduoduo,MS0101,2026-10-24 22:00:00,质量太差,,,,0.00\n"
        "SH6,2927046524172493594,taobao,MS0401,2026-10-24 22:00:00,其他,,,,0.00\n"
        "SH7,2927046524172493595,taobao,MS0401,2026-10-24 22:00:00,包装破损、划痕;质量太差,,,,0.00\n"
        "SH8,2927046524172493596,taobao,MS0401,2026-10-24 22:00:00,;、,,,,0.00\n"
    )  # fmt: skip
    _write(tmp_path, "aftersales/aftersales_tickets_20261024.csv", body)
    # a later export: SH1 resolved again with another refund
    _write(tmp_path, "aftersales/aftersales_tickets_20261025.csv", AS_HEADER +
           "SH1,6926101813944620862,douyin,MS0402,2026-10-24 01:23:28,包装破损;物流延误,,2026-10-25 10:00:00,仅退款,30.00\n")  # fmt: skip
    # names carry only the day: the export time is the file's mtime (as the generator sets it)
    for day in (24, 25):
        stamp = datetime(2026, 10, day, 23, tzinfo=SHANGHAI).timestamp()
        os.utime(tmp_path / f"aftersales/aftersales_tickets_202610{day}.csv", (stamp, stamp))
    con = duckdb.connect()
    ingest_source(con, SOURCES["aftersales_tickets"], tmp_path, LOADED_AT)
    assert conservation_violations(con, "aftersales_tickets") == []
    first = "aftersales/aftersales_tickets_20261024.csv"
    assert con.execute(
        "select ticket_no, order_no, reason_tags, note, refund_amount from raw.aftersales_tickets "
        "where _source_file = ? order by 1",
        [first],
    ).fetchall() == [
        ("SH1", "6926101813944620862", "包装破损;物流延误", None, Decimal("26.90")),
        ("SH2", "261020-973547575338238", "赠品缺失;其他", "少发了猫条", Decimal("0.00")),
        ("SH3", "2630050675872892800", "包装破损", None, Decimal("12.00")),
    ]
    assert con.execute("select row_number, reason from raw.rejected_rows order by 1").fetchall() == [
        (5, "原因标签 is empty"),
        (6, f"原因标签 '质量太差' is not a standard tag ({TAG_LIST})"),
        (7, "原因标签 其他 needs 补充说明 (empty)"),
        (8, f"原因标签 '划痕', '质量太差' are not standard tags ({TAG_LIST})"),
        (9, "原因标签 ';、' holds no tag"),
    ]
    create_staging_view(con, "stg_aftersales__tickets")
    assert con.execute(
        "select ticket_no, order_key, reason_tags, resolved_at, resolution, refund_amount "
        "from staging.stg_aftersales__tickets order by 1"
    ).fetchall() == [
        ("SH1", "douyin:6926101813944620862", "包装破损;物流延误", datetime(2026, 10, 25, 10), "仅退款",
         Decimal("30.00")),
        ("SH2", "pinduoduo:261020-973547575338238", "赠品缺失;其他", None, None, Decimal("0.00")),
        ("SH3", "taobao:2630050675872892800", "包装破损", None, None, Decimal("12.00")),
    ]  # fmt: skip


# ------------------------------------------------------------------ inventory, products, inquiries


def test_inventory_products_and_inquiries(tmp_path):
    _write(
        tmp_path,
        "inventory/stock_snapshot_20261015.csv",
        '快照时间,仓库编码,商家编码,可用库存\r\n2026/10/15 00:00,WH-SH,DG0101,"2,848"\r\n'
        "2026/10/15 06:00,WH-SH,DG0101,很多\r\n",
        "gb18030",
    )
    _write(
        tmp_path,
        "products/sku_master.csv",
        "\ufeff商家编码,商品名称,类目,商品条码,供应商,成本价\n"
        "DG0101,橙镜 鸡肉冻干双拼猫粮 500g,冻干粮系列,6942731000000,青岛佳宠食品有限公司,71.00\n"
        "ZP0002,猫条 1支装,赠品,6942731000017,青岛佳宠食品有限公司,¥1.50\n",
    )
    _write(
        tmp_path,
        "inquiries/cs_inquiries_20261016.csv",
        "咨询时间,订单号,平台,渠道,问题类型\r\n2026/10/16 05:03,261015-408779156224142,pinduoduo,拼多多客服,物流查询\r\n"
        "2026/10/16 06:00,,,电话,商品咨询\r\n2026/10/16 07:00,2955836690033385713,,旺旺,售后\r\n"
        "2026/10/16 08:00,2955836690033385713,taobao,旺旺,投诉\r\n",
        "utf-16",
    )
    # fmt: skip
    con = duckdb.connect()
    for name in ("inventory_snapshots", "products", "inquiries"):
        ingest_source(con, SOURCES[name], tmp_path, LOADED_AT)
        assert conservation_violations(con, name) == []
    for model in ("stg_inventory__snapshots", "stg_products__products", "stg_inquiries__inquiries"):
        create_staging_view(con, model)
    assert con.execute("select * exclude (_source_file, _row_number, _export_time) "
                       "from staging.stg_inventory__snapshots").fetchall() == [
        (datetime(2026, 10, 15), "WH-SH", "DG0101", 2848)
    ]  # fmt: skip
    assert con.execute("select sku, category, barcode, cost_price from staging.stg_products__products "
                       "order by 1").fetchall() == [
        ("DG0101", "冻干粮系列", "6942731000000", Decimal("71.00")),
        ("ZP0002", "赠品", "6942731000017", Decimal("1.50")),
    ]  # fmt: skip
    assert con.execute("select asked_at, order_key, channel, topic from staging.stg_inquiries__inquiries "
                       "order by 1").fetchall() == [
        (datetime(2026, 10, 16, 5, 3), "pinduoduo:261015-408779156224142", "拼多多客服", "物流查询"),
        (datetime(2026, 10, 16, 6), None, "电话", "商品咨询"),
    ]  # fmt: skip
    assert con.execute(
        "select source, row_number, reason from raw.rejected_rows order by 1, 2"
    ).fetchall() == [
        ("inquiries", 4, "订单号 given without 平台"),
        ("inquiries", 5, "问题类型 '投诉' is not a known value (物流查询, 售后, 商品咨询, 其他)"),
        ("inventory_snapshots", 3, "可用库存 '很多' is not a whole number"),
    ]


# ------------------------------------------------------------------------------------------- the generator


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    pytest.importorskip("pipelines.synthetic")
    from pipelines.synthetic import generate

    out = tmp_path_factory.mktemp("zone") / "landing"
    generate(out, orders=1000, days=10, seed=1, receipts=False, progress=False)
    con = duckdb.connect()
    for name in MINE:
        report = ingest_source(con, SOURCES[name], out, LOADED_AT)
        assert not report.failed, report.failed
        assert conservation_violations(con, name) == []
    for model in ("stg_tracks__pushes", "stg_tracks__track_nodes", "stg_tracks__parcels",
                  "stg_miniprogram__order_lines", "stg_aftersales__tickets"):  # fmt: skip
        create_staging_view(con, model)
    truth = out / "_truth"
    for name in ("rejected_rows", "tracking", "order_lines", "aftersales_tickets", "meta"):
        if name == "meta":
            meta = json.loads((truth / "meta.json").read_text(encoding="utf-8"))
            continue
        con.execute(f"create table t_{name} as select * from read_csv(?, all_varchar = true)", [
            str(truth / f"{name}.csv")
        ])  # fmt: skip
    return con, meta


def test_generated_bad_rows_are_exactly_the_rejected_ones(generated):
    con, _meta = generated
    folders = [
        "tracks",
        "orders/miniprogram",
        "warehouse",
        "inventory",
        "products",
        "aftersales",
        "inquiries",
    ]
    truth = con.execute(
        "select source_file, cast(row_number as integer) from t_rejected_rows "
        f"where source in ({', '.join('?' for _ in folders)}) order by all",
        folders,
    ).fetchall()
    assert truth  # the generator plants bad after-sales tickets
    ours = con.execute(
        f"select source_file, row_number from raw.rejected_rows where source in ({', '.join('?' for _ in MINE)}) "
        "order by all",
        MINE,
    ).fetchall()
    # both number rows by line in the file (header = line 1)
    assert ours == truth


def test_generated_tracks_match_the_truth(generated):
    con, _meta = generated
    diff = con.execute(
        """
        select t.tracking_no, p.tracking_no
        from (select * from t_tracking where cast(nodes as integer) > 0) t
        full join staging.stg_tracks__parcels p on p.tracking_no = t.tracking_no
        where t.tracking_no is null or p.tracking_no is null
            or t.carrier <> p.carrier or t.latest_state <> p.latest_state
            or cast(t.first_node_at as timestamp) <> p.first_node_at
            or cast(t.latest_node_at as timestamp) <> p.latest_node_at
            or cast(t.nodes as integer) <> p.nodes or cast(t.pushes as integer) <> p.pushes
        """
    ).fetchall()
    assert diff == []
    assert con.execute("select count(*) from staging.stg_tracks__parcels").fetchone()[0] > 100


def test_generated_miniprogram_lines_and_tickets_match_the_truth(generated):
    con, _meta = generated
    lines = """
        select order_key, sku, cast(quantity as integer), cast(line_amount as decimal(18, 2)), is_gift = 'true'
        from t_order_lines where order_key like 'miniprogram:%'
    """
    ours = "select order_key, sku, quantity, line_amount, is_gift from staging.stg_miniprogram__order_lines"
    assert con.execute(f"select count(*) from ({lines})").fetchone()[0] > 20
    assert con.execute(f"select count(*) from (({lines}) except all ({ours}))").fetchone() == (0,)
    assert con.execute(f"select count(*) from (({ours}) except all ({lines}))").fetchone() == (0,)
    tickets = """
        select ticket_no, order_key, sku, replace(reason_tags, '|', ';'), cast(applied_at as timestamp)
        from t_aftersales_tickets
    """
    ours = "select ticket_no, order_key, sku, reason_tags, applied_at from staging.stg_aftersales__tickets"
    assert con.execute(f"select count(*) from ({tickets})").fetchone()[0] > 5
    assert con.execute(f"select count(*) from (({tickets}) except all ({ours}))").fetchone() == (0,)
    assert con.execute(f"select count(*) from (({ours}) except all ({tickets}))").fetchone() == (0,)


def test_track_node_times_and_their_errors():
    from pipelines.sources.tracks import PushError, push_rows

    push = _push(
        ZTO, "zhongtong", "polling", "0", "0", [("2026/10/16 09:00", "x", "0", ""), ("昨天", "y", "1", "")]
    )
    with pytest.raises(
        PushError, match=r"^data\[1\]\.time '昨天' is not a time \(expected YYYY-MM-DD HH:MM:SS\)$"
    ):
        push_rows(push, 1, 1)
    push["lastResult"]["data"].pop()
    push["lastResult"]["data"][0]["statusCode"] = "在途"
    with pytest.raises(PushError, match=r"^data\[0\]\.statusCode '在途' is not a 快递100 state code"):
        push_rows(push, 1, 1)
    push["lastResult"]["data"][0]["statusCode"] = 0
    (row,) = push_rows(push, 1, 1)
    assert (row["node_time"], row["node_state"], row["area_name"]) == (datetime(2026, 10, 16, 9), "0", None)
