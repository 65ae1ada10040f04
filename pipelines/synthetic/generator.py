"""Synthetic landing zone + ground truth (see docs/generator.md)."""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from pathlib import Path

import numpy as np

from . import catalog as C
from .truth import Partials, Truth, write_aggregates, write_meta
from .util import DAY, set_mtime, ts_one
from .world import Shard, World, build_world
from .writers import (
    Out,
    clean,
    duplicate_exports,
    write_aftersales,
    write_inquiries,
    write_inventory,
    write_orders,
    write_products,
    write_receipts,
    write_settlements,
    write_tracks,
    write_warehouse,
)

DEFAULT_START = dt.date(2026, 10, 15)
# orders per shard: a zone of at most this many orders is one shard (= the unsharded world, byte for byte);
# a larger one is built and written shard by shard, so memory stays bounded (docs/generator.md "Sharding")
DEFAULT_SHARD_SIZE = 500_000


def shard_sizes(orders: int, shard_size: int) -> list[int]:
    """Orders per shard: ceil(orders / shard_size) shards of (almost) equal size."""
    k = max(1, -(-orders // shard_size))
    return [orders // k + (1 if i < orders % k else 0) for i in range(k)]


def generate(
    out_dir: str | Path,
    orders: int = 20000,
    days: int = 30,
    seed: int = 42,
    start: dt.date | None = None,
    anomaly_rate: float = 0.03,
    progress: bool = True,
    receipts: bool = True,
    processes: int = 2,
    shard_size: int | None = None,
    receipt_sample: int | None = None,
) -> dict:
    """Write a landing zone into out_dir (layout of CONTRACT §1) and out_dir/_truth/.

    Returns a summary dict (files written per source, rows per source, orders, receipts, as_of, seconds).
    Output depends only on the arguments: same arguments, byte-identical files (and mtimes).
    shard_size (default DEFAULT_SHARD_SIZE, env ORDERLENS_GEN_SHARD_SIZE): orders per shard.
    receipt_sample: keep only this many receipt payments (bank transfers) in the zone; the other B2B
    payments do not exist (their orders are unpaid in every truth file).
    """
    if orders < 50:
        raise ValueError("orders must be at least 50")
    if days < 2:
        raise ValueError("days must be at least 2")
    if not 0 <= anomaly_rate <= 0.2:
        raise ValueError("anomaly_rate must be between 0 and 0.2")
    if shard_size is None:
        shard_size = int(os.environ.get("ORDERLENS_GEN_SHARD_SIZE") or DEFAULT_SHARD_SIZE)
    sizes = shard_sizes(orders, shard_size)
    if min(sizes) < 50:
        raise ValueError("shard_size must leave at least 50 orders per shard")
    if receipt_sample is not None and receipt_sample < 0:
        raise ValueError("receipt_sample must be >= 0")
    t_start = time.perf_counter()
    start = start or DEFAULT_START
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    clean(root)
    steps = [
        "world",
        "orders",
        "settlements",
        "warehouse",
        "tracks",
        "inventory+products",
        "after-sales+inquiries",
        "receipts",
        "truth",
    ]
    n_sh = len(sizes)
    debug = bool(os.environ.get("ORDERLENS_GEN_DEBUG"))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(steps) * n_sh + 1 + 6 * n_sh, desc="generate", unit="step")

    timings: dict[str, float] = {}
    last = [time.perf_counter()]

    def step(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(timings.get(name, 0.0) + now - last[0], 2)
        if debug:
            import resource
            import sys

            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(f"[generate] {name}: {round(now - last[0], 2)} s, peak rss {rss} MB", file=sys.stderr)
        last[0] = now
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)

    out = Out(root)
    tdir = root / "_truth"
    acc = Partials()
    counts: dict[str, int] = {}
    sh = Shard(index=0, count=n_sh, n_total=orders, erp_seq=np.zeros(days, np.int64))
    misship = None
    w0 = None
    n_receipts = n_receipt_truth = carry = 0
    done = 0
    for si, n in enumerate(sizes):
        sh.index = si
        if receipt_sample is not None:
            # this shard's share of the sample (shard 0: at least 10, for the five orphan payments of the two
            # repeat payers), plus what the earlier shards could not use
            if si == 0:
                share = max(receipt_sample * n // orders, min(receipt_sample, 10))
                rest_n, rest_orders = receipt_sample - share, max(1, orders - n)
            else:
                d0 = done - sizes[0]
                share = rest_n * (d0 + n) // rest_orders - rest_n * d0 // rest_orders
            sh.receipt_quota = share + carry
        w = build_world(n, days, seed, start, anomaly_rate, sh)
        step("world")
        out.append = si > 0
        write_orders(w, out, pbar=bar)
        step("orders")
        write_settlements(w, out)
        step("settlements")
        side = _start_side_writer(w, root, processes, si > 0)
        if side is None:
            write_warehouse(w, out)
            step("warehouse")
            write_tracks(w, out)
            step("tracks")
        if si == 0:
            write_inventory(w, out)
            write_products(w, out)
        step("inventory+products")
        write_aftersales(w, out)
        write_inquiries(w, out)
        step("after-sales+inquiries")
        if receipts and w.receipts:
            write_receipts(w, out, processes=processes, progress=progress)
        n_receipts += len(w.receipts) if receipts else 0
        n_receipt_truth += len(w.receipts)
        step("receipts")
        truth = Truth(w, out, misship_events=misship)
        for k, v in truth.write_all(tdir, append=si > 0).items():
            counts[k] = counts.get(k, 0) + v
        acc.add(truth)
        if si == 0:
            misship = truth.misship_global
        step("truth")
        if side is not None:
            _join_side_writer(side, out)
            step("warehouse+tracks (parallel)")
        # the next shard's identity bases
        sh.order_base += n
        sh.cust_base += int(w.cust["name"].size)
        sh.b2b_base += int(w.b2b["name"].size)
        sh.pkg_base += int(w.pk["order"].size)
        sh.pay_base += len(w.payments)
        if receipt_sample is not None:
            carry = sh.receipt_quota - len(w.payments)
        sh.settle_base += int(w.settle["order"].size)
        sh.ticket_base += int(w.tickets["order"].size) + len(w.bad_tickets)
        erp = w.o["plat"] == C.ERP
        sh.erp_seq = sh.erp_seq + np.bincount((w.o["created"][erp] - w.t0) // DAY, minlength=days)[:days]
        sh.stock_short, sh.stock_level = w.stock_short, w.stock_level
        if si == 0:
            w0 = _light_world(w)
        done += n
        del w, truth
        gc.collect()
        if n_sh > 1 and (progress or debug):
            import resource
            import sys

            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(
                f"[generate] shard {si + 1}/{n_sh}: {done:,} of {orders:,} orders written,"
                f" {time.perf_counter() - t_start:.0f} s, peak rss {rss} MB",
                file=sys.stderr,
                flush=True,
            )
    duplicate_exports(w0, out)
    agg = write_aggregates(tdir, w0, acc, out)
    order = [
        "orders",
        "order_lines",
        "payments",
        "receipts",
        "three_way_match",
        "tracking",
        "logistics_exceptions",
        "heatmap",
        "sla_alerts",
        "correction_actions",
        "aftersales_weekly",
        "rejected_rows",
        "channel_health",
        "stockout_streaks",
        "order_risks",
        "misdirected_payers",
        "duplicate_files",
        "outbound_packages",
        "inquiry_orders",
        "kpi_daily",
        "kpi_daily_warehouse",
    ]
    allc = {**counts, **agg}
    counts = {k: allc[k] for k in order}
    args = {
        "orders": orders,
        "days": days,
        "seed": seed,
        "start": start.isoformat(),
        "anomaly_rate": anomaly_rate,
        "receipts": receipts,
    }
    if n_sh > 1:
        args["shard_size"] = shard_size
    if receipt_sample is not None:
        args["receipt_sample"] = receipt_sample
    meta = write_meta(tdir, w0, args, counts, out, acc)
    for f in sorted(tdir.iterdir()):
        set_mtime(f, w0.as_of)
    step("meta")
    if bar is not None:
        bar.close()
    return {
        "out_dir": str(root),
        "files": dict(sorted(out.files.items())),
        "rows": dict(sorted(out.rows.items())),
        "orders": orders,
        "receipts": n_receipts,
        "receipt_truth": n_receipt_truth,
        "rejected_rows": len(out.rejected),
        "as_of": ts_one(w0.as_of),
        "truth": counts,
        "anomalies": meta["anomalies"],
        "seconds": round(time.perf_counter() - t_start, 2),
        "timings": timings,
        "shards": n_sh,
    }


def _light_world(w: World) -> World:
    """Shard 0's world without its per-order arrays: what the zone-wide files (meta, aggregates, duplicate
    exports) need once every shard is written."""
    lw = World(w.n_orders, w.days, w.seed, w.start, w.anomaly_rate)
    lw.t0, lw.as_of, lw.export_times = w.t0, w.as_of, w.export_times
    lw.sku, lw.stock_short, lw.stock_level = w.sku, w.stock_short, w.stock_level
    lw.bad_room, lw.bad_day = w.bad_room, w.bad_day
    lw.cluster = {k: v for k, v in w.cluster.items() if k != "orders"}
    return lw


def _side_main(w, root: Path, conn, append: bool = False) -> None:
    try:
        out = Out(root)
        out.append = append
        write_warehouse(w, out)
        write_tracks(w, out)
        conn.send(("ok", dict(out.files), dict(out.rows), out.file_list))
    except BaseException as exc:  # pragma: no cover - reported to the parent
        conn.send(("error", repr(exc), None, None))
    finally:
        conn.close()


def _start_side_writer(w, root: Path, processes: int, append: bool = False):
    """With processes >= 2 on a fork platform, write warehouse + tracks in a forked child (shares the world)."""
    import multiprocessing as mp

    if processes < 2 or "fork" not in mp.get_all_start_methods():
        return None
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_side_main, args=(w, root, child, append), daemon=True)
    proc.start()
    child.close()
    return proc, parent


def _join_side_writer(side, out: Out) -> None:
    proc, conn = side
    status, files, rows, file_list = conn.recv()
    proc.join()
    if status != "ok":
        raise RuntimeError(f"warehouse/tracks writer failed: {files}")
    for k, v in files.items():
        out.files[k] += v
    for k, v in rows.items():
        out.rows[k] += v
    out.file_list.extend(file_list)
