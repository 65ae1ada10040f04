"""The world model: every order, line, package, track node, payment, ticket — as numpy arrays.

Everything the files show and everything the truth states is derived from this model.
Nothing here reads or writes files.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from . import catalog as C
from .util import DAY, HOUR, MINUTE, NEVER, epoch, pad, scramble, uid

SLOT = 6 * HOUR  # inventory snapshot interval
ANOMALY_NAMES = [
    "never_reviewed",
    "never_shipped",
    "review_late",
    "outbound_late",
    "track_rejected",
    "track_returned",
    "track_problem",
    "track_stalled",
    "track_refused",
    "unsettled",
    "settle_amount_mismatch",
    "refund_before_ship",
    "refund_after_sign",
    "erp_cancel",
    "address_changed_2",
    "address_changed_1",
    "split",
    "merged",
    "stock_shortage",
    "misship_wrong_item",
    "misship_missing_gift",
    "bad_live_room",
    "b2b_unpaid",
    "b2b_amount_mismatch",
    "aftersales_cluster",
    "repeat_inquiry",
]
AN = {n: 1 << i for i, n in enumerate(ANOMALY_NAMES)}


@dataclass
class Shard:
    """Where a shard's world sits in a sharded zone (see docs/generator.md "Sharding").

    index 0 of count 1 with zero bases is the unsharded world. Identity bases keep every id unique over the
    whole zone (order numbers, customer ids, tracking numbers, settlement refs, receipt numbers, ticket
    numbers, ERP daily sequences); ``stock_short`` / ``stock_level`` are shard 0's, shared by every shard.
    """

    index: int = 0
    count: int = 1
    n_total: int = 0
    order_base: int = 0
    cust_base: int = 0
    b2b_base: int = 0
    pkg_base: int = 0
    pay_base: int = 0
    settle_base: int = 0
    ticket_base: int = 0
    erp_seq: np.ndarray | None = None  # per day: ERP orders of the earlier shards
    stock_short: np.ndarray | None = None
    stock_level: np.ndarray | None = None
    receipt_quota: int | None = None  # receipt payments to keep in this shard (None: all)


@dataclass
class World:
    n_orders: int
    days: int
    seed: int
    start: dt.date
    anomaly_rate: float
    t0: int = 0
    as_of: int = 0
    export_times: np.ndarray = field(default=None)
    sku: dict = field(default_factory=dict)
    cust: dict = field(default_factory=dict)
    b2b: dict = field(default_factory=dict)
    o: dict = field(default_factory=dict)  # per order
    ln: dict = field(default_factory=dict)  # per order line (sorted by order)
    pk: dict = field(default_factory=dict)  # per package (incl. orphan packages)
    nodes_t: np.ndarray = field(default=None)  # (P, K) node times, NEVER padded
    nodes_c: np.ndarray = field(default=None)  # (P, K) state codes, -1 padded
    pushes: dict = field(default_factory=dict)
    stock_short: np.ndarray = field(default=None)  # (n_sku, n_slots) bool: snapshot shows 0 everywhere
    stock_level: np.ndarray = field(default=None)  # (n_wh, n_sku) base level
    settle: dict = field(default_factory=dict)
    payments: list = field(default_factory=list)
    receipts: list = field(default_factory=list)
    tickets: dict = field(default_factory=dict)
    bad_tickets: list = field(default_factory=list)
    inquiries: dict = field(default_factory=dict)
    addr_changes: dict = field(default_factory=dict)
    misship: list = field(default_factory=list)
    bogus: dict = field(default_factory=dict)
    bad_room: str = ""
    bad_day: int = 0
    cluster: dict = field(default_factory=dict)
    shard: Shard = field(default_factory=Shard)


def _u(rng, lo, hi, n):
    return rng.integers(int(lo), int(hi), n, endpoint=True).astype(np.int64)


def build_world(
    n_orders: int, days: int, seed: int, start: dt.date, anomaly_rate: float, shard: Shard | None = None
) -> World:
    shard = shard or Shard(n_total=n_orders)
    if not shard.n_total:
        shard.n_total = n_orders
    # shard 0 draws from the unsharded stream: one shard = the unsharded world, byte for byte
    rng = np.random.default_rng(seed if shard.index == 0 else [seed, shard.index])
    w = World(n_orders, days, seed, start, anomaly_rate)
    w.shard = shard
    w.t0 = t0 = epoch(start)
    w.as_of = t0 + (days - 1) * DAY + 23 * HOUR
    w.export_times = t0 + np.arange(days, dtype=np.int64) * DAY + 23 * HOUR
    _catalogue(w, rng)
    _orders(w, rng)
    return w


# ----------------------------------------------------------------------------- catalogue
def _ean13(body12: str) -> str:
    s = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body12))
    return body12 + str((10 - s % 10) % 10)


def _catalogue(w: World, rng) -> None:
    code, name, cat, sup, price, gift = [], [], [], [], [], []
    n = 0
    for ci, (cname, prefix, names, (lo, hi), sups) in enumerate(C.CATEGORIES):
        for ni, base in enumerate(names):
            for si in range(2):
                spec = C.SPECS[(ci + ni + si * 3) % len(C.SPECS)]
                code.append(f"{prefix}{ni + 1:02d}{si + 1:02d}")
                name.append(f"橙镜 {base} {spec}")
                cat.append(cname)
                sup.append(C.SUPPLIERS[sups[(ni + si) % len(sups)]])
                price.append(int(rng.integers(lo, hi + 1)) * 100 - 10 * int(rng.integers(0, 2)))
                gift.append(False)
                n += 1
    for gcode, gname, gcat, _gcost in C.GIFTS:
        code.append(gcode)
        name.append(gname)
        cat.append(gcat)
        sup.append(C.SUPPLIERS[0])
        price.append(0)
        gift.append(True)
    barcode = [_ean13(f"6942{731 + i:03d}{(i * 7919) % 100000:05d}") for i in range(len(code))]
    price_a = np.array(price, dtype=np.int64)
    cost = np.where(price_a > 0, (price_a * 0.45).astype(np.int64) // 10 * 10, 300)
    m = len(code)
    n_reg = n
    ranks = rng.permutation(n_reg)
    pop = 1.0 / (ranks + 3.0) ** 1.1
    w.sku = dict(
        code=np.array(code),
        name=np.array(name),
        cat=np.array(cat),
        supplier=np.array(sup),
        price=price_a,
        cost=cost,
        barcode=np.array(barcode),
        gift=np.array(gift),
        n=m,
        n_reg=n_reg,
        pop=pop / pop.sum(),
    )


# ----------------------------------------------------------------------------- orders
def _take(rng, pool: np.ndarray, used: np.ndarray, k: int) -> np.ndarray:
    cand = np.flatnonzero(pool & ~used)
    k = min(int(k), cand.size)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    chosen = np.sort(rng.choice(cand, k, replace=False))
    used[chosen] = True
    return chosen


def _orders(w: World, rng) -> None:  # noqa: C901 - one long, linear story
    N, days, t0, as_of, a = w.n_orders, w.days, w.t0, w.as_of, w.anomaly_rate
    A = a * N
    # --- daily volume with festival peaks
    dates = [w.start + dt.timedelta(days=i) for i in range(days)]
    dw = np.array([1.0 + 0.12 * (d.weekday() >= 5) for d in dates])
    peak = [i for i, d in enumerate(dates) if (d.month, d.day) in ((11, 11), (6, 18), (12, 12))]
    if not peak:
        peak = [int(days * 0.6)]
    for i in peak:
        mult = 5.0 if (dates[i].month, dates[i].day) in ((11, 11),) or len(peak) == 1 else 3.0
        dw[i] *= mult
        for j in (i - 2, i - 1):
            if 0 <= j < days:
                dw[j] *= 1.6
    counts = rng.multinomial(N, dw / dw.sum())
    day = np.repeat(np.arange(days), counts)
    hw = np.array(
        [3, 1.5, 1, 0.6, 0.5, 0.6, 1, 2, 3.5, 4, 4.5, 4.5, 5, 4.5, 4, 4, 4.2, 4.5, 5, 6, 7.5, 8, 7, 5]
    )
    hour = rng.choice(24, N, p=hw / hw.sum())
    last = day == days - 1
    if last.any():
        hw2 = hw.copy()
        hw2[23] = 0
        hour[last] = rng.choice(24, int(last.sum()), p=hw2 / hw2.sum())
    created = t0 + day * DAY + hour * HOUR + rng.integers(0, HOUR, N)
    plat = rng.choice(5, N, p=C.PLATFORM_SHARE).astype(np.int8)
    if N >= 50:
        plat[:5] = np.arange(5)  # every platform present even in tiny zones
    # --- bad live room: one day, mostly unpaid
    bad = np.zeros(N, bool)
    bd = max(0, days - 6)
    w.bad_day = bd
    k_bad = max(24, int(round(0.15 * A)))
    dy = np.flatnonzero(plat == C.DOUYIN)
    if dy.size >= k_bad:
        sel = rng.choice(dy, k_bad, replace=False)
        bad[sel] = True
        created[sel] = t0 + bd * DAY + 19 * HOUR + rng.integers(0, 4 * HOUR, k_bad)
    order = np.argsort(created, kind="stable")
    created, plat, bad = created[order], plat[order], bad[order]
    o = w.o
    o["created"], o["plat"], o["bad_room"] = created, plat, bad
    o["anom"] = np.zeros(N, np.int64)
    o["anom"][bad] |= AN["bad_live_room"]
    is_erp = plat == C.ERP
    consumer = ~is_erp

    # --- ids
    idx = np.arange(N, dtype=np.int64) + w.shard.order_base
    order_no = np.empty(N, dtype=object)
    ymd = _ymd(created)
    m = plat == C.DOUYIN
    order_no[m] = np.strings.add(np.strings.add("69", np.strings.slice(ymd[m], 2, 8)), uid(idx[m], 11, rng))
    m = plat == C.PDD
    order_no[m] = np.strings.add(np.strings.add(np.strings.slice(ymd[m], 2, 8), "-"), uid(idx[m], 15, rng))
    m = plat == C.TAOBAO
    long19 = rng.random(N) < 0.8
    m19, m18 = m & long19, m & ~long19
    order_no[m19] = np.strings.add("2", uid(idx[m19], 18, rng))
    order_no[m18] = np.strings.add("3", uid(idx[m18], 17, rng))
    m = plat == C.MINI
    cs = _compact(created[m])
    order_no[m] = np.strings.add(np.strings.add("E", cs), uid(idx[m], 9, rng))
    m = plat == C.ERP
    e_idx = np.flatnonzero(m)
    e_day = day_of(created[e_idx], t0)
    seq = np.zeros(e_idx.size, np.int64)
    if e_idx.size:
        first = np.concatenate([[0], np.flatnonzero(np.diff(e_day)) + 1])
        starts = np.repeat(first, np.diff(np.concatenate([first, [e_idx.size]])))
        seq = np.arange(e_idx.size) - starts + 1
        if w.shard.erp_seq is not None:
            seq = seq + w.shard.erp_seq[e_day]
    order_no[m] = np.strings.add(np.strings.add("SO", ymd[m]), pad(seq, 6))
    o["order_no"] = order_no.astype(str)

    # --- customers
    n_c = max(50, int(N * 0.6))
    w.cust = _customers(rng, n_c, w.shard.cust_base)
    cust = rng.integers(0, n_c, N)
    n_b = max(8, int(is_erp.sum()) // 5)
    w.b2b = _b2b_customers(rng, n_b, w.shard.b2b_base)
    bcust = np.minimum((n_b * rng.random(N) ** 1.5).astype(np.int64), n_b - 1)
    o["cust"] = np.where(is_erp, bcust, cust)
    region = np.where(is_erp, w.b2b["region"][o["cust"] % n_b], w.cust["region"][o["cust"] % n_c])
    o["wh"] = np.array([r[3] for r in C.REGIONS])[region].astype(np.int8)

    # --- douyin traffic
    ch = rng.choice(3, N, p=[0.55, 0.25, 0.20])  # 0 live, 1 video, 2 other
    room = rng.choice(len(C.DOUYIN_ROOM_IDS) - 1, N)  # the last room is the bad one
    room[bad] = len(C.DOUYIN_ROOM_IDS) - 1
    ch[bad] = 0
    o["channel"] = np.where(plat == C.DOUYIN, ch, -1).astype(np.int8)
    o["room"] = room
    o["video"] = rng.integers(0, 40, N)
    o["author"] = np.where(ch == 0, room, rng.integers(0, len(C.DOUYIN_AUTHORS), N))
    w.bad_room = C.DOUYIN_ROOM_IDS[-1]

    # --- lines
    _lines(w, rng)
    ln = w.ln
    goods = np.bincount(ln["order"], weights=ln["amount"], minlength=N).astype(np.int64)
    post = np.zeros(N, np.int64)
    post[(plat == C.TAOBAO) & (rng.random(N) < 0.1)] = 800
    post[(plat == C.MINI) & (rng.random(N) < 0.1)] = 600
    disc = np.where((plat == C.PDD) & (rng.random(N) < 0.2) & (goods > 2000), 300, 0)
    o["goods"], o["post"], o["discount"] = goods, post, disc
    o["amount"] = goods + post - disc

    # --- payment
    unpaid = consumer & (rng.random(N) < 0.04)
    unpaid |= bad & (rng.random(N) < 0.82)
    delay = rng.exponential(60, N).astype(np.int64) + 5
    delay += (rng.random(N) < 0.2) * rng.integers(60, 900, N)
    paid = np.where(is_erp, created, created + delay)
    paid[unpaid] = NEVER
    cancel = np.where(unpaid, created + _u(rng, 10 * MINUTE, 60 * MINUTE, N), NEVER)
    paid[paid > as_of] = NEVER
    cancel[cancel > as_of] = NEVER

    # --- anomaly groups (disjoint)
    horizon = as_of - 5 * DAY if days > 8 else as_of - DAY
    elig = (paid <= horizon) & ~bad
    used = np.zeros(N, bool)
    groups = {}

    def grp(name, pool, k, flag=True):
        sel = _take(rng, pool, used, k)
        groups[name] = sel
        if flag:
            o["anom"][sel] |= AN[name]
        return sel

    rk = lambda x: max(1, int(round(x)))  # noqa: E731
    nreg = np.bincount(ln["order"][~ln["gift"]], minlength=N)
    grp("never_reviewed", elig, rk(0.04 * A))
    grp("never_shipped", elig, rk(0.04 * A))
    grp("review_late", elig, rk(0.10 * A))
    grp("outbound_late", elig, rk(0.06 * A))
    for nm, share in (
        ("track_rejected", 0.04),
        ("track_returned", 0.03),
        ("track_problem", 0.03),
        ("track_stalled", 0.05),
        ("track_refused", 0.01),
    ):
        grp(nm, elig, rk(share * A))
    grp("unsettled", elig & consumer, rk(0.06 * A))
    grp("settle_amount_mismatch", elig & consumer, rk(0.05 * A))
    grp("refund_before_ship", elig & consumer, int(round(0.015 * N)) + 1)
    grp("refund_after_sign", elig & consumer, int(round(0.01 * N)) + 1)
    grp("erp_cancel", elig & is_erp, max(1, int(round(0.03 * is_erp.sum()))))
    grp("address_changed_2", elig & ((plat == C.DOUYIN) | (plat == C.PDD)), max(2, int(round(0.02 * A))))
    grp("address_changed_1", elig & ((plat == C.DOUYIN) | (plat == C.PDD)), max(1, int(round(0.02 * A))))
    grp("split", elig & consumer & (nreg >= 2), int(round(0.03 * (nreg >= 2).sum())) + 1)

    # --- address changes: seen in half-hourly exports h1 < h2 < h3
    ac2, ac1 = groups["address_changed_2"], groups["address_changed_1"]
    acs = np.concatenate([ac2, ac1])
    h1 = (paid[acs] // HOUR + 1) * HOUR + 30 * MINUTE  # always at :30, never at a daily 23:00 export
    w.addr_changes = dict(
        order=acs,
        changes=np.concatenate([np.full(ac2.size, 2), np.full(ac1.size, 1)]),
        h1=h1,
        h2=h1 + HOUR,
        h3=h1 + 2 * HOUR,
        variant=rng.integers(1, 50, acs.size),
    )
    w.addr_changes["h3"][ac2.size :] = NEVER  # one change only: A then C (C from h2)
    addr_final = np.where(w.addr_changes["changes"] == 2, h1 + 2 * HOUR, h1 + HOUR)

    # --- review
    rev = paid + np.clip(rng.lognormal(np.log(360), 0.7, N), 30, 5400).astype(np.int64)
    rl = groups["review_late"]
    rev[rl] = paid[rl] + _u(rng, 2.2 * HOUR, 10 * HOUR, rl.size)
    quick = np.concatenate([groups["refund_before_ship"], groups["erp_cancel"]])
    rev[quick] = paid[quick] + _u(rng, 120, 480, quick.size)
    rev[acs] = np.maximum(rev[acs], addr_final + _u(rng, 5 * MINUTE, 30 * MINUTE, acs.size))
    # stock shortage windows
    n_slots = days * 4
    short = np.zeros((w.sku["n"], n_slots), bool)
    line_paid = paid[ln["order"]]
    paid_ok = paid < NEVER
    n_paid = max(1, int(paid_ok.sum()))
    share = np.bincount(ln["sku"][~ln["gift"]], minlength=w.sku["n"]) / max(1, int((~ln["gift"]).sum()))
    top = np.argsort(-share[: w.sku["n_reg"]], kind="stable")[:10]
    per_slot = n_paid / n_slots * share[top].mean() * 1.3
    L = int(np.clip(math.ceil(4.0 / max(per_slot, 1e-9)), 1, 16))
    if w.shard.stock_short is not None:  # a later shard: shard 0's windows hold for the whole zone
        short = w.shard.stock_short
    else:
        # shard 0 plans the windows for the whole zone (orders per slot and A scaled to all shards)
        scale = w.shard.n_total / N
        per_slot *= scale
        L = int(np.clip(math.ceil(4.0 / max(per_slot, 1e-9)), 1, 16))
        n_win = max(2, int(round(0.1 * A * scale / max(1.0, per_slot * L))))
        last_start = max(1, n_slots - L - (20 if days > 8 else 4))
        for _ in range(n_win):
            s = int(rng.choice(top))
            st = int(rng.integers(1, last_start + 1))
            short[s, st : st + L] = True
    w.stock_short = short
    slot = np.clip((line_paid - t0) // SLOT, 0, n_slots - 1)
    line_short = (line_paid < NEVER) & short[ln["sku"], slot]
    o_short = np.bincount(ln["order"], weights=line_short, minlength=N) > 0
    o["short"] = o_short
    o["anom"][o_short] |= AN["stock_shortage"]
    # restock: first slot after the window that is not short for every short sku of the order
    restock = np.full(N, 0, np.int64)
    for li in np.flatnonzero(line_short):
        s, sl = ln["sku"][li], slot[li]
        e = sl
        while e < n_slots and short[s, e]:
            e += 1
        oi = ln["order"][li]
        restock[oi] = max(restock[oi], t0 + e * SLOT)
    so = np.flatnonzero(o_short)
    rev[so] = np.maximum(rev[so], restock[so] + _u(rng, 10 * MINUTE, 90 * MINUTE, so.size))
    rev[paid >= NEVER] = NEVER
    rev[groups["never_reviewed"]] = NEVER
    o["reviewed_true"] = rev.copy()
    rev[rev > as_of] = NEVER
    w.stock_level = rng.integers(300, 3000, (len(C.WAREHOUSES), w.sku["n"]))
    if w.shard.stock_level is not None:
        w.stock_level = w.shard.stock_level

    # --- waves and outbound
    ships = rev < NEVER
    for nm in ("never_shipped", "refund_before_ship", "erp_cancel"):
        ships[groups[nm]] = False
    x = rev + 10 * MINUTE
    slot30 = -(-x // (30 * MINUTE)) * (30 * MINUTE)
    tod = slot30 % DAY
    wave = np.where(
        tod < 8 * HOUR,
        slot30 - tod + 8 * HOUR,
        np.where(tod > 21 * HOUR + 30 * MINUTE, slot30 - tod + DAY + 8 * HOUR, slot30),
    )
    wave = np.where(ships, wave, NEVER)
    first_scan = np.where(ships, wave + _u(rng, 5 * MINUTE, 60 * MINUTE, N), NEVER)
    units = np.bincount(ln["order"], weights=ln["scan_units"], minlength=N).astype(np.int64)
    last_scan = first_scan + units * 15
    outbound = np.where(ships, last_scan + _u(rng, 3 * MINUTE, 30 * MINUTE, N), NEVER)
    ol = groups["outbound_late"]
    outbound[ol] += _u(rng, 26 * HOUR, 40 * HOUR, ol.size)
    # nothing half-scanned at as_of: an order is either fully scanned or not yet started
    straddle = (first_scan <= as_of) & (last_scan > as_of)
    first_scan[straddle] = as_of + 60
    outbound[straddle] = np.maximum(outbound[straddle], as_of + 3600)
    o["wave"], o["first_scan"] = wave, first_scan

    # --- merged pairs: same platform, warehouse and wave; the second order joins the first's parcel
    cand = np.flatnonzero(ships & consumer & ~used & (paid <= horizon))
    key = (wave[cand] // 60) * 100 + plat[cand] * 10 + o["wh"][cand]
    srt = cand[np.argsort(key, kind="stable")]
    ks = (wave[srt] // 60) * 100 + plat[srt] * 10 + o["wh"][srt]
    pairs = np.flatnonzero(ks[1:] == ks[:-1])
    pairs = pairs[rng.random(pairs.size) < 0.05]
    if pairs.size:
        keep = np.concatenate([[True], np.diff(pairs) > 1])
        pairs = pairs[keep]
    p1, p2 = srt[pairs], srt[pairs + 1]
    kmax = int(round(0.01 * N)) + 1
    p1, p2 = p1[:kmax], p2[:kmax]
    used[p1] = True
    used[p2] = True
    o["anom"][p1] |= AN["merged"]
    o["anom"][p2] |= AN["merged"]
    o["cust"][p2] = o["cust"][p1]
    first_scan[p2] = first_scan[p1] + units[p1] * 15
    outbound[p2] = outbound[p1] = np.maximum(outbound[p1], first_scan[p2] + units[p2] * 15 + 60)
    o["merge_into"] = np.full(N, -1, np.int64)
    o["merge_into"][p2] = p1

    # --- packages
    split = groups["split"]
    prim = np.flatnonzero(ships & (o["merge_into"] < 0))
    pk_order = np.concatenate([prim, split])
    pk_part = np.concatenate([np.zeros(prim.size, np.int8), np.ones(split.size, np.int8)])
    srt = np.lexsort((pk_part, pk_order))
    pk_order, pk_part = pk_order[srt], pk_part[srt]
    P = pk_order.size
    pk_out = outbound[pk_order].copy()
    sp = pk_part == 1
    pk_out[sp] += _u(rng, 60, 2 * HOUR, int(sp.sum()))
    pk_scan = first_scan[pk_order].copy()
    pk_scan[sp] = last_scan[pk_order[sp]] + 30
    # partner (merged) order of a package
    partner = np.full(N, -1, np.int64)
    partner[p1] = p2
    pk_partner = np.where(pk_part == 0, partner[pk_order], -1)
    whp = o["wh"][pk_order]
    carrier = np.zeros(P, np.int8)
    for wi in range(len(C.WAREHOUSES)):
        mm = whp == wi
        sh = np.array([c[2][wi] for c in C.COURIERS])
        carrier[mm] = rng.choice(len(C.COURIERS), int(mm.sum()), p=sh / sh.sum())
    # lines -> package index
    ln_pkg = np.full(len(ln["order"]), -1, np.int64)
    pk_of_order = np.full(N, -1, np.int64)
    first_pk = np.flatnonzero(pk_part == 0)
    pk_of_order[pk_order[first_pk]] = first_pk
    pk_of_order[p2] = pk_of_order[p1]
    ln_pkg = pk_of_order[ln["order"]]
    second_pk = np.full(N, -1, np.int64)
    second_pk[pk_order[sp]] = np.flatnonzero(sp)
    half = (nreg + 1) // 2
    to2 = (second_pk[ln["order"]] >= 0) & ~ln["gift"] & (ln["j"] >= half[ln["order"]])
    ln_pkg[to2] = second_pk[ln["order"][to2]]
    ln["pkg"] = ln_pkg
    o["pkg1"] = pk_of_order
    o["pkg2"] = second_pk

    # --- track nodes
    K = 9
    nt = np.full((P, K), NEVER, np.int64)
    nc = np.full((P, K), -1, np.int8)
    n_tr = rng.integers(2, 5, P)
    t = pk_out + _u(rng, HOUR, 5 * HOUR, P)
    nt[:, 0], nc[:, 0] = t, 1
    kind = np.zeros(P, np.int8)  # 0 normal, 1 rejected, 2 returned, 3 problem, 4 stalled, 5 refused
    okind = np.zeros(N, np.int8)
    for code, nm in (
        (1, "track_rejected"),
        (2, "track_returned"),
        (3, "track_problem"),
        (4, "track_stalled"),
        (5, "track_refused"),
    ):
        okind[groups[nm]] = code
    kind = okind[pk_order]
    kind[pk_part == 1] = 0
    for j in range(1, 5):
        step = _u(rng, 3 * HOUR, 16 * HOUR, P)
        active = j <= n_tr
        t = np.where(active, t + step, t)
        nt[active, j] = t[active]
        nc[active, j] = 0
    zt = (rng.random(P) < 0.03) & (kind == 0)
    nc[zt, 2] = 7
    pos = n_tr + 1
    rows = np.arange(P)
    # stalled: cut after the second node
    st = kind == 4
    nt[st, 2:] = NEVER
    nc[st, 2:] = -1
    prob = kind == 3
    t2 = t + _u(rng, 3 * HOUR, 16 * HOUR, P)
    nt[rows[prob], pos[prob]] = t2[prob]
    nc[rows[prob], pos[prob]] = 2
    deliv = (kind == 0) | (kind == 1) | (kind == 2) | (kind == 5)
    t5 = t + _u(rng, 2 * HOUR, 12 * HOUR, P)
    nt[rows[deliv], pos[deliv]] = t5[deliv]
    nc[rows[deliv], pos[deliv]] = 5
    t3 = t5 + _u(rng, 30 * MINUTE, 6 * HOUR, P)
    last_code = np.select([kind == 0, kind == 1, kind == 2, kind == 5], [3, 14, 14, 4], -1)
    nt[rows[deliv], pos[deliv] + 1] = t3[deliv]
    nc[rows[deliv], pos[deliv] + 1] = last_code[deliv]
    ret = kind == 2
    nt[rows[ret], pos[ret] + 2] = t3[ret] + _u(rng, 12 * HOUR, 40 * HOUR, int(ret.sum()))
    nc[rows[ret], pos[ret] + 2] = 6
    w.pk = dict(
        order=pk_order,
        part=pk_part,
        partner=pk_partner,
        outbound=pk_out,
        first_scan=pk_scan,
        carrier=carrier,
        wh=whp,
        kind=kind,
        orphan=np.zeros(P, bool),
    )
    # orphan parcels: tracking numbers that belong to no order
    n_orph = max(2, int(round(0.01 * A)))
    ot = t0 + rng.integers(DAY, max(2 * DAY, days * DAY - 3 * DAY), n_orph)
    ont = np.full((n_orph, K), NEVER, np.int64)
    onc = np.full((n_orph, K), -1, np.int8)
    tt = ot.copy()
    for j, c in enumerate((1, 0, 0, 5, 3)):
        tt = tt + _u(rng, HOUR, 12 * HOUR, n_orph)
        ont[:, j], onc[:, j] = tt, c
    nt = np.vstack([nt, ont])
    nc = np.vstack([nc, onc])
    for k_, v in (
        ("order", np.full(n_orph, -1)),
        ("part", np.zeros(n_orph, np.int8)),
        ("partner", np.full(n_orph, -1)),
        ("outbound", np.full(n_orph, NEVER)),
        ("first_scan", np.full(n_orph, NEVER)),
        ("carrier", rng.integers(0, len(C.COURIERS), n_orph).astype(np.int8)),
        ("wh", rng.integers(0, 3, n_orph).astype(np.int8)),
        ("kind", np.zeros(n_orph, np.int8)),
        ("orphan", np.ones(n_orph, bool)),
    ):
        w.pk[k_] = np.concatenate([w.pk[k_], np.asarray(v).astype(w.pk[k_].dtype)])
    vis = nt <= as_of
    nt[~vis] = NEVER
    nc[~vis] = -1
    w.nodes_t, w.nodes_c = nt, nc
    w.pk["tracking_no"] = _tracking_numbers(w.pk["carrier"], rng, w.shard.pkg_base)
    _pushes(w, rng)

    # --- signed / completed / refunds / platform ship time
    PT = nt.shape[0]
    is3 = nc == 3
    pk_signed = np.where(is3.any(axis=1), np.where(is3, nt, NEVER).min(axis=1), NEVER)
    signed = np.full(N, NEVER, np.int64)
    real = ~w.pk["orphan"]
    np.minimum.at(signed, w.pk["order"][real], pk_signed[real])
    has_p = w.pk["partner"] >= 0
    np.minimum.at(signed, w.pk["partner"][has_p], pk_signed[has_p])
    o["signed"] = signed
    first_node = np.where(nc[:, 0] >= 0, nt[:, 0], NEVER)
    o["outbound"] = np.where(outbound <= as_of, outbound, NEVER)
    o["outbound_true"] = outbound
    plat_ship = np.where(ships, outbound + _u(rng, 5 * MINUTE, 90 * MINUTE, N), NEVER)
    plat_ship[is_erp] = outbound[is_erp]
    plat_ship[plat_ship > as_of] = NEVER
    o["plat_ship"] = plat_ship
    # per package platform-visible ship time (for 快递单号 lists and 部分发货)
    w.pk["plat_ship"] = np.full(PT, NEVER, np.int64)
    w.pk["plat_ship"][:P] = np.where(
        pk_out <= as_of, pk_out + (plat_ship[pk_order] - outbound[pk_order]).clip(0, 2 * HOUR), NEVER
    )
    shipped = np.minimum(o["outbound"], plat_ship)
    fn = np.full(N, NEVER, np.int64)
    np.minimum.at(fn, w.pk["order"][real], first_node[real])
    np.minimum.at(fn, w.pk["partner"][has_p], first_node[has_p])
    o["shipped"] = np.minimum(shipped, fn)
    completed = np.where(signed < NEVER, signed + np.where(is_erp, DAY, _u(rng, DAY, 7 * DAY, N)), NEVER)
    refund = np.full(N, NEVER, np.int64)
    rb = groups["refund_before_ship"]
    refund[rb] = rev[rb] + _u(rng, 5 * MINUTE, 30 * MINUTE, rb.size)
    ra = groups["refund_after_sign"]
    refund[ra] = np.where(signed[ra] < NEVER, signed[ra] + _u(rng, DAY, 4 * DAY, ra.size), NEVER)
    completed[ra] = NEVER
    ec = groups["erp_cancel"]
    cancel[ec] = rev[ec] + _u(rng, 10 * MINUTE, 60 * MINUTE, ec.size)
    refund[refund > as_of] = NEVER
    completed[completed > as_of] = NEVER
    cancel[cancel > as_of] = NEVER
    o["paid"], o["cancel"], o["refund"], o["completed"], o["reviewed"] = paid, cancel, refund, completed, rev
    o["groups"] = groups

    # --- settlements (platform orders)
    settle = np.where(consumer & (signed < NEVER), signed + _u(rng, DAY, 4 * DAY, N), NEVER)
    settle = (settle // DAY) * DAY + _u(rng, 2 * HOUR, 6 * HOUR, N)
    settle[groups["unsettled"]] = NEVER
    settle[(refund < NEVER) & (refund < settle)] = NEVER
    settle[ra[signed[ra] >= NEVER]] = NEVER
    samt = o["amount"].copy()
    mm = groups["settle_amount_mismatch"]
    samt[mm] -= _u(rng, 100, 2000, mm.size)
    settle[settle > as_of] = NEVER
    s_idx = np.flatnonzero(settle < NEVER)
    neg = np.flatnonzero((refund < NEVER) & (settle < refund) & (settle < NEVER))
    neg_t = refund[neg] + _u(rng, HOUR, 6 * HOUR, neg.size)
    neg = neg[neg_t <= as_of]
    neg_t = neg_t[neg_t <= as_of]
    w.settle = dict(
        order=np.concatenate([s_idx, neg]),
        time=np.concatenate([settle[s_idx], neg_t]),
        amount=np.concatenate([samt[s_idx], -o["amount"][neg]]),
        kind=np.concatenate([np.zeros(s_idx.size, np.int8), np.ones(neg.size, np.int8)]),
    )
    srt = np.lexsort((w.settle["order"], w.settle["time"]))
    for k_ in w.settle:
        w.settle[k_] = w.settle[k_][srt]
    w.settle["ref"] = np.strings.add(
        np.strings.add("JS", _ymd(w.settle["time"])), uid(np.arange(srt.size) + w.shard.settle_base, 12, rng)
    )
    o["settle"] = settle

    _b2b_payments(w, rng, groups)
    _misship(w, rng, used)
    _tickets(w, rng)
    _inquiries(w, rng)
    _bogus(w, rng)


# ----------------------------------------------------------------------------- helpers
def day_of(sec, t0):
    return (np.asarray(sec) - t0) // DAY


def _ymd(sec):
    from .util import ts_str

    return ts_str(np.asarray(sec, dtype=np.int64), "ymd")


def _compact(sec):
    from .util import ts_str

    s = ts_str(np.asarray(sec, dtype=np.int64), "iso")
    return np.strings.add(_ymd(sec), np.strings.replace(np.strings.slice(s, 11, 19), ":", ""))


def _customers(rng, n, base=0):
    sur = rng.integers(0, len(C.SURNAMES), n)
    g1 = rng.integers(0, len(C.GIVEN), n)
    g2 = rng.integers(0, len(C.GIVEN) + 8, n)
    names = [
        C.SURNAMES[s] + C.GIVEN[a] + (C.GIVEN[b] if b < len(C.GIVEN) else "")
        for s, a, b in zip(sur.tolist(), g1.tolist(), g2.tolist(), strict=True)
    ]
    prefixes = np.array(["138", "139", "136", "135", "158", "159", "177", "186", "188", "199", "152", "131"])
    phone = np.strings.add(prefixes[rng.integers(0, len(prefixes), n)], pad(rng.integers(0, 10**8, n), 8))
    rw = np.array(C.REGION_WEIGHT, float)
    region = rng.choice(len(C.REGIONS), n, p=rw / rw.sum())
    dist = rng.integers(0, 4, n)
    dist = np.array([d % len(C.REGIONS[r][2]) for d, r in zip(dist.tolist(), region.tolist(), strict=True)])
    return dict(
        name=np.array(names),
        phone=phone,
        region=region,
        district=dist,
        street=rng.integers(0, len(C.STREETS), n),
        road=rng.integers(0, len(C.ROADS), n),
        num=rng.integers(1, 999, n),
        bld=rng.integers(1, 30, n),
        room=rng.integers(101, 2605, n),
        nick=np.strings.add("tb", uid(np.arange(n) + base, 10, rng)),
    )


def _b2b_customers(rng, n, base=0):
    names, seen = [], set()
    i = 0
    while len(names) < n:
        nm = (
            C.B2B_PREFIX[int(rng.integers(0, len(C.B2B_PREFIX)))]
            + C.B2B_MID[int(rng.integers(0, len(C.B2B_MID)))]
            + C.B2B_SUFFIX[int(rng.integers(0, len(C.B2B_SUFFIX)))]
        )
        i += 1
        if nm in seen and i < 10 * n:
            continue
        if nm in seen:
            nm = nm.replace("有限公司", f"第{i}分公司")
        seen.add(nm)
        names.append(nm)
    region = rng.choice(len(C.REGIONS), n)
    banks = [
        C.PAYER_BANKS[int(b)].format(C.REGIONS[r][1].rstrip("市"))
        for b, r in zip(rng.integers(0, len(C.PAYER_BANKS), n).tolist(), region.tolist(), strict=True)
    ]
    return dict(
        name=np.array(names),
        code=np.array([f"KH{base + i + 1:05d}" for i in range(n)]),
        region=region,
        account=pad(rng.integers(10**15, 10**16, n), 16),
        bank=np.array(banks),
        contact=np.array([C.SURNAMES[int(s)] + "经理" for s in rng.integers(0, len(C.SURNAMES), n)]),
        phone=np.strings.add("13", pad(rng.integers(0, 10**9, n), 9)),
    )


def _lines(w: World, rng) -> None:
    o, sku = w.o, w.sku
    N = o["plat"].size
    plat = o["plat"]
    nl = rng.choice([1, 2, 3], N, p=[0.6, 0.28, 0.12])
    nl[plat == C.PDD] = 1
    erp = plat == C.ERP
    nl[erp] = rng.integers(1, 5, int(erp.sum()))
    gift = (plat != C.PDD) & ~erp & (rng.random(N) < 0.2)
    n_reg = sku["n_reg"]
    base = rng.choice(n_reg, N, p=sku["pop"])
    off1 = rng.integers(1, n_reg // 2, N)
    off2 = off1 + rng.integers(1, n_reg // 2 - 1, N)
    lo = np.repeat(np.arange(N), nl)
    first = np.concatenate([[0], np.cumsum(nl)[:-1]])
    j = np.arange(lo.size) - np.repeat(first, nl)
    off = np.select([j == 0, j == 1, j == 2], [0, off1[lo], off2[lo]], (off2[lo] + j) % n_reg)
    s = (base[lo] + off) % n_reg
    qty = rng.choice([1, 2, 3], lo.size, p=[0.82, 0.14, 0.04])
    e = erp[lo]
    qty[e] = rng.integers(1, 11, int(e.sum())) * 10
    unit = sku["price"][s]
    unit = np.where(e, (unit * 0.7).astype(np.int64) // 10 * 10, unit)
    g = np.flatnonzero(gift)
    gs = sku["n_reg"] + rng.integers(0, sku["n"] - sku["n_reg"], g.size)
    order = np.concatenate([lo, g])
    srt = np.argsort(order, kind="stable")
    jj = np.concatenate([j, nl[g]])
    ln = dict(
        order=order[srt],
        j=jj[srt],
        sku=np.concatenate([s, gs])[srt],
        qty=np.concatenate([qty, np.ones(g.size, np.int64)])[srt],
        unit=np.concatenate([unit, np.zeros(g.size, np.int64)])[srt],
        gift=np.concatenate([np.zeros(lo.size, bool), np.ones(g.size, bool)])[srt],
    )
    ln["amount"] = ln["unit"] * ln["qty"]
    ln["scan_units"] = np.where(erp[ln["order"]], 1, ln["qty"])
    w.ln = ln


def _tracking_numbers(carrier: np.ndarray, rng, base: int = 0) -> np.ndarray:
    n = carrier.size
    idx = np.arange(n, dtype=np.int64) + base
    out = np.empty(n, dtype=object)
    codes = [c[0] for c in C.COURIERS]
    for ci, code in enumerate(codes):
        m = carrier == ci
        k = idx[m]
        if code == "jtexpress":
            v = np.strings.add("JT", uid(k, 13, rng))
        elif code == "zhongtong":
            v = np.strings.add((73 + (k % 6)).astype(str), uid(k, 12, rng))
        elif code == "shunfeng":
            v = np.strings.add("SF", uid(k, 13, rng))
        elif code == "yuantong":
            v = np.strings.add("YT", uid(k, 13, rng))
        elif code == "yunda":
            v = np.strings.add("46", uid(k, 13, rng))
        elif code == "shentong":
            v = np.strings.add("77", uid(k, 13, rng))
        elif code == "ems":
            v = np.strings.add("11", uid(k, 11, rng))
        else:
            letters = np.array(list("ABCDEF"))[k % 6]
            v = np.strings.add(np.strings.add("JDV", letters), uid(k, 11, rng))
        out[m] = v
    return out.astype(str)


def _pushes(w: World, rng) -> None:
    nt, nc = w.nodes_t, w.nodes_c
    P = nt.shape[0]
    nvis = (nc >= 0).sum(axis=1)
    has = nvis > 0
    last_t = np.where(has, nt[np.arange(P), np.maximum(nvis - 1, 0)], NEVER)
    fin = np.minimum(last_t + _u(rng, 60, 30 * MINUTE, P), w.as_of)
    pk_list = [np.flatnonzero(has)]
    n_list = [nvis[has]]
    t_list = [fin[has]]
    # an early push after the first node
    e1 = has & (nvis >= 2) & (rng.random(P) < 0.5)
    gap = np.where(e1, nt[:, 1] - nt[:, 0], 0)
    t1 = nt[:, 0] + np.minimum(_u(rng, 60, 30 * MINUTE, P), gap // 2)
    pk_list.append(np.flatnonzero(e1))
    n_list.append(np.ones(int(e1.sum()), np.int64))
    t_list.append(t1[e1])
    # a push after the second-to-last node
    e2 = has & (nvis >= 4) & (rng.random(P) < 0.3)
    k2 = nvis - 1
    rows = np.arange(P)
    tk = nt[rows, np.maximum(k2 - 1, 0)]
    tn = nt[rows, np.maximum(k2, 0)]
    t2 = tk + np.minimum(_u(rng, 60, 30 * MINUTE, P), np.maximum((tn - tk) // 2, 1))
    pk_list.append(np.flatnonzero(e2))
    n_list.append(k2[e2])
    t_list.append(t2[e2])
    pk = np.concatenate(pk_list)
    n = np.concatenate(n_list)
    t = np.concatenate(t_list)
    srt = np.lexsort((n, pk))
    w.pushes = dict(pkg=pk[srt], n=n[srt], time=t[srt])


def _b2b_payments(w: World, rng, groups) -> None:
    o, a, as_of = w.o, w.anomaly_rate, w.as_of
    erp = np.flatnonzero((o["plat"] == C.ERP) & (o["cancel"] >= NEVER))
    erp = erp[~np.isin(erp, groups["erp_cancel"])]
    unpaid = rng.random(erp.size) < min(0.5, 3 * a)
    o["anom"][erp[unpaid]] |= AN["b2b_unpaid"]
    payers = erp[~unpaid]
    pay_t = o["created"][payers] + _u(rng, DAY, 10 * DAY, payers.size)
    pay_t = (pay_t // DAY) * DAY + _u(rng, 9 * HOUR, 17 * HOUR, payers.size)
    mism = rng.random(payers.size) < a
    payments = []
    cust = o["cust"]
    by_c: dict[int, list[int]] = {}
    for k, oi in enumerate(payers.tolist()):
        by_c.setdefault(int(cust[oi]), []).append(k)
    groups_ = []
    for c in sorted(by_c):
        ks = by_c[c]
        i = 0
        while i < len(ks):
            if i + 1 < len(ks) and rng.random() < 0.2:
                groups_.append([ks[i], ks[i + 1]])
                i += 2
            else:
                groups_.append([ks[i]])
                i += 1
    for g in groups_:
        oids = [int(payers[k]) for k in g]
        t = int(max(pay_t[k] for k in g))
        if t > as_of:
            continue
        amt = int(sum(int(o["amount"][x]) for x in oids))
        mismatch = any(bool(mism[k]) for k in g)
        if mismatch:
            amt -= int(rng.integers(50, 500)) * 100
            for x in oids:
                o["anom"][x] |= AN["b2b_amount_mismatch"]
        c = int(cust[oids[0]])
        payments.append(
            dict(
                time=t,
                amount=amt,
                orders=oids,
                named=[o["order_no"][x] for x in oids],
                payer=int(c),
                kind="order",
            )
        )
    # orphan payments: no order / unknown order; two payers repeat
    n_erp_paid = max(1, len(payments))
    n_orph = max(6, int(round(n_erp_paid * a * 2))) if w.shard.index == 0 else 0
    strangers = [
        f"{C.B2B_PREFIX[i % 12]}{m}商贸有限公司"
        for i, m in enumerate(["鑫源", "恒达", "百川", "新禾", "卓越", "华诚", "汇丰源", "永盛"])
    ]
    for k in range(n_orph):
        rep = k < 5  # the first five go to two repeat payers
        payer = f"S{0 if k < 3 else 1}" if rep else f"S{2 + (k % 6)}"
        t = int(w.t0 + rng.integers(DAY, max(2 * DAY, w.days * DAY - DAY)))
        t = (t // DAY) * DAY + int(rng.integers(9 * HOUR, 17 * HOUR))
        if k % 3 == 2:
            d = dt.date(1970, 1, 1) + dt.timedelta(seconds=t)
            named = [f"SO{d:%Y%m%d}9{int(rng.integers(0, 99999)):05d}"]
        else:
            named = []
        payments.append(
            dict(
                time=min(t, as_of),
                amount=int(rng.integers(500, 30000)) * 100 + int(rng.integers(0, 100)),
                orders=[],
                named=named,
                payer=payer,
                kind="orphan",
            )
        )
    payments.sort(key=lambda p: (p["time"], p["named"], p["amount"]))
    q = w.shard.receipt_quota
    if q is not None and q < len(payments):
        # receipts as a fixed sample: a payment whose receipt is not in the sample does not exist in this
        # zone (its orders are unpaid B2B orders, in every truth file). The first five orphan payments (the
        # two repeat payers of rpt_misdirected_payers) are kept as far as the quota allows; the rest is drawn
        # uniformly from the other payments
        first = [i for i, p in enumerate(payments) if p["kind"] == "orphan" and p["payer"] in ("S0", "S1")]
        first = first[: min(5, q)]
        rest = [i for i in range(len(payments)) if i not in set(first)]
        k = min(len(rest), q - len(first))
        keep = set(first) | set(rng.choice(rest, k, replace=False).tolist() if k > 0 else [])
        for i, p in enumerate(payments):
            if i not in keep:
                for x in p["orders"]:
                    o["anom"][x] &= ~AN["b2b_amount_mismatch"]
                    o["anom"][x] |= AN["b2b_unpaid"]
        payments = [p for i, p in enumerate(payments) if i in keep]
    w.b2b["strangers"] = strangers
    # receipts
    fmts = ["png", "jpg", "pdf_text", "pdf_scan"]
    receipts = []
    n_override = max(1, int(round(len(payments) * a)))
    order_pays = [i for i, p in enumerate(payments) if p["kind"] == "order"]
    override = (
        set(rng.choice(order_pays, min(n_override, len(order_pays)), replace=False).tolist())
        if order_pays
        else set()
    )
    for i, p in enumerate(payments):
        bank = C.BANKS[int(rng.choice(3, p=[0.45, 0.35, 0.20]))]
        d = dt.date(1970, 1, 1) + dt.timedelta(seconds=p["time"])
        serial_n = int(scramble(np.array([i + w.shard.pay_base]), 10**10, 2147483647, 97)[0])
        if bank == "ICBC":
            rno = f"{d:%Y%m%d}{serial_n % 10**8:08d}"
            serial = f"ZX{d:%Y%m%d}{serial_n:010d}"
        elif bank == "CCB":
            rno = f"{serial_n % 10**9:09d}"
            serial = f"{d:%Y%m%d}-{serial_n:010d}"
        else:
            rno = f"{d:%Y%m%d}{serial_n % 10**8:08d}0001"
            serial = f"K{serial_n:010d}{i % 100:02d}"
        p["bank"], p["receipt_no"], p["txn_serial"] = bank, rno, serial
        p["ref"] = f"{bank}:{rno}"
        p["words_override"] = i in override
        p["fmt"] = fmts[int(rng.choice(4, p=[0.5, 0.3, 0.12, 0.08]))]
        p["swap"] = bank == "CCB" and rng.random() < 0.3
        prints = 2 if rng.random() < 0.06 else 1
        p["files"] = []
        for pc in range(1, prints + 1):
            ext = "pdf" if p["fmt"].startswith("pdf") else p["fmt"]
            suffix = "_补打" if pc > 1 else ""
            fname = f"receipts/{bank}_回单_{d:%Y%m%d}_{rno}{suffix}.{ext}"
            p["files"].append(fname)
            receipts.append(
                dict(
                    payment=i,
                    file=fname,
                    print_count=pc,
                    fmt=p["fmt"],
                    seed=int(w.seed * 100003 + (i + w.shard.pay_base) * 7 + pc),
                )
            )
    w.payments = payments
    w.receipts = receipts


def _misship(w: World, rng, used) -> None:
    o, ln = w.o, w.ln
    a, N = w.anomaly_rate, w.n_orders
    m_target = max(3, int(round(0.05 * a * w.shard.n_total)))
    if w.shard.index > 0:  # shard 0 plants the zone's mis-shipments (the truth freezes orders of every shard)
        return
    wi = 1  # WH-GZ
    horizon = w.as_of - 3 * DAY
    cand = np.flatnonzero(
        (o["wh"] == wi)
        & (o["outbound"] <= horizon)
        & (o["merge_into"] < 0)
        & (o["pkg2"] < 0)
        & ~used
        & (o["plat"] != C.ERP)
    )
    # exclude orders whose parcel carries a merged partner
    partner_any = np.zeros(N, bool)
    pk = w.pk
    has_p = (pk["partner"] >= 0) & ~pk["orphan"]
    partner_any[pk["order"][has_p]] = True
    cand = cand[~partner_any[cand]]
    if cand.size == 0:
        return
    waves, counts = np.unique(o["wave"][cand], return_counts=True)
    order_w = np.lexsort((waves, -counts))
    chosen: list[int] = []
    for k in order_w:
        members = cand[o["wave"][cand] == waves[k]]
        chosen.extend(members.tolist())
        if len(chosen) >= m_target:
            break
    chosen = chosen[:m_target] if len(chosen) > m_target else chosen
    has_gift = np.zeros(N, bool)
    has_gift[ln["order"][ln["gift"]]] = True
    starts = np.searchsorted(ln["order"], np.arange(N))
    ends = np.searchsorted(ln["order"], np.arange(N), side="right")
    same_cat: dict[str, list[int]] = {}
    for s in range(w.sku["n_reg"]):
        same_cat.setdefault(str(w.sku["cat"][s]), []).append(s)
    for k, oi in enumerate(chosen):
        lines = list(range(starts[oi], ends[oi]))
        if has_gift[oi] and k % 2 == 1:
            li = [x for x in lines if ln["gift"][x]][0]
            kind, repl = "missing_gift", -1
            o["anom"][oi] |= AN["misship_missing_gift"]
        else:
            li = [x for x in lines if not ln["gift"][x]][0]
            s = int(ln["sku"][li])
            present = {int(ln["sku"][x]) for x in lines}
            opts = [x for x in same_cat[str(w.sku["cat"][s])] if x not in present] or [
                x for x in range(w.sku["n_reg"]) if x not in present
            ]
            repl = int(opts[int(rng.integers(0, len(opts)))])
            kind = "wrong_item"
            o["anom"][oi] |= AN["misship_wrong_item"]
        w.misship.append(
            dict(
                order=int(oi),
                line=int(li),
                sku=int(ln["sku"][li]),
                kind=kind,
                replacement=repl,
                pkg=int(o["pkg1"][oi]),
                detected=int(o["outbound"][oi]),
                wh=wi,
            )
        )


def _tickets(w: World, rng) -> None:
    o, ln, sku = w.o, w.ln, w.sku
    N, a, as_of = w.n_orders, w.anomaly_rate, w.as_of
    shipped = np.flatnonzero((o["outbound"] < NEVER) & (o["plat"] != C.ERP))
    starts = np.searchsorted(ln["order"], np.arange(N))
    nreg = np.bincount(ln["order"][~ln["gift"]], minlength=N)
    recs = []  # (order, line, tags list, note, base_time)
    base = lambda oi: int(o["signed"][oi] if o["signed"][oi] < NEVER else o["outbound"][oi] + 3 * DAY)  # noqa: E731
    norm = shipped[rng.random(shipped.size) < 0.03]
    tw = np.array(C.TAG_WEIGHT)
    for oi in norm.tolist():
        ntag = 1 if rng.random() > 0.1 else 2
        tags = list(rng.choice(8, ntag, replace=False, p=tw / tw.sum()))
        tags = [C.AFTERSALES_TAGS[t] for t in tags]
        li = starts[oi] + int(rng.integers(0, max(1, nreg[oi])))
        recs.append((oi, li, tags, "", base(oi)))
    for ms in w.misship:
        if rng.random() < 0.85:
            tag = "发错商品" if ms["kind"] == "wrong_item" else "赠品缺失"
            recs.append((ms["order"], ms["line"], [tag], "", base(ms["order"])))
    # cluster: 包装破损 on one category at WH-CD within two weeks
    cat_name = C.CATEGORIES[2][0]  # 猫砂系列
    hi = as_of - 6 * DAY
    lo_t = hi - 14 * DAY
    cat_line = sku["cat"][ln["sku"]] == cat_name
    cl_orders = np.unique(ln["order"][cat_line])
    cl = cl_orders[
        (o["wh"][cl_orders] == 2)
        & (o["outbound"][cl_orders] >= lo_t)
        & (o["outbound"][cl_orders] <= hi)
        & (o["plat"][cl_orders] != C.ERP)
    ]
    k = max(8, int(round(0.1 * a * N)))
    cl = np.sort(rng.choice(cl, min(k, cl.size), replace=False)) if cl.size else cl
    w.cluster = dict(tag="包装破损", category=cat_name, warehouse=C.WAREHOUSES[2], orders=cl)
    for oi in cl.tolist():
        s = starts[oi]
        lines = np.flatnonzero(cat_line[s : s + nreg[oi]])
        li = s + (int(lines[0]) if lines.size else 0)
        recs.append((oi, li, ["包装破损"], "", int(o["outbound"][oi] + rng.integers(DAY, 3 * DAY))))
        o["anom"][oi] |= AN["aftersales_cluster"]
    apply = np.array([r[4] for r in recs], np.int64) + _u(rng, 2 * HOUR, 4 * DAY, len(recs))
    keep = apply <= as_of
    recs = [r for r, kk in zip(recs, keep.tolist(), strict=True) if kk]
    apply = apply[keep]
    srt = np.argsort(apply, kind="stable")
    recs = [recs[i] for i in srt]
    apply = apply[srt]
    n = len(recs)
    handling = np.clip(rng.lognormal(np.log(6 * 3600), 0.9, n), 600, 10 * DAY).astype(np.int64)
    resolved = apply + handling
    resolved[resolved > as_of] = NEVER
    result = rng.choice(len(C.AFTERSALES_RESULTS), n, p=[0.35, 0.25, 0.2, 0.1, 0.1])
    notes, tags_s = [], []
    for r in recs:
        tags = r[2]
        note = (
            C.OTHER_NOTES[int(rng.integers(0, len(C.OTHER_NOTES)))]
            if "其他" in tags
            else ("" if rng.random() < 0.7 else "买家已提供照片")
        )
        notes.append(note)
        tags_s.append(tags)
    orders = np.array([r[0] for r in recs], np.int64)
    lines = np.array([r[1] for r in recs], np.int64)
    refund = np.where(np.isin(result, [0, 1]) & (resolved < NEVER), ln["amount"][lines] if n else 0, 0)
    w.tickets = dict(
        order=orders,
        line=lines,
        sku=ln["sku"][lines] if n else np.zeros(0, np.int64),
        tags=tags_s,
        note=notes,
        applied=apply,
        resolved=resolved,
        result=result,
        refund=refund,
        sep=rng.integers(0, 2, n),
    )
    # bad tickets (rejected): missing tag, unknown tag, 其他 without note
    nb = max(1, int(round(a * w.shard.n_total / 1000))) if w.shard.index == 0 else 0
    bad = []
    pool = shipped if shipped.size else np.arange(N)
    for kind in ("missing_tag", "unknown_tag", "other_without_note"):
        for _ in range(nb):
            oi = int(rng.choice(pool))
            t = int(min(as_of - HOUR, o["created"][oi] + rng.integers(2 * DAY, 6 * DAY)))
            bad.append(dict(order=oi, line=int(starts[oi]), kind=kind, applied=t))
    w.bad_tickets = bad


def _inquiries(w: World, rng) -> None:
    o, as_of = w.o, w.as_of
    N = w.n_orders
    recs_o, recs_t, recs_k = [], [], []
    paid = np.flatnonzero(o["paid"] < NEVER)
    norm = paid[rng.random(paid.size) < 0.04]
    t = o["paid"][norm] + _u(rng, HOUR, 4 * DAY, norm.size)
    recs_o.append(norm)
    recs_t.append(t)
    recs_k.append(rng.choice(4, norm.size, p=[0.45, 0.2, 0.25, 0.1]))
    # repeat 物流查询 on troubled parcels
    troubled = np.zeros(N, bool)
    for nm in ("track_stalled", "track_problem", "track_rejected", "outbound_late"):
        troubled[o["groups"][nm]] = True
    tr = np.flatnonzero(troubled)
    reps = rng.integers(2, 4, tr.size)
    ro = np.repeat(tr, reps)
    base = np.repeat(o["paid"][tr] + 2 * DAY, reps)
    rt = base + _u(rng, 0, 3 * DAY, ro.size)
    recs_o.append(ro)
    recs_t.append(rt)
    recs_k.append(np.zeros(ro.size, np.int64))
    o["anom"][tr] |= AN["repeat_inquiry"]
    oo = np.concatenate(recs_o)
    tt = np.concatenate(recs_t)
    kk = np.concatenate(recs_k)
    keep = tt <= as_of
    oo, tt, kk = oo[keep], tt[keep], kk[keep]
    srt = np.lexsort((oo, tt))
    w.inquiries = dict(order=oo[srt], time=tt[srt], kind=kk[srt])


def _bogus(w: World, rng) -> None:
    """Rows that must be rejected, for orders that exist nowhere else."""
    a, days = w.anomaly_rate, w.days
    nb = max(1, int(round(a * w.shard.n_total / 1000))) if w.shard.index == 0 else 0
    d = rng.integers(0, days, (4, nb))
    w.bogus = dict(douyin_amount=d[0], pdd_status=d[1], taobao_excel=d[2], erp_amount=d[3], n=nb)
