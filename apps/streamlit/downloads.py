"""CSV and XLSX downloads of a table, safe to open in Excel.

Text cells that start with = + - @ tab or carriage return get a leading apostrophe (formula injection:
buyer messages and remarks are written by strangers); numbers stay numbers.
"""

from __future__ import annotations

import io

import pandas as pd

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    return safe


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel opens the Chinese headers correctly."""
    return neutralise(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    safe = neutralise(frame)
    for column in safe.columns:  # Excel has no time zones; keep naive wall-clock times
        if isinstance(safe[column].dtype, pd.DatetimeTZDtype):
            safe[column] = safe[column].dt.tz_localize(None)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def download_buttons(frame: pd.DataFrame, stem: str, key: str) -> None:
    """CSV + XLSX buttons under a table, for roles with the `export` permission (nothing otherwise)."""
    import streamlit as st

    from apps.streamlit.auth import can

    if not can("export"):
        return
    left, right, _ = st.columns([1, 1, 4])
    # callables: the file is built only when the button is clicked
    left.download_button(
        "下载 CSV",
        lambda: to_csv_bytes(frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
    )
    right.download_button(
        "下载 XLSX",
        lambda: to_xlsx_bytes(frame, sheet=stem),
        on_click="ignore",
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )
