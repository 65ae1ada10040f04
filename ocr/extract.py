"""Text of a receipt -> bank layout -> raw field values -> cleaned values.

Pure functions on text: the same code reads tesseract output and PDF text layers, so it can be
tested on text fixtures without any image.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .layouts import LABEL_CONFUSIONS, LAYOUTS, Layout

__all__ = [
    "detect_layout",
    "extract_fields",
    "parse_amount",
    "parse_date",
    "parse_time",
    "clean_id",
    "fit_id",
    "clean_account",
    "clean_name",
    "find_order_nos",
    "find_so_numbers",
    "locate_values",
    "snap_name",
    "strip_spaces",
    "parse_count",
    "split_line",
]

_COLON = re.compile(r"[:：;；]")
_SKIP_LINE = ("相同表示", "请勿重复", "重复记账", "补打")


def _lev(a: str, b: str) -> int:
    if a == b:
        return 0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _norm_label(s: str) -> str:
    s = re.sub(r"\s+", "", s)
    return "".join(LABEL_CONFUSIONS.get(ch, ch) for ch in s)


def _allowed(label: str) -> int:
    n = len(label)
    return 0 if n <= 2 else 1 if n <= 5 else 2


def _match_label(before: str, labels: list[str]) -> tuple[str, int] | None:
    """Known label that ``before`` ends with (fuzzy) and the length of the matched suffix."""
    norm = _norm_label(before)
    best = None
    best_key = None
    for label in labels:
        tgt = _norm_label(label)
        for k in (len(tgt), len(tgt) - 1, len(tgt) + 1):
            if k <= 0 or k > len(norm):
                continue
            cand = norm[-k:]
            d = _lev(cand, tgt)
            # a 2-character label may carry one stray glyph inside (用和途 = 用途), never a changed one
            inserted = len(tgt) == 2 and k == 3 and d == 1 and cand[0] == tgt[0] and cand[-1] == tgt[-1]
            if d > 1 and len(tgt) >= 4 and k == len(tgt) and sorted(cand) == sorted(tgt):
                d = 1  # the same characters out of order (小金额写 = 小写金额): one edit, not two
            if (d > _allowed(tgt) and not inserted) or (k != len(tgt) and d == 0):
                continue
            key = (len(tgt) - d, -d, k == len(tgt))
            if best_key is None or key > best_key:
                best_key, best = key, (label, k)
    if best is None:
        return None
    label, k = best
    # map the suffix length in the compact text back to the text with spaces
    n_chars = 0
    i = len(before)
    while i > 0 and n_chars < k:
        i -= 1
        if before[i] != " ":
            n_chars += 1
    return label, len(before) - i


def split_spans(line: str, labels: list[str]) -> list[tuple[str, int, int, int]]:
    """[(label, label start, value start, value end), ...] for one text line."""
    pairs: list[tuple[str, int, int]] = []  # label, label start, value start
    for m in _COLON.finditer(line):
        start = pairs[-1][2] if pairs else 0
        before = line[start : m.start()].rstrip()
        hit = _match_label(before, labels)
        if hit is None:
            continue
        label, length = hit
        pairs.append((label, start + len(before) - length, m.end()))
    out = []
    for i, (label, ls, vs) in enumerate(pairs):
        end = pairs[i + 1][1] if i + 1 < len(pairs) else len(line)
        out.append((label, ls, vs, end))
    return out


def split_line(line: str, labels: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """(text before the first label, [(label, value), ...]) for one text line."""
    spans = split_spans(line, labels)
    if not spans:
        return line, []
    return line[: spans[0][1]], [(label, line[vs:ve].strip()) for label, _ls, vs, ve in spans]


def locate_values(lines, layout: Layout, fields: tuple[str, ...]) -> dict[str, tuple[int, int, int, int]]:
    """Pixel boxes of the values of ``fields`` from tesseract words ``[(text, conf, box), ...]`` per line."""
    labels = list(layout.labels)
    out: dict[str, tuple[int, int, int, int]] = {}
    for words in lines:
        spans_w = []
        pos = 0
        for w in words:
            spans_w.append((pos, pos + len(w[0])))
            pos += len(w[0]) + 1
        raw = " ".join(w[0] for w in words)
        for label, _ls, vs, ve in split_spans(raw, labels):
            fld = layout.labels[label]
            if fld not in fields or fld in out:
                continue
            boxes = [
                w[2]
                for w, (a, b) in zip(words, spans_w, strict=True)
                if b > vs and a < ve and w[0].strip(":：;； ")
            ]
            if boxes:
                out[fld] = (
                    min(b[0] for b in boxes),
                    min(b[1] for b in boxes),
                    max(b[2] for b in boxes),
                    max(b[3] for b in boxes),
                )
    return out


def _merge_label_lines(lines: list[str]) -> list[str]:
    """PDF text layers print a label and its value as two lines: join a label-only line with the next."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i].strip()
        if ln and _COLON.search(ln[-1:]) and i + 1 < len(lines) and not _COLON.search(lines[i + 1][-1:]):
            out.append(ln + lines[i + 1].strip())
            i += 2
            continue
        out.append(ln)
        i += 1
    return out


