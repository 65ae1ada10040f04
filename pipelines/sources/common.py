"""Shared, pure helpers for the landing-zone parsers.

Encoding sniffing, cell cleaning (``="…"``, trailing tabs, NBSP, stray spaces,
full-width punctuation), money, timestamps and ids. Every function here is
pure and raises :class:`CellError` with a message a person can act on.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
NULL_TOKENS = {"", "-", "--", "无", "null", "NULL", "None", "N/A"}


def from_unix_seconds(seconds: int) -> datetime:
    """Unix seconds -> Asia/Shanghai naive wall-clock (the warehouse's time convention)."""
    return datetime.fromtimestamp(seconds, UTC).astimezone(SHANGHAI).replace(tzinfo=None)


class CellError(ValueError):
    """A cell that cannot be read; the message names the column and the value."""


class FileFormatError(ValueError):
    """A whole file that cannot be read (not a CSV, wrong headers, empty)."""


@dataclass
class Rejected:
    row_number: int
    reason: str
    raw: dict


@dataclass
class ParseResult:
    """What a parser returns: good rows (dicts with typed values), rejected rows, rows read."""

    rows: list[dict] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rows_read: int = 0


@dataclass(frozen=True)
class BulkReader:
    """A fast path beside a Python parser: DuckDB's JSON reader loads, in one query, the files it can
    vouch for, giving exactly the rows the parser would give; any other file goes to the parser.

    `shape(data)` looks at a file's bytes: ('newline_delimited' | 'array', records) when the file is
    in the plain shape the SQL handles (one JSON value per line / one JSON array), else None.
    `record_ok` (SQL over one record, the columns of `record_columns`) is false when the record is not in
    the plain shape whose SQL translation is known to equal the parser's: the whole file then goes to the
    parser. `record_rows` (SQL) is the number of raw rows a record gives. `select(records)` is a SELECT
    over a relation of records (plus `_file` and `_record`, the 1-based position of the record in its
    file) giving the raw columns, `_file` and `_row_number`.
    """

    shape: Callable[[bytes], tuple[str, int] | None]
    record_columns: str  # DuckDB read_json `columns` struct literal
    record_ok: str
    record_rows: str
    select: Callable[[str], str]


# Every character Python's str.strip() removes (str.isspace()), for SQL that must agree with it.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# plain_json_shape refuses CR, NEL (\xc2\x85), U+2028 and U+2029: Python's str.splitlines() starts a new
# line after them and DuckDB's JSON-lines reader does not. (\x0b \x0c \x1c \x1d \x1e are line breaks for
# Python too, but raw in JSON they are an error for both readers.)
_TRAILING_COMMA = re.compile(rb",[ \t]*[}\]]")


def plain_json_shape(data: bytes) -> tuple[str, int] | None:
    """('newline_delimited', lines) for JSON lines where every line is one object starting at its first
    byte (no blank lines, no line break Python counts and DuckDB does not, no trailing comma that DuckDB
    forgives and Python does not), ('array', items) for one JSON array of objects that Python reads,
    None for anything else (a BOM, leading spaces, pretty-printed objects...): the parser reads those."""
    head = data[:1]
    if head == b"{":
        # single bytes first (memchr): the multi-byte searches run only when their lead byte occurs
        if b"\r" in data or (b"\xc2" in data and b"\xc2\x85" in data):
            return None
        if b"\xe2" in data and (b"\xe2\x80\xa8" in data or b"\xe2\x80\xa9" in data):
            return None
        # one regex pass (`,}` and `,]` are its case without blanks): two-byte `in` searches stop at every
        # comma of the JSON and cost more than the regex
        if _TRAILING_COMMA.search(data):
            return None
        lines = data.split(b"\n")  # single-byte split runs on memchr; data.count(b"\n{") did not
        if lines[-1] == b"":
            lines.pop()
        if not all(line[:1] == b"{" for line in lines):  # every line starts with { (so none is blank)
            return None
        return "newline_delimited", len(lines)
    if head == b"[":
        try:
            doc = json.loads(data.decode("utf-8"))
        except ValueError:
            return None
        if not isinstance(doc, list) or not all(isinstance(x, dict) for x in doc):
            return None
        return "array", len(doc)
    return None


def sql_plain_text(v: str) -> str:
    """SQL: true when `v` (a JSON value read as VARCHAR by DuckDB) is NULL or a string that Python's
    parsers keep unchanged: not empty, no surrounding whitespace, and not possibly the text of a JSON
    number, boolean, NaN/Infinity, object or array (whose Python text would differ)."""
    ws = "'" + PY_WHITESPACE.replace("'", "''") + "'"
    return (
        f"({v} is null or (length({v}) > 0 and not contains({ws}, left({v}, 1)) "
        f"and not contains({ws}, right({v}, 1)) "
        f"and left({v}, 1) not in ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '{{', '[') "
        f"and {v} not in ('true', 'false', 'NaN', 'Infinity')))"
    )


def sql_clean_cell(v: str) -> str:
    """SQL: true when `v` (a JSON value read as VARCHAR by DuckDB) is NULL, digits, or a string that
    `clean_cell` keeps unchanged (see `sql_plain_text`; also no NBSP or ideographic space, no leading
    = or apostrophe, not a null token)."""
    tokens = ", ".join("'" + t + "'" for t in sorted(NULL_TOKENS) if t)
    return (
        f"({v} is null or regexp_full_match({v}, '[0-9]+') or ({sql_plain_text(v)} "
        f"and not contains({v}, chr(160)) and not contains({v}, chr(12288)) "
        f"and left({v}, 1) not in ('=', chr(39)) and {v} not in ({tokens})))"
    )


def sql_not_json_literal(v: str) -> str:
    """SQL: `v` is not the DuckDB text of a JSON boolean or NaN/Infinity (Python renders those differently)."""
    return f"{v} not in ('true', 'false', 'NaN', 'Infinity', '-Infinity')"


@dataclass(frozen=True)
class Source:
    """One landing source: raw table `raw.<name>` (Dagster asset ["raw", name]), its files and parser."""

    name: str
    patterns: tuple[str, ...]  # globs relative to the landing dir
    parse_file: Callable[[Path], ParseResult]
    columns: dict[str, str]  # typed raw columns (name -> DuckDB type), lineage columns added by ingest
    description: str
    bulk: BulkReader | None = None

    def files(self, landing_dir: Path) -> list[Path]:
        found = {p for pattern in self.patterns for p in landing_dir.glob(pattern) if p.is_file()}
        return sorted(found)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Detect the encoding of a CSV export and decode it. Returns (text, encoding).

    Order: BOMs (UTF-8, UTF-16 LE/BE), UTF-16 without BOM (many NULs), strict
    UTF-8, then GB18030 (a superset of GBK and GB2312).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    head = data[:4096]
    if b"\x00" in head:  # UTF-8 and GB18030 text never holds a NUL byte; UTF-16 without BOM does
        odd_nuls = head[1::2].count(b"\x00")  # ASCII in UTF-16 LE has its NUL byte second
        enc = "utf-16-le" if odd_nuls >= head[0::2].count(b"\x00") else "utf-16-be"
        return data.decode(enc), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"cannot decode: not UTF-8, UTF-16 or GB18030 (bad byte at offset {exc.start})"
        ) from exc


