"""Field reader: read only the labels, then only the value regions a layout needs, each with its model.

A full-page chi_sim pass spends its time on text nothing uses (branch names, the footer, the title)
and reads digits with the Chinese model. Instead, per batch of prepared images:

1. ``regions.segment`` finds the text lines and cuts them into chunks at gaps; a chunk that ends with
   a colon (two stacked dots, found in the pixels) is a label.
2. Pass 1, one tesseract run (chi_sim) over every label chunk and every chunk that opens a line
   without following a label (title, CCB side headers, wrapped 用途 lines, the footer), cut to at
   most ``LABEL_SPAN`` text heights: the layout is detected from these, and each label is matched
   to a field of the layout (``layouts.Layout.labels``, fuzzy as in the parser).
3. Pass 2, one tesseract run per reader (``READERS``): the value region after each label (up to the
   next label on the line) is read with the reader its field declares (``layouts.FIELD_READERS``):
   ids/accounts/dates/figure with ``eng`` and a digit whitelist, the 大写 words with chi_sim and a
   money whitelist, names/用途 with chi_sim; fields nobody uses (branch names) are not read.
4. The text is composed as ``label：value`` lines, in page order, so ``parse_text`` parses it like
   any page text. A page whose layout is not recognised from its labels gets the full-page pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from . import extract as X
from .layouts import Layout
from .recognise import recognise, strip_cjk_spaces
from .regions import Band, segment
from .words import CONFUSIONS, DIGITS

__all__ = ["READERS", "LABEL_SPAN", "read_fields"]

LABEL_SPAN = 9  # label chunks are read over at most their last LABEL_SPAN text heights
OPENING_SPAN = 5  # an unlabelled line opening (title, side headers, footer) over its first OPENING_SPAN

READERS: dict[str, tuple[str, str]] = {
    "label": ("chi_sim", "--psm 6 -c tessedit_do_invert=0"),
    "text": ("chi_sim", "--psm 6 -c tessedit_do_invert=0"),
    "digits": (
        "eng",
        "--psm 6 -c tessedit_do_invert=0 -c tessedit_char_whitelist=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ¥,.-:/",
    ),
    "words": (
        "chi_sim",
        "--psm 6 -c tessedit_do_invert=0 -c tessedit_char_whitelist="
        + "".join(sorted(set(DIGITS + "拾佰仟万亿元角分整人民币" + "".join(CONFUSIONS.values())))),
    ),
}
_PAD = 5


@dataclass
class _Seg:
    x0: int
    x1: int
    kind: str  # "label" (pass 1 text is final), "value", "raw" (read whole with chi_sim)
    text: str = ""
    label: str | None = None  # canonical label of a matched label chunk
    reader: str | None = None  # READERS key for a value / raw segment; None: not read
    field: str | None = None  # the field of a value segment (layout.labels value, {side} unresolved)
    truncated: bool = False


@dataclass
class _PagePlan:
    img: Image.Image
    bands: list[Band]
    segs: list[list[_Seg]] = field(default_factory=list)
    layout: Layout | None = None
    confs: list[float] = field(default_factory=list)
    by_rows: bool = False  # label chunks named from the layout's rows (not read)


def _crop(img: Image.Image, x0: int, y0: int, x1: int, y1: int) -> Image.Image:
    return img.crop(
        (max(0, x0 - _PAD), max(0, y0 - _PAD), min(img.width, x1 + _PAD), min(img.height, y1 + _PAD))
    )


SHEET_CROPS = 48  # crops stacked into one image for one tesseract page (psm 6)
_GAP = 16


def _sheet(crops: list[Image.Image]) -> tuple[Image.Image, list[tuple[int, int]]]:
    """Crops stacked top to bottom on white, left-aligned: one page for tesseract, and each crop's rows."""
    width = max(c.width for c in crops) + 2 * _GAP
    height = sum(c.height for c in crops) + _GAP * (len(crops) + 1)
    sheet = Image.new("L", (width, height), 255)
    spans = []
    y = _GAP
    for c in crops:
        sheet.paste(c.convert("L"), (_GAP, y))
        spans.append((y, y + c.height))
        y += c.height + _GAP
    return sheet, spans


