"""Benchmark ocr/ on rendered receipts with known truth.

Renders N receipts (default 300; ICBC/CCB/CMB; png, jpg, pdf_scan, pdf_text; fixed seeds; ~5% with
amount words that disagree with the figure) with pipelines.synthetic.receipts, OCRs them with
ocr_many(processes=2), and prints receipts/s beside plain ``pytesseract.image_to_string`` defaults
on a sample of the same images, field-level exact-match accuracy per field and per layout, and the
number of wrong amounts that were NOT flagged for review (target 0).

    .venv/bin/python bench/bench_ocr.py [N] [--processes 2] [--seed 1] [--ablate] [--lang chi_sim] [--page]

Speed is printed as wall receipts/s and as CPU seconds (user + system of this process, the worker
processes and every tesseract they ran) per receipt, beside the same figures for plain
``pytesseract.image_to_string`` defaults; the machine's load average is printed with them.
``--page`` reads every page whole (the reader before the field reader) for comparison.

``--ablate`` also runs the preprocessing variants and both languages on the image receipts
(single process) and prints their accuracy, to show what each step earns.
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal

os.environ["OMP_THREAD_LIMIT"] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ocr import ocr_many, parse_reading, read_many  # noqa: E402
from pipelines.synthetic.receipts import amount_in_words as gen_words  # noqa: E402
from pipelines.synthetic.receipts import render_many  # noqa: E402

FIELDS = (
    "bank",
    "receipt_no",
    "txn_serial",
    "txn_date",
    "payer_name",
    "payer_account",
    "payee_name",
    "payee_account",
    "amount",
    "order_nos",
    "amount_in_words_ok",
)
CITIES = ["上海", "杭州", "苏州", "南京", "广州", "深圳", "成都", "重庆", "武汉", "西安", "厦门", "长沙"]
WORDS = [
    "宠乐多",
    "鑫源",
    "恒达",
    "百川",
    "新禾",
    "卓越",
    "华诚",
    "汇丰源",
    "永盛",
    "萌宠汇",
    "优佳",
    "瑞丰",
    "喵星人",
    "爪爪",
]
KINDS = ["贸易有限公司", "商贸有限公司", "宠物用品有限公司", "电子商务有限公司", "供应链管理有限公司"]
PAYER_BANKS = [
    "中国工商银行上海徐汇支行",
    "中国农业银行杭州分行",
    "招商银行深圳分行营业部",
    "中国银行南京江宁支行",
]
SELLER = "杭州橙镜电子商务有限公司"
SELLER_ACCOUNTS = {
    "ICBC": ("1202026309900123456", "中国工商银行杭州分行营业部"),
    "CCB": ("33050161712700000587", "中国建设银行杭州高新支行"),
    "CMB": ("571909876510602", "招商银行杭州分行营业部"),
}
FORMAT_CYCLE = ["png", "jpg", "png", "pdf_scan", "jpg", "png", "pdf_text", "jpg", "png", "pdf_scan"]


def make_items(n: int, out_dir: str, seed: int = 1) -> list[tuple[dict, str, int, str]]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        bank = ("ICBC", "CCB", "CMB")[i % 3]
        fmt = FORMAT_CYCLE[(i // 3) % len(FORMAT_CYCLE)]
        day = rng.randint(1, 28)
        date = f"2026-01-{day:02d}"
        sn = rng.randrange(10**10)
        if bank == "ICBC":
            rno, serial = f"202601{day:02d}{sn % 10**8:08d}", f"ZX202601{day:02d}{sn:010d}"
        elif bank == "CCB":
            rno, serial = f"{sn % 10**9:09d}", f"202601{day:02d}-{sn:010d}"
        else:
            rno, serial = f"202601{day:02d}{sn % 10**8:08d}0001", f"K{sn:010d}{i % 100:02d}"
        k = rng.randrange(4)
        weights = [0.25, 0.45, 0.2, 0.1]
        k = rng.choices(range(4), weights)[0]
        orders = [f"SO202601{rng.randint(1, 28):02d}{rng.randrange(10**6):06d}" for _ in range(k)]
        purpose = ("货款 " + " ".join(orders)) if orders else rng.choice(["货款", "预付款"])
        cents = rng.choice([0, 0, rng.randrange(100)])
        amount = Decimal(
            rng.choice([rng.randint(50, 3000), rng.randint(1000, 60000), rng.randint(1, 30) * 1000])
        )
        amount = (amount + Decimal(cents) / 100).quantize(Decimal("0.01"))
        acct, seller_bank = SELLER_ACCOUNTS[bank]
        rec = {
            "bank": bank,
            "receipt_no": rno,
            "txn_serial": serial,
            "txn_date": date,
            "txn_time": f"{rng.randint(9, 17):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
            "payer_name": rng.choice(CITIES) + rng.choice(WORDS) + rng.choice(KINDS),
            "payer_account": "62" + "".join(str(rng.randrange(10)) for _ in range(rng.choice([14, 17]))),
            "payer_bank": rng.choice(PAYER_BANKS),
            "payee_name": SELLER,
            "payee_account": acct,
            "payee_bank": seller_bank,
            "amount": amount,
            "purpose": purpose,
            "summary": "网银转账" if bank != "CMB" else "汇入汇款",
            "print_count": 2 if rng.random() < 0.06 else 1,
            "swap_sides": bank == "CCB" and rng.random() < 0.3,
        }
        if rng.random() < 0.05:
            rec["words_override"] = gen_words(amount + 100)
        ext = "pdf" if fmt.startswith("pdf") else fmt
        items.append((rec, fmt, seed * 100_003 + i, os.path.join(out_dir, f"r{i:04d}_{bank}_{fmt}.{ext}")))
    return items


def truth_of(rec: dict) -> dict:
    import datetime as dt

    return {
        "bank": rec["bank"],
        "receipt_no": rec["receipt_no"],
        "txn_serial": rec["txn_serial"],
        "txn_date": dt.date.fromisoformat(rec["txn_date"]),
        "payer_name": rec["payer_name"],
        "payer_account": rec["payer_account"],
        "payee_name": rec["payee_name"],
        "payee_account": rec["payee_account"],
        "amount": rec["amount"],
        "order_nos": [t for t in rec["purpose"].split() if t.startswith("SO")],
        "amount_in_words_ok": "words_override" not in rec,
    }


def score(items, records, label: str = "") -> dict:
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_layout: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    unflagged_wrong = 0
    flagged = 0
    override_flagged = [0, 0]
    misses: list[str] = []
    for (rec, _fmt, _seed, path), got in zip(items, records, strict=True):
        truth = truth_of(rec)
        flagged += bool(got["needs_review"])
        if not truth["amount_in_words_ok"]:
            override_flagged[1] += 1
            override_flagged[0] += bool(got["needs_review"])
        if got["amount"] != truth["amount"] and not got["needs_review"]:
            unflagged_wrong += 1
        for f in FIELDS:
            ok = got.get(f) == truth[f]
            per_field[f][0] += ok
            per_field[f][1] += 1
            per_layout[(rec["bank"], f)][0] += ok
            per_layout[(rec["bank"], f)][1] += 1
            if not ok and len(misses) < 400:
                extra = f" (words read {got.get('amount_in_words')!r})" if f == "amount_in_words_ok" else ""
                misses.append(f"{os.path.basename(path)} {f}: got {got.get(f)!r} want {truth[f]!r}{extra}")
    return {
        "per_field": per_field,
        "per_layout": per_layout,
        "unflagged_wrong": unflagged_wrong,
        "flagged": flagged,
        "override_flagged": override_flagged,
        "misses": misses,
    }


def print_table(res: dict, n: int) -> None:
    banks = ("ICBC", "CCB", "CMB")
    print(f"{'field':<20}{'all':>9}" + "".join(f"{b:>9}" for b in banks))
    for f in FIELDS:
        ok, tot = res["per_field"][f]
        row = f"{f:<20}{100 * ok / tot:>8.1f}%"
        for b in banks:
            bo, bt = res["per_layout"][(b, f)]
            row += f"{100 * bo / bt:>8.1f}%" if bt else f"{'-':>9}"
        print(row)
    print(f"needs_review: {res['flagged']}/{n}")
    print(f"words_override receipts flagged: {res['override_flagged'][0]}/{res['override_flagged'][1]}")
    print(f"wrong amounts NOT flagged for review: {res['unflagged_wrong']}")


def _cpu() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def plain_tesseract(paths: list[str], limit: int) -> tuple[float, float, int]:
    """(receipts/s, CPU s, images) of plain pytesseract.image_to_string defaults (eng, psm 3, own
    threading) on the first ``limit`` image receipts."""
    import pytesseract
    from PIL import Image

    from ocr.preprocess import load_file

    sample = [p for p in paths if not p.endswith(".pdf")][:limit]
    imgs = [load_file(p)[1] for p in sample]
    env_old = os.environ.pop("OMP_THREAD_LIMIT", None)
    try:
        t0, c0 = time.perf_counter(), _cpu()
        for img in imgs:
            assert isinstance(img, Image.Image)
            pytesseract.image_to_string(img)
        dt_, cpu = time.perf_counter() - t0, _cpu() - c0
    finally:
        if env_old is not None:
            os.environ["OMP_THREAD_LIMIT"] = env_old
    return len(imgs) / dt_, cpu, len(imgs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=300)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lang", default=None)
    ap.add_argument("--ablate", action="store_true")
    ap.add_argument("--plain", type=int, default=20, help="images for the plain image_to_string timing")
    ap.add_argument("--misses", type=int, default=25)
    ap.add_argument("--readings", help="save the OCR readings here, or re-score the ones saved here")
    ap.add_argument("--keep", help="render the receipts into this folder (kept) instead of a temporary one")
    ap.add_argument("--page", action="store_true", help="read every page whole (no field reader)")
    args = ap.parse_args()
    kw = {"lang": args.lang} if args.lang else {}
    if args.page:
        kw["fields"] = False
    t_cpu = float("nan")
    with tempfile.TemporaryDirectory(prefix="bench_ocr_") as tmp:
        if args.readings and os.path.exists(args.readings):
            # re-score the parser on readings saved by an earlier run (no rendering, no tesseract)
            with open(args.readings, "rb") as fh:
                items, readings, t_render, t_ocr = pickle.load(fh)
            print(
                f"readings loaded from {args.readings} (render and OCR times are those of the run that saved them)"
            )
        else:
            items = make_items(args.n, args.keep or tmp, args.seed)
            t0 = time.perf_counter()
            render_many(items, processes=args.processes)
            t_render = time.perf_counter() - t0
            t0, c0 = time.perf_counter(), _cpu()
            readings = read_many([it[3] for it in items], processes=args.processes, **kw)
            t_ocr = time.perf_counter() - t0
            # the workers' own CPU and their tesseract runs' (the pool's workers are not our children)
            t_cpu = sum(r.get("cpu_seconds") or 0.0 for r in readings) + (_cpu() - c0)
            if args.readings:
                with open(args.readings, "wb") as fh:
                    pickle.dump((items, readings, t_render, t_ocr), fh)
        paths = [it[3] for it in items]
        records = [parse_reading(r) for r in readings]
        fmts = defaultdict(int)
        for it in items:
            fmts[it[1]] += 1
        print(f"receipts={len(items)} formats={dict(fmts)} render {t_render:.1f}s")
        n_img = sum(v for k, v in fmts.items() if k != "pdf_text")
        print(
            f"read_many(processes={args.processes}{', page' if args.page else ''}): {t_ocr:.1f}s  "
            f"{len(items) / t_ocr:.2f} receipts/s  (image receipts only: {n_img / t_ocr:.2f}/s)  "
            f"cpu {t_cpu:.1f}s = {t_cpu / len(items):.3f} s/receipt  load average {os.getloadavg()[0]:.1f}"
        )
        if args.plain and all(os.path.exists(p) for p in paths[: args.plain]):
            rate, cpu, n_plain = plain_tesseract(paths, args.plain)
            print(
                f"plain pytesseract.image_to_string defaults (1 process, {n_plain} images): {rate:.2f} receipts/s  "
                f"cpu {cpu:.1f}s = {cpu / n_plain:.3f} s/receipt  load average {os.getloadavg()[0]:.1f}"
            )
            if t_cpu == t_cpu:
                print(
                    f"cpu per image receipt, plain / read_many: {cpu / n_plain:.3f} / {t_cpu / n_img:.3f} = "
                    f"{(cpu / n_plain) / (t_cpu / n_img):.2f}x"
                )
        res = score(items, records)
        print_table(res, len(items))
        from ocr.extract import snap_name

        master = [SELLER] + [c + w + k for c in CITIES for w in WORDS for k in KINDS]
        snapped = [
            {
                **r,
                "payer_name": snap_name(r["payer_name"], master),
                "payee_name": snap_name(r["payee_name"], master),
            }
            for r in records
        ]
        rs = score(items, snapped)["per_field"]
        print(
            "names snapped to a known-party list (own company + customer master, ocr.extract.snap_name): "
            + "  ".join(f"{f}={100 * rs[f][0] / rs[f][1]:.1f}%" for f in ("payer_name", "payee_name"))
        )
        # what the pipeline does: own company (ORDERLENS_OWN_COMPANY) + the ERP customer master, i.e. the
        # payers that actually occur, not every name the generator could make; parse_reading snaps names
        # and flags a payer that snaps to no known party
        erp_master = sorted({SELLER} | {it[0]["payer_name"] for it in items})
        snapped = [parse_reading(r, erp_master) for r in readings]
        rs = score(items, snapped)
        wrong_snaps = sum(
            got[f] != it[0][f] and got[f] in erp_master
            for it, got in zip(items, snapped, strict=True)
            for f in ("payer_name", "payee_name")
        )
        unknown = [
            (it, got) for it, got in zip(items, snapped, strict=True) if got["payer_name"] not in erp_master
        ]
        print(
            f"names with own company + ERP customer master ({len(erp_master)} names, parse_reading as the pipeline): "
            + "  ".join(
                f"{f}={100 * rs['per_field'][f][0] / rs['per_field'][f][1]:.1f}%"
                for f in ("payer_name", "payee_name")
            )
            + f"  snapped to a wrong party={wrong_snaps}  payer not known (kept as read)={len(unknown)}, "
            f"flagged={sum(bool(g['needs_review']) for _, g in unknown)}  needs_review={rs['flagged']}/{len(items)}"
            f"  unflagged wrong amounts={rs['unflagged_wrong']}"
        )
        for m in res["misses"][: args.misses]:
            print("  miss:", m)
        if args.ablate:
            from ocr.core import ocr_batch
            from ocr.preprocess import RAW, PrepOptions

            img_items = [it for it in items if it[1] != "pdf_text"]
            img_paths = [it[3] for it in img_items]
            variants = [
                ("full preprocessing, chi_sim", {}),
                ("full preprocessing, chi_sim+eng", {"lang": "chi_sim+eng"}),
                ("no preprocessing (raw RGB)", {"prep": RAW}),
                ("no seal removal", {"prep": PrepOptions(remove_seal=False)}),
                ("no deskew", {"prep": PrepOptions(deskew=False)}),
                ("no binarisation", {"prep": PrepOptions(binarise=False)}),
                ("no background flattening", {"prep": PrepOptions(flatten=False)}),
            ]
            print(f"\nablation on {len(img_paths)} image receipts (ocr_many, processes={args.processes}):")
            for name, vkw in variants:
                t0 = time.perf_counter()
                recs = ocr_many(img_paths, processes=args.processes, **vkw)
                dt_ = time.perf_counter() - t0
                r = score(img_items, recs)
                pf = r["per_field"]
                cells = "  ".join(
                    f"{f}={100 * pf[f][0] / pf[f][1]:.1f}"
                    for f in ("amount", "receipt_no", "order_nos", "payer_name", "amount_in_words_ok")
                )
                print(
                    f"  {name:<34} {len(img_paths) / dt_:.2f}/s  {cells}  unflagged_wrong={r['unflagged_wrong']}"
                )
            _ = ocr_batch


if __name__ == "__main__":
    main()
