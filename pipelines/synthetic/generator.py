"""Synthetic landing zone + ground truth (see docs/generator.md)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from .truth import Truth, write_meta
from .util import set_mtime, ts_one
from .world import build_world
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
) -> dict:
    """Write a landing zone into out_dir (layout of CONTRACT §1) and out_dir/_truth/.

    Returns a summary dict (files written per source, rows per source, orders, receipts, as_of, seconds).
    Output depends only on the arguments: same arguments, byte-identical files (and mtimes).
    """
    if orders < 50:
        raise ValueError("orders must be at least 50")
    if days < 2:
        raise ValueError("days must be at least 2")
    if not 0 <= anomaly_rate <= 0.2:
        raise ValueError("anomaly_rate must be between 0 and 0.2")
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
        "meta",
    ]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(steps) + 6, desc="generate", unit="step")

    timings: dict[str, float] = {}
    last = [time.perf_counter()]

    def step(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - last[0], 2)
        if os.environ.get("ORDERLENS_GEN_DEBUG"):
            import resource
            import sys

            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(f"[generate] {name}: {timings[name]} s, peak rss {rss} MB", file=sys.stderr)
        last[0] = now
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)

    w = build_world(orders, days, seed, start, anomaly_rate)
    step("world")
    out = Out(root)
    write_orders(w, out, pbar=bar)
    duplicate_exports(w, out)
    step("orders")
    write_settlements(w, out)
    step("settlements")
    side = _start_side_writer(w, root, processes)
    if side is None:
        write_warehouse(w, out)
        step("warehouse")
        write_tracks(w, out)
        step("tracks")
    write_inventory(w, out)
    write_products(w, out)
    step("inventory+products")
    write_aftersales(w, out)
    write_inquiries(w, out)
    step("after-sales+inquiries")
    if receipts and w.receipts:
        write_receipts(w, out, processes=processes, progress=progress)
    step("receipts")
    truth = Truth(w, out)
    tdir = root / "_truth"
    counts = truth.write_all(tdir)
    step("truth")
    if side is not None:
        _join_side_writer(side, out)
        step("warehouse+tracks (parallel)")
    args = {
        "orders": orders,
        "days": days,
        "seed": seed,
        "start": start.isoformat(),
        "anomaly_rate": anomaly_rate,
        "receipts": receipts,
    }
    meta = write_meta(tdir, w, args, counts, out, truth)
    for f in sorted(tdir.iterdir()):
        set_mtime(f, w.as_of)
    step("meta")
    if bar is not None:
        bar.close()
    return {
        "out_dir": str(root),
        "files": dict(sorted(out.files.items())),
        "rows": dict(sorted(out.rows.items())),
        "orders": orders,
        "receipts": len(w.receipts) if receipts else 0,
        "receipt_truth": len(w.receipts),
        "rejected_rows": len(out.rejected),
        "as_of": ts_one(w.as_of),
        "truth": counts,
        "anomalies": meta["anomalies"],
        "seconds": round(time.perf_counter() - t_start, 2),
        "timings": timings,
    }


def _side_main(w, root: Path, conn) -> None:
    try:
        out = Out(root)
        write_warehouse(w, out)
        write_tracks(w, out)
        conn.send(("ok", dict(out.files), dict(out.rows), out.file_list))
    except BaseException as exc:  # pragma: no cover - reported to the parent
        conn.send(("error", repr(exc), None, None))
    finally:
        conn.close()


def _start_side_writer(w, root: Path, processes: int):
    """With processes >= 2 on a fork platform, write warehouse + tracks in a forked child (shares the world)."""
    import multiprocessing as mp

    if processes < 2 or "fork" not in mp.get_all_start_methods():
        return None
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_side_main, args=(w, root, child), daemon=True)
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