def _run(
    jobs: list[tuple[str, Image.Image, object]], readers: dict[str, tuple[str, str]] = READERS
) -> list[tuple[object, str, list[float]]]:
    """Read crops grouped by reader: the crops of one reader are stacked into sheets of SHEET_CROPS
    and read in one tesseract run as uniform blocks (psm 6); tesseract's fixed cost per image
    (~15 ms) is paid per sheet, not per crop. Each word goes back to the crop its box centre lies in."""
    out: list[tuple[object, str, list[float]]] = []
    by_reader: dict[str, list[tuple[Image.Image, object]]] = {}
    for reader, crop, key in jobs:
        by_reader.setdefault(reader, []).append((crop, key))
    for reader, items in by_reader.items():
        lang, cfg = readers[reader]
        groups = [items[i : i + SHEET_CROPS] for i in range(0, len(items), SHEET_CROPS)]
        sheets = [_sheet([c for c, _ in g]) for g in groups]
        pages = recognise([sh for sh, _ in sheets], lang=lang, config=cfg)
        for g, (_sh, spans), pg in zip(groups, sheets, pages, strict=True):
            words: list[list[tuple[int, int, str, float]]] = [[] for _ in g]
            for li, ln in enumerate(pg.lines):
                for text, conf, (x0, y0, _x1, y1) in ln.words:
                    cy = (y0 + y1) / 2
                    for j, (a, b) in enumerate(spans):
                        if a - _GAP / 2 <= cy < b + _GAP / 2:
                            words[j].append((li, x0, text, conf))
                            break
            for (_c, key), ws in zip(g, words, strict=True):
                ws.sort()
                text = strip_cjk_spaces(" ".join(w[2] for w in ws)).strip()
                out.append((key, text, [w[3] for w in ws if w[3] >= 0]))
    return out


def _label_of(text: str, layout: Layout) -> str | None:
    """The layout's label that a label chunk's text ends with (before its colon)."""
    t = text.rstrip()
    while t and t[-1] in ":：;；.,，。 ":
        t = t[:-1]
    hit = X._match_label(t, list(layout.labels))
    return hit[0] if hit else None


def _reread_labels(plans: list[_PagePlan]) -> None:
    """Label chunks that match no label of the page's layout, or that match a label the layout
    prints once but the page shows twice (付款账号 read as 收款账号), are read again with only the
    characters of that layout's labels allowed (账号 read as 由号/灵号 comes back as 账号)."""
    jobs: list[tuple[str, Image.Image, object]] = []
    configs: dict[str, str] = {}
    for k, plan in enumerate(plans):
        if plan.layout is None or plan.by_rows:
            continue
        labels = list(plan.layout.labels)
        segs = [(b, seg) for b, row in enumerate(plan.segs) for seg in row if seg.kind == "label"]
        found = [_label_of(seg.text, plan.layout) for _b, seg in segs]
        twice = {
            lab
            for lab in found
            if lab and found.count(lab) > 1 and "{side}" not in (plan.layout.labels[lab] or "")
        }
        chars = "".join(sorted(set("".join(labels)) | set("：:()-")))
        key = f"label:{plan.layout.bank}"
        configs[key] = chars
        for (b, seg), lab in zip(segs, found, strict=True):
            if lab is None or lab in twice:
                band = plan.bands[b]
                x0 = max(seg.x0, seg.x1 - LABEL_SPAN * band.height)
                jobs.append((key, _crop(plan.img, x0, band.y0, seg.x1, band.y1), (k, seg, lab)))
    if not jobs:
        return
    lang, cfg = READERS["label"]
    readers = {key: (lang, f"{cfg} -c tessedit_char_whitelist={chars}") for key, chars in configs.items()}
    for (k, seg, before), text, _confs in _run(jobs, readers):
        after = _label_of(text, plans[k].layout)
        if after is not None and after != before:
            seg.text = text


def _side_pair(row: list[_Seg], layout: Layout) -> str | None:
    """Side-by-side blocks (CCB) print the same label for both sides on one line: on a line with two
    labels, one of them a side label (全称/账号/开户行) and the other unreadable (由号 under a seal),
    the unreadable one is that side label too."""
    labels = [seg for seg in row if seg.kind == "label"]
    if len(labels) != 2:
        return None
    found = [_label_of(seg.text, layout) for seg in labels]
    known = [f for f in found if f is not None]
    if len(known) == 1 and "{side}" in (layout.labels[known[0]] or ""):
        return known[0]
    return None


