"""The raw schema of a DuckDB warehouse as Parquet, for the dbt `spark` target (docs/spark.md).

Ingest (parsing, OCR, rejections) runs in Python and writes DuckDB's `raw.*` tables; the dbt models are the
part that moves to Spark. `export_raw` writes every table of the `raw` schema (the sources of the dbt
project, audit tables included) to `<out_dir>/<table>/part-0.parquet`; on the `spark` target an
`on-run-start` hook (macro `register_raw_sources`) registers each folder as the Spark table `raw.<table>`
(`using parquet location ...`), so `dbt build --target spark` reads the same rows DuckDB's build read.

Types survive as they are: DECIMAL(18,2) stays decimal, TIMESTAMP is written as a naive timestamp
(Parquet isAdjustedToUTC=false, microseconds), which Spark reads in its session time zone (UTC in the
profile: the wall-clock values of Asia/Shanghai stay what they are).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.settings import connect_warehouse

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class ExportedTable:
    name: str
    rows: int
    path: Path


def raw_tables(con: duckdb.DuckDBPyConnection, schema: str = RAW_SCHEMA) -> list[str]:
    """Every base table of `schema`, sorted."""
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def export_raw(warehouse: Path | str, out_dir: Path | str, schema: str = RAW_SCHEMA) -> list[ExportedTable]:
    """Write every table of `schema` in the DuckDB file `warehouse` to `out_dir/<table>/part-0.parquet`.

    The folder of each table is replaced (a table that shrank leaves no stale file behind); folders of
    tables that no longer exist are left alone. Raises FileNotFoundError when the warehouse is missing
    and ValueError when it has no `schema` tables (nothing was ingested).
    """
    warehouse = Path(warehouse)
    out_dir = Path(out_dir)
    if not warehouse.is_file():
        raise FileNotFoundError(f"warehouse {warehouse} does not exist: run `orderlens run` first")
    out_dir.mkdir(parents=True, exist_ok=True)
    exported: list[ExportedTable] = []
    with connect_warehouse(warehouse, read_only=True) as con:
        tables = raw_tables(con, schema)
        if not tables:
            raise ValueError(f"warehouse {warehouse} has no tables in schema {schema!r}: nothing to export")
        for table in tables:
            folder = out_dir / table
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            target = folder / "part-0.parquet"
            con.execute(
                f'copy "{schema}"."{table}" to \'{_sql_text(str(target))}\' (format parquet, compression zstd)'
            )
            rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            exported.append(ExportedTable(table, rows, folder))
    return exported


def _sql_text(value: str) -> str:
    return value.replace("'", "''")
