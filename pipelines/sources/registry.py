"""Which landing files feed which raw table, and the parser for each.

A source is data, not code: its raw table, the glob patterns it reads, its pure
parser (or, for CSV/XLSX, its declarative column description) and its typed columns. Each parser module declares its `SPEC`
(or `SPECS`, a list, when one module feeds several tables); a new source is one module plus one line in `_MODULES`.
"""

from __future__ import annotations

from . import (
    aftersales,
    douyin,
    erp,
    inquiries,
    inventory,
    miniprogram,
    pinduoduo,
    products,
    settlements,
    taobao,
    tracks,
    warehouse,
)
from .common import Source
from .tabular import TabularSource

_MODULES = [
    douyin,
    pinduoduo,
    taobao,
    erp,
    settlements,
    miniprogram,
    tracks,
    warehouse,
    inventory,
    products,
    aftersales,
    inquiries,
]

SOURCES: dict[str, Source | TabularSource] = {
    s.name: s for m in _MODULES for s in getattr(m, "SPECS", None) or [m.SPEC]
}