def clean_header(name: str) -> str:
    """Header names: NFKC, no BOM, no surrounding spaces/tabs."""
    return unicodedata.normalize("NFKC", name).replace("\ufeff", "").strip()


_WRAPPED = re.compile(r'^="(.*)"$', re.S)


def clean_cell(value: str | None) -> str | None:
    """Strip the export quirks from a cell; None for the null tokens."""
    if value is None:
        return None
    v = value.replace("\u00a0", " ").replace("\u3000", " ").strip(" \t\r\n")
    m = _WRAPPED.match(v)
    if m:
        v = m.group(1).strip(" \t")
    if v.startswith("'") and v[1:].isdigit():
        v = v[1:]
    return None if v in NULL_TOKENS else v


def raw_json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=False)


_MONEY_STRIP = re.compile(r"[¥￥元,，\s]")
_MONEY_OK = re.compile(r"^-?\d+(\.\d{1,2})?$")


def parse_money(value: str | None, column: str, required: bool = True) -> Decimal | None:
    v = clean_cell(value)
    if v is None:
        if required:
            raise CellError(f"{column} is empty")
        return None
    v = unicodedata.normalize("NFKC", v)
    s = _MONEY_STRIP.sub("", v)
    if not _MONEY_OK.match(s):
        raise CellError(f"{column} {value!r} is not an amount in yuan")
    try:
        return Decimal(s).quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # pragma: no cover - regex guards
        raise CellError(f"{column} {value!r} is not an amount in yuan") from exc


