"""Write the landing zone (CONTRACT §1) from the world model."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np

from . import catalog as C
from .util import (
    DAY,
    HOUR,
    MINUTE,
    NEVER,
    csv_text,
    encode,
    money_str,
    money_thousands,
    pad,
    pick,
    set_mtime,
    ts_one,
    ts_str,
    write_bytes,
)
from .world import World

DOUYIN_COLS = [
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
]
PDD_COLS = [
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
]
TB_LIST_COLS = [
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
]
TB_DETAIL_COLS = [
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
]
ERP_COLS = [
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
]
SETTLE_COLS = ["结算时间", "结算单号", "订单号", "结算金额", "备注"]
WMS_COLS = ["时间", "事件", "订单号", "平台", "仓库编码", "操作人", "物流单号", "商品条码", "波次号", "备注"]
INV_COLS = ["快照时间", "仓库编码", "商家编码", "可用库存"]
PROD_COLS = ["商家编码", "商品名称", "类目", "商品条码", "供应商", "成本价"]
AS_COLS = [
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
]
INQ_COLS = ["咨询时间", "订单号", "平台", "渠道", "问题类型"]

SOURCE_DIRS = [
    "orders",
    "settlements",
    "receipts",
    "tracks",
    "warehouse",
    "inventory",
    "products",
    "aftersales",
    "inquiries",
    "_truth",
]
SHOP_NAME = "橙镜宠物旗舰店"


class Out:
    """Collects what was written: files and rows per source, rejected rows, duplicates."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, int] = defaultdict(int)
        self.rows: dict[str, int] = defaultdict(int)
        self.rejected: list[tuple[str, int, str, str]] = []  # file, row_number, source, reason
        self.duplicates: list[tuple[str, str]] = []
        self.file_list: list[str] = []
        # a later shard of a sharded run appends its rows to the files the earlier shards wrote
        self.append = False

    def write(self, source: str, rel: str, data: bytes, mtime: int, rows: int) -> None:
        path = self.root / rel
        if self.append and path.exists():
            append_part(path, data)
            set_mtime(path, mtime)
        else:
            write_bytes(path, data, mtime)
            self.files[source] += 1
            self.file_list.append(rel)
        self.rows[source] += rows


def append_part(path: Path, data: bytes) -> None:
    """Append a later shard's file content to an existing file: CSV without its BOM and header line (UTF-8,
    GB18030 or UTF-16 LE), JSON lines as they are, a JSON array merged into the existing array."""
    name = path.name
    if name.endswith(".jsonl"):
        body = data
    elif name.endswith(".json") and data.startswith(b"["):
        with open(path, "r+b") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 3))
            tail = fh.read()
            if tail != b"\n]\n":
                raise ValueError(f"{path}: cannot append to a JSON array not ending in '\\n]\\n'")
            fh.seek(size - 3)
            fh.truncate()
            fh.write(b",\n" + data[2:])
        return
    elif name.endswith(".csv"):
        if data.startswith(b"\xff\xfe"):  # UTF-16 LE with BOM: the newline is b"\n\x00" at an even offset
            i = 2
            while not (data[i] == 0x0A and data[i + 1] == 0):
                i += 2
            body = data[i + 2 :]
        else:
            body = data[data.index(b"\n") + 1 :]
    else:
        raise ValueError(f"{path}: a later shard cannot append to this kind of file")
    with open(path, "ab") as fh:
        fh.write(body)


def clean(root: Path) -> None:
    for d in SOURCE_DIRS:
        p = root / d
        if p.exists():
            shutil.rmtree(p)


# ----------------------------------------------------------------------------- order exports
def export_pairs(w: World) -> tuple[np.ndarray, np.ndarray]:
    """(order, export time) pairs: the export after creation, the export after the last change, and the
    half-hourly exports that reveal address changes."""
    o, t0 = w.o, w.t0
    N = w.n_orders
    ex = w.export_times

    def ex_after(t):
        k = np.ceil((np.asarray(t) - (t0 + 23 * HOUR)) / DAY).astype(np.int64)
        return ex[np.clip(k, 0, ex.size - 1)]

    pk = w.pk
    ship2 = np.full(N, 0, np.int64)
    m = o["pkg2"] >= 0
    ship2[m] = np.where(pk["plat_ship"][o["pkg2"][m]] < NEVER, pk["plat_ship"][o["pkg2"][m]], 0)
    times = [
        o["created"],
        o["paid"],
        o["cancel"],
        o["plat_ship"],
        o["completed"],
        o["refund"],
        ship2,
        _ticket_change(w),
    ]
    last = np.zeros(N, np.int64)
    for t in times:
        last = np.maximum(last, np.where(t < NEVER, t, 0))
    e1 = ex_after(o["created"])
    e2 = ex_after(last)
    orders = [np.arange(N), np.flatnonzero(e2 != e1)]
    tt = [e1, e2[e2 != e1]]
    ac = w.addr_changes
    for key in ("h1", "h2", "h3"):
        mm = ac[key] < NEVER
        orders.append(ac["order"][mm])
        tt.append(ac[key][mm])
    oo = np.concatenate(orders)
    tt = np.concatenate(tt)
    return oo, tt


def _ticket_change(w: World) -> np.ndarray:
    """Latest after-sales status change per order (it changes 售后状态 in the exports)."""
    N = w.n_orders
    out = np.zeros(N, np.int64)
    tk = w.tickets
    if len(tk["order"]):
        np.maximum.at(out, tk["order"], tk["applied"])
        r = tk["resolved"] < NEVER
        np.maximum.at(out, tk["order"][r], tk["resolved"][r])
    return out


def _ticket_state(w: World, orders: np.ndarray, T: np.ndarray) -> np.ndarray:
    """0 none, 1 open, 2 closed — state of the order's first ticket at export time T."""
    tk = w.tickets
    N = w.n_orders
    first_app = np.full(N, NEVER, np.int64)
    first_res = np.full(N, NEVER, np.int64)
    if len(tk["order"]):
        # tickets are sorted by applied: the first occurrence wins
        uo, idx = np.unique(tk["order"], return_index=True)
        first_app[uo] = tk["applied"][idx]
        first_res[uo] = tk["resolved"][idx]
    a = first_app[orders] <= T
    r = first_res[orders] <= T
    return np.where(a & r, 2, np.where(a, 1, 0))


def _addr(w: World, orders: np.ndarray, T: np.ndarray):
    """Receiver address parts at export time T (address-change orders show earlier variants)."""
    cu = w.cust
    c = w.o["cust"][orders] % cu["name"].size
    region = cu["region"][c]
    prov = pick([r[0] for r in C.REGIONS], region)
    city = pick([r[1] for r in C.REGIONS], region)
    dist = (
        np.array(
            [C.REGIONS[r][2][d] for r, d in zip(region.tolist(), cu["district"][c].tolist(), strict=True)],
            dtype=str,
        )
        if orders.size
        else np.zeros(0, str)
    )
    street = pick(C.STREETS, cu["street"][c])
    num = cu["num"][c].copy()
    street_idx = cu["street"][c].copy()
    ac = w.addr_changes
    if ac["order"].size:
        pos = np.full(w.n_orders, -1, np.int64)
        pos[ac["order"]] = np.arange(ac["order"].size)
        p = pos[orders]
        m = p >= 0
        if m.any():
            pp = p[m]
            tt = T[m]
            var = np.where(tt < ac["h2"][pp], 1, np.where(tt < ac["h3"][pp], 2, 0))
            num[m] = np.where(var > 0, num[m] + ac["variant"][pp] * var + 100, num[m])
            street_idx[m] = np.where(var == 1, (street_idx[m] + 3) % len(C.STREETS), street_idx[m])
            street = pick(C.STREETS, street_idx)
    detail = np.strings.add(
        np.strings.add(
            np.strings.add(np.strings.add(pick(C.ROADS, cu["road"][c]), num.astype(str)), "号"),
            np.strings.add(cu["bld"][c].astype(str), "栋"),
        ),
        np.strings.add(cu["room"][c].astype(str), "室"),
    )
    return prov, city, dist, street, detail


