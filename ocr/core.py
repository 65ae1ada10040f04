"""Receipt file -> one record (pure: the same bytes always give the same record).

    ocr_file(path) -> dict          one receipt
    ocr_many(paths, processes=2)    many, one worker process per core, OMP_THREAD_LIMIT=1
    parse_text(text, ...) -> dict   the parsing/validation half, for text already recognised

    read_many(paths, processes=2)   only the expensive half: per file a ``reading`` (text, word
                                    confidence, second-pass readings) that ``parse_reading`` turns
                                    into a record in milliseconds. Cache readings by ``sha256``:
                                    a better parser or a longer known-party list then applies to
                                    every receipt without running tesseract again.

The result depends only on the file's bytes (and the code version), so callers may cache it by
``sha256`` (the record carries it).
"""

from __future__ import annotations

import hashlib
import os
import re
from decimal import Decimal

from . import extract as X
from .fieldread import read_fields
from .preprocess import DEFAULT as DEFAULT_PREP
from .preprocess import PrepOptions, load_file, preprocess
from .recognise import DEFAULT_LANG, TESS_CONFIG, Page, recognise
from .words import CONFUSIONS, DIGITS, amount_in_words, normalise_words, words_match, words_to_amount

__all__ = [
    "ocr_file",
    "ocr_many",
    "parse_text",
    "parse_reading",
    "read_batch",
    "read_many",
    "READER_VERSION",
    "RECORD_FIELDS",
    "MIN_CONFIDENCE",
]

# Bump when what ``read_batch`` returns for the same bytes changes (preprocessing, tesseract
# settings, crops): cached readings of another version are read again.
READER_VERSION = "3"  # 2: field reader (labels, then value regions per reader); 3: labels named from the
# layout's printed rows (not read), confidence over the value words only

# mean tesseract confidence of the value words (labels and line openings are not counted: the labels
# are mostly named from the layout's rows without reading them, and both are read from crops cut at a
# few text heights); below it a receipt needs review. Reader version 2 used 75 on a mean that counted
# the labels' words: no receipt of the benchmark came near it (lowest 76.6 of 96). The value words alone
# spread wider and lower (270 image receipts: mean ~79, lowest 66.8, the 5 under 70 read entirely
# right): 65 flags a page clearly worse than any clean read, as 75 did on the old mean
MIN_CONFIDENCE = 65.0
RECORD_FIELDS = (
    "receipt_ref",
    "source_file",
    "sha256",
    "source_kind",
    "bank",
    "receipt_no",
    "txn_serial",
    "txn_date",
    "txn_time",
    "payer_name",
    "payer_account",
    "payee_name",
    "payee_account",
    "payer_bank",
    "payee_bank",
    "amount",
    "amount_in_words",
    "amount_in_words_ok",
    "purpose",
    "summary",
    "order_nos",
    "print_count",
    "is_reprint",
    "confidence",
    "needs_review",
    "review_reason",
)


def _fmt(d: Decimal | None) -> str:
    return "?" if d is None else f"{d:,.2f}"


