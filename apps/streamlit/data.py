"""Read the published snapshot (never the live warehouse).

Every cached query is keyed on the snapshot version, so a new `orderlens run`
shows up on the next rerun without restarting anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines.publish import current_version, snapshot_connection


def published_dir() -> Path:
    explicit = os.environ.get("ORDERLENS_PUBLISHED")
    if explicit:
        return Path(explicit)
    warehouse = Path(os.environ.get("ORDERLENS_WAREHOUSE", "data/warehouse.duckdb"))
    return warehouse.parent / "published"


def snapshot_version() -> str | None:
    return current_version(published_dir())


@st.cache_data(show_spinner=False, max_entries=256)
def _query(sql: str, params: tuple, version: str, directory: str) -> pd.DataFrame:
    with snapshot_connection(Path(directory), version) as con:
        return con.execute(sql, list(params)).df()


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run SQL over the published marts (one view per mart); user text only as bound parameters."""
    version = snapshot_version()
    if version is None:
        raise FileNotFoundError("no published snapshot yet")
    return _query(sql, tuple(params), version, str(published_dir()))


def snapshot_as_of() -> str | None:
    """The as_of instant the published snapshot was built for (its manifest), as 'YYYY-MM-DD HH:MM:SS'."""
    import json

    version = snapshot_version()
    if version is None:
        return None
    manifest = published_dir() / version / "manifest.json"
    return json.loads(manifest.read_text(encoding="utf-8")).get("as_of")