def _masked(phone: np.ndarray) -> np.ndarray:
    return np.strings.add(
        np.strings.add(np.strings.slice(phone, 0, 3), "****"), np.strings.slice(phone, 7, 11)
    )


def _tracking_cell(w: World, orders: np.ndarray, T: np.ndarray, sep: np.ndarray) -> np.ndarray:
    pk = w.pk
    o = w.o
    n1 = np.full(orders.size, "", dtype=object)
    p1 = o["pkg1"][orders]
    m1 = p1 >= 0
    m1[m1] = pk["plat_ship"][p1[m1]] <= T[m1]
    n1[m1] = pk["tracking_no"][p1[m1]]
    p2 = o["pkg2"][orders]
    m2 = p2 >= 0
    m2[m2] = pk["plat_ship"][p2[m2]] <= T[m2]
    if m2.any():
        both = m2 & m1
        n1[both] = np.strings.add(
            np.strings.add(n1[both].astype(str), sep[both]), pk["tracking_no"][p2[both]]
        )
    return n1.astype(str), m1, m2


def _state_flags(w: World, orders, T):
    o = w.o
    return dict(
        paid=o["paid"][orders] <= T,
        cancel=o["cancel"][orders] <= T,
        refund=o["refund"][orders] <= T,
        ship=o["plat_ship"][orders] <= T,
        done=o["completed"][orders] <= T,
        signed=o["signed"][orders] <= T,
    )


def write_orders(w: World, out: Out, pbar=None) -> None:
    oo, tt = export_pairs(w)
    plat = w.o["plat"][oo]
    for p, fn in ((C.DOUYIN, _douyin), (C.PDD, _pdd), (C.TAOBAO, _taobao), (C.MINI, _mini), (C.ERP, _erp)):
        m = plat == p
        po, pt = oo[m], tt[m]
        srt = np.lexsort((po, pt))
        po, pt = po[srt], pt[srt]
        bounds = np.flatnonzero(np.diff(pt)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [pt.size]])
        # chunk several export files together for vectorised string building
        chunk: list[tuple[int, int]] = []
        acc = 0
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            chunk.append((s, e))
            acc += e - s
            if acc >= 60000:
                fn(w, out, po, pt, chunk)
                chunk, acc = [], 0
        if chunk:
            fn(w, out, po, pt, chunk)
        if pbar is not None:
            pbar.update(1)
    _bogus_rows(w, out)


def _file_slices(po, pt, chunk):
    s0, e0 = chunk[0][0], chunk[-1][1]
    return po[s0:e0], pt[s0:e0], [(s - s0, e - s0) for s, e in chunk], s0


def _douyin(w: World, out: Out, po, pt, chunk) -> None:
    o, ln, sku = w.o, w.ln, w.sku
    orders, T, sl, _ = _file_slices(po, pt, chunk)
    st = _state_flags(w, orders, T)
    status = np.select(
        [
            ~st["paid"] & st["cancel"],
            ~st["paid"],
            st["refund"] & ~st["ship"],
            st["done"],
            st["ship"]
            & (o["pkg2"][orders] >= 0)
            & ~(w.pk["plat_ship"][np.maximum(o["pkg2"][orders], 0)] <= T),
            st["ship"],
        ],
        ["已取消", "待支付", "已取消", "已完成", "部分发货", "已发货"],
        "备货中",
    )
    tks = _ticket_state(w, orders, T)
    after = np.where(
        st["refund"], "退款成功", np.where(tks == 1, "售后中", np.where(tks == 2, "售后关闭", "-"))
    )
    sep = np.where(orders % 2 == 0, ",", ";")
    trk, m1, _ = _tracking_cell(w, orders, T, sep)
    courier = np.where(
        m1, pick([c[1] for c in C.COURIERS], w.pk["carrier"][np.maximum(o["pkg1"][orders], 0)]), ""
    )
    prov, city, dist, street, detail = _addr(w, orders, T)
    cu = w.cust
    c = o["cust"][orders] % cu["name"].size
    ch = o["channel"][orders]
    room_i = o["room"][orders]
    auth = np.where(ch == 0, room_i, np.where(ch == 1, o["author"][orders], 0))
    auth_id = pick([a[0] for a in C.DOUYIN_AUTHORS], auth)
    auth_nm = pick([a[1] for a in C.DOUYIN_AUTHORS], auth)
    room = np.where(ch == 0, pick(C.DOUYIN_ROOM_IDS, room_i), "")
    video = np.where(ch == 1, np.strings.add("74", pad(o["video"][orders] * 7919 + 1000000000, 17)), "")
    traffic = np.where(auth_id != "", "精选联盟", "小店自卖")
    remark = np.where(orders % 17 == 0, "顺丰加急", np.where(orders % 23 == 0, "送试吃装", ""))
    # expand to lines
    s_ln = np.searchsorted(ln["order"], orders)
    e_ln = np.searchsorted(ln["order"], orders, side="right")
    cnt = e_ln - s_ln
    rep = np.repeat(np.arange(orders.size), cnt)
    li = np.repeat(s_ln - np.cumsum(np.concatenate([[0], cnt[:-1]])), cnt) + np.arange(rep.size)
    sk = ln["sku"][li]
    main_no = o["order_no"][orders][rep]
    sub_no = np.strings.add(np.strings.add("4", ln["j"][li].astype(str)), np.strings.slice(main_no, 2, 19))
    cols = [
        main_no,
        sub_no,
        sku["name"][sk],
        np.strings.add("36", pad(sk * 104729 + 3517, 17)),
        sku["code"][sk],
        ln["qty"][li].astype(str),
        money_str(ln["amount"][li]),
        money_thousands(o["amount"][orders])[rep],
        ts_str(o["created"][orders])[rep],
        ts_str(np.where(st["paid"], o["paid"][orders], NEVER))[rep],
        ts_str(np.where(st["done"], o["completed"][orders], NEVER))[rep],
        status[rep],
        after[rep],
        cu["name"][c][rep],
        _masked(cu["phone"][c])[rep],
        prov[rep],
        city[rep],
        dist[rep],
        street[rep],
        detail[rep],
        auth_id[rep],
        auth_nm[rep],
        room[rep],
        video[rep],
        traffic[rep],
        courier[rep],
        trk[rep],
        ts_str(np.where(st["ship"], o["plat_ship"][orders], NEVER))[rep],
        remark[rep],
    ]
    row_start = np.concatenate([[0], np.cumsum(cnt)])
    for s, e in sl:
        rs, re_ = row_start[s], row_start[e]
        Tf = int(T[s])
        rel = f"orders/douyin/douyin_orders_{ts_one(Tf, 'compact')}.csv"
        text = csv_text(DOUYIN_COLS, [c_[rs:re_] for c_ in cols])
        out.write("orders/douyin", rel, encode(text, "utf-8-sig"), Tf, int(re_ - rs))


