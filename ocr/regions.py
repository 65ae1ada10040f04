"""Text lines and chunks of a prepared (binary, deskewed) receipt image, from projection profiles.

No OCR here: ``text_bands`` finds the rows that hold text (the row profile of the ink, thin bands such
as ruled lines dropped), ``band_chunks`` cuts a band into chunks at horizontal gaps wider than about
half the text height (a label with its colon, a value, the other column's label, ...). A chunk that
follows a gap wider than ``LABEL_GAP`` text heights (or opens its band) may start with a label: those
are the only places the field reader looks for labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Band", "Chunk", "text_bands", "band_chunks", "segment"]

CHUNK_GAP = 0.45  # a horizontal gap wider than this many text heights separates two chunks
LABEL_GAP = 1.2  # a chunk after a gap wider than this many text heights may start with a label
MIN_BAND = 12  # bands thinner than this (px) are rules or specks, not text


@dataclass(frozen=True)
class Chunk:
    x0: int
    x1: int
    may_label: bool  # opens its band or follows a wide gap
    colon: bool = False  # ends with a colon (two dots stacked, narrow): a label


@dataclass(frozen=True)
class Band:
    y0: int
    y1: int
    chunks: tuple[Chunk, ...]

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of the True runs of a 1-d boolean array."""
    if not mask.any():
        return []
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _long_runs(ink: np.ndarray, win: int, density: float, axis: int) -> np.ndarray:
    """Pixels inside a window of ``win`` px along ``axis`` that is more than ``density`` ink."""
    a = ink if axis == 1 else ink.T
    n = a.shape[1]
    if n <= win:
        return np.zeros_like(ink)
    c = np.zeros((a.shape[0], n + 1), dtype=np.int32)
    np.cumsum(a, axis=1, out=c[:, 1:])
    heavy = (c[:, win:] - c[:, :-win]) > density * win  # window [x, x+win) is heavy: n - win + 1 starts
    if not heavy.any():
        return np.zeros_like(ink)
    # pixel x is covered when a heavy window starts in [x - win + 1, x]
    hc = np.zeros((a.shape[0], n + win), dtype=np.int32)
    np.cumsum(heavy, axis=1, out=hc[:, win : win + heavy.shape[1]])
    hc[:, win + heavy.shape[1] :] = hc[:, win + heavy.shape[1] - 1 : win + heavy.shape[1]]
    out = (hc[:, win:] - hc[:, :n]) > 0
    return out if axis == 1 else out.T


def _ink(binary: np.ndarray) -> np.ndarray:
    """Ink mask without ruled lines and the dark border of a photo (long horizontal/vertical runs)."""
    ink = binary < 128
    h, w = ink.shape
    rules = _long_runs(ink, max(40, w // 5), 0.7, 1)  # horizontal: 1/5 of the width, 70% ink
    rules |= _long_runs(ink, 64, 0.6, 0)  # vertical: 64 px (two text lines), 60% ink (dashed rules)
    return ink & ~rules


def text_bands(ink: np.ndarray) -> list[tuple[int, int]]:
    """[(y0, y1), ...] of the rows that hold text."""
    h, w = ink.shape
    prof = ink.sum(axis=1)
    rows = prof > max(2, w // 400)
    out = []
    for a, b in _runs(rows):
        if out and a - out[-1][1] <= 2:  # a 1-2 px break inside a line (thin strokes)
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return [(a, b) for a, b in out if b - a >= MIN_BAND]


def band_chunks(ink: np.ndarray, y0: int, y1: int) -> list[Chunk]:
    h = y1 - y0
    cols = ink[y0:y1].sum(axis=0) > 0
    runs = _runs(cols)
    if not runs:
        return []
    gap_split = max(6, int(CHUNK_GAP * h))
    gap_label = int(LABEL_GAP * h)
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < gap_split:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out = []
    prev_end = None
    for a, b in merged:
        if b - a < 3 and (b - a) * h < 40:  # a speck
            continue
        out.append(
            Chunk(a, b, prev_end is None or a - prev_end >= gap_label, _ends_with_colon(ink[y0:y1, a:b]))
        )
        prev_end = b
    return out


def _ends_with_colon(ink: np.ndarray) -> bool:
    """The last glyph of a chunk is a colon: a narrow last column run holding exactly two small blobs,
    one above the other, both away from the band's top and bottom edge."""
    h = ink.shape[0]
    runs = _runs(ink.any(axis=0))
    if len(runs) < 2:
        return False
    a, b = runs[-1]
    if b - a > max(3, 0.3 * h):
        return False
    blobs = _runs(ink[:, a:b].any(axis=1))
    if len(blobs) != 2:
        return False
    (t0, t1), (u0, u1) = blobs
    small = max(2, 0.25 * h)
    if not (
        t1 - t0 <= small and u1 - u0 <= small and u0 - t1 >= 0.1 * h and t0 >= 0.15 * h and u1 <= 0.95 * h
    ):
        return False
    for r0, r1 in blobs:  # dots are about as wide as they are tall (a broken "1" is not)
        cols = ink[r0:r1, a:b].any(axis=0)
        w = int(cols.sum())
        if not 0.5 <= w / (r1 - r0) <= 2.0:
            return False
    return True


def segment(binary: np.ndarray) -> list[Band]:
    """Bands (text lines) with their chunks, top to bottom."""
    ink = _ink(binary)
    out = []
    for y0, y1 in text_bands(ink):
        chunks = band_chunks(ink, y0, y1)
        if chunks:
            out.append(Band(y0, y1, tuple(chunks)))
    return out