def parse_text(
    text: str,
    *,
    confidence: float = 100.0,
    source_file: str = "",
    sha256: str = "",
    source_kind: str = "text",
    alternatives: dict[str, list[str]] | None = None,
    known_names: tuple[str, ...] | list[str] | None = None,
) -> dict:
    """Record from receipt text (tesseract lines or a PDF text layer), with validation.

    ``alternatives``: other readings of a field's value (second OCR pass on the value's crop),
    ``{"amount": [...], "amount_in_words": [...]}``. The figure is accepted unflagged only when some
    reading of the words spells it. ``known_names``: optional list of party names (own company,
    customer master); a name read within a small edit distance of exactly one of them is snapped, and
    a payer name that snaps to none is kept as read and flagged for review.
    """
    alternatives = alternatives or {}
    layout = X.detect_layout(text)
    raw = X.extract_fields(text, layout) if layout else {}
    rec: dict = dict.fromkeys(RECORD_FIELDS)
    rec.update(source_file=source_file, sha256=sha256, source_kind=source_kind)
    rec["bank"] = layout.bank if layout else None
    rec["receipt_no"] = X.clean_id(raw.get("receipt_no"))
    rec["txn_serial"] = X.clean_id(raw.get("txn_serial"))
    rec["txn_date"] = X.parse_date(raw.get("txn_date")) or (
        X.parse_date("\n".join(text.splitlines()[:4])) if layout else None
    )
    rec["txn_time"] = X.parse_time(raw.get("txn_date")) if rec["txn_date"] else None
    for side in ("payer", "payee"):
        rec[f"{side}_name"] = X.clean_name(raw.get(f"{side}_name"))
        rec[f"{side}_account"] = X.clean_account(raw.get(f"{side}_account"))
        rec[f"{side}_bank"] = X.clean_name(raw.get(f"{side}_bank"), company=False)
    if known_names:
        for side in ("payer", "payee"):
            rec[f"{side}_name"] = X.snap_name(rec[f"{side}_name"], known_names)
    figures = [X.parse_amount(v) for v in [*alternatives.get("amount", []), raw.get("amount")]]
    figures = [f for f in figures if f is not None and Decimal("0.01") <= f <= Decimal("999999999999.99")]
    word_reads = [w for w in [raw.get("amount_in_words"), *alternatives.get("amount_in_words", [])] if w]
    amount, words = (figures[0] if figures else None), (word_reads[0] if word_reads else None)
    agreed = False
    for fig in figures:
        hit = next((w for w in word_reads if words_match(w, fig)), None)
        if hit is not None:
            amount, words, agreed = fig, hit, True
            break
    from_words = False
    if amount is None:  # no figure readable: give the person the amount the words spell (flagged)
        for w in word_reads:
            said = words_to_amount(w)
            if said is not None and Decimal("0.01") <= said <= Decimal("999999999999.99"):
                amount, words, from_words = said, w, True
                break
    rec["amount"] = amount
    rec["amount_in_words"] = normalise_words(words) if words else None
    rec["purpose"] = (raw.get("purpose") or "").strip() or None
    rec["summary"] = (raw.get("summary") or "").strip() or None
    rec["order_nos"] = X.find_order_nos(" ".join(v for v in (rec["purpose"], rec["summary"]) if v))
    if layout is not None:  # an SO number whose 用途 label was misread is still an order number
        rec["order_nos"] += [n for n in X.find_so_numbers(text) if n not in rec["order_nos"]]
    rec["print_count"] = X.parse_count(raw.get("print_count"))
    rec["is_reprint"] = bool(
        (rec["print_count"] or 1) >= 2
        or "补打" in X.strip_spaces(text)
        or "补打" in os.path.basename(source_file)
    )
    rec["confidence"] = round(float(confidence), 1)
    rec["amount_in_words_ok"] = agreed
    if layout is not None:
        for fld, pattern in layout.id_patterns.items():
            rec[fld] = X.fit_id(rec[fld], pattern)
    rec["receipt_ref"] = (
        f"{rec['bank']}:{rec['receipt_no']}" if rec["bank"] and rec["receipt_no"] else f"sha256:{sha256}"
    )
    reasons = _review_reasons(rec, words, layout is not None, from_words)
    if known_names and layout is not None and rec["payer_name"] and rec["payer_name"] not in known_names:
        # no known party within snapping distance: kept as read, and a person looks at it
        reasons.append(f"payer name {rec['payer_name']!r} is not a known party (kept as read)")
    if layout is not None:
        for fld, pattern in layout.id_patterns.items():
            if rec[fld] and not re.fullmatch(pattern, rec[fld]):
                reasons.append(f"{fld} {rec[fld]!r} does not look like a {layout.bank} {fld} ({pattern})")
    rec["needs_review"] = bool(reasons)
    rec["review_reason"] = "; ".join(reasons) if reasons else None
    return rec


def _review_reasons(rec: dict, words: str | None, has_layout: bool, from_words: bool = False) -> list[str]:
    out: list[str] = []
    if not has_layout:
        return ["bank/layout not recognised"]
    if not rec["receipt_no"]:
        out.append("no receipt number found")
    if from_words:
        out.append("amount figure (小写) not readable; amount as the words (大写) spell it, unchecked")
    elif rec["amount"] is None:
        out.append("amount figure (小写) not readable")
    elif not words:
        out.append("no amount in words (大写) found")
    elif not rec["amount_in_words_ok"]:
        said = words_to_amount(words)
        try:
            expected = amount_in_words(rec["amount"])
        except ValueError:
            expected = "?"
        if said is not None and said != rec["amount"]:
            out.append(f"大写金额与小写金额不符 (words say {_fmt(said)}, figure {_fmt(rec['amount'])})")
        else:
            out.append(
                f"大写金额与小写金额不符 (words read {rec['amount_in_words']!r}, "
                f"figure {_fmt(rec['amount'])} = {expected})"
            )
    if rec["txn_date"] is None:
        out.append("transaction date not readable")
    if not rec["txn_serial"]:
        out.append("no transaction serial found")
    for side in ("payer", "payee"):
        acct = rec[f"{side}_account"]
        if not acct:
            out.append(f"no {side} account found")
        elif not 10 <= len(acct) <= 25:
            out.append(f"{side} account implausible ({len(acct)} digits)")
    if not rec["payer_name"]:
        out.append("no payer name found")
    if rec["confidence"] < MIN_CONFIDENCE:
        out.append(f"low OCR confidence {rec['confidence']:.0f} < {MIN_CONFIDENCE:.0f}")
    return out


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kind(path: str, loaded: str) -> str:
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext == "pdf":
        return "pdf_text" if loaded == "text" else "pdf_scan"
    return "jpg" if ext in ("jpg", "jpeg") else ext or "image"