def _pdd(w: World, out: Out, po, pt, chunk) -> None:
    o, ln, sku = w.o, w.ln, w.sku
    orders, T, sl, _ = _file_slices(po, pt, chunk)
    st = _state_flags(w, orders, T)
    status = np.select(
        [
            ~st["paid"] & st["cancel"],
            ~st["paid"],
            st["refund"] & ~st["ship"],
            st["refund"] & st["signed"],
            st["refund"],
            st["done"],
            st["ship"],
        ],
        [
            "已取消",
            "待付款",
            "未发货，退款成功",
            "已收货，退款成功",
            "已发货，退款成功",
            "已收货",
            "已发货，待收货",
        ],
        "待发货",
    )
    tks = _ticket_state(w, orders, T)
    after = np.where(st["refund"], "退款成功", np.where(tks == 1, "售后处理中", "无售后或售后取消"))
    li = np.searchsorted(ln["order"], orders)
    sk = ln["sku"][li]
    trk, m1, _ = _tracking_cell(w, orders, T, np.full(orders.size, ","))
    courier = np.where(
        m1, pick([c[1] for c in C.COURIERS], w.pk["carrier"][np.maximum(o["pkg1"][orders], 0)]), ""
    )
    prov, city, dist, street, detail = _addr(w, orders, T)
    cu = w.cust
    c = o["cust"][orders] % cu["name"].size
    amt = o["amount"][orders]
    tab = lambda x: np.strings.add(np.asarray(x, dtype=str), "\t")  # noqa: E731
    spec = np.strings.slice(sku["name"][sk], 3, 40)
    cols = [
        tab(o["order_no"][orders]),
        status,
        sku["name"][sk],
        tab(np.strings.add("5", pad(sk * 7907 + 123, 9))),
        spec,
        tab(sku["code"][sk]),
        ln["qty"][li].astype(str),
        money_str(o["goods"][orders]),
        money_str(o["post"][orders]),
        money_str(o["discount"][orders]),
        money_str(np.zeros(orders.size, np.int64)),
        money_str(amt),
        money_str(amt),
        tab(ts_str(o["created"][orders])),
        tab(ts_str(np.where(st["paid"], o["paid"][orders], NEVER))),
        tab(ts_str(np.where(st["ship"], o["plat_ship"][orders], NEVER))),
        tab(ts_str(np.where(st["done"], o["completed"][orders], NEVER))),
        cu["name"][c],
        _masked(cu["phone"][c]),
        prov,
        city,
        dist,
        np.strings.add(street, detail),
        tab(trk),
        courier,
        after,
        np.where(orders % 19 == 0, "已联系买家确认规格", ""),
    ]
    for s, e in sl:
        Tf = int(T[s])
        stamp = ts_one(Tf, "compact")
        part = [c_[s:e] for c_ in cols]
        dix = (Tf - int(w.export_times[0])) // DAY
        first_xlsx = (Tf - int(w.export_times[0])) % DAY == 0 and (dix == 0 or (dix == 14 and e - s <= 3000))
        if first_xlsx and not out.append:  # a later shard never writes an XLSX (it appends to CSVs)
            rel = f"orders/pinduoduo/pdd_orders_{stamp}.xlsx"
            _xlsx(out, rel, PDD_COLS, part, Tf)
        else:
            rel = f"orders/pinduoduo/pdd_orders_{stamp}.csv"
            out.write(
                "orders/pinduoduo",
                rel,
                encode(csv_text(PDD_COLS, part, newline="\r\n"), "utf-8-sig"),
                Tf,
                e - s,
            )


def _xlsx(out: Out, rel: str, header, cols, mtime: int) -> None:
    import io
    import zipfile

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("订单列表")
    ws.append(list(header))
    for row in zip(*[c.tolist() for c in cols], strict=True):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the wall clock into docProps/core.xml and the zip entries: rewrite deterministically
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    dst_buf = io.BytesIO()
    stamp = ts_one(mtime, "iso").replace(" ", "T") + "Z"
    with zipfile.ZipFile(dst_buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + stamp.encode() + rb"\g<3>",
                    data,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, data)
    source = rel.split("/")[0] + "/" + rel.split("/")[1]
    out.write(source, rel, dst_buf.getvalue(), mtime, len(cols[0]))


def _taobao(w: World, out: Out, po, pt, chunk) -> None:
    o, ln, sku = w.o, w.ln, w.sku
    orders, T, sl, _ = _file_slices(po, pt, chunk)
    st = _state_flags(w, orders, T)
    status = np.select(
        [~st["paid"] & st["cancel"], ~st["paid"], st["refund"], st["done"], st["ship"]],
        ["交易关闭", "等待买家付款", "交易关闭", "交易成功", "卖家已发货，等待买家确认"],
        "买家已付款,等待卖家发货",
    )
    close = np.where(
        ~st["paid"] & st["cancel"], "买家未付款超时关闭", np.where(st["refund"], "买家申请退款，退款成功", "")
    )
    trk, m1, _ = _tracking_cell(w, orders, T, np.full(orders.size, ","))
    trk = np.where(m1 & (orders % 10 == 3), np.strings.add("No:", trk), trk)
    courier = np.where(
        m1, pick([c[1] for c in C.COURIERS], w.pk["carrier"][np.maximum(o["pkg1"][orders], 0)]), ""
    )
    prov, city, dist, street, detail = _addr(w, orders, T)
    addr = np.strings.add(
        np.strings.add(np.strings.add(np.strings.add(prov, " "), city), " "),
        np.strings.add(np.strings.add(dist, " "), np.strings.add(street, detail)),
    )
    cu = w.cust
    c = o["cust"][orders] % cu["name"].size
    s_ln = np.searchsorted(ln["order"], orders)
    e_ln = np.searchsorted(ln["order"], orders, side="right")
    cnt = e_ln - s_ln
    title = sku["name"][ln["sku"][s_ln]]
    qty_tot = np.bincount(ln["order"], weights=ln["qty"], minlength=w.n_orders).astype(np.int64)[orders]
    ono = np.strings.add(np.strings.add('="', o["order_no"][orders]), '"')
    payno = np.strings.add(ts_str(o["created"][orders], "ymd"), pad(orders * 7919 % 10**12 + 2 * 10**11, 20))
    paid_amt = np.where(st["paid"], o["amount"][orders], 0)
    cols = [
        ono,
        cu["nick"][c],
        np.where(st["paid"], payno, ""),
        money_str(o["goods"][orders]),
        money_str(o["post"][orders]),
        money_str(o["amount"][orders]),
        money_str(paid_amt),
        status,
        np.where(orders % 29 == 0, "请尽快发货，谢谢", ""),
        cu["name"][c],
        addr,
        _masked(cu["phone"][c]),
        ts_str(o["created"][orders]),
        ts_str(np.where(st["paid"], o["paid"][orders], NEVER)),
        title,
        cnt.astype(str),
        trk,
        courier,
        np.where(orders % 31 == 0, "已备注赠品", ""),
        qty_tot.astype(str),
        np.full(orders.size, SHOP_NAME),
        close,
    ]
    rep = np.repeat(np.arange(orders.size), cnt)
    li = np.repeat(s_ln - np.cumsum(np.concatenate([[0], cnt[:-1]])), cnt) + np.arange(rep.size)
    sk = ln["sku"][li]
    dcols = [
        ono[rep],
        sku["name"][sk],
        money_str(ln["unit"][li]),
        ln["qty"][li].astype(str),
        sku["code"][sk],
        np.strings.add("规格:", np.strings.slice(sku["name"][sk], 3, 40)),
        np.full(rep.size, ""),
        np.where(ln["gift"][li], "赠品", ""),
        status[rep],
        sku["code"][sk],
    ]
    row_start = np.concatenate([[0], np.cumsum(cnt)])
    for s, e in sl:
        Tf = int(T[s])
        stamp = ts_one(Tf, "compact")
        rel = f"orders/taobao/ExportOrderList_{stamp}.csv"
        out.write(
            "orders/taobao",
            rel,
            encode(csv_text(TB_LIST_COLS, [c_[s:e] for c_ in cols], raw=(0,), newline="\r\n"), "gb18030"),
            Tf,
            e - s,
        )
        rs, re_ = row_start[s], row_start[e]
        rel = f"orders/taobao/ExportOrderDetailList_{stamp}.csv"
        out.write(
            "orders/taobao",
            rel,
            encode(
                csv_text(TB_DETAIL_COLS, [c_[rs:re_] for c_ in dcols], raw=(0,), newline="\r\n"), "gb18030"
            ),
            Tf,
            int(re_ - rs),
        )


def _enc(x: np.ndarray, salt: int) -> np.ndarray:
    return np.strings.add(
        np.strings.add("$", pad((np.asarray(x) * 2654435761 + salt) % 10**12, 12)), "AbX=$1$"
    )