def _merge_side_headers(lines: list[str], layout: Layout) -> list[str]:
    """PDF text layers print the side headers (收款人 / 付款人) as separate lines: join them."""
    if not layout.side_headers:
        return lines
    heads = {_norm_label(h) for h in layout.side_headers}
    out: list[str] = []
    for ln in lines:
        if out and _norm_label(ln) in heads and _norm_label(out[-1]) in heads:
            out[-1] = out[-1] + " " + ln
        else:
            out.append(ln)
    return out


def detect_layout(text: str) -> Layout | None:
    """Layout by title keywords (first lines), else by its signature labels."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    head = _norm_label("".join(lines[:3]))
    scores = []
    for lay in LAYOUTS:
        s = 0
        for kw in lay.title_keywords:
            if kw in head:
                s += 3
        norm_all = _norm_label(text)
        for sig in lay.signature:
            if _norm_label(sig) in norm_all:
                s += 1
        scores.append((s, lay))
    scores.sort(key=lambda t: -t[0])
    if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[0][0] == scores[1][0]):
        return None
    return scores[0][1]


def _side_order(line: str, layout: Layout) -> list[str] | None:
    """Sides named by a block-header line (no colon), left to right, e.g. ["payee", "payer"]."""
    if not layout.side_headers or _COLON.search(line):
        return None
    norm = _norm_label(line)
    found = []
    for header, side in layout.side_headers.items():
        i = norm.find(_norm_label(header))
        if i < 0:
            i = norm.find(_norm_label(header)[:2])  # 付款 / 收款
        if i >= 0:
            found.append((i, side))
    tokens = [_norm_label(t) for t in line.split()]
    if len(found) == 1 and len(layout.side_headers) == 2 and len(tokens) == 2:
        # one header misread by one character (收藏人 付款人): the other word is the other side's header
        i, side = found[0]
        header, other = next((h, s) for h, s in layout.side_headers.items() if s != side)
        j = 0 if i < len(tokens[0]) else 1  # the word the header was found in
        if _lev(tokens[1 - j], _norm_label(header)) <= 1:
            return [side, other] if j == 0 else [other, side]
    if len(found) < 2:
        return None
    return [side for _, side in sorted(found)]


def extract_fields(text: str, layout: Layout) -> dict[str, str]:
    """Raw field values (first occurrence wins; 用途/摘要 continuation lines appended)."""
    labels = list(layout.labels)
    raw_lines = [ln for ln in text.splitlines() if ln.strip()]
    lines = _merge_side_headers(_merge_label_lines(raw_lines), layout)
    values: dict[str, str] = {}
    sides = ["payer", "payee"]
    side_count: dict[str, int] = {}
    last_field: str | None = None
    for line in lines:
        if any(k in line for k in _SKIP_LINE):
            last_field = None
            continue
        order = _side_order(line, layout)
        if order:
            sides = order
            side_count = {}
            continue
        _pre, pairs = split_line(line, labels)
        if not pairs:
            if last_field in ("purpose", "summary") and values.get(last_field) is not None:
                values[last_field] = (values[last_field] + " " + line.strip()).strip()
            continue
        for label, value in pairs:
            fld = layout.labels[label]
            if fld is not None and "{side}" in fld:
                k = side_count.get(label, 0)
                side_count[label] = k + 1
                fld = fld.format(side=sides[k % 2])
            last_field = fld
            if fld is None:
                continue
            if fld in ("purpose", "summary") and fld in values:
                values[fld] = (values[fld] + " " + value).strip()
            else:
                values.setdefault(fld, value)
    return values


# ---------------------------------------------------------------------------------------------
# value clean-up
# ---------------------------------------------------------------------------------------------

_DIGIT_LIKE = {"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "!": "1", "B": "8"}


def _repair_digits(s: str) -> str:
    """O->0, l->1 ... inside digit runs (a letter between or right after digits)."""
    chars = list(s)
    for i, ch in enumerate(chars):
        if ch in _DIGIT_LIKE:
            left = i > 0 and chars[i - 1].isdigit()
            right = i + 1 < len(chars) and (chars[i + 1].isdigit() or chars[i + 1] in _DIGIT_LIKE)
            if (
                left
                or (right and i > 0 and chars[i - 1] in "-")
                or left is False
                and right
                and i > 0
                and chars[i - 1].isdigit()
            ):
                chars[i] = _DIGIT_LIKE[ch]
    return "".join(chars)


def clean_id(value: str | None) -> str | None:
    """Receipt number / serial: the longest id-looking token, digit confusions repaired."""
    if not value:
        return None
    tokens = re.findall(r"[A-Za-z0-9|\-]+", value.replace(" ", ""))
    tokens = [t.strip("-|") for t in tokens if sum(c.isdigit() for c in t) >= 4]
    if not tokens:
        return None
    tok = max(tokens, key=len)
    m = re.match(r"^([A-Z]{0,4})(.*)$", tok)
    prefix, rest = (m.group(1), m.group(2)) if m else ("", tok)
    rest = "".join(_DIGIT_LIKE.get(c, c) for c in rest)
    return prefix + rest


_LETTER_LIKE = {"2": "Z", "5": "S", "8": "B", "0": "O", "1": "I", "6": "G"}


def fit_id(value: str | None, pattern: str) -> str | None:
    """``value`` made to fit the bank's id ``pattern`` (full match) by the unambiguous repairs of the
    field reader's misreads: one stray character before a letter prefix (``2ZX2026…`` for
    ``ZX2026…``) or a letter of the prefix read as its look-alike digit (``2X2026…``). ``value``
    unchanged when it fits already or no single repair makes it fit."""
    if not value or re.fullmatch(pattern, value):
        return value
    m = re.match(r"\[A-Z\]\{(\d+)\}", pattern)
    if not m:
        return value
    n = int(m.group(1))
    cands = [value[1:]]
    head = "".join(_LETTER_LIKE.get(c, c) for c in value[:n])
    cands.append(head + value[n:])
    fits = [c for c in cands if re.fullmatch(pattern, c)]
    return fits[0] if len(set(fits)) == 1 else value


def clean_account(value: str | None) -> str | None:
    if not value:
        return None
    s = "".join(_DIGIT_LIKE.get(c, c) for c in value.replace(" ", ""))
    runs = re.findall(r"\d[\d\-]*\d", s)
    if not runs:
        return None
    return max(runs, key=len).replace("-", "")


_NAME_KEEP = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9()（）·]")


def clean_name(value: str | None, company: bool = True) -> str | None:
    """Party (or, with ``company=False``, bank branch) name without stray marks; a company name
    ends at its last 公司."""
    if not value:
        return None
    s = _NAME_KEEP.sub("", value)
    i = s.rfind("公司") if company else -1
    if i >= 0:
        s = s[: i + 2]
    s = s.replace("（", "(").replace("）", ")")
    return s or None


def strip_spaces(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def parse_count(value: str | None) -> int | None:
    """打印次数 value -> int (digit confusions repaired); None when unreadable."""
    if not value:
        return None
    m = re.search(r"\d+", _repair_digits(strip_spaces(value)))
    return int(m.group(0)) if m and int(m.group(0)) < 100 else None


def snap_name(name: str | None, known: tuple[str, ...] | list[str]) -> str | None:
    """The one known name within edit distance max(1, len/5) of ``name``; else ``name`` unchanged."""
    if not name or not known:
        return name
    if name in known:
        return name
    hits = []
    for k in known:
        if abs(len(k) - len(name)) > 1:
            continue
        d = _lev(name, k)
        if d <= max(1, len(k) // 5):
            hits.append((d, k))
    hits.sort()
    if len(hits) == 1 or (len(hits) > 1 and hits[0][0] < hits[1][0]):
        return hits[0][1]
    return name


_AMOUNT = re.compile(r"(\d[\d,，.\s]*\d)")


def parse_amount(value: str | None) -> Decimal | None:
    """Figure like ``¥101,680.32`` / ``CNY 101,680.32`` / ``#1,680.32`` -> Decimal; None if unsure."""
    if not value:
        return None
    s = value.replace("O", "0").replace("o", "0")
    s = re.sub(r"(?<=\d)['`‘’](?=\d)", "", s)  # a speck read as an apostrophe inside the digits
    s = re.sub(r"(?<=\d)\s+(?=[\d,.])|(?<=[,.])\s+(?=\d)", "", s)
    runs = _AMOUNT.findall(s)
    if not runs:
        return None
    run = max(runs, key=len).replace("，", ",").replace(" ", "")
    m = re.fullmatch(r"([\d,.]*?)[.,](\d{2})", run)
    if not m:
        return None
    ipart = m.group(1)
    groups = re.split(r"[,.]", ipart)
    if len(groups) > 1 and (not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:])):
        return None  # separators in the wrong places: do not guess
    try:
        return Decimal("".join(groups) + "." + m.group(2))
    except InvalidOperation:
        return None


