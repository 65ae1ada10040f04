"""Benchmark pipelines.synthetic.receipts.render_many.

Renders N receipts (default 200) across banks and formats with processes=2, then the same items
with processes=1, and prints receipts/s, seconds, peak RSS (MB) and the speed-up ratio.

    .venv/bin/python bench/bench_receipt_render.py [N] [--processes P]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipelines.synthetic.receipts import BANKS, FORMATS, render_many  # noqa: E402


def make_items(n: int, out_dir: str) -> list[tuple[dict, str, int, str]]:
    items = []
    for i in range(n):
        bank = BANKS[i % len(BANKS)]
        fmt = FORMATS[(i // len(BANKS)) % len(FORMATS)]
        orders = " ".join(f"SO202601{(i % 28) + 1:02d}{i * 7 + k:06d}" for k in range(i % 4))
        rec = {
            "bank": bank,
            "receipt_no": f"{10**15 + i * 7919}",
            "txn_serial": f"HQH{10**10 + i}",
            "txn_date": f"2026-01-{(i % 28) + 1:02d}",
            "payer_name": "上海宠乐多贸易有限公司",
            "payer_account": f"62220210{i:011d}",
            "payer_bank": "中国工商银行股份有限公司上海市徐汇支行",
            "payee_name": "杭州喵汪宠物用品有限公司",
            "payee_account": "31050161373600001234",
            "payee_bank": "中国建设银行股份有限公司杭州西湖支行",
            "amount": Decimal(1000 + i * 137) / 100 * 10,
            "purpose": f"货款 {orders}".strip(),
            "summary": "网银转账",
            "print_count": 2 if i % 10 == 0 else 1,
            "swap_sides": i % 2 == 0,
        }
        rec["amount"] = rec["amount"].quantize(Decimal("0.01"))
        ext = {"pdf_text": "pdf", "pdf_scan": "pdf"}.get(fmt, fmt)
        items.append((rec, fmt, i, os.path.join(out_dir, f"r{i:05d}_{fmt}.{ext}")))
    return items


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def _descendant_hwm_mb(root: int) -> float:
    """Largest VmHWM among the descendants of ``root`` (pool workers live under the forkserver,
    which getrusage(RUSAGE_CHILDREN) does not see)."""
    parent: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    parent[int(name)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    best = 0.0
    for pid in parent:
        p, seen = parent.get(pid), 0
        while p and p != root and seen < 64:
            p, seen = parent.get(p), seen + 1
        if p == root:
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            best = max(best, int(line.split()[1]) / 1024)
            except OSError:
                continue
    return best


def run(items, processes: int) -> tuple[float, float]:
    """Seconds and the peak RSS (MB) seen in any worker process."""
    peak = [0.0]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], _descendant_hwm_mb(os.getpid()))

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    t0 = time.perf_counter()
    try:
        render_many(items, processes=processes)
    finally:
        done.set()
        th.join()
    return time.perf_counter() - t0, peak[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=200)
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        items = make_items(args.n, tmp)
        t_par, worker_mb = run(items, args.processes)
        size = sum(os.path.getsize(p) for *_, p in items)
        t_one, _ = run(items, 1)
    print(f"items={args.n}  bytes={size / 1e6:.1f} MB")
    print(
        f"processes={args.processes}: {t_par:.2f} s  {args.n / t_par:.1f} receipts/s  "
        f"peak worker RSS {worker_mb:.0f} MB"
    )
    print(
        f"processes=1: {t_one:.2f} s  {args.n / t_one:.1f} receipts/s  "
        f"peak RSS (this process) {peak_mb(resource.RUSAGE_SELF):.0f} MB"
    )
    print(f"speed-up ({args.processes} vs 1 process): {t_one / t_par:.2f}x")


if __name__ == "__main__":
    main()
