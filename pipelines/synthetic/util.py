"""Vectorised helpers for the generator: time stamps, money, ids, CSV writing.

Times are int64 seconds since 1970-01-01 of the *naive Asia/Shanghai wall clock*
(the arithmetic treats them as UTC, formatting never converts). ``NEVER`` marks
an event that did not (or not yet) happen; it compares greater than any real time.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

NEVER = np.int64(2**62)
DAY = 86400
HOUR = 3600
MINUTE = 60


def epoch(d: dt.date | dt.datetime) -> int:
    if not isinstance(d, dt.datetime):
        d = dt.datetime(d.year, d.month, d.day)
    return int((d - dt.datetime(1970, 1, 1)).total_seconds())


def ts_one(sec: int, style: str = "iso") -> str:
    if sec >= NEVER:
        return ""
    d = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(sec))
    if style == "slash":
        return d.strftime("%Y/%m/%d %H:%M")
    if style == "compact":
        return d.strftime("%Y%m%d_%H%M%S")
    return d.strftime("%Y-%m-%d %H:%M:%S")


def _civil(sec: np.ndarray):
    """Seconds -> (year, month, day, hour, minute, second) arrays (proleptic Gregorian, vectorised)."""
    z = sec // DAY
    rem = sec - z * DAY
    z = z + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = y + (m <= 2)
    return y, m, d, rem // HOUR, (rem // MINUTE) % 60, rem % 60


def ts_str(sec: np.ndarray, style: str = "iso") -> np.ndarray:
    """Format seconds as 'YYYY-MM-DD HH:MM:SS' (iso) / 'YYYY/MM/DD HH:MM' (slash) / 'YYYY-MM-DD' (date) /
    'YYYYMMDD' (ymd). Returns a numpy unicode array; NEVER becomes ''.
    """
    sec = np.asarray(sec, dtype=np.int64).ravel()
    missing = sec >= NEVER
    safe = np.where(missing, 0, sec)
    y, mo, d, h, mi, se = _civil(safe)
    n = sec.size
    m = np.empty((n, 19), dtype=np.uint8)

    def put(col, val, width):
        for k in range(width - 1, -1, -1):
            m[:, col + k] = 48 + val % 10
            val = val // 10

    put(0, y, 4)
    put(5, mo, 2)
    put(8, d, 2)
    put(11, h, 2)
    put(14, mi, 2)
    put(17, se, 2)
    sep = "/" if style == "slash" else "-"
    m[:, 4] = m[:, 7] = ord(sep)
    m[:, 10] = ord(" ")
    m[:, 13] = m[:, 16] = ord(":")
    if style == "slash":
        m = np.ascontiguousarray(m[:, :16])
    elif style == "date":
        m = np.ascontiguousarray(m[:, :10])
    elif style == "ymd":
        m = np.ascontiguousarray(np.concatenate([m[:, 0:4], m[:, 5:7], m[:, 8:10]], axis=1))
    width = m.shape[1]
    out = m.view(f"S{width}").ravel().astype(f"U{width}")
    if missing.any():
        out[missing] = ""
    return out


_FEN = np.array([f"{i:02d}" for i in range(100)])


def money_str(cents: np.ndarray) -> np.ndarray:
    """int64 cents -> '123.45' (negative '-12.00')."""
    cents = np.asarray(cents, dtype=np.int64)
    neg = cents < 0
    a = np.abs(cents)
    s = np.strings.add(np.strings.add((a // 100).astype(str), "."), _FEN[a % 100])
    if neg.any():
        s = np.where(neg, np.strings.add("-", s), s)
    return s


def money_thousands(cents: np.ndarray) -> np.ndarray:
    """Like money_str but with thousands separators ('1,234.50')."""
    s = money_str(cents)
    big = np.abs(np.asarray(cents)) >= 100000
    if big.any():
        s = s.astype(object)
        for i in np.flatnonzero(big):
            c = int(cents[i])
            s[i] = ("-" if c < 0 else "") + f"{abs(c) // 100:,}.{abs(c) % 100:02d}"
        s = s.astype(str)
    return s


def pad(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative ints -> zero-padded decimal strings of fixed width."""
    v = np.asarray(values, dtype=np.int64)
    m = np.empty((v.size, width), dtype=np.uint8)
    x = v.copy()
    for k in range(width - 1, -1, -1):
        m[:, k] = 48 + (x % 10)
        x //= 10
    return m.view(f"S{width}").ravel().astype(f"U{width}")


