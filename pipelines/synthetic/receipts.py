"""Synthetic Chinese bank e-receipts (电子回单) for the data generator.

Pure rendering module: it turns one receipt record into PNG / JPEG / PDF bytes that look like
the e-receipts of three banks (contract section 1.7):

* ICBC 业务回单 -- two-column key:value grid with ruled lines;
* CCB 网上银行电子回执 -- payer and payee blocks side by side (sides may be swapped);
* CMB 入账回单 -- single column, ``CNY`` before the figure.

Every receipt carries a red round seal (电子回单专用章) that overlaps some text (never the
receipt number, the amounts, the serial or the 用途 line, so that OCR stays possible) and the
footer "回单编号相同表示同一笔业务，请勿重复记账".

Output is deterministic: the same ``(rec, fmt, seed)`` gives byte-identical bytes.  This
module deliberately imports nothing from ``ocr/`` or ``pipelines/sources/``: the generator and
the parsers must stay independent.
"""

from __future__ import annotations

import io
import math
import os
import random
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = ["BANKS", "FORMATS", "amount_in_words", "render_receipt", "render_many"]

BANKS = ("ICBC", "CCB", "CMB")
FORMATS = ("png", "jpg", "pdf_text", "pdf_scan")

# ---------------------------------------------------------------------------------------------
# Amount in words (大写)
# ---------------------------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿")
_MAX_AMOUNT = Decimal("999999999999.99")


