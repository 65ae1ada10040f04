"""Load landing files into the warehouse's `raw` schema, exactly once per file.

Pure parsing lives in pipelines/sources; this module only moves rows into DuckDB:
- a manifest (`raw._manifest`) keyed by the file's SHA-256, so a file seen before
  (even under another name) is not loaded again;
- every parsed row goes to `raw.<source>` with lineage columns
  `_source_file, _row_number, _file_sha256, _export_time, _loaded_at`;
- every rejected row (and every unreadable file, as row 0) goes to
  `raw.rejected_rows` with a reason a person can act on;
- one transaction per file: a file is either wholly recorded or not at all.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from .sources import tabular
from .sources.common import FileFormatError, Source, export_time_of, sha256_file
from .sources.tabular import TabularSource

LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR",
    "_row_number": "INTEGER",
    "_file_sha256": "VARCHAR",
    "_export_time": "TIMESTAMP",
    "_loaded_at": "TIMESTAMP",
}

MANIFEST_DDL = """
create table if not exists raw._manifest (
    file_sha256 varchar primary key,
    source varchar not null,
    source_file varchar not null,
    export_time timestamp,
    rows_read integer not null,
    rows_loaded integer not null,
    rows_rejected integer not null,
    status varchar not null,           -- loaded | failed
    error varchar,
    loaded_at timestamp not null
)
"""

REJECTED_DDL = """
create table if not exists raw.rejected_rows (
    source varchar not null,
    source_file varchar not null,
    row_number integer not null,
    reason varchar not null,
    raw varchar,
    _file_sha256 varchar not null,
    _loaded_at timestamp not null
)
"""


@dataclass
class FileReport:
    source_file: str
    sha256: str
    status: str  # loaded | failed | skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    source: str
    files: list[FileReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]


def _raw_columns(source: Source | TabularSource) -> dict[str, str]:
    return source.raw_columns if isinstance(source, TabularSource) else source.columns


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, source: Source | TabularSource | None = None) -> None:
    con.execute("create schema if not exists raw")
    con.execute(MANIFEST_DDL)
    con.execute(REJECTED_DDL)
    if source is not None:
        cols = {**_raw_columns(source), **LINEAGE_COLUMNS}
        body = ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in cols.items())
        con.execute(f"create table if not exists raw.{source.name} (\n    {body}\n)")


def _to_frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Rows of Python values -> a frame of text cells that DuckDB casts into the typed table."""
    data = {
        name: [None if (v := r.get(name)) is None else (v if isinstance(v, str) else str(v)) for r in rows]
        for name in columns
    }
    return pd.DataFrame(data, dtype="object")


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    source: Source | TabularSource,
    landing_dir: Path,
    loaded_at: datetime,
    log: Callable[[str], None] = lambda _msg: None,
) -> IngestReport:
    """Load every new file of `source` under `landing_dir`. Returns what happened per file."""
    ensure_raw_schema(con, source)
    report = IngestReport(source.name)
    seen = {row[0] for row in con.execute("select file_sha256 from raw._manifest").fetchall()}
    # Oldest export first: of several copies of one file (same SHA-256) the one that names its
    # export time is loaded, and a copy without a time in its name (dated by mtime) is skipped.
    files = sorted(source.files(landing_dir), key=lambda p: (export_time_of(p), p.as_posix()))
    for i, path in enumerate(files, start=1):
        rel = path.relative_to(landing_dir).as_posix()
        sha = sha256_file(path)
        if sha in seen:
            report.files.append(FileReport(rel, sha, "skipped"))
            continue
        seen.add(sha)
        export_time = export_time_of(path)
        try:
            if isinstance(source, TabularSource):
                fr = _load_tabular(con, source, path, rel, sha, export_time, loaded_at)
            else:
                parsed = source.parse_file(path)
                _record_loaded_file(con, source, rel, sha, export_time, loaded_at, parsed)
                fr = FileReport(rel, sha, "loaded", parsed.rows_read, len(parsed.rows), len(parsed.rejected))
        except (FileFormatError, UnicodeError, OSError, duckdb.InvalidInputException) as exc:
            message = f"{rel}: cannot read this file as {source.name}: {exc}"
            log(message)
            _record_failed_file(con, source, rel, sha, export_time, loaded_at, str(exc))
            report.files.append(FileReport(rel, sha, "failed", error=str(exc)))
            continue
        report.files.append(fr)
        log(f"[{i}/{len(files)}] {rel}: {fr.rows_loaded} rows loaded, {fr.rows_rejected} rejected")
    return report