def read_batch(
    paths: list[str],
    lang: str = DEFAULT_LANG,
    prep: PrepOptions = DEFAULT_PREP,
    config: str = TESS_CONFIG,
    second_pass: bool = True,
    fields: bool = True,
) -> list[dict]:
    """The expensive half of the OCR, per file a reading:
    ``{source_file, sha256, source_kind, text, confidence, alternatives, error, seconds}``.

    Images are read field by field (``ocr.fieldread``: labels first, then only the value regions
    the layout needs, each with its reader; a few tesseract runs per batch). With ``fields=False``,
    or for a page whose layout is not recognised from its labels, the whole page is read with
    ``lang`` (plus a second pass over the crops of the amount figure and the words); a PDF with a text layer is read without tesseract; a file
    that cannot be opened gives ``error`` (and no text)."""
    import time

    readings: list[dict | None] = [None] * len(paths)
    pending: list[tuple[int, str, str, object, float]] = []
    for i, path in enumerate(paths):
        t0 = time.perf_counter()
        with open(path, "rb") as fh:
            data = fh.read()
        sha = _sha256(data)
        base = {
            "source_file": path,
            "sha256": sha,
            "text": "",
            "confidence": 0.0,
            "alternatives": {},
            "error": None,
        }
        try:
            loaded, content = load_file(path, data)
        except Exception as exc:  # unreadable file: a reading that says so
            readings[i] = {
                **base,
                "source_kind": "unreadable",
                "error": f"{exc.__class__.__name__}: {exc}",
                "seconds": time.perf_counter() - t0,
            }
            continue
        if loaded == "text":
            readings[i] = {
                **base,
                "source_kind": "pdf_text",
                "text": content,
                "confidence": 100.0,
                "seconds": time.perf_counter() - t0,
            }
        else:
            img, _info = preprocess(content, prep)
            readings[i] = {**base, "source_kind": _kind(path, "image")}
            pending.append((i, path, sha, img, time.perf_counter() - t0))
    if pending:
        t0 = time.perf_counter()
        imgs = [p[3] for p in pending]
        fielded: list[dict | None] = read_fields(imgs) if fields else [None] * len(pending)
        whole = [j for j, f in enumerate(fielded) if f is None]  # layout not recognised: read the page
        if whole:
            pages: list[Page] = recognise([imgs[j] for j in whole], lang=lang, config=config)
            alts = _second_pass([imgs[j] for j in whole], pages) if second_pass else [{} for _ in whole]
            for j, page, alt in zip(whole, pages, alts, strict=True):
                fielded[j] = {"text": page.text, "confidence": page.confidence, "alternatives": alt}
        shared = (time.perf_counter() - t0) / len(pending)
        for (i, _path, _sha, _img, prep_s), got in zip(pending, fielded, strict=True):
            readings[i].update(
                text=got["text"],
                confidence=got["confidence"],
                alternatives=got.get("alternatives") or {},
                seconds=prep_s + shared,
            )
    return [r for r in readings if r is not None]


def parse_reading(reading: dict, known_names: tuple[str, ...] | list[str] | None = None) -> dict:
    """Record (see RECORD_FIELDS) from a reading of ``read_batch``; cheap, no tesseract."""
    rec = parse_text(
        reading.get("text") or "",
        confidence=reading.get("confidence") or 0.0,
        source_file=reading.get("source_file") or "",
        sha256=reading.get("sha256") or "",
        source_kind=reading.get("source_kind") or "image",
        alternatives=reading.get("alternatives") or {},
        known_names=known_names,
    )
    if reading.get("error"):
        rec["review_reason"] = f"file not readable: {reading['error']}"
        rec["needs_review"] = True
    return rec


def ocr_batch(
    paths: list[str],
    lang: str = DEFAULT_LANG,
    prep: PrepOptions = DEFAULT_PREP,
    config: str = TESS_CONFIG,
    second_pass: bool = True,
    known_names: tuple[str, ...] | list[str] | None = None,
    fields: bool = True,
) -> list[dict]:
    """Records for several files (``read_batch`` then ``parse_reading``)."""
    readings = read_batch(paths, lang=lang, prep=prep, config=config, second_pass=second_pass, fields=fields)
    return [parse_reading(r, known_names) for r in readings]