_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])\s*[:：]\s*([0-5]\d)(?:\s*[:：]\s*([0-5]\d))?(?!\d)")


def parse_time(value: str | None):
    """Time of day printed after the date (CMB: ``2026-01-12 10:23:45``), else None."""
    import datetime as dt

    if not value:
        return None
    m = _DATE.search(_repair_digits(value))
    if not m:
        return None
    t = _TIME.search(_repair_digits(value)[m.end() :])
    if not t:
        return None
    return dt.time(int(t.group(1)), int(t.group(2)), int(t.group(3) or 0))


_DATE = re.compile(r"(20\d{2}|19\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def parse_date(value: str | None):
    import datetime as dt

    if not value:
        return None
    m = _DATE.search(_repair_digits(value))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


# B2B numbers: SO + yyyymmdd + 6 digits; tesseract prints the prefix as S0, $0, $O, S$O, 5O ...
_SO = re.compile(r"(?<![A-Za-z0-9])(?:S\$?|\$|5|8|§)\s?[O0oQD]\s?(\d[\dOo]{13,14})(?!\d)")
_PDD = re.compile(r"(?<!\d)(\d{6}-\d{15})(?!\d)")
_LONG = re.compile(r"(?<![\dA-Za-z-])(\d{16,19})(?![\d-])")


def _so_digits(d: str) -> str | None:
    d = d.replace("O", "0").replace("o", "0")
    cands = [d] if len(d) == 14 else [d[1:], d[:-1]] if len(d) == 15 else []
    for c in cands:
        if len(c) == 14 and c[:2] in ("19", "20") and 1 <= int(c[4:6]) <= 12 and 1 <= int(c[6:8]) <= 31:
            return c
    return None


def find_so_numbers(text: str | None) -> list[str]:
    """B2B order numbers (SO + a valid yyyymmdd + 6 digits) anywhere in ``text``, in order."""
    out: list[str] = []
    for m in _SO.finditer(text or ""):
        d = _so_digits(m.group(1))
        if d and "SO" + d not in out:
            out.append("SO" + d)
    return out


def find_order_nos(text: str | None) -> list[str]:
    """Order numbers in 用途/摘要 text, in order of appearance, without duplicates."""
    if not text:
        return []
    found: list[tuple[int, str]] = []
    so_spans: list[tuple[int, int]] = []
    for m in _SO.finditer(text):
        d = _so_digits(m.group(1))
        if d:
            found.append((m.start(), "SO" + d))
            so_spans.append(m.span())
    for rx in (_PDD, _LONG):
        for m in rx.finditer(text):
            if any(a <= m.start() < b for a, b in so_spans):  # "5020260105271023" is S0… read as 50…
                continue
            found.append((m.start(), m.group(1)))
    out: list[str] = []
    for _, no in sorted(found):
        if no not in out:
            out.append(no)
    return out