def _load_tabular(con, spec: TabularSource, path: Path, rel, sha, export_time, loaded_at) -> FileReport:
    """Stage the file's text cells with DuckDB's CSV reader, type and judge them in one SELECT,
    then write good rows, rejected rows and the manifest entry in one transaction."""
    tmp_dir = Path(tempfile.mkdtemp(prefix="orderlens-ingest-"))
    try:
        if spec.xlsx and path.suffix.lower() in (".xlsx", ".xlsm"):
            csv_path = tabular.xlsx_to_csv(path, tmp_dir)
        else:
            encoding = tabular.sniff_encoding(path)
            csv_path = (
                path if encoding in ("utf-8", "utf-8-sig") else tabular.utf8_copy(path, encoding, tmp_dir)
            )
        names = tabular.read_header(csv_path)
        index = tabular.header_index(spec, names)
        con.execute("drop table if exists _csv_rejects")
        con.execute("drop table if exists _csv_rejects_scan")
        con.execute(
            "create or replace temp table _cells as "
            + tabular.stage_sql(csv_path, len(names), "_csv_rejects")
        )
        malformed = con.execute(
            "select line, min(error_message), min(csv_line) from _csv_rejects group by line order by line"
        ).fetchall()
        if malformed:
            # good rows keep their real line numbers: the data lines that were not rejected, in order
            con.execute(
                "create or replace temp table _cells_numbered as "
                "with good_lines as (select l as line, row_number() over (order by l) - 1 as k "
                "from range(2, (select count(*) from _cells) + ? + 2) t(l) "
                "where l not in (select line from _csv_rejects)) "
                "select g.line as _row_number, c.* exclude (k) from "
                "(select rowid as k, * from _cells) c join good_lines g using (k)",
                [len(malformed)],
            )
        else:
            con.execute(
                "create or replace temp table _cells_numbered as select rowid + 2 as _row_number, * from _cells"
            )
        con.execute(
            "create or replace temp table _typed as " + tabular.select_sql(spec, index, "_cells_numbered")
        )
        cols = {**spec.raw_columns}
        col_list = ", ".join(f'"{c}"' for c in cols)
        con.execute("begin transaction")
        try:
            con.execute(
                f"insert into raw.{spec.name} ({col_list}, _source_file, _row_number, _file_sha256, _export_time, "
                f"_loaded_at) select {col_list}, ?, _row_number, ?, ?, ? from _typed where _reason = ''",
                [rel, sha, export_time, loaded_at],
            )
            con.execute(
                "insert into raw.rejected_rows select ?, ?, _row_number, _reason, _raw, ?, ? "
                "from _typed where _reason <> ''",
                [spec.name, rel, sha, loaded_at],
            )
            _insert_rejects(
                con, spec.name, rel, sha, loaded_at,
                [(line, f"malformed CSV line: {err}", {"line": text}) for line, err, text in malformed],
            )  # fmt: skip
            good, bad = con.execute(
                "select count(*) filter (where _reason = ''), count(*) filter (where _reason <> '') from _typed"
            ).fetchone()
            rows_read = good + bad + len(malformed)
            con.execute(
                "insert into raw._manifest values (?, ?, ?, ?, ?, ?, ?, 'loaded', null, ?)",
                [sha, spec.name, rel, export_time, rows_read, good, bad + len(malformed), loaded_at],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        return FileReport(rel, sha, "loaded", rows_read, good, bad + len(malformed))
    finally:
        for table in ("_cells", "_cells_numbered", "_typed", "_csv_rejects", "_csv_rejects_scan"):
            con.execute(f"drop table if exists {table}")
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _record_loaded_file(con, source: Source, rel, sha, export_time, loaded_at, parsed) -> None:
    frame = _to_frame(parsed.rows, source.columns)
    frame["_source_file"] = rel
    frame["_row_number"] = [r.get("_row_number") for r in parsed.rows] if parsed.rows else []
    frame["_file_sha256"] = sha
    frame["_export_time"] = export_time
    frame["_loaded_at"] = loaded_at
    cols = {**source.columns, **LINEAGE_COLUMNS}
    select = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in cols.items())
    con.execute("begin transaction")
    try:
        if len(frame):
            con.register("_incoming", frame)
            con.execute(f"insert into raw.{source.name} select {select} from _incoming")
            con.unregister("_incoming")
        _insert_rejects(
            con, source.name, rel, sha, loaded_at, [(r.row_number, r.reason, r.raw) for r in parsed.rejected]
        )
        con.execute(
            "insert into raw._manifest values (?, ?, ?, ?, ?, ?, ?, 'loaded', null, ?)",
            [
                sha,
                source.name,
                rel,
                export_time,
                parsed.rows_read,
                len(parsed.rows),
                len(parsed.rejected),
                loaded_at,
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _record_failed_file(con, source: Source, rel, sha, export_time, loaded_at, error: str) -> None:
    con.execute("begin transaction")
    try:
        _insert_rejects(con, source.name, rel, sha, loaded_at, [(0, f"whole file rejected: {error}", None)])
        con.execute(
            "insert into raw._manifest values (?, ?, ?, ?, 0, 0, 0, 'failed', ?, ?)",
            [sha, source.name, rel, export_time, error, loaded_at],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _insert_rejects(
    con, source_name, rel, sha, loaded_at, rejects: list[tuple[int, str, dict | None]]
) -> None:
    if not rejects:
        return
    con.executemany(
        "insert into raw.rejected_rows values (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                source_name,
                rel,
                row_number,
                reason,
                None if raw is None else json.dumps(raw, ensure_ascii=False),
                sha,
                loaded_at,
            )
            for row_number, reason, raw in rejects
        ],
    )


def conservation_violations(con: duckdb.DuckDBPyConnection, source_name: str) -> list[tuple]:
    """Files of `source_name` where rows read != rows in raw + rows rejected (counted in the tables
    themselves, not taken from the manifest's own tallies). Empty list = nothing lost, nothing doubled."""
    return con.execute(
        f"""
        with loaded as (
            select _file_sha256 as sha, count(*) as n from raw.{source_name} group by 1
        ), rejected as (
            select _file_sha256 as sha, count(*) as n from raw.rejected_rows where source = ? group by 1
        )
        select m.source_file, m.rows_read, coalesce(l.n, 0) as in_raw, coalesce(r.n, 0) as in_rejected
        from raw._manifest m
        left join loaded l on l.sha = m.file_sha256
        left join rejected r on r.sha = m.file_sha256
        where m.source = ? and m.status = 'loaded'
          and m.rows_read <> coalesce(l.n, 0) + coalesce(r.n, 0)
        order by m.source_file
        """,
        [source_name, source_name],
    ).fetchall()
