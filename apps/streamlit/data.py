"""The only way pages read data: the published snapshot (never the live warehouse), via pipelines.publish.

Every cached query is keyed on the snapshot version, so a new `orderlens run` shows up on the next rerun
without restarting anything. Results pass through the viewer's permissions here, in one place: personal
data is masked for roles without `pii`, money columns are dropped for roles without `amounts`.
User input reaches SQL only as bound parameters (`?`).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from apps.streamlit.privacy import mask_frame
from pipelines.publish import current_version, snapshot_connection

AMOUNT_COLUMNS = frozenset(
    {
        "order_amount",
        "line_amount",
        "paid_amount",
        "refund_amount",
        "amount",
        "orphan_amount",
        "settled_amount",
    }
)


def published_dir() -> Path:
    explicit = os.environ.get("ORDERLENS_PUBLISHED")
    if explicit:
        return Path(explicit)
    warehouse = Path(os.environ.get("ORDERLENS_WAREHOUSE", "data/warehouse.duckdb"))
    return warehouse.parent / "published"


def snapshot_version() -> str | None:
    return current_version(published_dir())


@st.cache_resource(show_spinner=False, max_entries=2)
def _snapshot_db(version: str, directory: str):
    """One in-memory DuckDB database per snapshot version, holding a view per published mart. Opening it
    costs ~60 ms of CPU on 1,000,000 orders (every view reads its Parquet file's schema); the order lookup
    runs a dozen queries per order, so it is opened once per version and each query gets its own cursor
    (a connection of its own to that database: safe across Streamlit's session threads)."""
    return snapshot_connection(Path(directory), version)


@st.cache_data(show_spinner=False, max_entries=256)
def _query(sql: str, params: tuple, version: str, directory: str) -> pd.DataFrame:
    with _snapshot_db(version, directory).cursor() as con:
        return con.execute(sql, list(params)).df()


@st.cache_data(show_spinner=False, max_entries=16)
def _manifest(version: str, directory: str) -> dict:
    return json.loads((Path(directory) / version / "manifest.json").read_text(encoding="utf-8"))


def _version() -> str:
    version = snapshot_version()
    if version is None:
        raise FileNotFoundError("no published snapshot yet")
    return version


def _raw_query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Unfiltered result (cached per snapshot); pages use query()."""
    return _query(sql, tuple(params), _version(), str(published_dir()))


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run SQL over the published marts (one view per mart), filtered by the viewer's permissions."""
    from apps.streamlit.auth import can

    frame = _raw_query(sql, params)
    if not can("amounts"):
        frame = frame.drop(columns=[c for c in frame.columns if c in AMOUNT_COLUMNS])
    if not can("pii"):
        frame = mask_frame(frame)
    return frame


def tables() -> set[str]:
    return set(_manifest(_version(), str(published_dir()))["tables"])


def snapshot_as_of() -> datetime:
    """The as_of instant the snapshot was built for ('now' for every age shown)."""
    return datetime.fromisoformat(_manifest(_version(), str(published_dir()))["as_of"])


def landing_dir() -> Path:
    """The landing zone ($ORDERLENS_LANDING, default data/landing): receipt images and the corrections CSV
    live there (it is not the warehouse; the app reads images and appends corrections, nothing else)."""
    return Path(os.environ.get("ORDERLENS_LANDING", "data/landing")).expanduser()


def reports_dir() -> Path:
    """Rendered HTML reports: `<warehouse folder>/reports` (Settings.reports_dir)."""
    warehouse = Path(os.environ.get("ORDERLENS_WAREHOUSE", "data/warehouse.duckdb")).expanduser()
    return warehouse.parent / "reports"


@st.cache_data(show_spinner=False, max_entries=8)
def _differences_file(fmt: str, version: str, directory: str) -> tuple[bytes, str, int]:
    import tempfile

    from pipelines.exports.differences import load_differences, write_csv, write_xlsx

    as_of = datetime.fromisoformat(_manifest(version, directory)["as_of"])
    with snapshot_connection(Path(directory), version) as con:
        export = load_differences(con, as_of.date(), as_of)
    with tempfile.TemporaryDirectory(prefix="orderlens-diff-") as tmp:
        out = Path(tmp) / f"differences.{fmt}"
        (write_csv if fmt == "csv" else write_xlsx)(export, out)
        return out.read_bytes(), f"{as_of:%Y-%m-%d}", len(export.rows)


def differences_file(fmt: str) -> tuple[bytes, str, int]:
    """(file bytes, report date, rows) of `orderlens export differences --format fmt` for the published
    snapshot's day: the same code (pipelines.exports.differences) writes both."""
    return _differences_file(fmt, _version(), str(published_dir()))