def scramble(idx: np.ndarray, modulus: int, mult: int = 982451653, add: int = 7919) -> np.ndarray:
    """A bijection of [0, modulus) (modulus a power of ten): unique, random-looking numbers."""
    idx = np.asarray(idx, dtype=np.int64)
    return (idx * np.int64(mult) + np.int64(add)) % np.int64(modulus)


def uid(idx: np.ndarray, width: int, rng) -> np.ndarray:
    """Unique, random-looking digit strings of ``width`` (>= 9) digits for distinct ``idx`` < 10**9.

    The low 9 digits are a bijection of idx; higher digits are random (they never break uniqueness).
    """
    idx = np.asarray(idx, dtype=np.int64)
    low = pad(scramble(idx, 10**9, 982451653, 314159265), 9)
    if width <= 9:
        return low
    high = pad(rng.integers(0, 10 ** min(width - 9, 18), idx.size), width - 9)
    return np.strings.add(high, low)


def cat(*parts) -> np.ndarray:
    """Concatenate string arrays / scalars element-wise."""
    out = parts[0]
    if isinstance(out, str):
        out = np.asarray(out)
    for p in parts[1:]:
        out = np.strings.add(out, p)
    return out


def pick(table: Sequence[str], idx: np.ndarray) -> np.ndarray:
    arr = np.asarray(table)
    return arr[np.asarray(idx, dtype=np.int64)]


def _quote_list(vals: list[str]) -> list[str]:
    return ['"' + v.replace('"', '""') + '"' if ("," in v or '"' in v or "\n" in v) else v for v in vals]


def csv_quote(col) -> list[str]:
    """Quote cells that contain a comma, quote or newline (RFC 4180); returns a list of str."""
    vals = col.tolist() if isinstance(col, np.ndarray) else list(col)
    vals = (
        [v if isinstance(v, str) else str(v) for v in vals] if vals and not isinstance(vals[0], str) else vals
    )
    joined = "\x00".join(vals)
    if "," in joined or '"' in joined or "\n" in joined:
        return _quote_list(vals)
    return vals


def csv_text(
    header: Sequence[str], cols: Sequence[np.ndarray], raw: Sequence[int] = (), newline: str = "\n"
) -> str:
    """Build CSV text; columns listed in ``raw`` are written unquoted (e.g. Taobao ="…" cells)."""
    lists = []
    for j, c in enumerate(cols):
        if j in raw:
            lists.append(np.asarray(c, dtype=str).tolist())
        else:
            lists.append(csv_quote(c))
    head = ",".join(header)
    n = len(lists[0]) if lists else 0
    if n == 0:
        return head + newline
    body = newline.join(map(",".join, zip(*lists, strict=True)))
    return head + newline + body + newline


def write_bytes(path: Path, data: bytes, mtime: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    if mtime is not None:
        set_mtime(path, mtime)


def set_mtime(path: Path, mtime: int) -> None:
    """mtime from a naive Shanghai wall-clock time (UTC+8, no DST)."""
    real = int(mtime) - 8 * HOUR
    os.utime(path, (real, real))


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16":
        return text.encode("utf-16")  # BOM + little endian on every platform we run
    return text.encode(encoding)


def group_bounds(keys: np.ndarray):
    """For a sorted key array, yield (key, start, end)."""
    if keys.size == 0:
        return
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [keys.size]])
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        yield keys[s], s, e