def _mini(w: World, out: Out, po, pt, chunk) -> None:
    o, ln, sku = w.o, w.ln, w.sku
    orders, T, sl, _ = _file_slices(po, pt, chunk)
    st = _state_flags(w, orders, T)
    status = np.select(
        [~st["paid"] & st["cancel"], ~st["paid"], st["refund"], st["done"], st["ship"]],
        ["TRADE_CLOSED", "WAIT_BUYER_PAY", "TRADE_CLOSED", "TRADE_SUCCESS", "WAIT_BUYER_CONFIRM_GOODS"],
        "WAIT_SELLER_SEND_GOODS",
    )
    prov, city, dist, street, detail = _addr(w, orders, T)
    c = o["cust"][orders]
    c = c + w.shard.cust_base  # the world-wide customer id (unique over shards)
    name_e, tel_e, addr_e = _enc(c, 11), _enc(c, 23), _enc(c * 31 + o["cust"][orders] % 7, 37)
    created = ts_str(o["created"][orders])
    pay = ts_str(np.where(st["paid"], o["paid"][orders], NEVER))
    cons = ts_str(np.where(st["ship"], o["plat_ship"][orders], NEVER))
    succ = ts_str(np.where(st["done"], o["completed"][orders], NEVER))
    upd_t = np.maximum.reduce(
        [
            np.where(x <= T, x, 0)
            for x in (
                o["created"][orders],
                o["paid"][orders],
                o["plat_ship"][orders],
                o["completed"][orders],
                o["refund"][orders],
                o["cancel"][orders],
            )
        ]
    )
    upd = ts_str(upd_t)
    money_amt, money_goods, money_post = (
        money_str(o["amount"][orders]),
        money_str(o["goods"][orders]),
        money_str(o["post"][orders]),
    )
    s_ln = np.searchsorted(ln["order"], orders)
    e_ln = np.searchsorted(ln["order"], orders, side="right")
    pk = w.pk
    exp_ids = [c_[3] for c_ in C.COURIERS]
    lines_out = []
    for i in range(orders.size):
        oi = int(orders[i])
        items = []
        for li in range(int(s_ln[i]), int(e_ln[i])):
            s = int(ln["sku"][li])
            items.append(
                {
                    "oid": f"{o['order_no'][oi][1:9]}{li % 10**8:08d}",
                    "outer_sku_id": str(sku["code"][s]),
                    "title": str(sku["name"][s]),
                    "num": int(ln["qty"][li]),
                    "payment": f"{int(ln['amount'][li]) // 100}.{int(ln['amount'][li]) % 100:02d}",
                    "is_present": bool(ln["gift"][li]),
                }
            )
        deliveries = []
        for pkg in (int(o["pkg1"][oi]), int(o["pkg2"][oi])):
            if pkg >= 0 and pk["plat_ship"][pkg] <= T[i]:
                deliveries.append(
                    {
                        "express_info": {
                            "express_id": exp_ids[int(pk["carrier"][pkg])],
                            "express_no": str(pk["tracking_no"][pkg]),
                        }
                    }
                )
        rec = {
            "full_order_info": {
                "order_info": {
                    "tid": str(o["order_no"][oi]),
                    "status": str(status[i]),
                    "created": str(created[i]),
                    "pay_time": str(pay[i]),
                    "consign_time": str(cons[i]),
                    "success_time": str(succ[i]),
                    "update_time": str(upd[i]),
                },
                "pay_info": {
                    "payment": str(money_amt[i]),
                    "total_fee": str(money_goods[i]),
                    "post_fee": str(money_post[i]),
                },
                "address_info": {
                    "receiver_name": str(name_e[i]),
                    "receiver_tel": str(tel_e[i]),
                    "delivery_province": str(prov[i]),
                    "delivery_city": str(city[i]),
                    "delivery_district": str(dist[i]),
                    "delivery_address": str(addr_e[i]),
                },
                "orders": items,
                "delivery_order": deliveries,
            }
        }
        lines_out.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    for s, e in sl:
        Tf = int(T[s])
        rel = f"orders/miniprogram/youzan_orders_{ts_one(Tf, 'compact')}.jsonl"
        out.write("orders/miniprogram", rel, ("\n".join(lines_out[s:e]) + "\n").encode("utf-8"), Tf, e - s)


def _erp(w: World, out: Out, po, pt, chunk) -> None:
    o, ln, sku, b = w.o, w.ln, w.sku, w.b2b
    orders, T, sl, _ = _file_slices(po, pt, chunk)
    st = _state_flags(w, orders, T)
    status = np.select([st["cancel"], st["done"], st["ship"]], ["已取消", "已完成", "已发货"], "已审核")
    s_ln = np.searchsorted(ln["order"], orders)
    e_ln = np.searchsorted(ln["order"], orders, side="right")
    cnt = e_ln - s_ln
    rep = np.repeat(np.arange(orders.size), cnt)
    li = np.repeat(s_ln - np.cumsum(np.concatenate([[0], cnt[:-1]])), cnt) + np.arange(rep.size)
    c = o["cust"][orders][rep] % b["name"].size
    region = b["region"][c]
    addr = np.strings.add(
        pick([r[0] + r[1] for r in C.REGIONS], region), np.strings.add(b["name"][c], "仓库")
    )
    cols = [
        o["order_no"][orders][rep],
        b["code"][c],
        b["name"][c],
        ts_str(o["created"][orders])[rep],
        sku["code"][ln["sku"][li]],
        ln["qty"][li].astype(str),
        money_str(ln["unit"][li]),
        money_str(ln["amount"][li]),
        money_str(o["amount"][orders])[rep],
        pick(C.WAREHOUSES, o["wh"][orders][rep]),
        addr,
        b["contact"][c],
        b["phone"][c],
        status[rep],
    ]
    row_start = np.concatenate([[0], np.cumsum(cnt)])
    for s, e in sl:
        Tf = int(T[s])
        rs, re_ = row_start[s], row_start[e]
        rel = f"orders/erp/erp_sales_orders_{ts_one(Tf, 'compact')}.csv"
        out.write(
            "orders/erp",
            rel,
            encode(csv_text(ERP_COLS, [c_[rs:re_] for c_ in cols]), "utf-8"),
            Tf,
            int(re_ - rs),
        )


def _append_rows(out: Out, rel: str, encoding: str, rows_text: list[str], newline: str = "\n") -> int:
    """Append data rows to an existing CSV; returns the data-row number of the first appended row."""
    path = out.root / rel
    text = path.read_bytes().decode(encoding)
    n_existing = len(text.rstrip(newline).split(newline)) - 1
    text = text + newline.join(rows_text) + newline
    mtime = int(path.stat().st_mtime) + 8 * HOUR
    path.write_bytes(encode(text, encoding))
    set_mtime(path, mtime)
    src = "/".join(rel.split("/")[:2])
    out.rows[src] += len(rows_text)
    return n_existing + 1