_TS_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


def parse_timestamp(value: str | None, column: str, required: bool = False) -> datetime | None:
    """Asia/Shanghai wall-clock text or unix seconds -> naive datetime."""
    v = clean_cell(value)
    if v is None:
        if required:
            raise CellError(f"{column} is empty")
        return None
    if v.isdigit() and len(v) in (10, 13):
        return from_unix_seconds(int(v[:10]))
    for fmt in _TS_FORMATS:
        try:
            return datetime.strptime(v, fmt)
        except ValueError:
            continue
    raise CellError(f"{column} {value!r} is not a time (expected YYYY-MM-DD HH:MM:SS)")


_EXCEL_MANGLED = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")


def parse_id(value: str | None, column: str, pattern: re.Pattern[str] | None = None) -> str:
    """An order number, kept as text byte for byte; Excel-destroyed ids are rejected."""
    v = clean_cell(value)
    if v is None:
        raise CellError(f"{column} is empty")
    if _EXCEL_MANGLED.match(v):
        raise CellError(
            f"{column} {v!r} was destroyed by Excel (scientific notation); re-export the file without opening it in Excel"
        )
    if pattern is not None and not pattern.match(v):
        raise CellError(f"{column} {v!r} does not look like an order number of this platform")
    return v


def parse_int(value: str | None, column: str) -> int:
    v = clean_cell(value)
    if v is None:
        raise CellError(f"{column} is empty")
    try:
        return int(Decimal(unicodedata.normalize("NFKC", v).replace(",", "")))
    except InvalidOperation as exc:
        raise CellError(f"{column} {value!r} is not a whole number") from exc


_TRACKING_SPLIT = re.compile(r"[,;，；/\s]+")


def split_tracking_numbers(value: str | None) -> list[str]:
    """`SF1;SF2`, `No:SF1`, full-width separators -> ['SF1', 'SF2']."""
    v = clean_cell(value)
    if v is None:
        return []
    out = []
    for part in _TRACKING_SPLIT.split(unicodedata.normalize("NFKC", v)):
        part = re.sub(r"^(No|NO|no)[:：]?", "", part.strip())
        if part and part not in out:
            out.append(part)
    return out


_EXPORT_TIME = re.compile(r"(20\d{2})[-_]?(\d{2})[-_]?(\d{2})[-_T ]?(\d{2})[-_:]?(\d{2})[-_:]?(\d{2})")
_EXPORT_DATE = re.compile(r"(?<!\d)(20\d{2})[-_]?(\d{2})[-_]?(\d{2})(?!\d)")


def export_time_of(path: Path) -> datetime:
    """The export time in the file name (…_20261012_230000…, or a date alone, …_20261012… = that midnight),
    else the file's modification time. The name wins: copies and checkouts do not keep mtimes."""
    for pattern in (_EXPORT_TIME, _EXPORT_DATE):
        m = pattern.search(path.name)
        if m:
            try:
                return datetime(*(int(g) for g in m.groups()))
            except ValueError:
                continue
    return from_unix_seconds(int(path.stat().st_mtime))
