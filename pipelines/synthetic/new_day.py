"""The "new day" scenario (issue 11): a landing zone split into everything up to the end of the day before its
last day, and the files of that last day, so that a warehouse can be built on the first part and then brought
up to date with the second (docs/incremental.md).

A file belongs to the day of its export time, which the generator writes into every file's mtime (Asia/Shanghai
wall clock, CONTRACT §0-§1). Files are hard-linked (a copy when the target is on another file system), so the
split costs no disk and keeps names and mtimes: the pipeline sees the same files, in two batches.
Pure file handling: no pipeline import (the generator and the pipeline never import each other)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

TRUTH_DIR = "_truth"
SHANGHAI_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no daylight saving time


@dataclass(frozen=True)
class NewDaySplit:
    zone: Path
    day: date  # the held-back day (the zone's as_of day by default)
    as_of: str  # the zone's as_of: the second build's
    as_of_before: str  # the end of the day before `day` (23:59:59): the first build's
    before: list[str]  # landing files (relative, posix) exported before `day`
    new_day: list[str]  # landing files exported on or after `day` (held back)


def export_day(path: Path) -> date:
    """The Asia/Shanghai day of a file's export time (its mtime)."""
    return (datetime.utcfromtimestamp(path.stat().st_mtime) + SHANGHAI_OFFSET).date()


def split_last_day(zone: Path, day: date | None = None) -> NewDaySplit:
    """Split a generated landing zone into the files exported before `day` (default: the as_of day in
    `_truth/meta.json`) and the files exported on that day or later. `_truth/` belongs to neither."""
    zone = Path(zone)
    as_of = json.loads((zone / TRUTH_DIR / "meta.json").read_text())["as_of"]
    if day is None:
        day = datetime.strptime(as_of, "%Y-%m-%d %H:%M:%S").date()
    before: list[str] = []
    new_day: list[str] = []
    for path in sorted(zone.rglob("*")):
        rel = path.relative_to(zone)
        if not path.is_file() or rel.parts[0] == TRUTH_DIR:
            continue
        (new_day if export_day(path) >= day else before).append(rel.as_posix())
    as_of_before = f"{day - timedelta(days=1):%Y-%m-%d} 23:59:59"
    return NewDaySplit(zone, day, as_of, as_of_before, before, new_day)


def link_files(zone: Path, files: list[str], landing: Path) -> int:
    """Hard-link (or copy, keeping the mtime) `files` of `zone` into `landing`, same relative paths."""
    for rel in files:
        target = Path(landing) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            continue
        try:
            os.link(Path(zone) / rel, target)
        except OSError:
            shutil.copy2(Path(zone) / rel, target)
    return len(files)
