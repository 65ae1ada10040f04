"""Which landing files feed which raw table, and the parser for each.

A source is data, not code: its raw table, the glob patterns it reads and its
pure parser. Later sources are one more entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import douyin
from .common import ParseResult


@dataclass(frozen=True)
class Source:
    name: str  # raw table name, and the Dagster asset key ["raw", name]
    patterns: tuple[str, ...]  # globs relative to the landing dir
    parse_file: Callable[[Path], ParseResult]
    columns: dict[str, str]  # typed raw columns (name -> DuckDB type)
    description: str

    def files(self, landing_dir: Path) -> list[Path]:
        found = {p for pattern in self.patterns for p in landing_dir.glob(pattern) if p.is_file()}
        return sorted(found)


SOURCES: dict[str, Source] = {
    douyin.SOURCE: Source(
        name=douyin.SOURCE,
        patterns=("orders/douyin/*.csv",),
        parse_file=douyin.parse_file,
        columns=douyin.RAW_COLUMNS,
        description="抖店 order export, one row per 子订单 (SKU line), CONTRACT §1.1",
    ),
}
