"""A/B: page OCR at full size vs the prepared image scaled down (speed vs accuracy), interleaved so
that a shared machine's load hits both variants alike.

Needs the readings file of ``bench_ocr.py --readings FILE`` (for the items and their rendered images,
which must still exist: render with ``--keep DIR``).

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/ab_ocr_scale.py FILE [--scale 0.75] [--n 24]
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time

os.environ["OMP_THREAD_LIMIT"] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_ocr import FIELDS, score  # noqa: E402
from PIL import Image  # noqa: E402

from ocr import core  # noqa: E402
from ocr.preprocess import load_file, preprocess  # noqa: E402
from ocr.recognise import recognise  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("readings")
    ap.add_argument("--scale", type=float, default=0.75)
    ap.add_argument("--n", type=int, default=24)
    args = ap.parse_args()
    with open(args.readings, "rb") as fh:
        items = pickle.load(fh)[0]
    sel = [k for k in range(0, len(items), 7) if items[k][1] != "pdf_text"][: args.n]
    imgs = {k: preprocess(load_file(items[k][3])[1])[0] for k in sel}

    def run(keys, scale):
        ims = [
            imgs[k]
            if scale == 1
            else imgs[k]
            .resize((int(imgs[k].width * scale), int(imgs[k].height * scale)), Image.Resampling.LANCZOS)
            .point(lambda v: 255 if v > 127 else 0)
            for k in keys
        ]
        t = time.perf_counter()
        pages = recognise(ims)
        alts = core._second_pass(ims, pages)
        dt = time.perf_counter() - t
        return dt, [
            core.parse_text(p.text, confidence=p.confidence, alternatives=a)
            for p, a in zip(pages, alts, strict=True)
        ]

    total = {1.0: 0.0, args.scale: 0.0}
    recs: dict[float, dict] = {1.0: {}, args.scale: {}}
    for r in range(0, len(sel), 6):
        keys = sel[r : r + 6]
        for sc in (1.0, args.scale) if (r // 6) % 2 == 0 else (args.scale, 1.0):
            dt, rs = run(keys, sc)
            total[sc] += dt
            recs[sc].update(zip(keys, rs, strict=True))
    for sc in (1.0, args.scale):
        res = score([items[k] for k in sel], [recs[sc][k] for k in sel])
        print(
            f"scale {sc}: {len(sel) / total[sc]:.2f} receipts/s (1 process)  "
            + " ".join(f"{f}={res['per_field'][f][0]}" for f in FIELDS)
            + f"  of {len(sel)}; unflagged_wrong={res['unflagged_wrong']} flagged={res['flagged']}"
        )


if __name__ == "__main__":
    main()