def _bogus_rows(w: World, out: Out) -> None:
    """Rows that must be rejected, appended to the export of their day (for orders that exist nowhere else)."""
    bg = w.bogus
    N = w.shard.n_total  # bogus order numbers lie past every shard's order index
    rng = np.random.default_rng(w.seed + 991)
    for k in range(bg["n"]):
        d = int(bg["douyin_amount"][k])
        T = int(w.export_times[d])
        rel = f"orders/douyin/douyin_orders_{ts_one(T, 'compact')}.csv"
        ono = f"69{ts_one(T, 'compact')[2:8]}{int(rng.integers(10, 99))}{_low9(N + k)}"
        row = [
            ono,
            "4" + "0" + ono[2:],
            "橙镜 猫条 30支",
            "3600000000000003517",
            "LS0101",
            "1",
            "12,3x.00",
            "12,3x.00",
            ts_one(T - 5 * HOUR),
            ts_one(T - 5 * HOUR + 60),
            "",
            "备货中",
            "-",
            "李四",
            "139****0000",
            "上海市",
            "上海市",
            "浦东新区",
            "人民路街道",
            "幸福路1号1栋101室",
            "",
            "",
            "",
            "",
            "小店自卖",
            "",
            "",
            "",
            "",
        ]
        if (out.root / rel).exists():
            n = _append_rows(out, rel, "utf-8-sig", [",".join(_q(x) for x in row)])
            out.rejected.append((rel, n, "orders/douyin", "invalid amount in 商品金额: '12,3x.00'"))
        d = int(bg["pdd_status"][k])
        T = int(w.export_times[d])
        rel = f"orders/pinduoduo/pdd_orders_{ts_one(T, 'compact')}.csv"
        ono = f"{ts_one(T, 'compact')[2:8]}-{int(rng.integers(100000, 999999))}{_low9(N + k)}"
        row = [
            ono + "\t",
            "待成团",
            "橙镜 猫条 30支",
            "5000000123\t",
            "30支",
            "LS0101\t",
            "1",
            "29.90",
            "0.00",
            "0.00",
            "0.00",
            "29.90",
            "29.90",
            ts_one(T - 3 * HOUR) + "\t",
            ts_one(T - 3 * HOUR) + "\t",
            "\t",
            "\t",
            "王五",
            "138****1111",
            "广东省",
            "广州市",
            "天河区",
            "建设街道花园路2号3栋502室",
            "\t",
            "",
            "无售后或售后取消",
            "",
        ]
        if (out.root / rel).exists():
            n = _append_rows(out, rel, "utf-8-sig", [",".join(_q(x) for x in row)], newline="\r\n")
            out.rejected.append((rel, n, "orders/pinduoduo", "unknown 订单状态: '待成团'"))
        d = int(bg["taobao_excel"][k])
        T = int(w.export_times[d])
        rel = f"orders/taobao/ExportOrderList_{ts_one(T, 'compact')}.csv"
        big = int(rng.integers(2 * 10**18, 3 * 10**18))
        bad_id = f"{big:.2E}".replace("E+", "E+")
        row = [
            bad_id,
            "tb0000000000",
            "",
            "59.00",
            "0.00",
            "59.00",
            "59.00",
            "买家已付款,等待卖家发货",
            "",
            "赵六",
            "浙江省 杭州市 西湖区 文化街道学府路3号4栋1201室",
            "138****2222",
            ts_one(T - 2 * HOUR),
            ts_one(T - 2 * HOUR + 30),
            "橙镜 鸡肉冻干双拼猫粮 500g",
            "1",
            "",
            "",
            "",
            "1",
            SHOP_NAME,
            "",
        ]
        if (out.root / rel).exists():
            n = _append_rows(out, rel, "gb18030", [",".join(_q(x) for x in row)], newline="\r\n")
            out.rejected.append(
                (rel, n, "orders/taobao", f"订单编号 destroyed by Excel (scientific notation): '{bad_id}'")
            )
        d = int(bg["erp_amount"][k])
        T = int(w.export_times[d])
        rel = f"orders/erp/erp_sales_orders_{ts_one(T, 'compact')}.csv"
        ono = f"SO{ts_one(T, 'compact')[:8]}9{int(rng.integers(0, 99999)):05d}"
        row = [
            ono,
            "KH00001",
            str(w.b2b["name"][0]),
            ts_one(T - 6 * HOUR),
            "ZL0101",
            "10",
            "1,2x3.00",
            "1,2x3.00",
            "1,2x3.00",
            "WH-SH",
            "上海市上海市仓库",
            "王经理",
            "13900000000",
            "已审核",
        ]
        if (out.root / rel).exists():
            n = _append_rows(out, rel, "utf-8", [",".join(_q(x) for x in row)])
            out.rejected.append((rel, n, "orders/erp", "invalid amount in 单价/金额/订单总额: '1,2x3.00'"))


def _low9(i: int) -> str:
    return f"{(i * 982451653 + 314159265) % 10**9:09d}"


def _q(x: str) -> str:
    return '"' + x.replace('"', '""') + '"' if ("," in x or '"' in x or "\n" in x) else x