def amount_in_words(amount: Decimal) -> str:
    """Chinese uppercase money words for ``amount`` (0.01 .. 999,999,999,999.99).

    ``Decimal('6040.00') -> '陆仟零肆拾元整'``, ``Decimal('12345.67') -> '壹万贰仟叁佰肆拾伍元陆角柒分'``,
    ``Decimal('100.05') -> '壹佰元零伍分'``.

    Conventions (where the banking rules allow either form, the shorter one is used):

    * a run of zeros inside the number is written once as 零 (``6040 -> 陆仟零肆拾``,
      ``1000010 -> 壹佰万零壹拾``, ``100001000 -> 壹亿零壹仟``);
    * zeros at the end of a 万/亿 group are not written (``101000 -> 壹拾万壹仟``);
    * a leading 拾 is written 壹拾 (``100000 -> 壹拾万元整``);
    * a zero 元 digit before a non-zero 角 is not written (``10.50 -> 壹拾元伍角``); a zero
      角 between 元 and a non-zero 分 is (``20001.01 -> 贰万零壹元零壹分``);
    * 整 only when there are neither 角 nor 分; no 元 when the integer part is 0
      (``0.05 -> 伍分``).

    Raises ``ValueError`` for amounts outside the range or with more than two decimals.
    """
    try:
        amt = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not amt.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    cents_dec = amt * 100
    if cents_dec != cents_dec.to_integral_value():
        raise ValueError(f"amount has more than two decimal places: {amount!r}")
    cents_total = int(cents_dec)
    if cents_total < 1 or amt > _MAX_AMOUNT:
        raise ValueError(f"amount out of range 0.01 .. 999999999999.99: {amount!r}")

    yuan, cents = divmod(cents_total, 100)
    jiao, fen = divmod(cents, 10)
    out: list[str] = []
    if yuan:
        digits = str(yuan)
        n = len(digits)
        pending_zero = False
        group_nonzero = False
        for i, ch in enumerate(digits):
            pos = n - 1 - i
            d = ord(ch) - 48
            if d == 0:
                if out:
                    pending_zero = True
            else:
                if pending_zero:
                    out.append("零")
                    pending_zero = False
                out.append(_DIGITS[d] + _SMALL_UNITS[pos % 4])
                group_nonzero = True
            if pos % 4 == 0:
                if group_nonzero:
                    out.append(_BIG_UNITS[pos // 4])
                    pending_zero = False  # trailing zeros of a group are not written
                group_nonzero = False
        out.append("元")
    if jiao == 0 and fen == 0:
        out.append("整")
    else:
        if jiao:
            out.append(_DIGITS[jiao] + "角")
        elif yuan:
            out.append("零")
        if fen:
            out.append(_DIGITS[fen] + "分")
    return "".join(out)


def _fmt_amount(amount: Decimal) -> str:
    return f"{amount:,.2f}"


# ---------------------------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------------------------

_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/opentype/noto-cjk",
)
_FONT_FILES = {
    ("sans", False): "NotoSansCJK-Regular.ttc",
    ("sans", True): "NotoSansCJK-Bold.ttc",
    ("serif", False): "NotoSerifCJK-Regular.ttc",
    ("serif", True): "NotoSerifCJK-Bold.ttc",
}


@cache
def _font_file(family: str, bold: bool) -> tuple[str, int]:
    """Path and face index of the Simplified Chinese face of a Noto CJK collection."""
    candidates = [_FONT_FILES[(family, bold)], _FONT_FILES[(family, False)], _FONT_FILES[("sans", False)]]
    for name in candidates:
        for d in _FONT_DIRS:
            path = os.path.join(d, name)
            if not os.path.exists(path):
                continue
            for index in range(10):
                try:
                    face = ImageFont.truetype(path, 12, index=index)
                except OSError:
                    break
                fam = face.getname()[0] or ""
                if fam.endswith("CJK SC") and "Mono" not in fam:
                    return path, index
            return path, 2  # Noto CJK collections: index 2 is SC
    raise FileNotFoundError("Noto CJK fonts not found (install fonts-noto-cjk)")


@lru_cache(maxsize=24)  # ~2.5 MB per Noto CJK face
def _font(family: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path, index = _font_file(family, bold)
    return ImageFont.truetype(path, size, index=index)


_LATIN_FILES = {
    ("serif", False): ("DejaVuSerif.ttf", "LiberationSerif-Regular.ttf"),
    ("serif", True): ("DejaVuSerif-Bold.ttf", "LiberationSerif-Bold.ttf"),
    ("sans", False): ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
    ("sans", True): ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
}
_LATIN_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/liberation2",
)


@cache
def _latin_font_file(family: str, bold: bool) -> str | None:
    """A Latin face for ASCII runs; None: use the CJK face.

    Bank receipts print digits and Latin letters in a Western face, and it matters for OCR:
    with Noto CJK's own Latin glyphs tesseract (chi_sim+eng) often reads ``SO2026...`` as
    ``$02026...`` at the start of a line; with DejaVu Serif it does not.  DejaVu ships with
    nearly every Linux; without it the CJK face is used (output then differs between machines).
    """
    for name in _LATIN_FILES[(family, bold)]:
        for d in _LATIN_DIRS:
            path = os.path.join(d, name)
            if os.path.exists(path):
                return path
    return None


@lru_cache(maxsize=24)
def _latin_font(family: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = _latin_font_file(family, bold)
    if path is None:
        return _font(family, size, bold)
    return ImageFont.truetype(path, size)


def _runs(text: str, family: str, size: int, bold: bool) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    """Split ``text`` into runs of ASCII (Latin face) and other characters (CJK face)."""
    out: list[tuple[str, ImageFont.FreeTypeFont]] = []
    cur = ""
    cur_latin = None
    for ch in text:
        latin = ord(ch) < 0x250
        if cur and latin != cur_latin:
            out.append((cur, _latin_font(family, size, bold) if cur_latin else _font(family, size, bold)))
            cur = ""
        cur += ch
        cur_latin = latin
    if cur:
        out.append((cur, _latin_font(family, size, bold) if cur_latin else _font(family, size, bold)))
    return out


@lru_cache(maxsize=4096)
def _measure(
    text: str, family: str, size: int, bold: bool
) -> tuple[float, tuple[float, float, float, float]]:
    """Advance width and ink box (relative to the left end of the baseline) of mixed-script text."""
    x = 0.0
    box = [math.inf, math.inf, -math.inf, -math.inf]
    for seg, font in _runs(text, family, size, bold):
        bx0, by0, bx1, by1 = font.getbbox(seg, anchor="ls")
        box = [min(box[0], x + bx0), min(box[1], by0), max(box[2], x + bx1), max(box[3], by1)]
        x += font.getlength(seg)
    if box[0] == math.inf:
        box = [0.0, 0.0, 0.0, 0.0]
    return x, (box[0], box[1], box[2], box[3])


def _draw_text(
    draw: ImageDraw.ImageDraw, x: float, baseline: float, text: str, family: str, size: int, bold: bool, fill
) -> None:
    for seg, font in _runs(text, family, size, bold):
        draw.text((x, baseline), seg, font=font, fill=fill, anchor="ls")
        x += font.getlength(seg)


# ---------------------------------------------------------------------------------------------
# Page model: a list of drawing operations in pixel coordinates, shared by the raster and the
# PDF back ends.
# ---------------------------------------------------------------------------------------------

_INK = (28, 28, 30)
_RULE = (188, 190, 198)
_SEAL_RED = (214, 36, 46)


@dataclass
class _Text:
    x: float
    baseline: float
    text: str
    size: int
    family: str
    color: tuple[int, int, int] = _INK
    bold: bool = False


@dataclass
class _Line:
    x0: float
    y0: float
    x1: float
    y1: float
    width: int = 2
    color: tuple[int, int, int] = _RULE


@dataclass
class _Seal:
    cx: float
    cy: float
    diameter: int
    angle: float
    opacity: float
    name: str


@dataclass
class _Page:
    width: int
    family: str
    size: int
    height: int = 0
    texts: list[_Text] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    rects: list[tuple[float, float, float, float, int, tuple[int, int, int]]] = field(default_factory=list)
    boxes: list[tuple[float, float, float, float, bool]] = field(default_factory=list)  # ink boxes
    seal: _Seal | None = None
    paper: tuple[int, int, int] = (255, 255, 255)

    # -- primitives ---------------------------------------------------------------------------
    def width_of(self, text: str, size: int | None = None, family: str | None = None, bold: bool = False):
        return _measure(text, family or self.family, size or self.size, bold)[0]

    def text(self, x, baseline, text, size=None, *, protected=False, family=None, color=_INK, bold=False):
        if not text:
            return x
        size = size or self.size
        family = family or self.family
        self.texts.append(_Text(x, baseline, text, size, family, color, bold))
        width, (bx0, by0, bx1, by1) = _measure(text, family, size, bold)
        self.boxes.append((x + bx0, baseline + by0, x + bx1, baseline + by1, protected))
        return x + width

    def line(self, x0, y0, x1, y1, width=2, color=_RULE):
        self.lines.append(_Line(x0, y0, x1, y1, width, color))

    def rect(self, x0, y0, x1, y1, width=2, color=_RULE):
        self.rects.append((x0, y0, x1, y1, width, color))


def _wrap(page: _Page, text: str, max_w: float, size: int) -> list[str]:
    """Greedy wrap; on spaces when the text has any (order numbers are never split), else by char."""
    if page.width_of(text, size) <= max_w:
        return [text]
    lines: list[str] = []
    if " " in text.strip():
        cur = ""
        for tok in text.split():
            cand = f"{cur} {tok}" if cur else tok
            if page.width_of(cand, size) <= max_w:
                cur = cand
                continue
            if cur:
                lines.append(cur)
            if page.width_of(tok, size) <= max_w:
                cur = tok
            else:  # a token wider than the cell: cut it by characters
                parts = _wrap(page, tok.replace(" ", ""), max_w, size)
                lines.extend(parts[:-1])
                cur = parts[-1]
        if cur:
            lines.append(cur)
        return lines
    cur = ""
    for ch in text:
        if cur and page.width_of(cur + ch, size) > max_w:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def _fit(page: _Page, text: str, max_w: float, size: int, min_size: int) -> tuple[list[str], int]:
    """Shrink ``text`` down to ``min_size`` to fit one line, else wrap it at ``min_size``."""
    s = size
    while s > min_size and page.width_of(text, s) > max_w:
        s = max(min_size, s - 2)  # even steps: fewer font sizes, fewer FreeType faces in memory
    return _wrap(page, text, max_w, s), s


# A table cell: ("kv", label, value, protected) | ("head", text) ; a row: list of 1 or 2 cells.
def _table(page: _Page, x0: float, x1: float, y: float, rows: list[list[tuple]], pad: int = 16) -> float:
    size = page.size
    line_h = int(size * 1.45)
    vpad = int(size * 0.3)
    sep = "："
    page.line(x0, y, x1, y)
    for row in rows:
        n = len(row)
        cw = (x1 - x0) / n
        layouts = []
        for i, cell in enumerate(row):
            cx0 = x0 + i * cw
            if cell[0] == "head":
                layouts.append(("head", cx0, cell[1], [cell[1]], size))
                continue
            _, label, value, protected = cell
            lw = page.width_of(label + sep)
            avail = cw - 2 * pad - lw
            min_size = max(22, size - (2 if protected else 8))
            lines, vsize = _fit(page, str(value), avail, size, min_size)
            layouts.append(("kv", cx0, label, lines, vsize, lw, protected))
        n_lines = max(len(lay[3]) for lay in layouts)
        row_h = n_lines * line_h + 2 * vpad
        for lay in layouts:
            cx0 = lay[1]
            first_base = y + vpad + int(line_h * 0.5 + size * 0.36)
            if lay[0] == "head":
                tw = page.width_of(lay[2])
                page.text(cx0 + (cw - tw) / 2, first_base + (n_lines - 1) * line_h / 2, lay[2])
                continue
            _, _, label, lines, vsize, lw, protected = lay
            page.text(cx0 + pad, first_base, label + sep)
            for k, ln in enumerate(lines):
                page.text(cx0 + pad + lw, first_base + k * line_h, ln, vsize, protected=protected)
        for i in range(1, n):
            page.line(x0 + i * cw, y, x0 + i * cw, y + row_h)
        page.line(x0, y, x0, y + row_h)
        page.line(x1, y, x1, y + row_h)
        y += row_h
        page.line(x0, y, x1, y)
    return y


# ---------------------------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------------------------

_FOOTER = "回单编号相同表示同一笔业务，请勿重复记账"
_SEAL_NAMES = {
    "ICBC": "中国工商银行股份有限公司",
    "CCB": "中国建设银行股份有限公司",
    "CMB": "招商银行股份有限公司",
}


def _words(rec: dict) -> str:
    override = rec.get("words_override")
    if override is not None:
        return str(override)
    return amount_in_words(rec["amount"])


def _s(rec: dict, key: str) -> str:
    v = rec.get(key)
    return "" if v is None else str(v)


def _print_marks(page: _Page, rec: dict, rng: random.Random, y: float, x0: float, show_count: bool) -> float:
    count = int(rec.get("print_count") or 1)
    small = page.size - 4
    if show_count:
        page.text(x0, y + small, f"打印次数：{count}", small)
    reprint_mark = count >= 2 and (not show_count or rng.random() < 0.5)
    if reprint_mark:  # boxed 补打 mark near the top right corner
        bs = page.size + 6
        bx1 = page.width - 40
        bx0 = bx1 - page.width_of("补打", bs) - 28
        page.rect(bx0, 22, bx1, 22 + bs + 22, 3, _SEAL_RED)
        page.text(bx0 + 14, 22 + 11 + bs * 0.88, "补打", bs, color=_SEAL_RED, bold=True)
    return y + small + 16


def _layout_icbc(rec: dict, rng: random.Random) -> _Page:
    page = _Page(width=1560, family="serif", size=30)
    m = 50
    title = "中国工商银行 业务回单" if rng.random() < 0.5 else "中国工商银行业务回单（付款）"
    ts = 44
    page.text((page.width - page.width_of(title, ts)) / 2, 100, title, ts, bold=True)
    y = 170
    page.text(m + 4, y, f"日期：{_s(rec, 'txn_date')}")
    right = f"回单编号：{_s(rec, 'receipt_no')}"
    page.text(page.width - m - 4 - page.width_of(right), y, right, protected=True)
    amount = rec["amount"]
    rows = [
        [
            ("kv", "付款人户名", _s(rec, "payer_name"), False),
            ("kv", "收款人户名", _s(rec, "payee_name"), False),
        ],
        [
            ("kv", "付款人账号", _s(rec, "payer_account"), True),
            ("kv", "收款人账号", _s(rec, "payee_account"), True),
        ],
        [
            ("kv", "付款人开户行", _s(rec, "payer_bank"), False),
            ("kv", "收款人开户行", _s(rec, "payee_bank"), False),
        ],
        [("kv", "币种", "人民币", False), ("kv", "小写", f"¥{_fmt_amount(amount)}", True)],
        [("kv", "金额(大写)", _words(rec), True)],
        [("kv", "用途", _s(rec, "purpose"), True)],
        [("kv", "流水号", _s(rec, "txn_serial"), True), ("kv", "摘要", _s(rec, "summary"), False)],
    ]
    y = _table(page, m, page.width - m, y + 24, rows)
    y = _print_marks(page, rec, rng, y + 14, m + 4, show_count=True)
    page.text(m + 4, y + 30, _FOOTER, page.size - 4)
    page.height = int(y + 30 + 70)
    return page


def _layout_ccb(rec: dict, rng: random.Random) -> _Page:
    page = _Page(width=1500, family="serif", size=30)
    m = 50
    title = "中国建设银行 网上银行电子回执"
    ts = 42
    page.text(
        (page.width - page.width_of(title, ts, "sans", True)) / 2, 96, title, ts, family="sans", bold=True
    )
    y = 166
    page.text(m + 4, y, f"日期：{_s(rec, 'txn_date')}")
    right = f"凭证号：{_s(rec, 'receipt_no')}"
    page.text(page.width - m - 4 - page.width_of(right), y, right, protected=True)
    y += 50
    page.text(m + 4, y, f"账户明细编号-交易流水号：{_s(rec, 'txn_serial')}", protected=True)
    payer = ("付款人", _s(rec, "payer_name"), _s(rec, "payer_account"), _s(rec, "payer_bank"))
    payee = ("收款人", _s(rec, "payee_name"), _s(rec, "payee_account"), _s(rec, "payee_bank"))
    left, right_blk = (payee, payer) if rec.get("swap_sides") else (payer, payee)
    rows = [
        [("head", left[0]), ("head", right_blk[0])],
        [("kv", "全称", left[1], False), ("kv", "全称", right_blk[1], False)],
        [("kv", "账号", left[2], True), ("kv", "账号", right_blk[2], True)],
        [("kv", "开户行", left[3], False), ("kv", "开户行", right_blk[3], False)],
        [("kv", "大写金额", _words(rec), True)],
        [("kv", "小写金额", f"¥{_fmt_amount(rec['amount'])}", True)],
        [("kv", "用途", _s(rec, "purpose"), True)],
        [("kv", "摘要", _s(rec, "summary"), False)],
    ]
    y = _table(page, m, page.width - m, y + 26, rows)
    y = _print_marks(page, rec, rng, y + 14, m + 4, show_count=True)
    page.text(m + 4, y + 30, _FOOTER, page.size - 4)
    page.height = int(y + 30 + 70)
    return page


def _layout_cmb(rec: dict, rng: random.Random) -> _Page:
    page = _Page(width=1240, family="serif", size=30)
    m = 56
    title = "招商银行 入账回单"
    ts = 46
    page.text(
        (page.width - page.width_of(title, ts, "sans", True)) / 2, 100, title, ts, family="sans", bold=True
    )
    date = _s(rec, "txn_date")
    if rec.get("txn_time"):
        date = f"{date} {rec['txn_time']}"
    payer_bank = _s(rec, "payer_bank")
    biz = "行内转账" if "招商" in payer_bank else rng.choice(("跨行汇入", "汇入汇款", "跨行转入"))
    words = _words(rec)
    if not words.startswith("人民币"):
        words = "人民币" + words
    fields = [
        ("交易日期", date, False),
        ("业务类型", biz, False),
        ("交易流水", _s(rec, "txn_serial"), True),
        ("收款账号", _s(rec, "payee_account"), True),
        ("收款人", _s(rec, "payee_name"), False),
        ("付款账号", _s(rec, "payer_account"), True),
        ("付款人", _s(rec, "payer_name"), False),
        ("付款开户行", payer_bank, False),
        ("交易金额(小写)", f"CNY {_fmt_amount(rec['amount'])}", True),
        ("交易金额(大写)", words, True),
        ("交易摘要", _s(rec, "summary"), False),
        ("用途", _s(rec, "purpose"), True),
        ("回单编号", _s(rec, "receipt_no"), True),
    ]
    x0, x1 = m, page.width - m
    label_w = page.width_of("交易金额(小写)：") + 8
    line_h = int(page.size * 1.5)
    y = 150
    page.line(x0, y, x1, y, 3)
    y += 10
    for label, value, protected in fields:
        lines, vsize = _fit(
            page, value, x1 - x0 - label_w - 24, page.size, max(22, page.size - (2 if protected else 8))
        )
        base = y + int(line_h * 0.5 + page.size * 0.36)
        page.text(x0 + 12, base, label + "：")
        for k, ln in enumerate(lines):
            page.text(x0 + 12 + label_w, base + k * line_h, ln, vsize, protected=protected)
        y += line_h * len(lines)
    y += 10
    page.line(x0, y, x1, y, 3)
    y = _print_marks(page, rec, rng, y + 14, m + 4, show_count=False)
    page.text(m + 4, y + 30, _FOOTER, page.size - 6)
    page.height = int(y + 30 + 70)
    return page


_LAYOUTS = {"ICBC": _layout_icbc, "CCB": _layout_ccb, "CMB": _layout_cmb}


def _circle_hits_box(cx, cy, r, box, margin) -> bool:
    x0, y0, x1, y1 = box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin
    nx = min(max(cx, x0), x1)
    ny = min(max(cy, y0), y1)
    return (nx - cx) ** 2 + (ny - cy) ** 2 <= r * r


def _place_seal(page: _Page, rng: random.Random, bank: str) -> None:
    """Put the seal in the lower right part of the page, over some text but clear of protected text."""
    d = rng.randint(230, 260)
    r = d / 2
    protected = [b for b in page.boxes if b[4]]
    free = [b for b in page.boxes if not b[4]]
    best: list[tuple[float, float]] = []
    fallback: list[tuple[float, float]] = []
    step = 12
    cy = page.height - r - 8
    while cy >= page.height * 0.35:
        cx = page.width - r - 30
        while cx >= page.width * 0.45:
            if not any(_circle_hits_box(cx, cy, r, b, 22) for b in protected):
                if any(_circle_hits_box(cx, cy, r * 0.8, b, 0) for b in free):
                    best.append((cx, cy))
                else:
                    fallback.append((cx, cy))
            cx -= step
        cy -= step
    pool = best or fallback
    if pool:
        cx, cy = pool[rng.randrange(len(pool))]
    else:  # no room: grow the page and stamp below the content
        cx = page.width - r - 60
        cy = page.height + r - 40
        page.height = int(cy + r + 20)
    page.seal = _Seal(cx, cy, d, rng.uniform(-25, 25), rng.uniform(0.62, 0.82), _SEAL_NAMES[bank])


def _layout(rec: dict, seed: int) -> _Page:
    bank = rec.get("bank")
    if bank not in _LAYOUTS:
        raise ValueError(f"unknown bank {bank!r}; expected one of {BANKS}")
    if not isinstance(rec.get("amount"), Decimal):
        raise ValueError("rec['amount'] must be a Decimal")
    rng = random.Random(seed)
    page = _LAYOUTS[bank](rec, rng)
    shade = rng.randint(246, 255)
    page.paper = (shade, shade, max(236, shade - rng.randint(0, 8)))
    _place_seal(page, rng, bank)
    return page


# ---------------------------------------------------------------------------------------------
# Seal image
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _seal_image(name: str, diameter: int) -> Image.Image:
    """RGBA image of a round red seal: ring, bank name along the upper arc, star, 电子回单专用章."""
    k = 2  # draw at 2x and downsample for smooth edges
    s = diameter * k
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    color = (*_SEAL_RED, 255)
    ring = max(4, int(s * 0.035))
    draw.ellipse((ring // 2, ring // 2, s - 1 - ring // 2, s - 1 - ring // 2), outline=color, width=ring)
    c = s / 2
    # star
    rs = s * 0.15
    pts = []
    for i in range(10):
        ang = math.radians(-90 + i * 36)
        rr = rs if i % 2 == 0 else rs * 0.382
        pts.append((c + rr * math.cos(ang), c - s * 0.02 + rr * math.sin(ang)))
    draw.polygon(pts, fill=color)
    # bank name along the arc
    fsize = int(s * 0.11)
    font = _font("serif", fsize, True)
    n = len(name)
    span = min(250.0, 21.0 * n)
    radius = c - ring - fsize * 0.72
    for i, ch in enumerate(name):
        theta = -90 - span / 2 + span * (i + 0.5) / n
        tile = Image.new("RGBA", (fsize * 2, fsize * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((fsize, fsize), ch, font=font, fill=color, anchor="mm")
        tile = tile.rotate(-(theta + 90), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(math.radians(theta))
        y = c + radius * math.sin(math.radians(theta))
        img.alpha_composite(tile, (int(round(x - fsize)), int(round(y - fsize))))
    # bottom line
    bsize = int(s * 0.085)
    bfont = _font("serif", bsize, True)
    draw.text((c, c + s * 0.24), "电子回单专用章", font=bfont, fill=color, anchor="mm")
    return img.resize((diameter, diameter), Image.Resampling.LANCZOS)


def _seal_rotated(seal: _Seal) -> Image.Image:
    img = _seal_image(seal.name, seal.diameter)
    return img.rotate(seal.angle, resample=Image.Resampling.BICUBIC)


# ---------------------------------------------------------------------------------------------
# Raster back end
# ---------------------------------------------------------------------------------------------


def _rasterize(page: _Page) -> Image.Image:
    img = Image.new("RGB", (page.width, page.height), page.paper)
    draw = ImageDraw.Draw(img)
    for ln in page.lines:
        draw.line((ln.x0, ln.y0, ln.x1, ln.y1), fill=ln.color, width=ln.width)
    for x0, y0, x1, y1, w, color in page.rects:
        draw.rectangle((x0, y0, x1, y1), outline=color, width=w)
    for t in page.texts:
        _draw_text(draw, t.x, t.baseline, t.text, t.family, t.size, t.bold, t.color)
    if page.seal is not None:
        _stamp(img, page.seal)
    return img


def _stamp(img: Image.Image, seal: _Seal) -> None:
    """Multiply-blend the seal onto the page (red ink over black text keeps the text dark)."""
    simg = _seal_rotated(seal)
    d = simg.width
    x0 = int(round(seal.cx - d / 2))
    y0 = int(round(seal.cy - d / 2))
    # clip to the page
    sx0, sy0 = max(0, -x0), max(0, -y0)
    sx1, sy1 = min(d, img.width - x0), min(d, img.height - y0)
    if sx1 <= sx0 or sy1 <= sy0:
        return
    box = (x0 + sx0, y0 + sy0, x0 + sx1, y0 + sy1)
    region = np.asarray(img.crop(box), dtype=np.float32)
    s = np.asarray(simg.crop((sx0, sy0, sx1, sy1)), dtype=np.float32)
    a = s[..., 3:4] / 255.0 * seal.opacity
    factor = 1.0 - a + a * (s[..., :3] / 255.0)
    out = np.clip(region * factor + 0.5, 0, 255).astype(np.uint8)
    img.paste(Image.fromarray(out, "RGB"), box[:2])


_PROFILES = {
    # rotation (deg), blur radius range, noise sigma range, jpeg quality range
    "png": (1.0, (0.0, 0.6), (0.0, 0.0), None),
    "jpg": (3.0, (0.0, 1.0), (2.0, 6.0), (60, 90)),
    "pdf_scan": (1.5, (0.0, 0.8), (0.0, 4.0), (75, 92)),
}


def _degrade(img: Image.Image, kind: str, seed: int) -> tuple[Image.Image, int | None]:
    max_rot, blur_rng, noise_rng, q_rng = _PROFILES[kind]
    rng = random.Random(seed * 7919 + len(kind))
    nrng = np.random.default_rng(seed % (1 << 64))
    # small angles are the common case; the full range stays possible
    angle = rng.triangular(-max_rot, max_rot, 0.0) if (kind != "png" or rng.random() < 0.6) else 0.0
    blur = rng.uniform(*blur_rng)
    sigma = rng.uniform(*noise_rng)
    quality = rng.randint(*q_rng) if q_rng else None
    bg = img.getpixel((2, 2))
    if kind == "jpg":  # photo: darker surround, uneven light
        g = rng.randint(150, 215)
        bg = (g, g, max(0, g - 6))
    if abs(angle) > 0.05:
        img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=bg)
    if blur > 0.05:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if kind == "jpg" or sigma > 0.05:
        arr = np.asarray(img, dtype=np.float32)
        h, w = arr.shape[:2]
        if kind == "jpg":
            lo = rng.uniform(0.86, 0.97)
            ramp = np.linspace(lo, 1.0, w if rng.random() < 0.5 else h, dtype=np.float32)
            if ramp.shape[0] == w:
                arr *= ramp[None, :, None]
            else:
                arr *= ramp[:, None, None]
        if sigma > 0.05:
            arr += (nrng.standard_normal((h, w), dtype=np.float32) * sigma)[..., None]
        img = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")
    return img, quality


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=6, dpi=(200, 200))
    return buf.getvalue()


def _jpeg_bytes(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=False, progressive=False, dpi=(200, 200))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# PDF back ends (reportlab, invariant output)
# ---------------------------------------------------------------------------------------------

_PDF_SCALE = 0.5  # points per pixel for pdf_text pages
_CID_FONT = "STSong-Light"


def _pdf_canvas(buf: io.BytesIO, w_pt: float, h_pt: float, title: str):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(buf, pagesize=(w_pt, h_pt), invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setCreator("orderlens synthetic receipts")
    return c


@lru_cache(maxsize=1)
def _register_cid_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(_CID_FONT))
    return _CID_FONT


def _pdf_text(page: _Page) -> bytes:
    from reportlab.lib.utils import ImageReader

    font = _register_cid_font()
    s = _PDF_SCALE
    h = page.height
    buf = io.BytesIO()
    c = _pdf_canvas(buf, page.width * s, page.height * s, "电子回单")
    c.setFillColorRGB(*(v / 255 for v in page.paper))
    c.rect(0, 0, page.width * s, page.height * s, stroke=0, fill=1)
    for ln in page.lines:
        c.setStrokeColorRGB(*(v / 255 for v in ln.color))
        c.setLineWidth(ln.width * s)
        c.line(ln.x0 * s, (h - ln.y0) * s, ln.x1 * s, (h - ln.y1) * s)
    for x0, y0, x1, y1, w, color in page.rects:
        c.setStrokeColorRGB(*(v / 255 for v in color))
        c.setLineWidth(w * s)
        c.rect(x0 * s, (h - y1) * s, (x1 - x0) * s, (y1 - y0) * s, stroke=1, fill=0)
    for t in page.texts:
        c.setFillColorRGB(*(v / 255 for v in t.color))
        c.setFont(font, t.size * s)
        c.drawString(t.x * s, (h - t.baseline) * s, t.text)
    if page.seal is not None:
        seal = page.seal
        simg = _seal_rotated(seal)
        alpha = simg.getchannel("A").point(lambda v, o=seal.opacity: int(v * o + 0.5))
        simg.putalpha(alpha)
        d = simg.width
        c.drawImage(
            ImageReader(simg),
            (seal.cx - d / 2) * s,
            (h - seal.cy - d / 2) * s,
            width=d * s,
            height=d * s,
            mask="auto",
        )
    c.showPage()
    c.save()
    return buf.getvalue()


def _pdf_scan(img: Image.Image, quality: int) -> bytes:
    """A PDF whose only content is a JPEG scan of the receipt (no text layer)."""
    from reportlab.lib.utils import ImageReader

    dpi = 200
    w_pt, h_pt = img.width * 72 / dpi, img.height * 72 / dpi
    jpeg = _jpeg_bytes(img, quality)
    buf = io.BytesIO()
    c = _pdf_canvas(buf, w_pt, h_pt, "scan")
    c.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, width=w_pt, height=h_pt)
    c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def render_receipt(rec: dict, fmt: str, seed: int) -> bytes:
    """Render one receipt; deterministic: same rec, fmt, seed -> byte-identical bytes.

    ``fmt``: ``png`` (clean-ish scan), ``jpg`` (photo: skew up to 3°, blur, noise, JPEG 60-90),
    ``pdf_text`` (PDF with a real text layer), ``pdf_scan`` (PDF holding only a scanned image).
    The layout choices (title variant, seal position, ...) depend on ``seed`` only, so one
    receipt rendered in several formats with the same seed shows the same page.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    seed = int(seed)
    page = _layout(rec, seed)
    if fmt == "pdf_text":
        return _pdf_text(page)
    img, quality = _degrade(_rasterize(page), fmt, seed)
    if fmt == "png":
        return _png_bytes(img)
    if fmt == "jpg":
        return _jpeg_bytes(img, quality)
    return _pdf_scan(img, quality)


def _write_atomic(path: str, data: bytes) -> None:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _render_to_file(item: tuple[dict, str, int, str]) -> str:
    rec, fmt, seed, out_path = item
    try:
        _write_atomic(out_path, render_receipt(rec, fmt, seed))
    except Exception as exc:
        raise RuntimeError(f"rendering {out_path} failed: {exc!r}") from exc
    return out_path


def render_many(items: list[tuple[dict, str, int, str]], processes: int = 2, progress: bool = False) -> None:
    """Render ``(rec, fmt, seed, out_path)`` items, each file written atomically.

    ``processes > 1`` uses a worker pool started with 'forkserver' (POSIX) or 'spawn', which is
    safe in threaded parents; workers write the files themselves so only paths travel back.
    ``processes <= 1`` renders in this process.  ``progress=True`` shows a tqdm bar.
    """
    items = list(items)
    if not items:
        return
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items), unit="receipt", desc="receipts")
    try:
        if processes <= 1 or len(items) == 1:
            for it in items:
                _render_to_file(it)
                if bar is not None:
                    bar.update(1)
            return
        import multiprocessing as mp

        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        n = min(processes, len(items))
        chunk = max(1, min(8, len(items) // (n * 8)))
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        done: set[int] = set()
        try:
            # raises when a worker dies (multiprocessing.Pool would replace it and wait forever)
            with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
                for i, _ in enumerate(pool.map(_render_to_file, items, chunksize=chunk)):
                    done.add(i)
                    if bar is not None:
                        bar.update(1)
        except BrokenProcessPool:
            for i, it in enumerate(items):  # render what is left here; same bytes either way
                if i not in done:
                    _render_to_file(it)
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
