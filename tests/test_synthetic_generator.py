"""The synthetic landing zone: contract fidelity, quirks, truth agrees with the files, determinism.

The checks re-read the written files with their own small readers (no import from pipelines.sources,
and nothing from the generator except ``generate``), so a bug in the generator's writers or truth
cannot hide on both sides.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

from pipelines.synthetic import generate

ORDERS, DAYS, SEED = 2000, 30, 42

CONTRACT = {
    "douyin": [
        "主订单编号",
        "子订单编号",
        "选购商品",
        "商品ID",
        "商家编码",
        "商品数量",
        "商品金额",
        "订单应付金额",
        "订单提交时间",
        "支付完成时间",
        "订单完成时间",
        "订单状态",
        "售后状态",
        "收件人",
        "收件人手机号",
        "省",
        "市",
        "区",
        "街道",
        "详细地址",
        "达人ID",
        "达人昵称",
        "直播间ID",
        "视频ID",
        "流量来源",
        "快递公司",
        "快递单号",
        "发货时间",
        "商家备注",
    ],
    "pinduoduo": [
        "订单号",
        "订单状态",
        "商品",
        "商品id",
        "商品规格",
        "商家编码-规格维度",
        "商品数量(件)",
        "商品总价(元)",
        "邮费(元)",
        "店铺优惠折扣(元)",
        "平台优惠折扣(元)",
        "用户实付金额(元)",
        "商家实收金额(元)",
        "订单成交时间",
        "支付时间",
        "发货时间",
        "确认收货时间",
        "收货人",
        "手机",
        "省",
        "市",
        "区",
        "街道",
        "快递单号",
        "快递公司",
        "售后状态",
        "商家备注",
    ],
    "taobao_list": [
        "订单编号",
        "买家会员名",
        "支付单号",
        "买家应付货款",
        "买家应付邮费",
        "总金额",
        "买家实际支付金额",
        "订单状态",
        "买家留言",
        "收货人姓名",
        "收货地址 ",
        "联系手机",
        "订单创建时间",
        "订单付款时间 ",
        "宝贝标题 ",
        "宝贝种类 ",
        "物流单号 ",
        "物流公司",
        "订单备注",
        "宝贝总数量",
        "店铺名称",
        "订单关闭原因",
    ],
    "taobao_detail": [
        "订单编号",
        "标题",
        "价格",
        "购买数量",
        "外部系统编号",
        "商品属性",
        "套餐信息",
        "备注",
        "订单状态",
        "商家编码",
    ],
    "erp": [
        "销售订单号",
        "客户编码",
        "客户名称",
        "下单时间",
        "商家编码",
        "数量",
        "单价",
        "金额",
        "订单总额",
        "仓库编码",
        "收货地址",
        "联系人",
        "联系电话",
        "状态",
    ],
    "settlements": ["结算时间", "结算单号", "订单号", "结算金额", "备注"],
    "warehouse": [
        "时间",
        "事件",
        "订单号",
        "平台",
        "仓库编码",
        "操作人",
        "物流单号",
        "商品条码",
        "波次号",
        "备注",
    ],
    "inventory": ["快照时间", "仓库编码", "商家编码", "可用库存"],
    "products": ["商家编码", "商品名称", "类目", "商品条码", "供应商", "成本价"],
    "aftersales": [
        "售后单号",
        "订单号",
        "平台",
        "商家编码",
        "申请时间",
        "原因标签",
        "补充说明",
        "处理完成时间",
        "处理结果",
        "退款金额",
    ],
    "inquiries": ["咨询时间", "订单号", "平台", "渠道", "问题类型"],
}
TAGS = {"包装破损", "物流延误", "发错商品", "商品瑕疵", "赠品缺失", "规格不符", "客户误购", "其他"}


# ----------------------------------------------------------------------------- independent readers
def decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gb18030"), "gb18030"


def read_csv(path: Path) -> tuple[list[str], list[list[str]], str]:
    text, enc = decode(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:], enc


def clean(v: str) -> str:
    v = v.strip().rstrip("\t").strip()
    m = re.fullmatch(r'="(.*)"', v)
    return m.group(1) if m else v


def export_time(name: str) -> str:
    m = re.search(r"(\d{8})_(\d{6})", name)
    return m.group(1) + m.group(2)


def ts(s: str) -> dt.datetime | None:
    s = clean(s)
    if not s:
        return None
    for f in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return dt.datetime.strptime(s, f)
        except ValueError:
            pass
    raise ValueError(s)


def truth_csv(zone: Path, name: str) -> list[dict]:
    with open(zone / "_truth" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def platform_orders(zone: Path) -> dict[str, dict]:
    """Latest state per order_key from the platform exports (latest export time wins) + history."""
    latest: dict[str, tuple[str, dict]] = {}
    history: dict[str, list[tuple[str, dict]]] = defaultdict(list)

    def put(key, t, rec):
        history[key].append((t, rec))
        if key not in latest or t >= latest[key][0]:
            latest[key] = (t, rec)

    for f in sorted((zone / "orders/douyin").glob("*.csv")):
        h, rows, _ = read_csv(f)
        t = export_time(f.name)
        by: dict[str, dict] = {}
        for r in rows:
            d = dict(zip(h, r, strict=True))
            if "x" in d["商品金额"]:
                continue
            by.setdefault(d["主订单编号"], d)
        for k, d in by.items():
            put(
                f"douyin:{k}",
                t,
                {
                    "status": d["订单状态"],
                    "after": d["售后状态"],
                    "paid": ts(d["支付完成时间"]),
                    "ship": ts(d["发货时间"]),
                    "addr": d["详细地址"] + d["街道"],
                },
            )
    from openpyxl import load_workbook

    for f in sorted((zone / "orders/pinduoduo").iterdir()):
        if f.suffix == ".xlsx":
            ws = load_workbook(f, read_only=True).active
            data = [[("" if c is None else str(c)) for c in row] for row in ws.iter_rows(values_only=True)]
            h, rows = data[0], data[1:]
        else:
            h, rows, _ = read_csv(f)
        t = export_time(f.name)
        for r in rows:
            d = {k: clean(v) for k, v in zip(h, r, strict=True)}
            if d["订单状态"] == "待成团":
                continue
            put(
                f"pinduoduo:{d['订单号']}",
                t,
                {
                    "status": d["订单状态"],
                    "paid": ts(d["支付时间"]),
                    "ship": ts(d["发货时间"]),
                    "addr": d["街道"],
                },
            )
    for f in sorted((zone / "orders/taobao").glob("ExportOrderList*.csv")):
        h, rows, _ = read_csv(f)
        h = [x.strip() for x in h]
        t = export_time(f.name)
        for r in rows:
            d = dict(zip(h, r, strict=True))
            if "E+" in d["订单编号"]:
                continue
            put(
                f"taobao:{clean(d['订单编号'])}",
                t,
                {"status": d["订单状态"], "paid": ts(d["订单付款时间"]), "ship": None},
            )
    for f in sorted((zone / "orders/miniprogram").glob("*.jsonl")):
        t = export_time(f.name)
        for line in f.read_text(encoding="utf-8").splitlines():
            oi = json.loads(line)["full_order_info"]["order_info"]
            put(
                f"miniprogram:{oi['tid']}",
                t,
                {
                    "status": oi["status"],
                    "paid": ts(oi["pay_time"] or ""),
                    "ship": ts(oi["consign_time"] or ""),
                },
            )
    for f in sorted((zone / "orders/erp").glob("*.csv")):
        h, rows, _ = read_csv(f)
        t = export_time(f.name)
        for r in rows:
            d = dict(zip(h, r, strict=True))
            if "x" in d["单价"]:
                continue
            put(f"erp:{d['销售订单号']}", t, {"status": d["状态"], "paid": ts(d["下单时间"]), "ship": None})
    out = {
        k: dict(v[1], export=v[0], history=sorted(history[k], key=lambda x: x[0])) for k, v in latest.items()
    }
    return out


def status_class(platform: str, rec: dict) -> str:
    s = rec["status"]
    if platform == "douyin":
        if rec["after"] == "退款成功":
            return "refunded"
        return {"待支付": "pending_payment", "已取消": "cancelled", "已完成": "completed"}.get(s, "open")
    if platform == "pinduoduo":
        if s.endswith("退款成功"):
            return "refunded"
        return {"待付款": "pending_payment", "已取消": "cancelled", "已收货": "completed"}.get(s, "open")
    if platform == "taobao":
        if s == "交易关闭":
            return "refunded" if rec["paid"] else "cancelled"
        return {"等待买家付款": "pending_payment", "交易成功": "completed"}.get(s, "open")
    if platform == "miniprogram":
        if s == "TRADE_CLOSED":
            return "refunded" if rec["paid"] else "cancelled"
        return {"WAIT_BUYER_PAY": "pending_payment", "TRADE_SUCCESS": "completed"}.get(s, "open")
    return {"已取消": "cancelled", "已完成": "completed"}.get(s, "open")


def load_tracks(zone: Path) -> dict[str, dict]:
    """Latest push per tracking number: the one whose newest node is newest (ties: more nodes)."""
    pushes = []
    for f in sorted((zone / "tracks").iterdir()):
        text = f.read_text(encoding="utf-8")
        if f.suffix == ".jsonl":
            pushes += [json.loads(x) for x in text.splitlines() if x.strip()]
        else:
            obj = json.loads(text)
            pushes += obj if isinstance(obj, list) else [obj]
    best: dict[str, dict] = {}
    for p in pushes:
        lr = p["lastResult"]
        key = (lr["data"][0]["time"], len(lr["data"]))
        cur = best.get(lr["nu"])
        if cur is None or key > cur["key"]:
            best[lr["nu"]] = {"key": key, "state": lr["state"], "com": lr["com"], "data": lr["data"]}
    return best


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
            h.update(str(int(p.stat().st_mtime)).encode())
    return h.hexdigest()


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("zone")
    summary = generate(root, orders=ORDERS, days=DAYS, seed=SEED, receipts=False, progress=False)
    assert summary["orders"] == ORDERS
    return root


@pytest.fixture(scope="module")
def meta(zone) -> dict:
    return json.loads((zone / "_truth/meta.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def orders_truth(zone) -> dict[str, dict]:
    return {r["order_key"]: r for r in truth_csv(zone, "orders.csv")}


@pytest.fixture(scope="module")
def exports(zone) -> dict[str, dict]:
    return platform_orders(zone)


# ----------------------------------------------------------------------------- contract and quirks
def test_every_contract_column_is_present(zone):
    checks = [
        ("orders/douyin/*.csv", "douyin"),
        ("orders/pinduoduo/*.csv", "pinduoduo"),
        ("orders/taobao/ExportOrderList*.csv", "taobao_list"),
        ("orders/taobao/ExportOrderDetailList*.csv", "taobao_detail"),
        ("orders/erp/*.csv", "erp"),
        ("settlements/*/*.csv", "settlements"),
        ("warehouse/*.csv", "warehouse"),
        ("inventory/*.csv", "inventory"),
        ("products/*.csv", "products"),
        ("aftersales/*.csv", "aftersales"),
        ("inquiries/*.csv", "inquiries"),
    ]
    for pattern, name in checks:
        files = sorted(zone.glob(pattern))
        assert files, pattern
        for f in files:
            header, _, _ = read_csv(f)
            assert header == CONTRACT[name], f
    from openpyxl import load_workbook

    xlsx = sorted(zone.glob("orders/pinduoduo/*.xlsx"))
    assert len(xlsx) >= 1
    ws = load_workbook(xlsx[0], read_only=True).active
    assert [c for c in next(ws.iter_rows(values_only=True))] == CONTRACT["pinduoduo"]
    line = (sorted(zone.glob("orders/miniprogram/*.jsonl"))[0]).read_text(encoding="utf-8").splitlines()[0]
    foi = json.loads(line)["full_order_info"]
    assert set(foi) == {"order_info", "pay_info", "address_info", "orders", "delivery_order"}
    assert set(foi["order_info"]) == {
        "tid",
        "status",
        "created",
        "pay_time",
        "consign_time",
        "success_time",
        "update_time",
    }
    assert set(foi["pay_info"]) == {"payment", "total_fee", "post_fee"}
    assert set(foi["orders"][0]) == {"oid", "outer_sku_id", "title", "num", "payment", "is_present"}


def test_quirks_really_appear(zone):
    tb = sorted(zone.glob("orders/taobao/ExportOrderList*.csv"))[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        tb.decode("utf-8")
    text = tb.decode("gb18030")
    assert re.search(r'\n="\d{19}",', text) and re.search(r'\n="\d{18}",', text)
    assert "收货地址 ," in text.splitlines()[0] and "订单付款时间 ," in text.splitlines()[0]
    all_tb = "".join(
        f.read_bytes().decode("gb18030") for f in zone.glob("orders/taobao/ExportOrderList*.csv")
    )
    assert ",No:" in all_tb
    assert "买家已付款,等待卖家发货" in all_tb and "卖家已发货，等待买家确认" in all_tb
    pdd = "".join(decode(f.read_bytes())[0] for f in zone.glob("orders/pinduoduo/*.csv"))
    assert "\t," in pdd and "已发货，待收货" in pdd and re.search(r"\n\d{6}-\d{15}\t,", pdd)
    dy = sorted(zone.glob("orders/douyin/*.csv"))[0].read_bytes()
    assert dy.startswith(b"\xef\xbb\xbf")
    dy_all = [r for f in zone.glob("orders/douyin/*.csv") for r in read_csv(f)[1]]
    multi = [r[26] for r in dy_all if re.search(r"[,;]", r[26])]
    assert any("," in m for m in multi) and any(";" in m for m in multi)
    assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", r[14]) for r in dy_all)
    assert any(r[6] == "0.00" for r in dy_all)  # gift lines
    assert any(r[22] == "" for r in dy_all) and any(r[22] != "" for r in dy_all)
    encs = {read_csv(f)[2] for f in zone.rglob("*.csv") if "_truth" not in f.parts}
    assert {"utf-8", "utf-8-sig", "gb18030", "utf-16"} <= encs
    mini = (sorted(zone.glob("orders/miniprogram/*.jsonl"))[0]).read_text(encoding="utf-8")
    assert re.search(r'"receiver_tel":"\$[^"]+\$1\$"', mini) and re.search(r'"tid":"E\d{14}\d+"', mini)
    tracks = [f.suffix for f in (zone / "tracks").iterdir()]
    assert {".json", ".jsonl"} <= set(tracks)
    assert any(
        isinstance(json.loads(f.read_text(encoding="utf-8")), list) for f in zone.glob("tracks/*.json")
    )
    assert any(
        isinstance(json.loads(f.read_text(encoding="utf-8")), dict) for f in zone.glob("tracks/*.json")
    )


def test_duplicate_exports_are_byte_identical(zone):
    dups = truth_csv(zone, "duplicate_files.csv")
    assert len(dups) == 2
    for d in dups:
        assert (zone / d["duplicate_file"]).read_bytes() == (zone / d["original_file"]).read_bytes()


# ----------------------------------------------------------------------------- truth agrees with the files
def test_status_agrees_with_latest_export(zone, orders_truth, exports):
    assert set(exports) == set(orders_truth)
    mism = []
    for key, rec in exports.items():
        t = orders_truth[key]
        cls = status_class(t["platform"], rec)
        ok = t["status"] in {"paid", "shipped", "signed"} if cls == "open" else t["status"] == cls
        if not ok:
            mism.append((key, rec["status"], t["status"]))
        paid = rec["paid"].strftime("%Y-%m-%d %H:%M:%S") if rec["paid"] else ""
        assert paid == t["paid_at"], key
    assert mism == []


def test_rejected_rows_point_at_bad_rows(zone, meta):
    rej = truth_csv(zone, "rejected_rows.csv")
    n = max(1, round(0.03 * ORDERS / 1000))
    by_source = defaultdict(int)
    for r in rej:
        by_source[r["source"]] += 1
        f = zone / r["source_file"]
        if f.suffix == ".csv":
            _, rows, _ = read_csv(f)
            row = rows[int(r["row_number"]) - 2]  # line numbers: header = 1, first data row = 2
        joined = ",".join(row)
        if r["source"] == "aftersales":
            tags = [t for t in re.split(r"[;、]", row[5]) if t]
            assert (not tags) or any(t not in TAGS for t in tags) or ("其他" in tags and not row[6])
        else:
            assert ("x" in joined and "." in joined) or "E+" in joined or "待成团" in joined
    assert dict(by_source) == {
        "orders/douyin": n,
        "orders/pinduoduo": n,
        "orders/taobao": n,
        "orders/erp": n,
        "aftersales": 3 * n,
    }
    # independently: every after-sales row the rules reject is listed, and nothing else
    found = set()
    for f in sorted(zone.glob("aftersales/*.csv")):
        _, rows, _ = read_csv(f)
        for i, row in enumerate(rows, 2):
            tags = [t for t in re.split(r"[;、]", row[5]) if t]
            if not tags or any(t not in TAGS for t in tags) or ("其他" in tags and not row[6]):
                found.add((f"aftersales/{f.name}", str(i)))
    assert found == {(r["source_file"], r["row_number"]) for r in rej if r["source"] == "aftersales"}
    assert meta["counts"]["rejected_rows"] == len(rej)


def test_latest_track_state_per_tracking_number(zone):
    tracks = load_tracks(zone)
    truth = {r["tracking_no"]: r for r in truth_csv(zone, "tracking.csv")}
    with_nodes = {k: v for k, v in truth.items() if v["latest_state"] != ""}
    assert set(tracks) == set(with_nodes)
    for nu, p in tracks.items():
        assert p["state"] == with_nodes[nu]["latest_state"], nu
        assert p["data"][0]["statusCode"] == p["state"]
        assert p["com"] == with_nodes[nu]["carrier"]
    as_of = dt.datetime.strptime(
        json.loads((zone / "_truth/meta.json").read_text())["as_of"], "%Y-%m-%d %H:%M:%S"
    )
    exc = {}
    for nu, p in tracks.items():
        st, last = p["state"], dt.datetime.strptime(p["data"][0]["time"], "%Y-%m-%d %H:%M:%S")
        if st in ("4", "14"):
            exc[nu] = "rejected"
        elif st == "6":
            exc[nu] = "returned"
        elif st == "2":
            exc[nu] = "problem"
        elif st in ("0", "1", "5", "7") and last < as_of - dt.timedelta(hours=24):
            exc[nu] = "stalled_24h"
    truth_exc = {r["tracking_no"]: r["exception_type"] for r in truth_csv(zone, "logistics_exceptions.csv")}
    assert exc == truth_exc


def test_logistics_exceptions_match_planted_counts(zone, meta):
    exc = truth_csv(zone, "logistics_exceptions.csv")
    a = meta["anomalies"]
    kinds = defaultdict(int)
    for r in exc:
        kinds[r["exception_type"]] += 1
    assert kinds["rejected"] == a["track_rejected"] + a["track_refused"]
    assert kinds["returned"] == a["track_returned"]
    assert kinds["problem"] == a["track_problem"]
    assert kinds["stalled_24h"] == a["track_stalled"]


def _warehouse_log(zone: Path):
    rows = []
    for f in sorted(zone.glob("warehouse/*.csv")):
        h, rs, _ = read_csv(f)
        rows += [dict(zip(h, r, strict=True)) for r in rs]
    return rows


def test_heatmap_recomputed_from_files(zone, exports, meta):
    as_of = dt.datetime.strptime(meta["as_of"], "%Y-%m-%d %H:%M:%S")
    log = _warehouse_log(zone)
    first_review: dict[str, tuple] = {}
    outbound: dict[str, dt.datetime] = {}
    nu_orders: dict[str, set] = defaultdict(set)
    for r in log:
        key = f"{r['平台']}:{r['订单号']}"
        t = ts(r["时间"])
        if r["事件"] == "审单" and (key not in first_review or t < first_review[key][0]):
            first_review[key] = (t, r["仓库编码"])
        if r["事件"] == "出库":
            outbound[key] = min(outbound.get(key, t), t)
        if r["物流单号"]:
            nu_orders[r["物流单号"]].add(key)
    first_node: dict[str, dt.datetime] = {}
    for nu, p in load_tracks(zone).items():
        t0 = dt.datetime.strptime(p["data"][-1]["time"], "%Y-%m-%d %H:%M:%S")
        for key in nu_orders.get(nu, ()):
            first_node[key] = min(first_node.get(key, t0), t0)
    grid = defaultdict(int)
    as_day = as_of.date()
    days = [as_day - dt.timedelta(days=i) for i in range(29, -1, -1)]
    for key, rec in exports.items():
        if not rec["paid"]:
            continue
        cands = [x for x in (outbound.get(key), first_node.get(key), rec["ship"]) if x]
        shipped = min(cands) if cands else None
        # cancellation/refund: the export time at which the state was first seen
        term = None
        for t, h in rec["history"]:
            if status_class(key.split(":")[0], h) in ("cancelled", "refunded"):
                term = dt.datetime.strptime(t, "%Y%m%d%H%M%S")
                break
        wh = first_review[key][1] if key in first_review else "UNASSIGNED"
        for d in days:
            end = min(dt.datetime.combine(d + dt.timedelta(days=1), dt.time()), as_of)
            if (
                rec["paid"] <= end - dt.timedelta(hours=24)
                and not (shipped and shipped <= end)
                and not (term and term <= end)
            ):
                grid[(d.isoformat(), wh)] += 1
    truth = {
        (r["day"], r["warehouse_code"]): int(r["overdue_unshipped_orders"])
        for r in truth_csv(zone, "heatmap.csv")
    }
    assert len(truth) == 30 * 4
    assert {k: v for k, v in grid.items() if v} == {k: v for k, v in truth.items() if v}
    assert sum(truth.values()) > 0


def test_order_truth_fields_from_files(zone, orders_truth, meta):
    log = _warehouse_log(zone)
    reviewed: dict[str, str] = {}
    for r in log:
        if r["事件"] == "审单":
            reviewed.setdefault(f"{r['平台']}:{r['订单号']}", r["时间"])
    for key, t in orders_truth.items():
        assert reviewed.get(key, "") == t["reviewed_at"], key
    sla = truth_csv(zone, "sla_alerts.csv")
    esc = {r["order_key"] for r in sla if r["alert_type"] == "review_escalated"}
    short = {r["order_key"] for r in sla if r["alert_type"] == "stock_shortage"}
    assert len(short) == meta["anomalies"]["stock_shortage"]
    as_of = dt.datetime.strptime(meta["as_of"], "%Y-%m-%d %H:%M:%S")
    expect = set()
    for key, t in orders_truth.items():
        if not t["paid_at"] or key in short:
            continue
        paid = ts(t["paid_at"])
        due = paid + dt.timedelta(hours=2)
        rv = reviewed.get(key)
        if due <= as_of and (rv is None or ts(rv) > due):
            expect.add(key)
    assert esc == expect
    assert len(esc) >= meta["anomalies"]["review_late"]


def test_mis_shipments_visible_in_scans(zone, meta):
    log = _warehouse_log(zone)
    products = {r[3]: r[0] for r in read_csv(zone / "products/sku_master.csv")[1]}
    scanned: dict[str, set] = defaultdict(set)
    waves: dict[str, str] = {}
    for r in log:
        if r["事件"] == "出库扫描":
            key = f"{r['平台']}:{r['订单号']}"
            scanned[key].add(products[r["商品条码"]])
            waves[key] = r["波次号"]
    lines: dict[str, set] = defaultdict(set)
    for r in truth_csv(zone, "order_lines.csv"):
        lines[r["order_key"]].add(r["sku"])
    bad = {k for k, s in scanned.items() if s != lines[k]}
    ms = truth_csv(zone, "mis_shipments.csv")
    assert bad == {r["order_key"] for r in ms}
    assert len(ms) == meta["anomalies"]["misship_wrong_item"] + meta["anomalies"]["misship_missing_gift"]
    assert {r["warehouse_code"] for r in ms} == {"WH-GZ"}
    assert {waves[r["order_key"]] for r in ms} == set(meta["planted"]["mis_shipment_waves"])
    acts = truth_csv(zone, "correction_actions.csv")
    assert {r["sku"] for r in acts if r["action_type"] == "qc_task"} == {r["ordered_sku"] for r in ms}


def test_address_changes_seen_across_exports(zone, exports):
    risks = {r["order_key"] for r in truth_csv(zone, "order_risks.csv")}
    changed = set()
    for key, rec in exports.items():
        if "addr" not in rec:
            continue
        seq = [h["addr"] for _, h in rec["history"]]
        n = sum(1 for a, b in zip(seq, seq[1:], strict=False) if a != b)
        if n >= 2:
            changed.add(key)
    assert changed == risks and len(risks) == 2


def test_match_and_payments(zone, orders_truth, meta):
    match = truth_csv(zone, "three_way_match.csv")
    diffs = defaultdict(int)
    for r in match:
        diffs[r["difference_type"] or "matched"] += 1
    assert diffs["payment_without_order"] == 6
    assert diffs["logistics_without_order"] == meta["counts"]["orphan_tracking_numbers"]
    # settlement files: the sum per order equals the truth's paid amount for platform orders
    paid = defaultdict(int)
    for f in zone.glob("settlements/*/*.csv"):
        plat = f.parent.name
        _, rows, _ = read_csv(f)
        for r in rows:
            cents = int(round(float(clean(r[3]).lstrip("¥")) * 100))
            paid[f"{plat}:{clean(r[2])}"] += cents
    for key, t in orders_truth.items():
        if t["platform"] != "erp" and key in paid:
            assert int(round(float(t["paid_amount"]) * 100)) == paid[key], key
    mis = truth_csv(zone, "misdirected_payers.csv")
    assert [int(r["orphan_payments"]) for r in mis] == [3, 2]
    rec = truth_csv(zone, "receipts.csv")
    assert len(rec) == meta["counts"]["receipt_files"]
    assert sum(r["words_ok"] == "false" for r in rec) >= 1


def test_bad_live_room(zone, meta):
    ch = [r for r in truth_csv(zone, "channel_health.csv") if r["alert"] == "true"]
    assert [(r["channel_id"], r["day"]) for r in ch] == [
        (meta["planted"]["bad_live_room"]["room_id"], meta["planted"]["bad_live_room"]["day"])
    ]
    assert int(ch[0]["orders"]) >= 20 and float(ch[0]["unpaid_rate"]) > 0.65


# ----------------------------------------------------------------------------- determinism and scaling
def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path):
    a = generate(tmp_path / "a", orders=400, days=10, seed=7, receipts=False, progress=False)
    b = generate(tmp_path / "b", orders=400, days=10, seed=7, receipts=False, progress=False)
    generate(tmp_path / "c", orders=400, days=10, seed=8, receipts=False, progress=False)
    assert a["files"] == b["files"]
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")
    assert tree_hash(tmp_path / "a") != tree_hash(tmp_path / "c")
    assert os.path.getmtime(next((tmp_path / "a/orders/douyin").iterdir())) > 0


def test_anomaly_counts_scale_with_rate(tmp_path, meta):
    hi = generate(
        tmp_path / "hi",
        orders=ORDERS,
        days=DAYS,
        seed=SEED,
        anomaly_rate=0.09,
        receipts=False,
        progress=False,
    )["anomalies"]
    lo = meta["anomalies"]
    for name, share in (
        ("review_late", 0.10),
        ("outbound_late", 0.06),
        ("track_stalled", 0.05),
        ("never_shipped", 0.04),
        ("unsettled", 0.06),
    ):
        assert lo[name] == max(1, round(share * 0.03 * ORDERS))
        assert hi[name] == max(1, round(share * 0.09 * ORDERS))
    assert hi["review_late"] == 3 * lo["review_late"]


def test_receipts_rendered(tmp_path):
    pytest.importorskip("pipelines.synthetic.receipts")
    s = generate(tmp_path / "r", orders=120, days=12, seed=3, receipts=True, progress=False, processes=1)
    rec = truth_csv(tmp_path / "r", "receipts.csv")
    assert s["receipts"] == len(rec) >= 6
    for r in rec:
        data = (tmp_path / "r" / r["source_file"]).read_bytes()
        assert data[:4] in (b"\x89PNG", b"%PDF") or data[:2] == b"\xff\xd8"
