"""Publish the public marts as a versioned Parquet snapshot, swapped in atomically.

Readers (Streamlit, exports) never open the warehouse: DuckDB lets no second
process open a file a writer holds. After a build whose checks pass, every table
of the `marts` schema is copied to `published/<version>/<table>.parquet`, the
folder is renamed into place, and `published/CURRENT` (one line: the version)
is replaced with os.replace. A reader resolves CURRENT once per query, so it
sees either the old snapshot or the new one, never a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.settings import connect_warehouse

CURRENT = "CURRENT"
KEEP_VERSIONS = 3  # older snapshots are removed; a reader mid-query on one of the last 3 is safe

# Tables written sorted by the column readers look rows up by. Parquet keeps min/max statistics per row
# group, so DuckDB reads only the row group(s) that can hold the key: the dashboards' order lookup reads
# about ten of these tables for one order_key (issue 10: < 2 s per page on 1,000,000 orders).
SORT_KEYS = {
    "fct_orders": "order_key",
    "fct_order_lines": "order_key",
    "dim_order_receivers": "order_key",
    "fct_warehouse_events": "order_key",
    "fct_sla_alerts": "order_key",
    "fct_three_way_match": "order_key",
    "fct_aftersales": "order_key",
    "fct_track_events": "tracking_no",
    "fct_heatmap_orders": "day, warehouse_code",
}


@dataclass
class PublishResult:
    version: str
    path: Path
    tables: dict[str, int]


def _version_name(as_of: str, tables: dict[str, int]) -> str:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    digest = hashlib.sha256(json.dumps([as_of, sorted(tables.items())]).encode()).hexdigest()[:8]
    return f"{stamp}-{digest}"


def publish(warehouse_path: Path, published_dir: Path, as_of: str, schema: str = "marts") -> PublishResult:
    published_dir.mkdir(parents=True, exist_ok=True)
    with connect_warehouse(warehouse_path, read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by table_name",
                [schema],
            ).fetchall()
        ]
        if not names:
            raise RuntimeError(f"nothing to publish: schema {schema!r} of {warehouse_path} has no tables")
        counts = {n: con.execute(f'select count(*) from {schema}."{n}"').fetchone()[0] for n in names}
        version = _version_name(as_of, counts)
        staging = published_dir / f".tmp-{version}"
        staging.mkdir()
        try:
            for name in names:
                target = (staging / f"{name}.parquet").as_posix().replace("'", "''")
                order = f" order by {SORT_KEYS[name]}" if name in SORT_KEYS else ""
                con.execute(f"copy (select * from {schema}.\"{name}\"{order}) to '{target}' (format parquet)")
            manifest = {
                "version": version,
                "as_of": as_of,
                "published_at": datetime.now().isoformat(timespec="seconds"),
                "tables": counts,
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
            final = published_dir / version
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    tmp_pointer = published_dir / f".{CURRENT}.{version}"
    tmp_pointer.write_text(version + "\n")
    os.replace(tmp_pointer, published_dir / CURRENT)
    _prune(published_dir, keep=version)
    return PublishResult(version, final, counts)


def _prune(published_dir: Path, keep: str) -> None:
    versions = sorted(p for p in published_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    old = [p for p in versions if p.name != keep][: max(0, len(versions) - KEEP_VERSIONS)]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)


def current_version(published_dir: Path) -> str | None:
    """The version CURRENT points at, or None before the first publish."""
    try:
        version = (published_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return version if (published_dir / version).is_dir() else None


def snapshot_connection(published_dir: Path, version: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per published mart of the snapshot."""
    version = version or current_version(published_dir)
    if version is None:
        raise FileNotFoundError(
            f"no published snapshot in {published_dir}: run `orderlens run` (or `make run`) first"
        )
    con = duckdb.connect()
    for path in sorted((published_dir / version).glob("*.parquet")):
        literal = path.as_posix().replace("'", "''")
        con.execute(f"create view \"{path.stem}\" as select * from read_parquet('{literal}')")
    return con


def current_manifest(published_dir: Path) -> dict | None:
    """The manifest (version, as_of, published_at, tables) of the current snapshot, or None before the first."""
    version = current_version(published_dir)
    if version is None:
        return None
    return json.loads((published_dir / version / "manifest.json").read_text())


def snapshot_age_minutes(manifest: dict, now: datetime) -> float:
    """Minutes since the snapshot was published (published_at is the publishing machine's local time)."""
    return (now - datetime.fromisoformat(manifest["published_at"])).total_seconds() / 60
