"""The bulk path of the JSON sources (DuckDB's JSON reader) gives exactly what the Python parsers give.

Every file is loaded twice into separate warehouses, once with the source's bulk path and once with the
parser alone; the raw tables, rejected rows and manifests must be identical (row for row). The files mix
the plain shape the bulk SQL takes with everything it must hand to the parser: odd values (numbers
for texts, unix times, padded or numeric-looking texts, NaN, booleans), blank lines, pretty-printed
objects, trailing commas, BOMs, U+2028 inside a line, broken JSON, empty files.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import conservation_violations, ingest_source
from pipelines.sources.common import PY_WHITESPACE, plain_json_shape
from pipelines.sources.registry import SOURCES

LOADED_AT = datetime(2026, 10, 25, 9)
BULK = [name for name, s in SOURCES.items() if getattr(s, "bulk", None) is not None]


def _node(t, ctx="【上海市】快件已到达 上海转运中心", code="0", area="上海市", ftime=None):
    return {
        "time": t,
        "ftime": t if ftime is None else ftime,
        "context": ctx,
        "statusCode": code,
        "areaName": area,
    }


def _push(nu="SF1000000000001", com="shunfeng", status="polling", state="0", ischeck="0", data=None):
    if data is None:
        data = [_node("2026-10-15 20:00:00"), _node("2026-10-15 09:30:00", code="1")]
    return {"status": status, "billstatus": "got", "lastResult": {"nu": nu, "ischeck": ischeck, "com": com,
                                                                  "state": state, "data": data}}  # fmt: skip


def _line(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _write(root: Path, rel: str, data: bytes | str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


ODD_PUSHES = {
    "nu_number": _push(nu=73600316247086),
    "nu_float": _push(nu=7.0),
    "nu_bool": _push(nu=True),
    "nu_padded": _push(nu=" SF1000000000002 "),
    "nu_nan": _push(nu=float("nan")),
    "state_number": _push(state=3),
    "state_float": _push(state=3.0),
    "state_empty": _push(state=""),
    "state_text": _push(state="在途"),
    "ischeck_bool": _push(ischeck=True),
    "ischeck_number": _push(ischeck=1),
    "status_empty": _push(status=""),
    "status_unknown": _push(status="done"),
    "carrier_unknown": _push(com="dhl"),
    "no_data": _push(data=[]),
    "data_null": _push(data=None),
    "unix_time": _push(data=[_node(1792197000), _node("1792116000")]),
    "slash_time": _push(data=[_node("2026/10/16 09:00")]),
    "bad_time": _push(data=[_node("2026-02-30 10:00:00")]),
    "hour_24": _push(data=[_node("2026-10-15 24:00:00")]),
    "empty_time": _push(data=[_node("")]),
    "ftime_other": _push(data=[_node("2026-10-15 20:00:00", ftime="2026-10-15 20:05:00")]),
    "ftime_null": _push(data=[{**_node("2026-10-15 20:00:00"), "ftime": None}]),
    "ftime_empty": _push(data=[_node("2026-10-15 20:00:00", ftime="")]),
    "ctx_padded": _push(data=[_node("2026-10-15 20:00:00", ctx="\u3000已签收 ")]),
    "ctx_digits": _push(data=[_node("2026-10-15 20:00:00", ctx="3号楼已签收")]),
    "ctx_number": _push(data=[_node("2026-10-15 20:00:00", ctx=12.0)]),
    "ctx_bool": _push(data=[_node("2026-10-15 20:00:00", ctx=False)]),
    "ctx_object": _push(data=[_node("2026-10-15 20:00:00", ctx={"a": 1})]),
    "ctx_empty": _push(data=[_node("2026-10-15 20:00:00", ctx="")]),
    "ctx_whitespace_inside": _push(data=[_node("2026-10-15 20:00:00", ctx="已 签\t收")]),
    "area_null": _push(data=[_node("2026-10-15 20:00:00", area=None)]),
    "node_null": _push(data=[None]),
    "node_number": _push(data=[5]),
    "no_last_result": {"status": "polling"},
}


@pytest.fixture
def tracks_zone(tmp_path) -> Path:
    plain = [_line(_push(nu=f"SF10000000000{i:02d}", state=str(i % 5))) for i in range(30)]
    _write(tmp_path, "tracks/kuaidi100_push_20261015.jsonl", "\n".join(plain) + "\n")
    _write(tmp_path, "tracks/kuaidi100_push_20261016.jsonl", "\n".join(plain[:3]))  # no final newline
    _write(tmp_path, "tracks/kuaidi100_batch_20261016.json", "[\n" + ",\n".join(plain[3:9]) + "\n]\n")
    _write(tmp_path, "tracks/kuaidi100_20261016_101010_SF1.json", plain[9] + "\n")
    for i, (name, push) in enumerate(ODD_PUSHES.items()):
        # each odd push alone in a file of plain ones, so one odd value sends only its own file to the parser
        _write(
            tmp_path,
            f"tracks/odd_{i:02d}_{name}.jsonl",
            "\n".join([plain[10], _line(push), plain[11]]) + "\n",
        )
        _write(
            tmp_path, f"tracks/odd_array_{i:02d}_{name}.json", json.dumps([push, _push()], ensure_ascii=False)
        )
    shapes = {
        "blank_line": plain[0] + "\n\n" + plain[1] + "\n",
        "blank_last": plain[0] + "\n" + plain[1] + "\n\n",
        "spaces_line": plain[0] + "\n  \n" + plain[1] + "\n",
        "crlf": plain[0] + "\r\n" + plain[1] + "\r\n",
        "bom": "\ufeff" + plain[0] + "\n" + plain[1] + "\n",
        "u2028": plain[0] + "\n" + plain[1].replace("上海市", "上海\u2028市") + "\n",
        "vertical_tab": plain[0] + "\n" + plain[1].replace("上海市", "上海\x0b市") + "\n",
        "file_separator": plain[0] + "\n" + plain[1].replace("上海市", "上海\x1c市") + "\n",
        "lone_cr": plain[0] + "\n" + plain[1].replace(',"com"', ',\r"com"') + "\n",
        "trailing_comma": plain[0] + "\n" + plain[1][:-1] + ", }\n",
        "pretty": json.dumps(_push(), ensure_ascii=False, indent=2),
        "two_on_a_line": plain[0] + " " + plain[1] + "\n",
        "split_object": plain[0][:20] + "\n" + plain[0][20:] + "\n",
        "array_line": plain[0] + "\n[" + plain[1] + "]\n",
        "null_line": plain[0] + "\nnull\n",
        "broken": plain[0] + '\n{"status":"polling","lastResult":{"com":"zhongtong","nu":"7360\n',
        "leading_space": " " + plain[0] + "\n" + plain[1] + "\n",
        "two_arrays": "[" + plain[0] + "]\n[" + plain[1] + "]\n",
        "array_of_numbers": "[1, 2]",
        "empty": "",
        "not_json": "these are the courier pushes\n",
        "duplicate_key": plain[0][:-1] + ',"status":"shutdown"}\n',
    }
    for name, text in shapes.items():
        _write(tmp_path, f"tracks/shape_{name}.jsonl", text)
    _write(tmp_path, "tracks/shape_latin1.jsonl", plain[0].encode("utf-8") + b'\n{"status":"\xe9"}\n')
    return tmp_path


def _tables(con, name: str) -> dict[str, list]:
    return {
        "raw": con.execute(f"select * exclude (_loaded_at) from raw.{name} order by all").fetchall(),
        "rejected": con.execute(
            "select * exclude (_loaded_at) from raw.rejected_rows order by all"
        ).fetchall(),
        "manifest": con.execute(
            "select * exclude (loaded_at) from raw._manifest order by source_file"
        ).fetchall(),
    }


def _both_ways(zone: Path, name: str) -> tuple[dict, dict, list]:
    source = SOURCES[name]
    bulk_con, parser_con = duckdb.connect(), duckdb.connect()
    report = ingest_source(bulk_con, source, zone, LOADED_AT)
    ingest_source(parser_con, dataclasses.replace(source, bulk=None), zone, LOADED_AT)
    assert conservation_violations(bulk_con, name) == []
    return _tables(bulk_con, name), _tables(parser_con, name), report.files


def _assert_same(bulk: dict, parser: dict) -> None:
    for table in ("raw", "rejected", "manifest"):
        only_bulk = [r for r in bulk[table] if r not in parser[table]]
        only_parser = [r for r in parser[table] if r not in bulk[table]]
        assert (only_bulk, only_parser) == ([], []), f"{table}: bulk path and parser differ"
        assert bulk[table] == parser[table]


def test_tracks_bulk_path_equals_the_parser(tracks_zone):
    bulk, parser, files = _both_ways(tracks_zone, "tracks")
    _assert_same(bulk, parser)
    readers = {f.source_file.removeprefix("tracks/"): f.reader for f in files}
    # the plain files (lines, no final newline, an array, a single object) are read by DuckDB...
    assert {n: r for n, r in readers.items() if n.startswith("kuaidi100")} == dict.fromkeys(
        ["kuaidi100_20261016_101010_SF1.json", "kuaidi100_batch_20261016.json", "kuaidi100_push_20261015.jsonl",
         "kuaidi100_push_20261016.jsonl"], "duckdb")  # fmt: skip
    # ...every other shape by the parser, and odd values by the parser unless the SQL reads them alike
    assert {n for n, r in readers.items() if n.startswith("shape_") and r != "python"} == set()
    by_duckdb = sorted(n.split("_", 2)[2].rsplit(".", 1)[0] for n, r in readers.items() if n.startswith("odd_")
                       and r == "duckdb" and not n.startswith("odd_array"))  # fmt: skip
    assert by_duckdb == ["area_null", "ctx_whitespace_inside", "data_null", "ftime_null", "ftime_other",
                         "ischeck_number", "no_data", "nu_number", "state_number"]  # fmt: skip
    # the odd values really reach both paths: some are rejected, some loaded
    assert len(parser["rejected"]) >= 15 and len(parser["raw"]) > 100


def test_plain_shape_takes_only_what_the_sql_reads_like_python():
    plain = _line(_push())
    assert plain_json_shape((plain + "\n" + plain + "\n").encode()) == ("newline_delimited", 2)
    assert plain_json_shape(plain.encode()) == ("newline_delimited", 1)
    assert plain_json_shape(f"[{plain},{plain}]".encode()) == ("array", 2)
    for text in (f"{plain}\n\n{plain}", f" {plain}", f"{plain}\r\n", "\ufeff" + plain, "[1]", "[", "", "{\n}",
                 plain[:-1] + ",}", plain[:-1] + ", \t}", f"{plain}\n[{plain}]"):  # fmt: skip
        assert plain_json_shape(text.encode()) is None, text
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == PY_WHITESPACE


def test_generated_json_sources_bulk_path_equals_the_parser(tmp_path):
    from pipelines.synthetic import generate

    zone = tmp_path / "landing"
    generate(zone, orders=600, days=5, seed=3, receipts=False, progress=False)
    for name in BULK:
        bulk, parser, files = _both_ways(zone, name)
        _assert_same(bulk, parser)
        assert {f.reader for f in files} == {"duckdb"}, [f.source_file for f in files if f.reader != "duckdb"]
        assert len(bulk["raw"]) > 100


# ----------------------------------------------------------------------------------- 有赞 mini-program


def _order(tid="E20261015070342279062571", status="WAIT_BUYER_CONFIRM_GOODS", order=None, pay=None, addr=None,
           lines=None, deliveries=None) -> dict:  # fmt: skip
    info = {
        "order_info": {"tid": tid, "status": status, "created": "2026-10-15 07:03:42",
                       "pay_time": "2026-10-15 07:04:33", "consign_time": "", "success_time": "",
                       "update_time": "2026-10-15 09:35:06", **(order or {})},
        "pay_info": {"payment": "71.80", "total_fee": "71.80", "post_fee": "0.00", **(pay or {})},
        "address_info": {"receiver_name": "$722006527003AbX=$1$", "receiver_tel": "$722006527015AbX=$1$",
                         "delivery_province": "甘肃省", "delivery_city": "兰州市", "delivery_district": "城关区",
                         "delivery_address": "$398128951355AbX=$1$", **(addr or {})},
        "orders": [{"oid": "2026101500000004", "outer_sku_id": "LS0302", "title": "橙镜 冻干鸡肉粒 500g", "num": 2,
                    "payment": "71.80", "is_present": False},
                   {"oid": "2026101500000005", "outer_sku_id": "ZP0002", "title": "猫条 1支装", "num": 1,
                    "payment": "0.00", "is_present": True}] if lines is None else lines,
        "delivery_order": [{"express_info": {"express_id": 7, "express_no": "SF0324279062571"}},
                           {"express_info": {"express_id": 2, "express_no": "YT1234567890123"}},
                           {"express_info": {"express_id": 7, "express_no": "SF0324279062571"}}]
        if deliveries is None else deliveries,
    }  # fmt: skip
    return {"full_order_info": info}


def _item(**kw) -> dict:
    return {"oid": "2026101500000009", "outer_sku_id": "LS0101", "title": "猫条 6L", "num": 1, "payment": "46.90",
            "is_present": False, **kw}  # fmt: skip


ODD_ORDERS = {
    "tid_number": _order(tid=20261015070342279062571),
    "tid_padded": _order(tid=" E20261015070342279062571"),
    "tid_short": _order(tid="E123"),
    "tid_wrapped": _order(tid='="E20261015070342279062571"'),
    "status_unknown": _order(status="TRADE_PAID"),
    "closed_paid": _order(status="TRADE_CLOSED"),
    "closed_unpaid": _order(status="TRADE_CLOSED", order={"pay_time": ""}),
    "closed_pay_null": _order(status="TRADE_CLOSED", order={"pay_time": None}),
    "created_empty": _order(order={"created": ""}),
    "created_unix": _order(order={"created": "1792197000"}),
    "pay_time_slash": _order(order={"pay_time": "2026/10/15 07:04"}),
    "pay_time_token": _order(order={"pay_time": "-"}),
    "success_bad": _order(order={"success_time": "2026-13-01 00:00:00"}),
    "payment_number": _order(pay={"payment": 71.8}),
    "payment_int": _order(pay={"payment": 71}),
    "payment_yuan": _order(pay={"payment": "¥71.80"}),
    "payment_3dp": _order(pay={"payment": "71.801"}),
    "payment_empty": _order(pay={"payment": ""}),
    "post_fee_empty": _order(pay={"post_fee": ""}),
    "post_fee_null": _order(pay={"post_fee": None}),
    "pay_info_null": {"full_order_info": {**_order()["full_order_info"], "pay_info": None}},
    "addr_nbsp": _order(addr={"delivery_city": "兰州\u00a0市"}),
    "addr_wrapped": _order(addr={"delivery_city": '="兰州市"'}),
    "addr_token": _order(addr={"delivery_district": "无"}),
    "addr_number": _order(addr={"receiver_tel": 13800000000}),
    "addr_float": _order(addr={"receiver_tel": 12.5}),
    "addr_bool": _order(addr={"receiver_tel": True}),
    "addr_null": _order(addr={"receiver_name": None}),
    "addr_padded": _order(addr={"delivery_address": "中山路 1 号 "}),
    "addr_digit_first": _order(addr={"delivery_address": "1号楼"}),
    "addr_object": _order(addr={"delivery_address": {"x": 1}}),
    "no_lines": _order(lines=[]),
    "lines_missing": {"full_order_info": {k: v for k, v in _order()["full_order_info"].items() if k != "orders"}},
    "item_null": _order(lines=[_item(), None]),
    "oid_number": _order(lines=[_item(oid=2026101500000009)]),
    "oid_empty": _order(lines=[_item(oid="")]),
    "num_float": _order(lines=[_item(num=2.0)]),
    "num_text": _order(lines=[_item(num="2")]),
    "num_thousands": _order(lines=[_item(num="1,000")]),
    "num_word": _order(lines=[_item(num="两")]),
    "line_payment_empty": _order(lines=[_item(payment="")]),
    "line_payment_null": _order(lines=[_item(payment=None)]),
    "present_true_text": _order(lines=[_item(is_present="true")]),
    "present_one": _order(lines=[_item(is_present=1)]),
    "present_null": _order(lines=[_item(is_present=None)]),
    "present_yes": _order(lines=[_item(is_present="yes")]),
    "title_padded": _order(lines=[_item(title=" 猫条")]),
    "no_deliveries": _order(deliveries=[]),
    "deliveries_null": _order(deliveries=None) | {"full_order_info": {**_order()["full_order_info"],
                                                                       "delivery_order": None}},
    "delivery_null": _order(deliveries=[None, {"express_info": {"express_id": 2, "express_no": "YT1"}}]),
    "express_info_null": _order(deliveries=[{"express_info": None}]),
    "express_id_missing": _order(deliveries=[{"express_info": {"express_no": "YT1"}}]),
    "express_id_text": _order(deliveries=[{"express_info": {"express_id": "中通", "express_no": "ZT1"}}]),
    "express_no_padded": _order(deliveries=[{"express_info": {"express_id": 2, "express_no": "YT1\t"}}]),
    "express_no_number": _order(deliveries=[{"express_info": {"express_id": 2, "express_no": 773001}}]),
    "no_full_order_info": {"order": {}},
}  # fmt: skip


def test_miniprogram_bulk_path_equals_the_parser(tmp_path):
    plain = [_line(_order(tid=f"E2026101507034227906{i:04d}")) for i in range(20)]
    _write(tmp_path, "orders/miniprogram/youzan_orders_20261015_230000.jsonl", "\n".join(plain) + "\n")
    for i, (name, order) in enumerate(ODD_ORDERS.items()):
        rel = f"orders/miniprogram/odd_{i:02d}_{name}.jsonl"
        _write(tmp_path, rel, "\n".join([plain[0], _line(order), plain[1]]) + "\n")
    _write(tmp_path, "orders/miniprogram/shape_null_line.jsonl", plain[2] + "\nnull\n")
    _write(tmp_path, "orders/miniprogram/shape_blank_line.jsonl", plain[2] + "\n\n" + plain[3] + "\n")
    bulk, parser, files = _both_ways(tmp_path, "orders_miniprogram")
    _assert_same(bulk, parser)
    readers = {f.source_file.split("/")[-1].split(".")[0]: f.reader for f in files}
    assert readers.pop("youzan_orders_20261015_230000") == "duckdb"
    assert {n: r for n, r in readers.items() if n.startswith("shape_")} == {
        "shape_null_line": "python",
        "shape_blank_line": "python",
    }
    by_duckdb = sorted(
        n.split("_", 2)[2] for n, r in readers.items() if n.startswith("odd_") and r == "duckdb"
    )
    assert by_duckdb == sorted(["closed_paid", "closed_unpaid", "closed_pay_null", "post_fee_empty", "post_fee_null",
                                "payment_number", "payment_int", "addr_number", "addr_null",
                                "oid_number", "num_text", "line_payment_empty", "line_payment_null",
                                "present_true_text", "present_one", "present_null", "no_deliveries",
                                "deliveries_null", "delivery_null", "express_info_null", "express_id_missing",
                                "express_id_text", "express_no_number"])  # fmt: skip
    assert len(parser["rejected"]) >= 15


def test_small_json_lines_files_are_read_in_one_concatenated_read(tmp_path):
    """Several small JSON-lines files in one DuckDB read: each record keeps its own file and its position."""
    from pipelines.ingest import _Pending, _read_json_lines_concatenated

    files = []
    for k, (n, final_newline) in enumerate([(2, True), (1, False), (3, True)]):
        lines = [_line(_push(nu=f"SF{k}00{i}")) for i in range(n)]
        _write(tmp_path, f"tracks/p{k}.jsonl", "\n".join(lines) + ("\n" if final_newline else ""))
        path = tmp_path / f"tracks/p{k}.jsonl"
        assert plain_json_shape(path.read_bytes()) == ("newline_delimited", n)
        files.append((_Pending(path, path.name, str(k), LOADED_AT), n))
    with duckdb.connect() as con:
        assert _read_json_lines_concatenated(con, SOURCES["tracks"], files, tmp_path)
        got = con.execute("select _file, lastResult.nu from _records order by rowid").fetchall()
    assert got == [(f.path.as_posix(), f"SF{k}00{i}") for k, (f, n) in enumerate(files) for i in range(n)]
    assert list(tmp_path.glob("cat-*")) == []  # the concatenated file is removed
