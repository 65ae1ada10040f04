"""Comparing warehouse relations with the generator's truth files (`<zone>/_truth/*.csv`), exactly.

Shared by the integration tests that check marts row for row: read a truth file, write a warehouse value the
way the truth CSVs write it, and fail with the first missing and extra rows when the two differ.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest


def truth_rows(zone: Path, name: str) -> list[dict]:
    """The rows of `<zone>/_truth/<name>` as dicts of text."""
    with open(zone / "_truth" / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def as_text(value, float_decimals: int | None = None, decimal_places: int | None = 2) -> str:
    """A warehouse value written the way the truth CSVs write it.

    Decimals with `decimal_places` digits (None: as the value's own scale), floats with `float_decimals`
    (None: Python's repr), booleans lower case, timestamps to the second, lists joined with `|`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and float_decimals is not None:
        return f"{value:.{float_decimals}f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value) if decimal_places is None else f"{value:.{decimal_places}f}"
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def assert_same(what: str, ours: list[tuple], truth: list[tuple]) -> None:
    """Equal as multisets, or fail naming up to ten missing and ten extra rows."""
    ours, truth = sorted(ours), sorted(truth)
    if ours != truth:
        truth_set, ours_set = set(truth), set(ours)
        missing = [r for r in truth if r not in ours_set][:10]
        extra = [r for r in ours if r not in truth_set][:10]
        lines = "\n".join([f"  missing {r}" for r in missing] + [f"  extra   {r}" for r in extra])
        pytest.fail(f"{what}: {len(ours)} rows, truth {len(truth)}\n{lines}")


def compare(con, zone: Path, relation: str, truth_file: str, columns: list[str], **text_options) -> int:
    """`columns` of the warehouse `relation` against the same columns of a truth file; returns the row count."""
    truth = [tuple(row[c] for c in columns) for row in truth_rows(zone, truth_file)]
    ours = [
        tuple(as_text(v, **text_options) for v in row)
        for row in con.execute(f"select {', '.join(columns)} from {relation}").fetchall()
    ]
    assert_same(f"{relation} (columns {columns})", ours, truth)
    return len(truth)
