"""Ground truth: the expected outcome of CONTRACT §2.1, computed from the world model (never from files)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from . import catalog as C
from .util import DAY, HOUR, NEVER, money_str, ts_one, ts_str
from .world import AN, ANOMALY_NAMES, SLOT, World

TEAM = {
    "order_without_logistics": "物流组",
    "logistics_without_payment": "销售组",
    "logistics_not_signed": "物流组",
    "amount_mismatch": "出纳组",
    "payment_without_order": "出纳组",
    "logistics_without_order": "物流组",
}
UNASSIGNED = "UNASSIGNED"


CHUNK = 200_000


# a later shard of a sharded run appends its rows (no header) to the entity files of the earlier shards
APPEND = {"on": False}


def _write(path: Path, header: list[str], rows) -> int:
    """Write rows (sequences) as CSV, in chunks (fast path of util.csv_text, bounded memory)."""
    from .util import csv_text

    rows = list(rows)
    n = len(rows)
    app = APPEND["on"]
    with open(path, "ab" if app else "wb") as fh:
        if n == 0 and not app:
            fh.write((",".join(header) + "\n").encode("utf-8"))
        for c0 in range(0, n, CHUNK):
            part = rows[c0 : c0 + CHUNK]
            cols = [[x if type(x) is str else str(x) for x in col] for col in zip(*part, strict=True)]
            text = csv_text(header, cols)
            if c0 or app:
                text = text.split("\n", 1)[1]
            fh.write(text.encode("utf-8"))
    return n


def _write_cols(path: Path, header: list[str], cols, n: int | None = None) -> int:
    """Write columns; ``cols`` is a list of arrays or a callable ``idx -> list of arrays`` (chunked)."""
    from .util import csv_text

    if not callable(cols):
        arrays = cols
        n = len(arrays[0]) if arrays else 0

        def cols(idx):
            return [a[idx] for a in arrays]

    app = APPEND["on"]
    with open(path, "ab" if app else "wb") as fh:
        if n == 0 and not app:
            fh.write((",".join(header) + "\n").encode("utf-8"))
        for c0 in range(0, n, CHUNK):
            idx = np.arange(c0, min(n, c0 + CHUNK))
            text = csv_text(header, cols(idx))
            if c0 or app:
                text = text.split("\n", 1)[1]
            fh.write(text.encode("utf-8"))
    return n


def _b(x: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    s = np.where(x, "true", "false")
    if null is not None:
        s = np.where(null, "", s)
    return s


class Truth:
    def __init__(self, w: World, out, misship_events: list | None = None):
        """misship_events: the zone's mis-shipments as (detected, trigger order_key, sku, wh) — shard 0's,
        given to the later shards of a sharded run (their orders can be frozen by them)."""
        self.w, self.out = w, out
        self.misship_events = misship_events
        self.partials: dict = {}
        o = w.o
        self.N = w.n_orders
        self.key = np.strings.add(np.strings.add(np.array(C.PLATFORMS)[o["plat"]], ":"), o["order_no"])
        self._tracking()
        self._orders_core()
        self._payments()
        self._match()

    # ------------------------------------------------------------------ tracking numbers
    def _tracking(self) -> None:
        w = self.w
        pk, nt, nc, as_of = w.pk, w.nodes_t, w.nodes_c, w.as_of
        P = nt.shape[0]
        nvis = (nc >= 0).sum(axis=1)
        rows = np.arange(P)
        last = np.maximum(nvis - 1, 0)
        self.pk_state = np.where(nvis > 0, nc[rows, last], -1)
        self.pk_last_t = np.where(nvis > 0, nt[rows, last], NEVER)
        self.pk_first_t = np.where(nvis > 0, nt[:, 0], NEVER)
        self.pk_nvis = nvis
        # a package is visible (linked to its order) once scanned or shown by the platform
        self.pk_linked = ~pk["orphan"] & ((pk["first_scan"] <= as_of) | (pk["plat_ship"] <= as_of))
        exc = np.full(P, "", dtype=object)
        st = self.pk_state
        exc[np.isin(st, [4, 14])] = "rejected"
        exc[st == 6] = "returned"
        exc[st == 2] = "problem"
        moving = np.isin(st, [0, 1, 5, 7]) & (self.pk_last_t < as_of - 24 * HOUR)
        exc[moving] = "stalled_24h"
        self.pk_exc = exc.astype(str)

    # ------------------------------------------------------------------ orders
    def _orders_core(self) -> None:
        w, o = self.w, self.w.o
        as_of = w.as_of
        N = self.N
        paid = o["paid"]
        # orders -> linked packages (1st, 2nd, and the shared parcel of merged orders)
        self.o_pkgs = [o["pkg1"], o["pkg2"]]
        linked = np.zeros((N, 2), bool)
        for j, p in enumerate(self.o_pkgs):
            m = p >= 0
            linked[m, j] = self.pk_linked[p[m]]
        self.o_linked = linked
        any_signed = np.zeros(N, bool)
        for j, p in enumerate(self.o_pkgs):
            m = (p >= 0) & linked[:, j]
            any_signed[m] |= self.pk_state[p[m]] == 3
        self.any_signed = any_signed
        shipped = o["shipped"]
        signed = o["signed"]
        status = np.select(
            [
                (paid >= NEVER) & (o["cancel"] < NEVER),
                paid >= NEVER,
                o["refund"] < NEVER,
                o["cancel"] < NEVER,
                o["completed"] < NEVER,
                (signed < NEVER) & (shipped < NEVER),
                shipped < NEVER,
            ],
            ["cancelled", "pending_payment", "refunded", "cancelled", "completed", "signed", "shipped"],
            "paid",
        )
        self.status = status
        has_paid = paid < NEVER
        due72 = as_of >= paid + 72 * HOUR
        on_time = signed <= paid + 72 * HOUR
        self.on_time_null = ~has_paid | (~on_time & ~due72)
        self.on_time = on_time
        due24 = as_of >= paid + 24 * HOUR
        sw24 = shipped <= paid + 24 * HOUR
        self.sw24 = sw24
        self.sw24_null = ~has_paid | (~sw24 & ~due24)
        rev = o["reviewed"]
        review_breach = has_paid & ((rev > paid + 2 * HOUR) & (as_of > paid + 2 * HOUR))
        out_breach = has_paid & (~sw24) & due24
        transit_breach = has_paid & ~self.on_time_null & ~on_time
        self.delay_stage = np.select(
            [review_breach, out_breach, transit_breach], ["review", "outbound", "transit"], ""
        )
        self.wh_code = np.where(rev <= as_of, np.array(C.WAREHOUSES)[o["wh"]], "")
        # tracking numbers per order (visible ones)
        tn = np.full(N, "", dtype=object)
        for j, p in enumerate(self.o_pkgs):
            m = (p >= 0) & linked[:, j]
            nos = w.pk["tracking_no"][p[m]]
            tn[m] = np.where(tn[m] == "", nos, np.strings.add(np.strings.add(tn[m].astype(str), ";"), nos))
        self.tracking_nos = tn.astype(str)

    # ------------------------------------------------------------------ payments
    def _payments(self) -> None:
        w, o = self.w, self.w.o
        N = self.N
        paid_amt = np.zeros(N, np.int64)
        named = np.zeros(N, bool)
        refs: dict[int, list[str]] = defaultdict(list)
        s = w.settle
        plat_names = np.array(C.PLATFORMS)
        np.add.at(paid_amt, s["order"], s["amount"])
        named[s["order"]] = True
        sref = np.strings.add(
            np.strings.add(np.strings.add("settlement:", plat_names[o["plat"][s["order"]]]), ":"), s["ref"]
        )
        self.settle_ref = sref
        for oi, r in zip(s["order"].tolist(), sref.tolist(), strict=True):
            refs[oi].append(r)
        # receipts: known order numbers are those of any export
        no_index = {str(x): i for i, x in enumerate(o["order_no"].tolist()) if o["plat"][i] == C.ERP}
        covered = defaultdict(int)
        self.pay_rows = []
        self.alloc_rows = []
        for pi, p in enumerate(w.payments):
            ref = f"receipt:{p['ref']}"
            known = [no_index[n] for n in p["named"] if n in no_index]
            needs_review = bool(p["words_override"])
            reason = "amount_in_words_mismatch" if needs_review else ""
            if needs_review:
                bucket = "needs_review"
            elif not known:
                bucket = "payment_without_order"
            else:
                bucket = "allocated"
            allocs = []
            if bucket == "allocated":
                remaining = p["amount"]
                seen = []
                for oi in known:
                    if oi not in seen:
                        seen.append(oi)
                for j, oi in enumerate(seen):
                    if j == len(seen) - 1:
                        a = remaining
                    else:
                        a = min(remaining, max(0, int(o["amount"][oi]) - covered[oi]))
                    covered[oi] += a
                    remaining -= a
                    paid_amt[oi] += a
                    named[oi] = True
                    refs[oi].append(ref)
                    allocs.append((oi, a))
                    self.alloc_rows.append(
                        [ref, self.key[oi], o["order_no"][oi], money_str(np.array([a]))[0]]
                    )
            self.pay_rows.append(
                dict(
                    index=pi, ref=ref, bucket=bucket, needs_review=needs_review, reason=reason, allocs=allocs
                )
            )
        self.paid_amt = paid_amt
        self.pay_named = named
        self.refs = refs

    # ------------------------------------------------------------------ three-way match
    def _match(self) -> None:
        o = self.w.o
        st = self.status
        scope = (o["paid"] < NEVER) & ~np.isin(st, ["cancelled", "refunded"])
        has_trk = self.tracking_nos != ""
        diff = np.select(
            [~has_trk, ~self.pay_named, ~self.any_signed, self.paid_amt != o["amount"]],
            [
                "order_without_logistics",
                "logistics_without_payment",
                "logistics_not_signed",
                "amount_mismatch",
            ],
            "",
        )
        self.scope = scope
        self.diff = np.where(scope, diff, "")
        self.match_status = np.where(scope, np.where(diff == "", "matched", "pending"), "")
        # logistics state: 3 if any signed, else the state of the most recently updated package
        ls = np.full(self.N, "", dtype=object)
        best_t = np.full(self.N, -1, np.int64)
        for j, p in enumerate(self.o_pkgs):
            m = (p >= 0) & self.o_linked[:, j]
            idx = np.flatnonzero(m)
            pp = p[m]
            t = np.where(self.pk_nvis[pp] > 0, self.pk_last_t[pp], -1)
            upd = t > best_t[idx]
            ls[idx[upd]] = np.where(self.pk_state[pp[upd]] >= 0, self.pk_state[pp[upd]].astype(str), "")
            best_t[idx[upd]] = t[upd]
        ls[self.any_signed] = "3"
        self.logistics_state = ls.astype(str)

    # ------------------------------------------------------------------ writers
    def write_all(self, tdir: Path, append: bool = False) -> dict:
        """Write this world's per-entity truth files (appended after the earlier shards' rows when
        ``append``) and keep the partial sums of the aggregated ones in ``self.partials`` (written by
        ``write_aggregates`` once every shard is done). Returns rows written per file."""
        tdir.mkdir(parents=True, exist_ok=True)
        APPEND["on"] = append
        try:
            counts = {}
            counts["orders"] = self.write_orders(tdir)
            counts["order_lines"] = self.write_lines(tdir)
            counts["payments"] = self.write_payments(tdir)
            counts["receipts"] = self.write_receipts(tdir)
            counts["three_way_match"] = self.write_match(tdir)
            counts["tracking"] = self.write_tracking(tdir)
            counts["logistics_exceptions"] = self.write_exceptions(tdir)
            self.write_heatmap(tdir)
            counts["sla_alerts"] = self.write_sla(tdir)
            counts["correction_actions"] = self.write_corrections(tdir)
            counts["aftersales_tickets"] = self.write_aftersales_weekly(tdir)
            self.write_channel_health(tdir)
            self.write_streaks(tdir)
            counts["order_risks"] = self.write_risks(tdir)
            self.write_misdirected(tdir)
            counts.update(self.write_kpi(tdir))
        finally:
            APPEND["on"] = False
        self.partials["meta"] = meta_partial(self)
        return counts

    def write_orders(self, tdir: Path) -> int:
        w, o = self.w, self.w.o
        anom = o["anom"]
        names = np.full(self.N, "", dtype=object)
        for nm in ANOMALY_NAMES:
            m = (anom & AN[nm]) != 0
            if m.any():
                names[m] = np.where(
                    names[m] == "", nm, np.strings.add(np.strings.add(names[m].astype(str), ";"), nm)
                )
        names = names.astype(str)
        team = np.array([TEAM.get(d, "") for d in self.diff.tolist()])
        rooms = np.array(C.DOUYIN_ROOM_IDS)

        def make(i):
            ch = o["channel"][i]
            channel = np.select([ch == 0, ch == 1, ch == 2], ["直播", "短视频", "其他"], "")
            chid = np.where(
                ch == 0,
                rooms[o["room"][i]],
                np.where(ch == 1, np.strings.add("74", _pad17(o["video"][i] * 7919 + 1000000000)), ""),
            )
            chid = np.where(ch == 2, "other", chid)
            paid_amt = np.where(self.pay_named[i], money_str(self.paid_amt[i]), "")
            cust_id = np.where(
                o["plat"][i] == C.ERP,
                np.strings.add("B", (o["cust"][i] + w.shard.b2b_base).astype(str)),
                np.strings.add("C", (o["cust"][i] + w.shard.cust_base).astype(str)),
            )
            return [
                self.key[i],
                np.array(C.PLATFORMS)[o["plat"][i]],
                o["order_no"][i],
                cust_id,
                channel,
                chid,
                self.status[i],
                ts_str(o["created"][i]),
                ts_str(o["paid"][i]),
                ts_str(o["reviewed"][i]),
                self.wh_code[i],
                ts_str(o["shipped"][i]),
                ts_str(o["signed"][i]),
                ts_str(o["completed"][i]),
                ts_str(o["cancel"][i]),
                ts_str(o["refund"][i]),
                money_str(o["amount"][i]),
                self.tracking_nos[i],
                _b(self.on_time[i], self.on_time_null[i]),
                _b(self.sw24[i], self.sw24_null[i]),
                self.delay_stage[i],
                _b(self.scope[i]),
                self.match_status[i],
                self.diff[i],
                team[i],
                paid_amt,
                self.logistics_state[i],
                names[i],
            ]

        header = [
            "order_key",
            "platform",
            "order_no",
            "customer_id",
            "channel",
            "channel_id",
            "status",
            "created_at",
            "paid_at",
            "reviewed_at",
            "warehouse_code",
            "shipped_at",
            "signed_at",
            "completed_at",
            "cancelled_at",
            "refunded_at",
            "order_amount",
            "tracking_nos",
            "on_time_72h",
            "shipped_within_24h",
            "delay_stage",
            "in_match_scope",
            "match_status",
            "difference_type",
            "responsible_team",
            "paid_amount",
            "logistics_state",
            "anomalies",
        ]
        return _write_cols(tdir / "orders.csv", header, make, self.N)

    def write_lines(self, tdir: Path) -> int:
        ln, sku = self.w.ln, self.w.sku

        def make(i):
            sk = ln["sku"][i]
            return [
                self.key[ln["order"][i]],
                (ln["j"][i] + 1).astype(str),
                sku["code"][sk],
                sku["name"][sk],
                sku["cat"][sk],
                ln["qty"][i].astype(str),
                money_str(ln["amount"][i]),
                _b(ln["gift"][i]),
            ]

        return _write_cols(
            tdir / "order_lines.csv",
            ["order_key", "line_no", "sku", "product_name", "category", "quantity", "line_amount", "is_gift"],
            make,
            int(ln["order"].size),
        )

    def _payer_name(self, p) -> str:
        if isinstance(p["payer"], str):
            k = int(p["payer"][1:])
            return self.w.b2b["strangers"][k % len(self.w.b2b["strangers"])]
        return str(self.w.b2b["name"][p["payer"] % self.w.b2b["name"].size])

    def write_payments(self, tdir: Path) -> int:
        w, o = self.w, self.w.o
        rows = []
        for pr in self.pay_rows:
            p = w.payments[pr["index"]]
            rows.append(
                [
                    pr["ref"],
                    "receipt",
                    "erp",
                    p["bank"],
                    p["receipt_no"],
                    p["txn_serial"],
                    "",
                    ";".join(p["files"]),
                    ts_one(p["time"]),
                    f"{p['amount'] // 100}.{p['amount'] % 100:02d}",
                    self._payer_name(p),
                    " ".join(p["named"]),
                    ";".join(f"{self.key[oi]}={a // 100}.{a % 100:02d}" for oi, a in pr["allocs"]),
                    pr["bucket"],
                    "true" if pr["needs_review"] else "false",
                    pr["reason"],
                ]
            )
        s = w.settle
        nr = len(rows)
        rcols = [np.array([r[j] for r in rows], dtype=str) for j in range(16)] if nr else None

        def settle_cols(k):
            so = s["order"][k]
            plat = np.array(C.PLATFORMS)[o["plat"][so]]
            files = np.strings.add(
                np.strings.add(np.strings.add(np.strings.add("settlements/", plat), "/"), plat),
                np.strings.add(np.strings.add("_settlement_", ts_str(s["time"][k], "ymd")), ".csv"),
            )
            amt = money_str(s["amount"][k])
            e = np.full(k.size, "")
            return [
                self.settle_ref[k],
                np.full(k.size, "settlement"),
                plat,
                e,
                e,
                e,
                s["ref"][k],
                files,
                ts_str(s["time"][k]),
                amt,
                e,
                o["order_no"][so],
                np.strings.add(np.strings.add(self.key[so], "="), amt),
                np.full(k.size, "allocated"),
                np.full(k.size, "false"),
                e,
            ]

        def make(i):
            ri, si = i[i < nr], i[i >= nr] - nr
            sc = settle_cols(si)
            if ri.size == 0:
                return sc
            return [
                np.concatenate([rc[ri].astype(object), c.astype(object)])
                for rc, c in zip(rcols, sc, strict=True)
            ]

        n = _write_cols(
            tdir / "payments.csv",
            [
                "payment_ref",
                "kind",
                "platform",
                "bank",
                "receipt_no",
                "txn_serial",
                "settlement_ref",
                "source_files",
                "paid_at",
                "amount",
                "payer_name",
                "order_nos_named",
                "allocations",
                "bucket",
                "needs_review",
                "review_reason",
            ],
            make,
            nr + int(s["order"].size),
        )
        _write(
            tdir / "payment_allocations.csv",
            ["payment_ref", "order_key", "order_no", "allocated_amount"],
            self.alloc_rows,
        )
        return n

    def write_receipts(self, tdir: Path) -> int:
        from .writers import receipt_records

        rows = []
        for r in receipt_records(self.w):
            rec = r["rec"]
            p = self.w.payments[r["payment"]]
            rows.append(
                [
                    r["file"],
                    rec["bank"],
                    rec["receipt_no"],
                    rec["txn_serial"],
                    rec["txn_date"],
                    rec["txn_time"],
                    rec["payer_name"],
                    rec["payer_account"],
                    rec["payer_bank"],
                    rec["payee_name"],
                    rec["payee_account"],
                    rec["payee_bank"],
                    str(rec["amount"]),
                    " ".join(p["named"]),
                    rec["purpose"],
                    rec["summary"],
                    rec["print_count"],
                    "true" if rec["print_count"] > 1 else "false",
                    "false" if p["words_override"] else "true",
                    str(rec.get("words_override_amount", "")),
                    r["fmt"],
                    "true" if rec["swap_sides"] else "false",
                    "true" if p["words_override"] else "false",
                    "amount_in_words_mismatch" if p["words_override"] else "",
                    f"receipt:{p['ref']}",
                ]
            )
        return _write(
            tdir / "receipts.csv",
            [
                "source_file",
                "bank",
                "receipt_no",
                "txn_serial",
                "txn_date",
                "txn_time",
                "payer_name",
                "payer_account",
                "payer_bank",
                "payee_name",
                "payee_account",
                "payee_bank",
                "amount",
                "order_nos",
                "purpose",
                "summary",
                "print_count",
                "is_reprint",
                "words_ok",
                "words_amount_if_wrong",
                "format",
                "swap_sides",
                "needs_review",
                "review_reason",
                "receipt_ref",
            ],
            rows,
        )

    def write_match(self, tdir: Path) -> int:
        w, o = self.w, self.w.o
        idx = np.flatnonzero(self.scope)
        d = self.diff[idx]
        refs = (
            np.array([";".join(self.refs.get(i, [])) for i in idx.tolist()], dtype=str)
            if idx.size
            else np.zeros(0, str)
        )
        cols = [
            self.key[idx],
            self.key[idx],
            o["order_no"][idx],
            self.tracking_nos[idx],
            refs,
            money_str(o["amount"][idx]),
            np.where(self.pay_named[idx], money_str(self.paid_amt[idx]), ""),
            self.logistics_state[idx],
            self.match_status[idx],
            d,
            np.array([TEAM.get(x, "") for x in d.tolist()]),
        ]
        cols = [np.asarray(c, dtype=str).tolist() for c in cols]
        rows = list(zip(*cols, strict=True))
        for pr in self.pay_rows:
            if pr["bucket"] != "payment_without_order":
                continue
            p = w.payments[pr["index"]]
            rows.append(
                (
                    pr["ref"],
                    "",
                    " ".join(p["named"]),
                    "",
                    pr["ref"],
                    "",
                    f"{p['amount'] // 100}.{p['amount'] % 100:02d}",
                    "",
                    "pending",
                    "payment_without_order",
                    TEAM["payment_without_order"],
                )
            )
        orph = np.flatnonzero(w.pk["orphan"] & (self.pk_nvis > 0))
        for p in orph.tolist():
            nu = str(w.pk["tracking_no"][p])
            rows.append(
                (
                    f"tracking:{nu}",
                    "",
                    "",
                    nu,
                    "",
                    "",
                    "",
                    str(self.pk_state[p]),
                    "pending",
                    "logistics_without_order",
                    TEAM["logistics_without_order"],
                )
            )
        return _write(
            tdir / "three_way_match.csv",
            [
                "match_key",
                "order_key",
                "order_no",
                "tracking_nos",
                "payment_refs",
                "order_amount",
                "paid_amount",
                "logistics_state",
                "match_status",
                "difference_type",
                "responsible_team",
            ],
            rows,
        )

    def write_tracking(self, tdir: Path) -> int:
        w = self.w
        pk = w.pk
        P = pk["order"].size
        keys = np.full(P, "", dtype=object)
        real = ~pk["orphan"]
        keys[real] = self.key[pk["order"][real]]
        hp = pk["partner"] >= 0
        keys[hp] = np.strings.add(np.strings.add(keys[hp].astype(str), ";"), self.key[pk["partner"][hp]])
        npush = np.bincount(w.pushes["pkg"], minlength=P)
        vis = self.pk_nvis > 0
        bucket = np.where(
            pk["orphan"],
            "orphan",
            np.where(self.pk_exc != "", "exception", np.where(self.pk_state == 3, "signed", "in_transit")),
        )
        idx = np.flatnonzero(vis | (self.pk_linked & real))
        cols = [
            pk["tracking_no"][idx],
            np.array([c[0] for c in C.COURIERS])[pk["carrier"][idx]],
            keys[idx].astype(str),
            np.array(C.WAREHOUSES)[pk["wh"][idx]],
            ts_str(pk["outbound"][idx]),
            ts_str(self.pk_first_t[idx]),
            np.where(self.pk_state[idx] >= 0, self.pk_state[idx].astype(str), ""),
            ts_str(self.pk_last_t[idx]),
            self.pk_nvis[idx].astype(str),
            npush[idx].astype(str),
            self.pk_exc[idx],
            np.where(vis[idx], bucket[idx], "no_track_yet"),
            _b(pk["part"][idx] == 1),
            _b(pk["partner"][idx] >= 0),
        ]
        return _write_cols(
            tdir / "tracking.csv",
            [
                "tracking_no",
                "carrier",
                "order_keys",
                "warehouse_code",
                "outbound_at",
                "first_node_at",
                "latest_state",
                "latest_node_at",
                "nodes",
                "pushes",
                "exception_type",
                "bucket",
                "is_second_parcel",
                "is_merged_parcel",
            ],
            cols,
        )

    def write_exceptions(self, tdir: Path) -> int:
        from .writers import node_context

        w = self.w
        pk = w.pk
        idx = np.flatnonzero(self.pk_exc != "")
        rows = []
        for p in idx.tolist():
            e = str(self.pk_exc[p])
            last = int(self.pk_last_t[p])
            since = last + 24 * HOUR if e == "stalled_24h" else last
            ok = "" if pk["orphan"][p] else str(self.key[pk["order"][p]])
            rows.append(
                [
                    str(pk["tracking_no"][p]),
                    C.COURIERS[int(pk["carrier"][p])][0],
                    ok,
                    e,
                    ts_one(since),
                    ts_one(last),
                    node_context(w, p, int(self.pk_nvis[p]) - 1),
                ]
            )
        return _write(
            tdir / "logistics_exceptions.csv",
            [
                "tracking_no",
                "carrier",
                "order_key",
                "exception_type",
                "since",
                "last_event_at",
                "last_context",
            ],
            rows,
        )

    def heatmap_grid(self):
        w, o = self.w, self.w.o
        as_of = w.as_of
        as_day = (as_of - w.t0) // DAY
        days = np.arange(as_day - 29, as_day + 1)
        end = w.t0 + (days + 1) * DAY
        end[-1] = as_of
        paid = o["paid"]
        term = np.minimum(np.minimum(o["shipped"], o["cancel"]), o["refund"])
        whs = list(C.WAREHOUSES) + [UNASSIGNED]
        wcode = np.where(o["reviewed"] <= as_of, o["wh"].astype(np.int64), len(C.WAREHOUSES))
        grid = np.zeros((days.size, len(whs)), np.int64)
        live = paid < NEVER
        for i, e in enumerate(end.tolist()):
            m = live & (paid <= e - 24 * HOUR) & (term > e)
            grid[i] = np.bincount(wcode[m], minlength=len(whs))
        return days, whs, grid

    def write_heatmap(self, tdir: Path) -> None:
        self.partials["heatmap"] = self.heatmap_grid()

    def shortage(self) -> np.ndarray:
        """Order-level stock shortage, recomputed from the inventory snapshots (latest at or before payment)."""
        from .writers import stock_snapshots

        w, o, ln = self.w, self.w.o, self.w.ln
        t, wh, sk, level = stock_snapshots(w)
        n_slots = w.stock_short.shape[1]
        tot = np.zeros((w.sku["n"], n_slots), np.int64)
        slot = (t - w.t0) // SLOT
        np.add.at(tot, (sk, slot), level)
        paid = o["paid"][ln["order"]]
        ok = paid < NEVER
        ls = np.clip((paid - w.t0) // SLOT, 0, n_slots - 1)
        short_line = ok & (tot[ln["sku"], ls] < ln["qty"])
        return np.bincount(ln["order"], weights=short_line, minlength=self.N) > 0

    def write_sla(self, tdir: Path) -> int:
        w, o = self.w, self.w.o
        paid, rev = o["paid"], o["reviewed"]
        short = self.shortage()
        self.short = short
        has = paid < NEVER
        rows_k, rows_t, rows_type = [], [], []
        s = np.flatnonzero(has & short)
        rows_k.append(s)
        rows_t.append(paid[s])
        rows_type.append(np.full(s.size, 2))
        r = np.flatnonzero(has & ~short)
        rows_k.append(r)
        rows_t.append(paid[r])
        rows_type.append(np.zeros(r.size, np.int64))
        esc = np.flatnonzero(has & ~short & (rev > paid + 2 * HOUR) & (paid + 2 * HOUR <= w.as_of))
        rows_k.append(esc)
        rows_t.append(paid[esc] + 2 * HOUR)
        rows_type.append(np.ones(esc.size, np.int64))
        k = np.concatenate(rows_k)
        t = np.concatenate(rows_t)
        ty = np.concatenate(rows_type)
        srt = np.lexsort((ty, k, t))
        k, t, ty = k[srt], t[srt], ty[srt]
        types = np.array(["review_pending", "review_escalated", "stock_shortage"])
        roles = np.array(["ops_lead", "warehouse_supervisor", "purchasing"])
        return _write_cols(
            tdir / "sla_alerts.csv",
            ["order_key", "alert_type", "recipient_role", "raised_at"],
            [self.key[k], types[ty], roles[ty], ts_str(t)],
        )

    def write_corrections(self, tdir: Path) -> int:
        w, o, ln = self.w, self.w.o, self.w.ln
        rows = []
        seen_freeze, seen_qc, seen_sup = set(), set(), set()
        # same detection second: by order_key (the text the marts sort by), not the world index
        events = sorted(w.misship, key=lambda m: (m["detected"], str(self.key[m["order"]])))
        glob = self.misship_events
        if glob is None:
            glob = [(m["detected"], str(self.key[m["order"]]), m["sku"], m["wh"]) for m in events]
        else:  # a later shard: shard 0's events freeze this shard's orders; their qc/supplier rows are written
            seen_qc = {(wi, s) for _t, _k, s, wi in glob}
            seen_sup = {s for _t, _k, s, _wi in glob}
        self.misship_global = glob
        sku_lines: dict[int, np.ndarray] = {}
        for t, trig, s, wi in glob:
            code = str(w.sku["code"][s])
            whc = C.WAREHOUSES[wi]
            if s not in sku_lines:
                sku_lines[s] = np.unique(ln["order"][ln["sku"] == s])
            cand = sku_lines[s]
            m = (o["wh"][cand] == wi) & (o["reviewed"][cand] <= t) & (o["shipped"][cand] > t)
            for oi in cand[m].tolist():
                if (oi, s) in seen_freeze:
                    continue
                seen_freeze.add((oi, s))
                rows.append([trig, "freeze_order", str(self.key[oi]), whc, code, ts_one(t)])
            if (wi, s) not in seen_qc:
                seen_qc.add((wi, s))
                rows.append([trig, "qc_task", f"{whc}:{code}", whc, code, ts_one(t)])
            if s not in seen_sup:
                seen_sup.add(s)
                rows.append([trig, "supplier_alert", str(w.sku["supplier"][s]), whc, code, ts_one(t)])
        mrows = [
            [
                str(self.key[m["order"]]),
                m["kind"],
                str(w.sku["code"][m["sku"]]),
                str(w.sku["code"][m["replacement"]]) if m["replacement"] >= 0 else "",
                C.WAREHOUSES[m["wh"]],
                f"BC{m['wh'] + 1}{ts_one(int(o['wave'][m['order']]), 'compact').replace('_', '')[:12]}",
                str(w.pk["tracking_no"][m["pkg"]]),
                ts_one(m["detected"]),
            ]
            for m in events
        ]
        _write(
            tdir / "mis_shipments.csv",
            [
                "order_key",
                "kind",
                "ordered_sku",
                "shipped_sku",
                "warehouse_code",
                "wave_no",
                "tracking_no",
                "detected_at",
            ],
            mrows,
        )
        return _write(
            tdir / "correction_actions.csv",
            ["trigger_ref", "action_type", "target", "warehouse_code", "sku", "created_at"],
            rows,
        )

    def write_aftersales_weekly(self, tdir: Path) -> int:
        w, o = self.w, self.w.o
        tk = w.tickets
        n = tk["order"].size
        ticket_rows = []
        # partial sums per (week, tag): tickets, counts per sku / category / warehouse / hour slot, resolved
        # tickets, handling seconds; and tickets per week (merged over shards by write_aggregates)
        weekly: dict[tuple[str, str], list] = {}
        wk_total: dict[str, int] = defaultdict(int)
        self.partials["weekly"] = (weekly, wk_total)
        if n:
            week = (tk["applied"] - w.t0) // DAY
            import datetime as dt

            base = w.start
            wk_start = []
            for d in week.tolist():
                day = base + dt.timedelta(days=int(d))
                wk_start.append((day - dt.timedelta(days=day.weekday())).isoformat())
            sku_code = w.sku["code"][tk["sku"]]
            cat = w.sku["cat"][tk["sku"]]
            whc = np.where(
                o["reviewed"][tk["order"]] <= w.as_of, np.array(C.WAREHOUSES)[o["wh"][tk["order"]]], ""
            )
            ob = o["outbound"][tk["order"]]
            hr = ((ob % DAY) // HOUR // 2) * 2
            slot = np.where(
                ob < NEVER,
                np.array([f"{h:02d}:00-{h + 2:02d}:00" for h in range(0, 24, 2)])[np.clip(hr // 2, 0, 11)],
                "",
            )
            done = tk["resolved"] < NEVER
            handling_s = np.where(done, tk["resolved"] - tk["applied"], 0)
            items = self._ticket_items(tk)
            paid = o["paid"]
            # the customer's orders paid strictly before the ticket's order (per platform: customer ids
            # are world-wide, customer_key is per platform)
            # one sorted array of (platform, customer, paid) for every paid order (was: one scan per customer)
            ok_ = np.flatnonzero(paid < NEVER)
            comb = np.sort(((o["plat"][ok_].astype(np.int64) << 26) + o["cust"][ok_]) << 32 | paid[ok_])
            tko = tk["order"]
            ck = ((o["plat"][tko].astype(np.int64) << 26) + o["cust"][tko]) << 32
            before = np.searchsorted(comb, ck | np.minimum(paid[tko], (1 << 32) - 1)) - np.searchsorted(
                comb, ck
            )
            by = defaultdict(list)
            for i in range(n):
                wk_total[wk_start[i]] += 1
                for tag in dict.fromkeys(tk["tags"][i]):
                    by[(wk_start[i], tag)].append(i)
                ticket_rows.append(
                    [
                        str(tk["ticket_no"][i]),
                        str(self.key[tk["order"][i]]),
                        str(sku_code[i]),
                        str(cat[i]),
                        str(whc[i]),
                        "|".join(tk["tags"][i]),
                        ts_one(int(tk["applied"][i])),
                        ts_one(int(tk["resolved"][i])),
                        str(slot[i]),
                        f"{handling_s[i] / 60:.2f}" if done[i] else "",
                        money_str(np.array([int(tk["refund"][i])]))[0],
                        int(before[i]),
                        *items[int(tk["order"][i])],
                    ]
                )
            for (wk, tag), ids in by.items():
                a = weekly.setdefault(
                    (wk, tag),
                    [0, defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int), 0, 0],
                )
                a[0] += len(ids)
                for i in ids:
                    a[1][str(sku_code[i])] += 1
                    a[2][str(cat[i])] += 1
                    a[3][str(whc[i])] += 1
                    a[4][str(slot[i])] += 1
                a[5] += int(done[ids].sum())
                a[6] += int(handling_s[ids].sum())
        return _write(
            tdir / "aftersales_tickets.csv",
            [
                "ticket_no",
                "order_key",
                "sku",
                "category",
                "warehouse_code",
                "reason_tags",
                "applied_at",
                "resolved_at",
                "hour_slot",
                "handling_minutes",
                "refund_amount",
                "customer_orders_before",
                "expected_items",
                "shipped_items",
                "item_discrepancy",
            ],
            ticket_rows,
        )

    def _ticket_items(self, tk) -> dict[int, tuple[str, str, str]]:
        """Per ticket order: expected_items, shipped_items, item_discrepancy as fct_aftersales writes them.

        Expected = the order's lines per SKU (sum of quantities); shipped = its lines as scanned out by
        as_of (a wrong item scanned under the replacement's SKU, a missing gift not at all; a B2B case
        counts its quantity), per SKU; items 'SKU×qty' joined by ';' in SKU order. The discrepancy names
        each SKU that differs, in SKU order: 'missing gift S×q', 'missing S×q', 'extra S×q' or
        'S ordered a, scanned b', joined by '; '. Nothing scanned yet: shipped and discrepancy empty."""
        w, ln, pk = self.w, self.w.ln, self.w.pk
        code = w.sku["code"]
        wrong = {ms["line"]: ms["replacement"] for ms in w.misship if ms["kind"] == "wrong_item"}
        skipped = {ms["line"] for ms in w.misship if ms["kind"] != "wrong_item"}
        out = {}
        for oi in sorted(set(tk["order"].tolist())):
            lo, hi = np.searchsorted(ln["order"], [oi, oi + 1])
            expected: dict[str, int] = defaultdict(int)
            gift: dict[str, bool] = {}
            shipped: dict[str, int] = defaultdict(int)
            scanned_any = False
            for li in range(int(lo), int(hi)):
                s = str(code[ln["sku"][li]])
                expected[s] += int(ln["qty"][li])
                gift[s] = gift.get(s, True) and bool(ln["gift"][li])
                p = int(ln["pkg"][li])
                if p < 0 or pk["first_scan"][p] > w.as_of or li in skipped:
                    continue
                scanned_any = True
                shipped[str(code[wrong[li]]) if li in wrong else s] += int(ln["qty"][li])
            exp_text = ";".join(f"{s}×{q}" for s, q in sorted(expected.items()))
            if not scanned_any:  # no 出库扫描 row for the order (yet)
                out[oi] = (exp_text, "", "")
                continue
            diffs = []
            for s in sorted(set(expected) | set(shipped)):
                e, g = expected.get(s, 0), shipped.get(s, 0)
                if e and not g:
                    diffs.append(f"missing gift {s}×{e}" if gift[s] else f"missing {s}×{e}")
                elif g and not e:
                    diffs.append(f"extra {s}×{g}")
                elif e != g:
                    diffs.append(f"{s} ordered {e}, scanned {g}")
            out[oi] = (exp_text, ";".join(f"{s}×{q}" for s, q in sorted(shipped.items())), "; ".join(diffs))
        return out

    def write_rejected(self, tdir: Path) -> int:
        # row_number = the line in the file as a spreadsheet shows it (header = 1), as the loader reports it
        rows = sorted((f, n + 1, source, reason) for f, n, source, reason in self.out.rejected)
        return _write(tdir / "rejected_rows.csv", ["source_file", "row_number", "source", "reason"], rows)

    def write_channel_health(self, tdir: Path) -> int:
        w, o = self.w, self.w.o
        m = np.flatnonzero(o["plat"] == C.DOUYIN)
        ch = o["channel"][m]
        chn = np.select([ch == 0, ch == 1], ["直播", "短视频"], "other")
        cid = np.where(
            ch == 0,
            np.array(C.DOUYIN_ROOM_IDS)[o["room"][m]],
            np.where(ch == 1, np.strings.add("74", _pad17(o["video"][m] * 7919 + 1000000000)), "other"),
        )
        day = ts_str(o["created"][m], "date")
        due = o["created"][m] + 72 * HOUR <= w.as_of
        unpaid = due & (o["paid"][m] > o["created"][m] + 72 * HOUR)
        agg: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for d, c, i, u in zip(day.tolist(), chn.tolist(), cid.tolist(), unpaid.tolist(), strict=True):
            a = agg[(d, c, i)]
            a[0] += 1
            a[1] += int(u)
        self.partials["channel"] = dict(agg)

    def write_streaks(self, tdir: Path) -> None:
        """Partial of stockout_streaks.csv. A short order is paid in a short window slot of one of its SKUs,
        so only lines paid in a slot that is short for some SKU (``U``) can be short: those are kept exactly
        (sku, paid, order_key, short); the other paid lines are counted per (sku, slot) — they are never
        short and only break runs. ``_streak_rows`` merges the shards and walks each SKU in (paid, key)."""
        w, o, ln = self.w, self.w.o, self.w.ln
        short = self.short if hasattr(self, "short") else self.shortage()
        n_slots = w.stock_short.shape[1]
        paid_l = o["paid"][ln["order"]]
        ok = paid_l < NEVER
        slot = np.clip((paid_l - w.t0) // SLOT, 0, n_slots - 1)
        in_u = ok & w.stock_short.any(axis=0)[slot]
        rest = ok & ~in_u
        cnt = np.zeros((w.sku["n"], n_slots), np.int64)
        np.add.at(cnt, (ln["sku"][rest], slot[rest]), 1)
        li = np.flatnonzero(in_u)
        oi = ln["order"][li]
        self.partials["streaks"] = dict(
            cnt=cnt,
            sku=ln["sku"][li].astype(np.int64),
            paid=o["paid"][oi],
            key=self.key[oi].astype("S"),
            short=short[oi],
        )

    def write_risks(self, tdir: Path) -> int:
        w = self.w
        ac = w.addr_changes
        rows = []
        for k in range(ac["order"].size):
            if ac["changes"][k] >= 2:
                oi = int(ac["order"][k])
                rows.append(
                    [
                        str(self.key[oi]),
                        "address_changed_repeatedly",
                        "receiver address changed 2 times before shipping",
                        ts_one(int(ac["h3"][k])),
                    ]
                )
        rows.sort()
        return _write(tdir / "order_risks.csv", ["order_key", "risk_type", "detail", "detected_at"], rows)

    def write_misdirected(self, tdir: Path) -> int:
        w = self.w
        agg: dict[str, list] = {}
        for pr in self.pay_rows:
            if pr["bucket"] != "payment_without_order":
                continue
            p = w.payments[pr["index"]]
            nm = self._payer_name(p)
            a = agg.setdefault(nm, [0, 0, NEVER, 0])
            a[0] += 1
            a[1] += p["amount"]
            a[2] = min(a[2], p["time"])
            a[3] = max(a[3], p["time"])
        self.partials["misdirected"] = agg

    def write_duplicates(self, tdir: Path) -> int:
        return _write(
            tdir / "duplicate_files.csv", ["duplicate_file", "original_file"], sorted(self.out.duplicates)
        )

    def write_kpi(self, tdir: Path) -> dict:
        """fct_kpi_daily (the columns of issue 6/12), fct_kpi_daily_warehouse and their per-order/package bases.

        * outbound_packages.csv: every package (tracking number) with a 出库扫描 and a 出库 in the log by as_of.
        * inquiry_orders.csv: every order with an inquiry by as_of (first inquiry time as the file shows it,
          i.e. to the minute).
        * kpi_daily.csv: one row per day from the earliest day with a payment, a first inquiry or a 出库 to the
          as_of day.
        """
        w, o = self.w, self.w.o
        as_of, t0 = w.as_of, w.t0
        # --- packages: first 出库扫描 -> 出库 (seconds), by day of 出库
        pk = w.pk
        real = np.flatnonzero(~pk["orphan"] & (pk["first_scan"] <= as_of) & (pk["outbound"] <= as_of))
        secs = pk["outbound"][real] - pk["first_scan"][real]
        out_day = (pk["outbound"][real] - t0) // DAY
        whs = np.array(C.WAREHOUSES)[pk["wh"][real]]
        pk_rows = sorted(
            zip(
                pk["tracking_no"][real].tolist(),
                whs.tolist(),
                ts_str(pk["first_scan"][real]).tolist(),
                ts_str(pk["outbound"][real]).tolist(),
                secs.tolist(),
                strict=True,
            )
        )
        n_pk = _write(
            tdir / "outbound_packages.csv",
            ["tracking_no", "warehouse_code", "first_scanned_at", "handed_over_at", "outbound_seconds"],
            pk_rows,
        )
        # --- inquiries per order
        q = w.inquiries
        first_q: dict[int, int] = {}
        n_q: dict[int, int] = defaultdict(int)
        n_log: dict[int, int] = defaultdict(int)
        for oi, t, k in zip(q["order"].tolist(), q["time"].tolist(), q["kind"].tolist(), strict=True):
            t = t - t % 60  # the file shows minutes
            first_q[oi] = min(first_q.get(oi, t), t)
            n_q[oi] += 1
            n_log[oi] += int(k == 0)  # 物流查询
        q_rows = sorted([str(self.key[oi]), ts_one(first_q[oi]), n_q[oi], n_log[oi]] for oi in first_q)
        n_qo = _write(
            tdir / "inquiry_orders.csv",
            ["order_key", "first_inquiry_at", "inquiries", "logistics_inquiries"],
            q_rows,
        )
        # --- per day
        paid = o["paid"]
        has = paid <= as_of
        pday = (paid[has] - t0) // DAY
        due72 = as_of >= paid[has] + 72 * HOUR
        due24 = as_of >= paid[has] + 24 * HOUR
        ok72 = o["signed"][has] <= paid[has] + 72 * HOUR
        ok24 = o["shipped"][has] <= paid[has] + 24 * HOUR
        q_day = {oi: (t - t0) // DAY for oi, t in first_q.items()}
        # per-day partial sums on days 0 .. as_of day (merged over shards by write_aggregates)
        size = int((as_of - t0) // DAY) + 1

        def per_day(day, weights=None):
            return np.bincount(day, weights=weights, minlength=size).astype(np.int64)

        qd = np.array([q_day[oi] for oi in first_q], np.int64)
        rep = np.array([n_log[oi] >= 2 for oi in first_q], bool)
        wh_agg: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for d, wc, s_ in zip(out_day.tolist(), whs.tolist(), secs.tolist(), strict=True):
            a = wh_agg[(d, wc)]
            a[0] += 1
            a[1] += s_
        self.partials["kpi"] = dict(
            n_paid=per_day(pday),
            d72=per_day(pday[due72]),
            o72=per_day(pday[due72 & ok72]),
            d24=per_day(pday[due24]),
            o24=per_day(pday[due24 & ok24]),
            q_all=per_day(qd),
            q_rep=per_day(qd[rep]),
            pk_n=per_day(out_day),
            pk_s=per_day(out_day, secs),
            wh=dict(wh_agg),
        )
        return {"outbound_packages": n_pk, "inquiry_orders": n_qo}


def _heatmap_rows(w: World, days, whs, grid) -> list:
    rows = []
    for i, d in enumerate(days.tolist()):
        ds = ts_one(w.t0 + d * DAY)[:10]
        for j, wc in enumerate(whs):
            rows.append([ds, wc, int(grid[i, j])])
    return rows


def rate_half_up(num: int, den: int, scale: int) -> str:
    """num / den rounded half up to `scale` decimals, exactly (integer arithmetic); '' when den is 0."""
    if den == 0:
        return ""
    f = 10**scale
    k = (2 * f * num + den) // (2 * den)
    return f"{k // f}.{k % f:0{scale}d}"


def _pad17(x):
    from .util import pad

    return pad(x, 17)


def meta_partial(t: Truth) -> dict:
    """What meta.json counts in one world (summed over the shards of a sharded run)."""
    w, o = t.w, t.w.o
    return {
        "orders": int(w.n_orders),
        "orders_by_platform": {p: int((o["plat"] == i).sum()) for i, p in enumerate(C.PLATFORMS)},
        "order_lines": int(w.ln["order"].size),
        "packages": int((~w.pk["orphan"]).sum()),
        "orphan_tracking_numbers": int(w.pk["orphan"].sum()),
        "track_pushes": int(w.pushes["pkg"].size),
        "payments_receipt": len(w.payments),
        "receipt_files": len(w.receipts),
        "settlement_rows": int(w.settle["order"].size),
        "aftersales_tickets": int(w.tickets["order"].size),
        "aftersales_rejected": len(w.bad_tickets),
        "inquiries": int(w.inquiries["order"].size),
        "anomalies": {nm: int(((o["anom"] & AN[nm]) != 0).sum()) for nm in ANOMALY_NAMES},
        "waves": {
            f"BC2{ts_one(int(o['wave'][m['order']]), 'compact').replace('_', '')[:12]}" for m in w.misship
        },
        "cluster_tickets": int(len(w.cluster.get("orders", []))),
        "stock_shortage_orders": int(t.short.sum()) if hasattr(t, "short") else 0,
        "status_counts": {s: int((t.status == s).sum()) for s in set(t.status.tolist())},
        "match_counts": {
            d or "matched": int(((t.diff == d) & t.scope).sum()) for d in set(t.diff[t.scope].tolist())
        },
    }


class Partials:
    """The aggregated truth files' partial sums, merged over the shards of a run (one shard: one add)."""

    def __init__(self) -> None:
        self.heat = None
        self.channel: dict = defaultdict(lambda: [0, 0])
        self.weekly: dict = {}
        self.wk_total: dict = defaultdict(int)
        self.streak_cnt = None
        self.streak_parts: list[dict] = []
        self.misdirected: dict = {}
        self.kpi: dict = {}
        self.kpi_wh: dict = defaultdict(lambda: [0, 0])
        self.meta: dict = {}

    def add(self, t: Truth) -> None:
        p = t.partials
        days, whs, grid = p["heatmap"]
        self.heat = (days, whs, grid if self.heat is None else self.heat[2] + grid)
        for k, (n, u) in p["channel"].items():
            a = self.channel[k]
            a[0] += n
            a[1] += u
        weekly, wk_total = p["weekly"]
        for k, v in wk_total.items():
            self.wk_total[k] += v
        for k, a in weekly.items():
            b = self.weekly.setdefault(
                k, [0, defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int), 0, 0]
            )
            b[0] += a[0]
            for j in (1, 2, 3, 4):
                for v, c in a[j].items():
                    b[j][v] += c
            b[5] += a[5]
            b[6] += a[6]
        st = p["streaks"]
        self.streak_cnt = st["cnt"] if self.streak_cnt is None else self.streak_cnt + st["cnt"]
        self.streak_parts.append({k: v for k, v in st.items() if k != "cnt"})
        for nm, a in p["misdirected"].items():
            b = self.misdirected.setdefault(nm, [0, 0, NEVER, 0])
            b[0] += a[0]
            b[1] += a[1]
            b[2] = min(b[2], a[2])
            b[3] = max(b[3], a[3])
        k = p["kpi"]
        for name, arr in k.items():
            if name == "wh":
                for key, (n, s_) in arr.items():
                    b = self.kpi_wh[key]
                    b[0] += n
                    b[1] += s_
            else:
                self.kpi[name] = arr if name not in self.kpi else self.kpi[name] + arr
        _sum_into(self.meta, p["meta"])