def _label_width(label: str) -> float:
    """Expected width of a printed ``label：`` in text heights: a CJK character ~1, a bracket or a hyphen
    ~0.45, the colon ~0.4 (measured on the rendered receipts: 付款人户名： 5.3, 金额(大写)： 5.2)."""
    cjk = sum(1 for ch in label if "\u4e00" <= ch <= "\u9fff")
    return 0.98 * cjk + 0.45 * (len(label) - cjk) + 0.4


def _fit_rows(plan: _PagePlan, layout: Layout) -> bool:
    """Name the label chunks of a page from the layout's printed rows, without reading them: the page's
    lines that hold label chunks must be the layout's rows one for one, with as many labels each, and
    every label chunk about as wide as its label. True when they fit (the chunks' text is then the
    label), False when anything differs (the labels are then read)."""
    if not layout.rows:
        return False
    found = [
        (band, [seg for seg in row if seg.kind == "label"])
        for band, row in zip(plan.bands, plan.segs, strict=True)
    ]
    found = [(band, segs) for band, segs in found if segs]
    if len(found) != len(layout.rows):
        return False
    for (band, segs), labels in zip(found, layout.rows, strict=True):
        if len(segs) != len(labels):
            return False
        for seg, label in zip(segs, labels, strict=True):
            want = _label_width(label)
            if abs((seg.x1 - seg.x0) / band.height - want) > ROW_FIT_TOLERANCE * want + 0.45:
                return False
    for (_band, segs), labels in zip(found, layout.rows, strict=True):
        for seg, label in zip(segs, labels, strict=True):
            seg.text = f"{label}："
    return True


ROW_FIT_TOLERANCE = (
    0.15  # relative (+ 0.45 text heights) difference allowed between a label chunk's width and its label's
)


def read_fields(images: list[Image.Image]) -> list[dict | None]:
    """Per prepared image ``{"text", "confidence"}`` read field by field, or None where the layout was
    not recognised from the labels (the caller reads that page whole)."""
    plans = [_PagePlan(img, segment(np.asarray(img.convert("L")))) for img in images]
    # pass 1: line openings (title, CCB side headers, footer) and, kept aside, the label chunks
    openings: list[tuple[str, Image.Image, object]] = []
    labels: dict[int, list[tuple[str, Image.Image, object]]] = {}
    for k, plan in enumerate(plans):
        for b, band in enumerate(plan.bands):
            row: list[_Seg] = []
            prev_colon = False
            for chunk in band.chunks:
                h = band.height
                span = LABEL_SPAN * h
                if chunk.colon and not prev_colon:  # a label never follows a label directly
                    x0 = max(chunk.x0, chunk.x1 - span)
                    seg = _Seg(chunk.x0, chunk.x1, "label", truncated=x0 > chunk.x0)
                    crop = _crop(plan.img, x0, band.y0, chunk.x1, band.y1)
                    labels.setdefault(k, []).append(("label", crop, (k, b, len(row))))
                elif chunk.may_label and not prev_colon:
                    if chunk.x1 - chunk.x0 < 0.3 * h:  # a rule's remnant, a speck
                        prev_colon = False
                        continue
                    x1 = min(chunk.x1, chunk.x0 + OPENING_SPAN * h)
                    seg = _Seg(chunk.x0, chunk.x1, "raw", truncated=x1 < chunk.x1)
                    openings.append(
                        ("label", _crop(plan.img, chunk.x0, band.y0, x1, band.y1), (k, b, len(row)))
                    )
                else:
                    seg = _Seg(chunk.x0, chunk.x1, "value")
                row.append(seg)
                prev_colon = chunk.colon
            plan.segs.append(row)
    for (k, b, i), text, _confs in _run(openings):
        plans[k].segs[b][i].text = text
    # the layout from the title; its printed rows name the label chunks where they fit, the labels of the
    # other pages are read (and the layout detected again from labels and openings)
    unread: list[tuple[str, Image.Image, object]] = []
    for k, plan in enumerate(plans):
        head = "\n".join(" ".join(s.text for s in row if s.kind == "raw") for row in plan.segs)
        layout = X.detect_layout(head)
        if layout is not None and _fit_rows(plan, layout):
            plan.layout, plan.by_rows = layout, True
        else:
            unread.extend(labels.get(k, []))
    for (k, b, i), text, _confs in _run(unread):
        plans[k].segs[b][i].text = text
    for plan in plans:
        if not plan.by_rows:
            head = "\n".join(" ".join(s.text for s in row if s.kind != "value") for row in plan.segs)
            plan.layout = X.detect_layout(head)
    _reread_labels(plans)
    jobs = []
    for k, plan in enumerate(plans):
        if plan.layout is None:
            continue
        last_field: str | None = None
        for b, (band, row) in enumerate(zip(plan.bands, plan.segs, strict=True)):
            reader: str | None = None
            merged: list[_Seg] = []
            for seg in row:  # consecutive value chunks form one value region
                if seg.kind == "value" and merged and merged[-1].kind == "value":
                    merged[-1].x1 = seg.x1
                    continue
                merged.append(seg)
            side_pair = _side_pair(merged, plan.layout)
            for seg in merged:
                if seg.kind == "label":
                    seg.label = _label_of(seg.text, plan.layout) or side_pair
                    last_field = plan.layout.labels[seg.label] if seg.label else None
                    reader = plan.layout.reader(last_field) if seg.label else "text"
                elif seg.kind == "value":
                    seg.reader, seg.field = reader, last_field
                    reader = None
                    if seg.reader:
                        jobs.append(
                            (seg.reader, _crop(plan.img, seg.x0, band.y0, seg.x1, band.y1), (k, b, seg))
                        )
                elif seg.truncated and last_field in ("purpose", "summary"):
                    seg.reader = "text"  # a wrapped 用途/摘要 line (order numbers): read it whole
                    jobs.append(("text", _crop(plan.img, seg.x0, band.y0, seg.x1, band.y1), (k, b, seg)))
            plan.segs[b] = merged
    for (k, _b, seg), text, confs in _run(jobs):
        seg.text = text
        plans[k].confs.extend(confs)
    texts = [_compose(plan) if plan.layout else None for plan in plans]
    alts = _retry_words(plans, texts)
    out: list[dict | None] = []
    for plan, text, alt in zip(plans, texts, alts, strict=True):
        if text is None:
            out.append(None)
            continue
        conf = sum(plan.confs) / len(plan.confs) if plan.confs else 0.0
        out.append({"text": text, "confidence": conf, "alternatives": alt})
    return out