def duplicate_exports(w: World, out: Out) -> None:
    """Re-export the very same bytes under another name (the pipeline must load them once)."""
    picks = []
    for src, pattern in (("orders/douyin", "douyin_orders_"), ("orders/pinduoduo", "pdd_orders_")):
        d = max(0, w.days // 3) if src.endswith("douyin") else max(0, w.days // 2)
        rel = f"{src}/{pattern}{ts_one(int(w.export_times[d]), 'compact')}.csv"
        if (out.root / rel).exists():
            picks.append((src, rel))
    for src, rel in picks:
        new = rel.replace(".csv", " (1).csv")
        data = (out.root / rel).read_bytes()
        mtime = int((out.root / rel).stat().st_mtime) + 8 * HOUR
        out.write(src, new, data, mtime, 0)
        out.duplicates.append((new, rel))


# ----------------------------------------------------------------------------- settlements
def write_settlements(w: World, out: Out) -> None:
    s, o = w.settle, w.o
    plat = o["plat"][s["order"]]
    names = {
        C.DOUYIN: ("douyin", "utf-8"),
        C.PDD: ("pinduoduo", "utf-8-sig"),
        C.TAOBAO: ("taobao", "gb18030"),
        C.MINI: ("miniprogram", "utf-8"),
    }
    day = (s["time"] - w.t0) // DAY
    for p, (name, enc) in names.items():
        m = np.flatnonzero(plat == p)
        if m.size == 0:
            continue
        t = s["time"][m]
        ono = o["order_no"][s["order"][m]]
        if p == C.PDD:
            ono = np.strings.add(ono, "\t")
        amt = money_str(s["amount"][m])
        if p == C.TAOBAO:
            amt = np.strings.add("¥", amt)
        note = np.where(s["kind"][m] == 1, "售后退款", "订单结算")
        cols = [ts_str(t), s["ref"][m], ono, amt, note]
        dd = day[m]
        for d in np.unique(dd).tolist():
            mm = np.flatnonzero(dd == d)
            T = int(w.t0 + d * DAY + DAY - 60)
            T = min(T, w.as_of)
            rel = f"settlements/{name}/{name}_settlement_{ts_one(w.t0 + d * DAY, 'compact')[:8]}.csv"
            out.write(
                f"settlements/{name}",
                rel,
                encode(csv_text(SETTLE_COLS, [c[mm] for c in cols]), enc),
                T,
                mm.size,
            )


# ----------------------------------------------------------------------------- receipts
def receipt_records(w: World) -> list[dict]:
    """One record per receipt file, in the interface of receipts.render_receipt."""
    from decimal import Decimal

    recs = []
    b = w.b2b
    for r in w.receipts:
        p = w.payments[r["payment"]]
        bank = p["bank"]
        acct, bank_name = C.SELLER_ACCOUNTS[bank]
        if isinstance(p["payer"], str):  # a stranger
            k = int(p["payer"][1:])
            payer_name = w.b2b["strangers"][k % len(w.b2b["strangers"])]
            payer_acct = f"62{(k * 7919 + 12345) % 10**14:014d}"
            payer_bank = "中国农业银行杭州分行"
        else:
            c = p["payer"] % b["name"].size
            payer_name, payer_acct, payer_bank = str(b["name"][c]), str(b["account"][c]), str(b["bank"][c])
        ts = ts_one(p["time"])
        purpose = (
            ("货款 " + " ".join(p["named"])) if p["named"] else ("货款" if p["amount"] % 2 else "预付款")
        )
        amount = Decimal(p["amount"]) / 100
        rec = dict(
            bank=bank,
            receipt_no=p["receipt_no"],
            txn_serial=p["txn_serial"],
            txn_date=ts[:10],
            txn_time=ts[11:],
            payer_name=payer_name,
            payer_account=payer_acct,
            payer_bank=payer_bank,
            payee_name=C.SELLER_NAME,
            payee_account=acct,
            payee_bank=bank_name,
            amount=amount.quantize(Decimal("0.01")),
            purpose=purpose,
            summary="网银转账" if bank != "CMB" else "汇入汇款",
            print_count=r["print_count"],
            swap_sides=bool(p["swap"]),
        )
        if p["words_override"]:
            rec["words_override_amount"] = (amount + Decimal(100)).quantize(Decimal("0.01"))
        recs.append(dict(rec=rec, fmt=r["fmt"], seed=r["seed"], file=r["file"], payment=r["payment"]))
    return recs


def write_receipts(w: World, out: Out, processes: int = 2, progress: bool = False) -> None:
    from . import receipts as R

    items = []
    for r in receipt_records(w):
        rec = dict(r["rec"])
        wo = rec.pop("words_override_amount", None)
        if wo is not None:
            rec["words_override"] = R.amount_in_words(wo)
        path = out.root / r["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        items.append((rec, r["fmt"], r["seed"], path))
    R.render_many(items, processes=processes, progress=progress)
    for r in w.receipts:
        p = w.payments[r["payment"]]
        set_mtime(out.root / r["file"], p["time"] + 600 * r["print_count"])
        out.files["receipts"] += 1
        out.rows["receipts"] += 1
        out.file_list.append(r["file"])


# ----------------------------------------------------------------------------- tracks
_CTX = {
    1: "【{o}】{cn} {o}分拨中心 已揽收",
    0: "【{h}】快件已到达 {h}",
    7: "【{d}】快件已转投至{d}{di}菜鸟驿站，请凭取件码取件",
    5: "【{d}】{d}{di}营业部 派件员正在为您派件",
    3: "【{d}】您的快件已签收，签收人：本人。感谢使用{cn}，期待再次为您服务",
    14: "【{d}】收件人拒收，快件待退回",
    4: "【{d}】快件已退签，原因：收件人拒绝签收",
    6: "【{o}】快件已退回寄件人，请注意查收",
    2: "【{d}】收件人电话无法接通，快件滞留待处理",
}


def write_tracks(w: World, out: Out, chunk_size: int = 40000) -> None:
    pk, nt, nc = w.pk, w.nodes_t, w.nodes_c
    P = nt.shape[0]
    o = w.o
    cu = w.cust
    # destination city per package
    dest_region = np.zeros(P, np.int64)
    real = ~pk["orphan"]
    oi = np.maximum(pk["order"], 0)
    is_erp = o["plat"][oi] == C.ERP
    creg = cu["region"][o["cust"][oi] % cu["name"].size]
    breg = w.b2b["region"][o["cust"][oi] % w.b2b["name"].size]
    dest_region = np.where(is_erp, breg, creg)
    dest_region[~real] = np.arange(int((~real).sum())) % len(C.REGIONS)
    city = np.array([r[1] for r in C.REGIONS])[dest_region]
    dist = np.array([r[2][0] for r in C.REGIONS])[dest_region]
    origin = np.array(C.WAREHOUSE_CITY)[pk["wh"]]
    cname = np.array([c[1] for c in C.COURIERS])[pk["carrier"]]
    ccode = np.array([c[0] for c in C.COURIERS])[pk["carrier"]]
    pu = w.pushes
    jsonl: dict[str, list[str]] = defaultdict(list)
    arrays: dict[str, list[str]] = defaultdict(list)
    singles: list[tuple[str, str, int]] = []
    written_jsonl: set[str] = set()
    existed: set[str] = set()
    n_push_total = 0
    for c0 in range(0, P, chunk_size):
        c1 = min(P, c0 + chunk_size)
        sub_t, sub_c = nt[c0:c1], nc[c0:c1]
        vis = sub_c >= 0
        pr, kr = np.nonzero(vis)  # row-major: per package, node order ascending
        gp = pr + c0
        times = ts_str(sub_t[pr, kr])
        codes = sub_c[pr, kr].astype(np.int64)
        ctx = np.empty(pr.size, dtype=object)
        hub = np.array(C.HUBS)[(gp + kr) % len(C.HUBS)]
        for code, tpl in _CTX.items():
            m = codes == code
            if not m.any():
                continue
            parts = tpl.replace("{", "\x00{").split("\x00")
            acc = np.full(int(m.sum()), "", dtype=str)
            for part in parts:
                if part.startswith("{"):
                    key, rest = part[1:].split("}", 1)
                    val = {"o": origin, "cn": cname, "h": None, "d": city, "di": dist}[key]
                    v = hub[m] if key == "h" else val[gp[m]]
                    acc = np.strings.add(np.strings.add(acc, v), rest)
                else:
                    acc = np.strings.add(acc, part)
            ctx[m] = acc
        area = np.where(
            np.isin(codes, [1, 6]), origin[gp], np.where(codes == 0, np.strings.slice(hub, 0, 2), city[gp])
        )
        node_tpl = '{"time":"%s","ftime":"%s","context":"%s","statusCode":"%d","areaName":"%s"}'
        node = [
            node_tpl % (t_, t_, c_, k_, a_)
            for t_, c_, k_, a_ in zip(
                times.tolist(), ctx.tolist(), codes.tolist(), area.tolist(), strict=True
            )
        ]
        del times, ctx, area
        cnt = vis.sum(axis=1)
        starts = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        # pushes of this chunk
        pm = (pu["pkg"] >= c0) & (pu["pkg"] < c1)
        ppk, pn, ptime = pu["pkg"][pm], pu["n"][pm], pu["time"][pm]
        srt = np.lexsort((pn, ppk, ptime))
        ppk, pn, ptime = ppk[srt], pn[srt], ptime[srt]
        pstamp = ts_str(ptime, "ymd").tolist()
        rloc = ppk - c0
        s0 = starts[rloc]
        states = nc[ppk, pn - 1].astype(np.int64)
        st_l = states.astype(str).tolist()
        status_l = np.where(states == 3, "shutdown", "polling").tolist()
        chk_l = np.where(states == 3, "1", "0").tolist()
        nu_l = pk["tracking_no"][ppk].tolist()
        com_l = ccode[ppk].tolist()
        lo_l = (s0 - 1).tolist()
        hi_l = (s0 + pn - 1).tolist()
        tpl = (
            '{"status":"%s","billstatus":"got","message":"",'
            '"lastResult":{"message":"ok","nu":"%s","ischeck":"%s","condition":"F00","com":"%s","status":"200",'
            '"state":"%s","data":[%s]}}'
        )
        texts = [
            tpl % (a_, b_, c_, d_, e_, ",".join(node[h_:l_:-1] if l_ >= 0 else node[h_::-1]))
            for a_, b_, c_, d_, e_, l_, h_ in zip(status_l, nu_l, chk_l, com_l, st_l, lo_l, hi_l, strict=True)
        ]
        route = np.where(ppk % 997 == 5, 2, np.where(((ptime - w.t0) // DAY) % 30 == 3, 1, 0)).tolist()
        for i, (txt, rt, stamp) in enumerate(zip(texts, route, pstamp, strict=True)):
            if rt == 0:
                jsonl[stamp].append(txt)
            elif rt == 1:
                arrays[stamp].append(txt)
            else:
                singles.append(
                    (
                        f"tracks/kuaidi100_{stamp}_{ts_one(int(ptime[i]), 'compact')[9:]}_{nu_l[i]}.json",
                        txt,
                        int(ptime[i]),
                    )
                )
        n_push_total += len(texts)
        for stamp in sorted(jsonl):
            rel = f"tracks/kuaidi100_push_{stamp}.jsonl"
            path = out.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if rel not in written_jsonl:
                written_jsonl.add(rel)
                if path.exists():  # written by an earlier shard
                    existed.add(rel)
            with open(path, "ab") as fh:
                fh.write(("\n".join(jsonl[stamp]) + "\n").encode("utf-8"))
            out.rows["tracks"] += len(jsonl[stamp])
        jsonl.clear()
    for rel in sorted(written_jsonl):
        stamp = rel.split("_")[-1][:8]
        set_mtime(out.root / rel, _stamp_end(w, stamp))
        if rel in existed:
            continue
        out.files["tracks"] += 1
        out.file_list.append(rel)
    for stamp in sorted(arrays):
        rel = f"tracks/kuaidi100_batch_{stamp}.json"
        out.write(
            "tracks",
            rel,
            ("[\n" + ",\n".join(arrays[stamp]) + "\n]\n").encode("utf-8"),
            _stamp_end(w, stamp),
            len(arrays[stamp]),
        )
    for rel, txt, t in singles:
        out.write("tracks", rel, (txt + "\n").encode("utf-8"), t, 1)


def _stamp_end(w: World, ymd: str) -> int:
    import datetime as dt

    d = dt.date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8]))
    from .util import epoch

    return min(epoch(d) + DAY - 1, w.as_of)


# ----------------------------------------------------------------------------- warehouse log
def warehouse_events(w: World) -> dict:
    """All warehouse-log events as numeric arrays (time, kind, order, package, sku barcode index, note)."""
    o, ln, pk, as_of = w.o, w.ln, w.pk, w.as_of
    N = w.n_orders
    ev_t, ev_k, ev_o, ev_p, ev_s, ev_n, ev_l = [], [], [], [], [], [], []
    # 审单 (kind 0)
    r = np.flatnonzero(o["reviewed"] <= as_of)
    ev_t.append(o["reviewed"][r])
    ev_k.append(np.zeros(r.size, np.int8))
    ev_o.append(r)
    ev_p.append(np.full(r.size, -1))
    ev_s.append(np.full(r.size, -1))
    ev_n.append(np.zeros(r.size, np.int8))
    ev_l.append(np.full(r.size, -1))
    # 出库扫描 (kind 1): one row per unit (B2B: per line)
    lp = ln["pkg"]
    ok = lp >= 0
    ok[ok] = pk["first_scan"][lp[ok]] <= as_of
    bar = ln["sku"].copy()
    skip = np.zeros(ln["order"].size, bool)
    for ms in w.misship:
        if ms["kind"] == "wrong_item":
            bar[ms["line"]] = ms["replacement"]
        else:
            skip[ms["line"]] = True
    li = np.flatnonzero(ok & ~skip)
    units = ln["scan_units"][li]
    li_rep = np.repeat(li, units)
    # scan sequence within each package
    pk_of = lp[li_rep]
    srt = np.lexsort((li_rep, pk_of))
    li_rep, pk_of = li_rep[srt], pk_of[srt]
    first = np.concatenate([[0], np.flatnonzero(np.diff(pk_of)) + 1]) if pk_of.size else np.zeros(0, np.int64)
    seq = np.arange(pk_of.size) - np.repeat(first, np.diff(np.concatenate([first, [pk_of.size]])))
    ev_t.append(pk["first_scan"][pk_of] + seq * 15)
    ev_k.append(np.ones(li_rep.size, np.int8))
    ev_o.append(ln["order"][li_rep])
    ev_p.append(pk_of)
    ev_s.append(bar[li_rep])
    ev_n.append(np.where(o["plat"][ln["order"][li_rep]] == C.ERP, 1, 0).astype(np.int8))
    ev_l.append(li_rep)
    # 出库 (kind 2): one row per order in the package
    real = np.flatnonzero(~pk["orphan"] & (pk["outbound"] <= as_of))
    po = pk["order"][real]
    pp = pk["partner"][real]
    both = pp >= 0
    ev_t.append(np.concatenate([pk["outbound"][real], pk["outbound"][real][both]]))
    ev_k.append(np.full(real.size + int(both.sum()), 2, np.int8))
    ev_o.append(np.concatenate([po, pp[both]]))
    ev_p.append(np.concatenate([real, real[both]]))
    ev_s.append(np.full(real.size + int(both.sum()), -1))
    ev_n.append(np.zeros(real.size + int(both.sum()), np.int8))
    ev_l.append(np.full(real.size + int(both.sum()), -1))
    # 异常上报 (kind 3): pick failures of never-shipped orders, stalled parcels
    ns = o["groups"]["never_shipped"]
    t = o["reviewed"][ns] + HOUR
    m = t <= as_of
    ev_t.append(t[m])
    ev_k.append(np.full(int(m.sum()), 3, np.int8))
    ev_o.append(ns[m])
    ev_p.append(np.full(int(m.sum()), -1))
    ev_s.append(np.full(int(m.sum()), -1))
    ev_n.append(np.full(int(m.sum()), 2, np.int8))
    ev_l.append(np.full(int(m.sum()), -1))
    stl = np.flatnonzero((pk["kind"] == 4) & ~pk["orphan"])
    nv = (w.nodes_c[stl] >= 0).sum(axis=1)
    lt = w.nodes_t[stl, np.maximum(nv - 1, 0)] + 30 * HOUR
    m = (lt <= as_of) & (nv > 0)
    ev_t.append(lt[m])
    ev_k.append(np.full(int(m.sum()), 3, np.int8))
    ev_o.append(pk["order"][stl[m]])
    ev_p.append(stl[m])
    ev_s.append(np.full(int(m.sum()), -1))
    ev_n.append(np.full(int(m.sum()), 3, np.int8))
    ev_l.append(np.full(int(m.sum()), -1))
    E = dict(
        t=np.concatenate(ev_t),
        k=np.concatenate(ev_k),
        o=np.concatenate(ev_o),
        p=np.concatenate(ev_p),
        s=np.concatenate(ev_s),
        n=np.concatenate(ev_n),
        line=np.concatenate(ev_l),
    )
    E["wh"] = o["wh"][E["o"]]
    srt = np.lexsort((E["s"], E["k"], E["o"], E["t"], E["wh"]))
    for k in E:
        E[k] = E[k][srt]
    del N
    return E


def write_warehouse(w: World, out: Out) -> dict:
    E = warehouse_events(w)
    o, pk, sku = w.o, w.pk, w.sku
    day = (E["t"] - w.t0) // DAY
    kinds = np.array(["审单", "出库扫描", "出库", "异常上报"])
    notes = np.array(["", "整箱", "拣货异常：货位无货，待盘点", "快递滞留超24小时，已联系快递催件"])
    encs = ["utf-8", "utf-8-sig", "gb18030"]
    key = E["wh"].astype(np.int64) * 100000 + day
    bounds = np.flatnonzero(np.diff(key)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [key.size]])
    # vectorise per block of ~300k events
    blk_s = 0
    while blk_s < len(starts):
        acc, blk_e = 0, blk_s
        while blk_e < len(starts) and (acc < 150000 or blk_e == blk_s):
            acc += ends[blk_e] - starts[blk_e]
            blk_e += 1
        a0, a1 = starts[blk_s], ends[blk_e - 1]
        sl = slice(a0, a1)
        oi = E["o"][sl]
        p = E["p"][sl]
        k = E["k"][sl]
        ops = np.array(C.WAREHOUSE_OPERATORS, dtype=object)
        op_i = (oi * 7 + k) % 4
        op_i = np.where((k == 0) & (oi % 3 == 0), 4, op_i)
        operator = ops[E["wh"][sl], op_i].astype(str)
        trk = np.where(p >= 0, pk["tracking_no"][np.maximum(p, 0)], "")
        bc = np.where(E["s"][sl] >= 0, sku["barcode"][np.maximum(E["s"][sl], 0)], "")
        wave_t = o["wave"][oi]
        wave = np.where(
            (k == 1) | (k == 2),
            np.strings.add(
                np.strings.add("BC", (E["wh"][sl] + 1).astype(str)), np.strings.slice(_ymdhm(wave_t), 0, 12)
            ),
            "",
        )
        qty_note = np.where(
            (E["n"][sl] == 1) & (k == 1),
            np.strings.add("整箱 数量:", w.ln["qty"][np.maximum(E["line"][sl], 0)].astype(str)),
            notes[E["n"][sl]],
        )
        cols = [
            ts_str(E["t"][sl]),
            kinds[k],
            o["order_no"][oi],
            pick(C.PLATFORMS, o["plat"][oi]),
            pick(C.WAREHOUSES, E["wh"][sl]),
            operator,
            trk,
            bc,
            wave,
            qty_note,
        ]
        for b in range(blk_s, blk_e):
            s, e = starts[b] - a0, ends[b] - a0
            wi = int(E["wh"][starts[b]])
            d = int(day[starts[b]])
            stamp = ts_one(w.t0 + d * DAY, "compact")[:8]
            rel = f"warehouse/wms_{C.WAREHOUSES[wi]}_{stamp}.csv"
            out.write(
                "warehouse",
                rel,
                encode(csv_text(WMS_COLS, [c[s:e] for c in cols]), encs[wi]),
                min(w.t0 + d * DAY + DAY - 1, w.as_of),
                int(e - s),
            )
        blk_s = blk_e
    return E


def _ymdhm(t):
    s = ts_str(t)
    return np.strings.add(
        np.strings.add(ts_str(t, "ymd"), np.strings.slice(s, 11, 13)), np.strings.slice(s, 14, 16)
    )


# ----------------------------------------------------------------------------- inventory, products
def stock_snapshots(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_slots = w.stock_short.shape[1]
    nwh, nsku = w.stock_level.shape
    slot = np.repeat(np.arange(n_slots), nwh * nsku)
    wh = np.tile(np.repeat(np.arange(nwh), nsku), n_slots)
    sk = np.tile(np.arange(nsku), n_slots * nwh)
    noise = (slot * 7919 + wh * 104729 + sk * 1299709) % 200
    level = w.stock_level[wh, sk] - noise
    level = np.where(w.stock_short[sk, slot], 0, level)
    return w.t0 + slot * (6 * HOUR), wh, sk, level


def write_inventory(w: World, out: Out) -> None:
    t, wh, sk, level = stock_snapshots(w)
    day = (t - w.t0) // DAY
    keep = t <= w.as_of
    cols = [
        ts_str(t[keep], "slash"),
        pick(C.WAREHOUSES, wh[keep]),
        w.sku["code"][sk[keep]],
        level[keep].astype(str),
    ]
    dd = day[keep]
    bounds = np.flatnonzero(np.diff(dd)) + 1
    for s, e in zip(
        np.concatenate([[0], bounds]).tolist(), np.concatenate([bounds, [dd.size]]).tolist(), strict=True
    ):
        d = int(dd[s])
        rel = f"inventory/stock_snapshot_{ts_one(w.t0 + d * DAY, 'compact')[:8]}.csv"
        out.write(
            "inventory",
            rel,
            encode(csv_text(INV_COLS, [c[s:e] for c in cols], newline="\r\n"), "gb18030"),
            w.t0 + d * DAY + 18 * HOUR,
            e - s,
        )


def write_products(w: World, out: Out) -> None:
    s = w.sku
    cols = [s["code"], s["name"], s["cat"], s["barcode"], s["supplier"], money_str(s["cost"])]
    out.write(
        "products",
        "products/sku_master.csv",
        encode(csv_text(PROD_COLS, cols), "utf-8-sig"),
        w.t0 - DAY,
        int(s["code"].size),
    )


# ----------------------------------------------------------------------------- after-sales, inquiries
def write_aftersales(w: World, out: Out) -> None:
    tk, o, sku = w.tickets, w.o, w.sku
    n = tk["order"].size
    rows_t = list(tk["applied"].tolist())
    kind = ["ok"] * n
    for b in w.bad_tickets:
        rows_t.append(b["applied"])
        kind.append(b["kind"])
    order = np.concatenate([tk["order"], np.array([b["order"] for b in w.bad_tickets], np.int64)])
    line = np.concatenate([tk["line"], np.array([b["line"] for b in w.bad_tickets], np.int64)])
    t = np.array(rows_t, np.int64)
    tags, notes = [], []
    for i in range(n):
        sep = ";" if tk["sep"][i] == 0 else "、"
        tags.append(sep.join(tk["tags"][i]))
        notes.append(tk["note"][i])
    for b in w.bad_tickets:
        tags.append({"missing_tag": "", "unknown_tag": "质量问题", "other_without_note": "其他"}[b["kind"]])
        notes.append("")
    resolved = np.concatenate([tk["resolved"], np.full(len(w.bad_tickets), NEVER)])
    result = np.concatenate(
        [
            np.array(C.AFTERSALES_RESULTS)[tk["result"]] if n else np.zeros(0, str),
            np.full(len(w.bad_tickets), ""),
        ]
    )
    refund = np.concatenate([tk["refund"], np.zeros(len(w.bad_tickets), np.int64)])
    srt = np.lexsort((np.arange(t.size), t))
    ticket_no = np.strings.add(
        np.strings.add("SH", ts_str(t, "ymd")), pad((np.arange(t.size) + w.shard.ticket_base) * 7 + 100001, 7)
    )
    cols = [
        ticket_no,
        o["order_no"][order],
        pick(C.PLATFORMS, o["plat"][order]),
        sku["code"][w.ln["sku"][line]],
        ts_str(t),
        np.array(tags, dtype=str),
        np.array(notes, dtype=str),
        ts_str(resolved),
        result.astype(str),
        np.where(refund > 0, money_str(refund), "0.00"),
    ]
    cols = [c[srt] for c in cols]
    kind = [kind[i] for i in srt]
    w.tickets["ticket_no"] = cols[0][np.argsort(srt)][:n]
    day = (t[srt] - w.t0) // DAY
    bounds = np.flatnonzero(np.diff(day)) + 1
    reasons = {
        "missing_tag": "原因标签 is empty",
        "unknown_tag": "unknown 原因标签: '质量问题'",
        "other_without_note": "原因标签 其他 without 补充说明",
    }
    for s, e in zip(
        np.concatenate([[0], bounds]).tolist(), np.concatenate([bounds, [day.size]]).tolist(), strict=True
    ):
        d = int(day[s])
        rel = f"aftersales/aftersales_tickets_{ts_one(w.t0 + d * DAY, 'compact')[:8]}.csv"
        enc = "gb18030" if d % 5 == 4 else "utf-8"
        out.write(
            "aftersales",
            rel,
            encode(csv_text(AS_COLS, [c[s:e] for c in cols]), enc),
            min(w.t0 + d * DAY + DAY - 1, w.as_of),
            e - s,
        )
        for i in range(s, e):
            if kind[i] != "ok":
                out.rejected.append((rel, i - s + 1, "aftersales", reasons[kind[i]]))


def write_inquiries(w: World, out: Out) -> None:
    q, o = w.inquiries, w.o
    if q["order"].size == 0:
        return
    cols = [
        ts_str(q["time"], "slash"),
        o["order_no"][q["order"]],
        pick(C.PLATFORMS, o["plat"][q["order"]]),
        pick([C.INQUIRY_CHANNELS[i] for i in range(5)], o["plat"][q["order"]]),
        pick(C.INQUIRY_TYPES, q["kind"]),
    ]
    day = (q["time"] - w.t0) // DAY
    bounds = np.flatnonzero(np.diff(day)) + 1
    for s, e in zip(
        np.concatenate([[0], bounds]).tolist(), np.concatenate([bounds, [day.size]]).tolist(), strict=True
    ):
        d = int(day[s])
        rel = f"inquiries/cs_inquiries_{ts_one(w.t0 + d * DAY, 'compact')[:8]}.csv"
        enc = "utf-16" if d % 7 == 0 else "utf-8"
        out.write(
            "inquiries",
            rel,
            encode(csv_text(INQ_COLS, [c[s:e] for c in cols], newline="\r\n"), enc),
            min(w.t0 + d * DAY + DAY - 1, w.as_of),
            e - s,
        )


__all__ = [
    "Out",
    "clean",
    "write_orders",
    "write_settlements",
    "write_receipts",
    "write_tracks",
    "write_warehouse",
    "write_inventory",
    "write_products",
    "write_aftersales",
    "write_inquiries",
    "duplicate_exports",
    "receipt_records",
    "warehouse_events",
    "stock_snapshots",
    "export_pairs",
    "MINUTE",
]


def node_context(w: World, p: int, k: int) -> str:
    """The context text of node k of package p (same template as the pushes)."""
    pk, o = w.pk, w.o
    code = int(w.nodes_c[p, k])
    if pk["orphan"][p]:
        region = (p - int((~pk["orphan"]).sum())) % len(C.REGIONS)
    else:
        oi = int(pk["order"][p])
        if o["plat"][oi] == C.ERP:
            region = int(w.b2b["region"][o["cust"][oi] % w.b2b["name"].size])
        else:
            region = int(w.cust["region"][o["cust"][oi] % w.cust["name"].size])
    vals = {
        "o": C.WAREHOUSE_CITY[int(pk["wh"][p])],
        "cn": C.COURIERS[int(pk["carrier"][p])][1],
        "h": C.HUBS[(p + k) % len(C.HUBS)],
        "d": C.REGIONS[region][1],
        "di": C.REGIONS[region][2][0],
    }
    return _CTX[code].format(**vals)