def _sum_into(acc: dict, part: dict) -> None:
    for k, v in part.items():
        if isinstance(v, dict):
            _sum_into(acc.setdefault(k, {}), v)
        elif isinstance(v, set):
            acc.setdefault(k, set()).update(v)
        else:
            acc[k] = acc.get(k, 0) + v


def _top(cnt: dict, n: int) -> tuple[str, str]:
    best = sorted(cnt.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return best[0], f"{best[1] / n:.4f}"


def _streak_rows(w: World, acc: Partials) -> list:
    parts = acc.streak_parts
    if not parts:
        return []
    sku = np.concatenate([p["sku"] for p in parts])
    paid = np.concatenate([p["paid"] for p in parts])
    key = np.concatenate([p["key"] for p in parts]) if sku.size else np.zeros(0, "S1")
    fl = np.concatenate([p["short"] for p in parts])
    srt = np.lexsort((key, paid, sku))
    sku, paid, fl = sku[srt], paid[srt], fl[srt]
    n_slots = w.stock_short.shape[1]
    slot = np.clip((paid - w.t0) // SLOT, 0, n_slots - 1)
    # cum[s, k] = paid lines of SKU s outside U in slots < k (never short: they break runs)
    cum = np.concatenate([np.zeros((acc.streak_cnt.shape[0], 1), np.int64), acc.streak_cnt.cumsum(axis=1)], 1)
    rows = []
    for s_, lo, hi in group_ranges(sku):
        run, first = 0, lo
        for i in range(lo, hi):
            # a paid line outside U between the previous line and this one breaks the run
            if run and slot[i] > slot[i - 1] + 1 and cum[s_, slot[i]] - cum[s_, slot[i - 1] + 1] > 0:
                if run >= 3:
                    rows.append(_streak_row(w, s_, paid[first], paid[i - 1], run))
                run = 0
            if fl[i]:
                if run == 0:
                    first = i
                run += 1
            else:
                if run >= 3:
                    rows.append(_streak_row(w, s_, paid[first], paid[i - 1], run))
                run = 0
        if run >= 3:
            rows.append(_streak_row(w, s_, paid[first], paid[hi - 1], run))
    rows.sort(key=lambda r: (r[2], r[0]))
    return rows


def _streak_row(w: World, s_: int, first: int, last: int, n: int) -> list:
    return [str(w.sku["code"][s_]), "ALL", ts_one(int(first)), ts_one(int(last)), n]


def group_ranges(keys: np.ndarray):
    """(key, start, end) of each run of equal keys in a sorted array."""
    if keys.size == 0:
        return
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate([[0], change]).tolist()
    ends = np.concatenate([change, [keys.size]]).tolist()
    for a, b in zip(starts, ends, strict=True):
        yield int(keys[a]), a, b


def write_aggregates(tdir: Path, w: World, acc: Partials, out) -> dict:
    """Write the truth files that aggregate over the whole zone, from the shards' merged partials."""
    counts = {}
    days, whs, grid = acc.heat
    counts["heatmap"] = _write(
        tdir / "heatmap.csv",
        ["day", "warehouse_code", "overdue_unshipped_orders"],
        _heatmap_rows(w, days, whs, grid),
    )
    rows = []
    for wk in sorted({k[0] for k in acc.weekly}):
        tags = [(t, a) for (ww, t), a in acc.weekly.items() if ww == wk]
        tags.sort(key=lambda x: (-x[1][0], x[0]))
        for rank, (tag, a) in enumerate(tags, 1):
            n = a[0]
            avg = f"{a[6] / a[5] / 60:.2f}" if a[5] else ""
            rows.append(
                [
                    wk,
                    tag,
                    n,
                    f"{n / acc.wk_total[wk]:.4f}",
                    rank,
                    *_top(a[1], n),
                    *_top(a[2], n),
                    *_top(a[3], n),
                    *_top(a[4], n),
                    avg,
                ]
            )
    counts["aftersales_weekly"] = _write(
        tdir / "aftersales_weekly.csv",
        [
            "week_start",
            "reason_tag",
            "tickets",
            "share_of_tickets",
            "rank",
            "top_sku",
            "top_sku_share",
            "top_category",
            "top_category_share",
            "top_warehouse",
            "top_warehouse_share",
            "top_hour_slot",
            "top_hour_slot_share",
            "avg_handling_minutes",
        ],
        rows,
    )
    # row_number = the line in the file as a spreadsheet shows it (header = 1), as the loader reports it
    rej = sorted((f, n + 1, source, reason) for f, n, source, reason in out.rejected)
    counts["rejected_rows"] = _write(
        tdir / "rejected_rows.csv", ["source_file", "row_number", "source", "reason"], rej
    )
    rows = []
    for (d, c, i), (n, u) in sorted(acc.channel.items()):
        # exact: the rate rounded half up to 4 decimals; the alert compares the exact ratio (u/n > 0.65)
        alert = 20 * u > 13 * n and n >= 20
        rows.append([d, c, i, n, u, rate_half_up(u, n, 4), "true" if alert else "false"])
    counts["channel_health"] = _write(
        tdir / "channel_health.csv",
        ["day", "channel", "channel_id", "orders", "unpaid_after_72h", "unpaid_rate", "alert"],
        rows,
    )
    counts["stockout_streaks"] = _write(
        tdir / "stockout_streaks.csv",
        ["sku", "warehouse_scope", "first_order_at", "last_order_at", "orders_blocked"],
        _streak_rows(w, acc),
    )
    rows = [
        # first_seen / last_seen are payment *dates*: a receipt prints a date (only CMB a time)
        [nm, a[0], f"{a[1] // 100}.{a[1] % 100:02d}", ts_one(a[2])[:10], ts_one(a[3])[:10]]
        for nm, a in sorted(acc.misdirected.items())
        if a[0] >= 2
    ]
    counts["misdirected_payers"] = _write(
        tdir / "misdirected_payers.csv",
        ["payer_name", "orphan_payments", "orphan_amount", "first_seen", "last_seen"],
        rows,
    )
    counts["duplicate_files"] = _write(
        tdir / "duplicate_files.csv", ["duplicate_file", "original_file"], sorted(out.duplicates)
    )
    k = acc.kpi
    seen = np.flatnonzero((k["n_paid"] + k["pk_n"] + k["q_all"]) > 0)
    rows, wh_rows = [], []
    if seen.size:
        for i in range(int(seen[0]), k["n_paid"].size):
            rows.append(
                [
                    ts_one(w.t0 + i * DAY)[:10],
                    int(k["n_paid"][i]),
                    rate_half_up(int(k["o72"][i]), int(k["d72"][i]), 4),
                    rate_half_up(int(k["o24"][i]), int(k["d24"][i]), 4),
                    rate_half_up(int(k["q_rep"][i]), int(k["q_all"][i]), 4),
                    rate_half_up(int(k["pk_s"][i]), int(k["pk_n"][i]), 2),
                ]
            )
        for (d, wc), (n, s_) in sorted(acc.kpi_wh.items()):
            wh_rows.append([ts_one(w.t0 + d * DAY)[:10], wc, n, rate_half_up(s_, n, 2)])
    counts["kpi_daily"] = _write(
        tdir / "kpi_daily.csv",
        [
            "day",
            "orders_paid",
            "on_time_72h_rate",
            "shipped_within_24h_rate",
            "repeat_inquiry_rate",
            "avg_outbound_seconds",
        ],
        rows,
    )
    counts["kpi_daily_warehouse"] = _write(
        tdir / "kpi_daily_warehouse.csv",
        ["day", "warehouse_code", "packages", "avg_outbound_seconds"],
        wh_rows,
    )
    return counts


def write_meta(tdir: Path, w: World, args: dict, counts: dict, out, acc: Partials) -> dict:
    m = acc.meta
    meta = {
        "as_of": ts_one(w.as_of),
        "window_start": ts_one(w.t0),
        "seed": w.seed,
        "args": args,
        "counts": {
            **{
                k: m[k]
                for k in (
                    "orders",
                    "orders_by_platform",
                    "order_lines",
                    "packages",
                    "orphan_tracking_numbers",
                    "track_pushes",
                    "payments_receipt",
                    "receipt_files",
                    "settlement_rows",
                    "aftersales_tickets",
                    "aftersales_rejected",
                    "inquiries",
                )
            },
            "rejected_rows": len(out.rejected),
            "duplicate_files": len(out.duplicates),
            "truth_rows": counts,
            "files_by_source": dict(sorted(out.files.items())),
            "rows_by_source": dict(sorted(out.rows.items())),
        },
        "anomalies": {nm: m["anomalies"].get(nm, 0) for nm in ANOMALY_NAMES},
        "planted": {
            "bad_live_room": {"room_id": w.bad_room, "day": ts_one(w.t0 + w.bad_day * DAY)[:10]},
            "mis_shipment_warehouse": C.WAREHOUSES[1],
            "mis_shipment_waves": sorted(m.get("waves", set())),
            "aftersales_cluster": {
                "tag": w.cluster.get("tag"),
                "category": w.cluster.get("category"),
                "warehouse": w.cluster.get("warehouse"),
                "tickets": m["cluster_tickets"],
            },
            "stock_shortage_orders": m["stock_shortage_orders"],
        },
        "status_counts": dict(sorted(m["status_counts"].items())),
        "match_counts": dict(
            sorted(m["match_counts"].items(), key=lambda kv: "" if kv[0] == "matched" else kv[0])
        ),
    }
    (tdir / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
    return meta


__all__ = ["Truth", "write_meta", "UNASSIGNED", "TEAM", "money_str", "defaultdict"]