# the 大写 of a page whose figure and words disagree is read once more, by another reader: the
# parser accepts the figure when any reading of the words spells it (ocr.core.parse_text)
WORDS_RETRY = ("words", 1.5)  # reader, scale of the crop


def _retry_words(plans: list[_PagePlan], texts: list[str | None]) -> list[dict[str, list[str]]]:
    from .words import words_match

    alts: list[dict[str, list[str]]] = [{} for _ in plans]
    jobs: list[tuple[str, Image.Image, object]] = []
    for k, (plan, text) in enumerate(zip(plans, texts, strict=True)):
        if text is None or plan.layout is None:
            continue
        raw = X.extract_fields(text, plan.layout)
        fig = X.parse_amount(raw.get("amount"))
        if fig is None or (raw.get("amount_in_words") and words_match(raw["amount_in_words"], fig)):
            continue
        for b, row in enumerate(plan.segs):
            for seg in row:
                if seg.kind == "value" and seg.field == "amount_in_words":
                    band = plan.bands[b]
                    crop = _crop(plan.img, seg.x0, band.y0, seg.x1, band.y1)
                    reader, scale = WORDS_RETRY
                    if scale != 1.0:
                        size = (round(crop.width * scale), round(crop.height * scale))
                        crop = crop.resize(size, Image.Resampling.BICUBIC)
                    jobs.append((reader, crop, k))
    for k, text, _confs in _run(jobs):
        if text:
            alts[k].setdefault("amount_in_words", []).append(text)
    return alts


def _compose(plan: _PagePlan) -> str:
    """``label：value`` lines in page order (unmatched label chunks as read)."""
    lines = []
    for row in plan.segs:
        parts = []
        for seg in row:
            if seg.kind == "label":
                parts.append(f"{seg.label}：" if seg.label else seg.text)
            else:
                parts.append(seg.text)
        line = " ".join(p for p in parts if p)
        if line:
            lines.append(line)
    return "\n".join(lines)