# Second pass: the amount figure is re-read with the English model (it knows ¥ and reads digits
# better than chi_sim, which merges "¥2" into one CJK glyph); the words are re-read as one line with
# the money characters (and their known misreads) as the only allowed output.
AMOUNT_CROP = ("eng", "--psm 7 -c tessedit_do_invert=0")
WORDS_CROP = (
    "chi_sim",
    "--psm 7 -c tessedit_do_invert=0 -c tessedit_char_whitelist="
    + "".join(sorted(set(DIGITS + "拾佰仟万亿元角分整人民币" + "".join(CONFUSIONS.values())))),
)


def _page_agrees(text: str, layout) -> bool:
    raw = X.extract_fields(text, layout)
    fig = X.parse_amount(raw.get("amount"))
    words = raw.get("amount_in_words")
    return fig is not None and bool(words) and words_match(words, fig)


def _second_pass(images, pages: list[Page]) -> list[dict[str, list[str]]]:
    alts: list[dict[str, list[str]]] = [{} for _ in pages]
    jobs: dict[str, list[tuple[int, object]]] = {"amount": [], "amount_in_words": []}
    for k, (img, page) in enumerate(zip(images, pages, strict=True)):
        layout = X.detect_layout(page.text)
        if layout is None:
            continue
        if _page_agrees(page.text, layout):  # the page's figure and words already agree: no crops needed
            continue
        boxes = X.locate_values([ln.words for ln in page.lines], layout, ("amount", "amount_in_words"))
        for fld, (x0, y0, x1, y1) in boxes.items():
            pad = max(8, (y1 - y0) // 3)
            crop = img.crop(
                (max(0, x0 - pad), max(0, y0 - pad), min(img.width, x1 + pad), min(img.height, y1 + pad))
            )
            jobs[fld].append((k, crop))
    for fld, (lang, cfg) in (("amount", AMOUNT_CROP), ("amount_in_words", WORDS_CROP)):
        if not jobs[fld]:
            continue
        read = recognise([c for _, c in jobs[fld]], lang=lang, config=cfg)
        for (k, _), pg in zip(jobs[fld], read, strict=True):
            text = " ".join(ln.text for ln in pg.lines).strip()
            if text:
                alts[k].setdefault(fld, []).append(text)
    return alts


def ocr_file(path: str, **kw) -> dict:
    """One receipt file -> record (see RECORD_FIELDS)."""
    return ocr_batch([str(path)], **kw)[0]


def _cpu_seconds() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the tesseract runs, once they have ended
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _worker(args: tuple[str, list[str], dict]) -> list[dict]:
    """One batch; each reading (not record) carries ``cpu_seconds``: its share of the CPU time (user
    + system) this process and its tesseract runs spent on the batch."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    fn, paths, kw = args
    c0 = _cpu_seconds()
    out = (read_batch if fn == "read" else ocr_batch)(paths, **kw)
    share = (_cpu_seconds() - c0) / max(1, len(out))
    if fn == "read":
        for r in out:
            r["cpu_seconds"] = share
    return out


def _map_chunks(fn: str, paths, processes: int, batch: int, kw: dict, progress=None) -> list[dict]:
    paths = [str(p) for p in paths]
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if not paths:
        return []
    chunks = [paths[i : i + batch] for i in range(0, len(paths), batch)]
    out: list[dict] = []
    if processes <= 1 or len(chunks) == 1:
        for c in chunks:
            got = _worker((fn, c, kw))
            out.extend(got)
            if progress:
                progress(got)
        return out
    import multiprocessing as mp
    import warnings
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    methods = mp.get_all_start_methods()
    ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    done = 0
    try:
        # a process pool that says so when a worker dies (multiprocessing.Pool would replace the worker and
        # wait forever for its lost chunk); map keeps the order given and hands chunks over as they finish
        with ProcessPoolExecutor(max_workers=min(processes, len(chunks)), mp_context=ctx) as pool:
            for got in pool.map(_worker, [(fn, c, kw) for c in chunks]):
                out.extend(got)
                done += 1
                if progress:
                    progress(got)
    except BrokenProcessPool as exc:
        warnings.warn(
            f"OCR worker processes died ({exc}); reading the remaining {len(chunks) - done} batches in this "
            "process",
            RuntimeWarning,
            stacklevel=2,
        )
        for c in chunks[done:]:
            got = _worker((fn, c, kw))
            out.extend(got)
            if progress:
                progress(got)
    return out


def ocr_many(paths, processes: int = 2, batch: int = 16, progress=None, **kw) -> list[dict]:
    """Records for many files, in the order given; ``processes`` workers, ``batch`` files per
    tesseract run (the model loads once per batch). ``progress(records)`` is called per finished batch."""
    return _map_chunks("ocr", paths, processes, batch, kw, progress)


def read_many(paths, processes: int = 2, batch: int = 16, progress=None, **kw) -> list[dict]:
    """Readings (see ``read_batch``) for many files, in the order given, like ``ocr_many``."""
    return _map_chunks("read", paths, processes, batch, kw, progress)
