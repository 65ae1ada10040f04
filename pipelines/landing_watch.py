"""What changed in the landing zone since the last look (the landing sensor's pure half).

The cursor remembers every landing file as `path -> [size, mtime_ns, sha256]`. A file whose size and
mtime are unchanged is not read again; otherwise its SHA-256 decides: bytes seen before (same path,
another path of the cursor, or a file the warehouse already loaded per `raw._manifest`) start nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .sources.common import Source, sha256_file
from .sources.tabular import TabularSource

CURSOR_VERSION = 1


@dataclass
class Scan:
    files: dict[str, list]  # the new cursor's files: rel path -> [size, mtime_ns, sha256]
    new: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # source -> [(rel path, sha256)]

    @property
    def run_key(self) -> str:
        """Deterministic: the same set of new files always gives the same key."""
        items = sorted((rel, sha) for files in self.new.values() for rel, sha in files)
        return "landing-" + hashlib.sha256(json.dumps(items).encode()).hexdigest()[:20]

    def cursor(self) -> str:
        return json.dumps({"v": CURSOR_VERSION, "files": self.files}, sort_keys=True, separators=(",", ":"))


def read_cursor(cursor: str | None) -> dict[str, list]:
    if not cursor:
        return {}
    data = json.loads(cursor)
    return data.get("files", {}) if data.get("v") == CURSOR_VERSION else {}


def scan(
    landing_dir: Path,
    sources: Iterable[Source | TabularSource],
    previous: dict[str, list],
    loaded_shas: Callable[[], set[str]],
) -> Scan:
    """Compare the landing zone with the previous cursor. `loaded_shas` is called only when some file's
    bytes are new to the cursor (so an idle tick never opens the warehouse)."""
    result = Scan(files={})
    known = {entry[2] for entry in previous.values()}
    candidates: list[tuple[str, str, str]] = []
    for source in sources:
        for path in source.files(landing_dir):
            rel = path.relative_to(landing_dir).as_posix()
            stat = path.stat()
            prev = previous.get(rel)
            if prev and prev[0] == stat.st_size and prev[1] == stat.st_mtime_ns:
                result.files[rel] = prev
                continue
            sha = sha256_file(path)
            result.files[rel] = [stat.st_size, stat.st_mtime_ns, sha]
            if sha not in known:
                known.add(sha)  # two copies of one file in the same tick: the first one stands for both
                candidates.append((source.name, rel, sha))
    if candidates:
        loaded = loaded_shas()
        for source_name, rel, sha in candidates:
            if sha not in loaded:
                result.new.setdefault(source_name, []).append((rel, sha))
    return result
