"""Which landing files feed which raw table, and the parser for each.

A source is data, not code: its raw table, the glob patterns it reads, its pure
parser (or, for CSV/XLSX, its declarative column description) and its typed columns. Each parser module declares its `SPEC`; a new
source is one module plus one line in `_MODULES`.
"""

from __future__ import annotations

from . import douyin
from .common import Source
from .tabular import TabularSource

_MODULES = [douyin]

SOURCES: dict[str, Source | TabularSource] = {m.SPEC.name: m.SPEC for m in _MODULES}
