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

import hashlib
import json
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
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

# What a file looked like when its bytes were hashed: a file at the same path with the same size and
# modification time (nanoseconds) is taken to have the same bytes and is skipped without being read again
# (rsync's test). A new day at 10M orders otherwise re-reads and re-hashes the whole 41 GB landing zone.
FILE_STATS_DDL = """
create table if not exists raw._file_stats (
    source_file varchar primary key,   -- relative to the landing folder, as in raw._manifest
    size_bytes bigint not null,
    mtime_ns bigint not null,
    file_sha256 varchar not null
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
    reader: str = "python"  # python (the source's parser) | duckdb (a DuckDB reader did the work)


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
    con.execute(FILE_STATS_DDL)
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


BATCH_BYTES = 256 * 1024 * 1024  # CSV files staged together per DuckDB query (bounded memory)
CHUNK_BYTES = 128 * 1024 * 1024  # files handed to DuckDB while the worker threads prepare the next ones


class SeenFiles:
    """The SHA-256 of every file in the manifest or claimed by a load under way, shared by the sources
    loading concurrently: of two files with the same bytes only the first one claimed is loaded."""

    def __init__(self, shas) -> None:
        self._shas = set(shas)
        self._lock = threading.Lock()

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection) -> SeenFiles:
        return cls(row[0] for row in con.execute("select file_sha256 from raw._manifest").fetchall())

    def has(self, sha: str) -> bool:
        with self._lock:
            return sha in self._shas

    def claim(self, sha: str) -> bool:
        """True (and the file is now seen) when no file with these bytes was seen before."""
        with self._lock:
            if sha in self._shas:
                return False
            self._shas.add(sha)
            return True


class FileStats:
    """`raw._file_stats`: per landing path, the size and mtime its bytes had when they were hashed. Shared by
    the sources loading at the same time; what they hash is written back by `save` (one writer, at the end)."""

    def __init__(self, known: dict[str, tuple[int, int, str]]) -> None:
        self._known = known
        self._new: list[tuple[str, int, int, str]] = []

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection) -> FileStats:
        rows = con.execute(
            "select source_file, size_bytes, mtime_ns, file_sha256 from raw._file_stats"
        ).fetchall()
        return cls({rel: (size, mtime, sha) for rel, size, mtime, sha in rows})

    def unchanged(self, path: Path, rel: str) -> str | None:
        """The SHA-256 hashed earlier for this path, if the file still has that size and mtime."""
        known = self._known.get(rel)
        if known is None:
            return None
        st = path.stat()
        return known[2] if (st.st_size, st.st_mtime_ns) == known[:2] else None

    def note(self, rel: str, size: int, mtime_ns: int, sha: str) -> None:
        self._new.append((rel, size, mtime_ns, sha))  # list.append: safe from the worker threads

    def save(self, con: duckdb.DuckDBPyConnection) -> None:
        if self._new:
            con.executemany("insert or replace into raw._file_stats values (?, ?, ?, ?)", self._new)
            for rel, size, mtime, sha in self._new:
                self._known[rel] = (size, mtime, sha)
            self._new = []


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    source: Source | TabularSource,
    landing_dir: Path,
    loaded_at: datetime,
    log: Callable[[str], None] = lambda _msg: None,
    seen: SeenFiles | None = None,
    stats: FileStats | None = None,
) -> IngestReport:
    """Load every new file of `source` under `landing_dir`. Returns what happened per file.

    `seen`: the files already loaded, shared with the sources loading at the same time
    (`ingest_sources`); by default the manifest's. `stats`: the sizes and mtimes of files hashed before
    (shared likewise, saved by `ingest_sources`); by default read here and saved at the end."""
    ensure_raw_schema(con, source)
    report = IngestReport(source.name)
    if seen is None:
        seen = SeenFiles.of(con)
    own_stats = stats is None
    if stats is None:
        stats = FileStats.of(con)
    # Oldest export first: of several copies of one file (same SHA-256) the one that names its
    # export time is loaded, and a copy without a time in its name (dated by mtime) is skipped.
    files = []
    for path in sorted(source.files(landing_dir), key=lambda p: (export_time_of(p), p.as_posix())):
        rel = path.relative_to(landing_dir).as_posix()
        sha = stats.unchanged(path, rel)
        if sha is not None and seen.has(sha):  # hashed on an earlier run, not changed since: not read again
            report.files.append(FileReport(rel, sha, "skipped"))
        else:
            files.append(path)
    bulk = getattr(source, "bulk", None)
    is_tabular = isinstance(source, TabularSource)
    left: list[_Pending] = []  # files for the source's Python parser
    tmp_dir = Path(tempfile.mkdtemp(prefix="orderlens-ingest-"))

    def prepare(path: Path):
        """On a worker thread: hash (and shape), and for CSV/XLSX transcode and read the header."""
        st = path.stat()
        sha, shape = _fingerprint(path, bulk)
        stats.note(path.relative_to(landing_dir).as_posix(), st.st_size, st.st_mtime_ns, sha)
        return sha, shape, (_prepare_tabular(source, path, tmp_dir) if is_tabular else None)

    def load(chunk: list[_Pending]) -> None:
        if is_tabular:
            _ingest_tabular(con, source, chunk, loaded_at, report, log, tmp_dir)
        elif bulk is not None:
            left.extend(_ingest_bulk(con, source, chunk, loaded_at, report, log, tmp_dir))
        else:
            left.extend(chunk)

    try:
        # Two worker threads hash, transcode and read headers ahead, while this thread has DuckDB load the
        # files already prepared, a chunk at a time (DuckDB, hashing and file reads run without the GIL).
        with ThreadPoolExecutor(max_workers=2) as pool:
            chunk: list[_Pending] = []
            size = 0
            for path, (sha, shape, prepared) in zip(files, pool.map(prepare, files), strict=True):
                rel = path.relative_to(landing_dir).as_posix()
                if not seen.claim(sha):
                    report.files.append(FileReport(rel, sha, "skipped"))
                    continue
                chunk.append(_Pending(path, rel, sha, export_time_of(path), shape=shape, prepared=prepared))
                size += path.stat().st_size
                if size >= CHUNK_BYTES:
                    load(chunk)
                    chunk, size = [], 0
            if chunk:
                load(chunk)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        if own_stats:
            stats.save(con)
    if not is_tabular:
        pending = sorted(left, key=lambda f: (f.export_time, f.path.as_posix()))
        for i, f in enumerate(pending, start=1):
            try:
                parsed = source.parse_file(f.path)
            except (FileFormatError, UnicodeError, OSError) as exc:
                _fail(con, source, f, loaded_at, exc, report, log)
                continue
            _record_loaded_file(con, source, f.rel, f.sha, f.export_time, loaded_at, parsed)
            fr = FileReport(f.rel, f.sha, "loaded", parsed.rows_read, len(parsed.rows), len(parsed.rejected))
            report.files.append(fr)
            log(f"[{i}/{len(pending)}] {f.rel}: {fr.rows_loaded} rows loaded, {fr.rows_rejected} rejected")
    return report


INGEST_WORKERS = 2  # sources loading at the same time (two cores; each source's DuckDB queries use both)


@dataclass
class SourceLoad:
    """One source's part of `ingest_sources`: its report, the per-file conservation violations and row count
    of its raw table after the load (or the exception that stopped it), and when it ran."""

    source: str
    report: IngestReport | None = None
    violations: list[tuple] = field(default_factory=list)
    table_rows: int = 0
    error: BaseException | None = None
    started: float = 0.0  # time.perf_counter()
    ended: float = 0.0


def ingest_sources(
    con: duckdb.DuckDBPyConnection,
    sources: list[Source | TabularSource],
    landing_dir: Path,
    loaded_at: datetime,
    log: Callable[[str], None] = lambda _msg: None,
    workers: int = INGEST_WORKERS,
):
    """Load several sources at once, `workers` at a time, each on its own DuckDB cursor of `con` (one writer
    process, one transaction per file as in `ingest_source`); yields a SourceLoad as each source finishes.

    The largest sources (by bytes of landing files) start first, so that the last to finish is a small one.
    A file's bytes are claimed once across all sources (`SeenFiles`). A source that raises does not stop the
    others: its SourceLoad carries the exception."""
    ensure_raw_schema(con)
    for source in sources:  # the catalog is written here, before the threads start (no write-write conflict)
        ensure_raw_schema(con, source)
    seen = SeenFiles.of(con)
    stats = FileStats.of(con)

    def size(source) -> int:
        return sum(p.stat().st_size for p in source.files(landing_dir))

    def run(source) -> SourceLoad:
        done = SourceLoad(source.name, started=time.perf_counter())
        cur = con.cursor()
        try:
            done.report = ingest_source(cur, source, landing_dir, loaded_at, log=log, seen=seen, stats=stats)
            loaded = [f.sha256 for f in done.report.files if f.status == "loaded"]
            done.violations = conservation_violations(cur, source.name, loaded) if loaded else []
            done.table_rows = cur.execute(f"select count(*) from raw.{source.name}").fetchall()[0][0]
        except Exception as exc:  # reported by the caller, per source
            done.error = exc
        finally:
            cur.close()
            done.ended = time.perf_counter()
        return done

    ordered = sorted(sources, key=size, reverse=True)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="ingest") as pool:
        futures = [pool.submit(run, source) for source in ordered]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:  # every source done (or failed) before the sizes and mtimes are written
                future.exception()
            stats.save(con)


def _fingerprint(path: Path, bulk) -> tuple[str, tuple[str, int] | None]:
    """The file's SHA-256 and, for a source with a bulk reader, its shape (one read of the file)."""
    if bulk is None:
        return sha256_file(path), None
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), bulk.shape(data)


@dataclass
class _Pending:
    path: Path
    rel: str
    sha: str
    export_time: datetime
    csv_path: Path | None = None
    names: tuple[str, ...] = ()
    shape: tuple[str, int] | None = None  # bulk sources: what BulkReader.shape found
    prepared: tuple[Path, tuple[str, ...]] | Exception | None = None  # CSV/XLSX: _prepare_tabular's result


def _fail(con, source, f: _Pending, loaded_at, exc: Exception, report: IngestReport, log) -> None:
    log(f"{f.rel}: cannot read this file as {source.name}: {exc}")
    _record_failed_file(con, source, f.rel, f.sha, f.export_time, loaded_at, str(exc))
    report.files.append(FileReport(f.rel, f.sha, "failed", error=str(exc)))


def _prepare_tabular(
    spec: TabularSource, path: Path, tmp_dir: Path
) -> tuple[Path, tuple[str, ...]] | Exception:
    """XLSX -> CSV, transcode to UTF-8, check the header: (the UTF-8 CSV, its header names), or the
    exception saying why the file cannot be read (recorded as a failed file by the caller)."""
    try:
        if spec.xlsx and path.suffix.lower() in (".xlsx", ".xlsm"):
            csv_path = tabular.xlsx_to_csv(path, tmp_dir)
        else:
            encoding = tabular.sniff_encoding(path)
            utf8 = encoding in ("utf-8", "utf-8-sig")
            csv_path = path if utf8 else tabular.utf8_copy(path, encoding, tmp_dir)
        names = tuple(tabular.read_header(csv_path))
        tabular.header_index(spec, list(names))
    except (FileFormatError, UnicodeError, OSError) as exc:
        return exc
    return csv_path, names


def _ingest_tabular(
    con, spec: TabularSource, pending: list[_Pending], loaded_at, report, log, tmp_dir
) -> None:
    """Stage, type and judge the prepared files (`_prepare_tabular`) with the same header together: one
    generated SELECT per batch instead of per file."""
    ready: list[_Pending] = []
    for f in pending:
        if f.prepared is None:
            f.prepared = _prepare_tabular(spec, f.path, tmp_dir)
        if isinstance(f.prepared, Exception):
            _fail(con, spec, f, loaded_at, f.prepared, report, log)
            continue
        f.csv_path, f.names = f.prepared
        ready.append(f)
    batches = [
        batch
        for names in dict.fromkeys(f.names for f in ready)
        for batch in _by_size([f for f in ready if f.names == names], lambda f: f.csv_path.stat().st_size)
    ]
    done = 0
    while batches:
        batch = batches.pop(0)
        try:
            results = _load_tabular_batch(con, spec, batch, loaded_at, tmp_dir)
        except duckdb.InvalidInputException as exc:
            if len(batch) == 1:
                _fail(con, spec, batch[0], loaded_at, exc, report, log)
            else:  # one unreadable file must not stop the others: halve the batch until it is alone
                half = len(batch) // 2
                batches[:0] = [batch[:half], batch[half:]]
            continue
        for fr in results:
            done += 1
            report.files.append(fr)
            log(
                f"[{done}/{len(ready)}] {fr.source_file}: {fr.rows_loaded} rows loaded, {fr.rows_rejected} rejected"
            )


def _by_size(items: list, size_of) -> list[list]:
    """`items` in order, cut into consecutive batches of at most BATCH_BYTES (an item larger than that alone)."""
    batches: list[list] = []
    batch, size = [], 0
    for item in items:
        n = size_of(item)
        if batch and size + n > BATCH_BYTES:
            batches.append(batch)
            batch, size = [], 0
        batch.append(item)
        size += n
    if batch:
        batches.append(batch)
    return batches


def _stage_concatenated(con, batch: list[_Pending], width: int, tmp_dir: Path) -> list[_Pending]:
    """Stage the rows of as many files of `batch` as possible from one file: their rows one after the other,
    each file's header line replaced by a marker line (DuckDB's reader costs more per file opened than
    per small file's rows). Creates `_cells_cat` (_row_number, _file, c0, …) like `_cells_numbered`;
    returns the files staged there. A file not in the plain shape (`tabular.csv_body`), or with a line
    DuckDB rejects, is left out (the caller stages it on its own, where its malformed lines are named);
    when the markers do not come back one per file in order, nothing is staged this way."""
    candidates = list(batch)
    nonce = uuid.uuid4().hex
    cat = tmp_dir / f"cat-{nonce}.csv"
    try:
        for _attempt in range(4):  # each attempt leaves out at least one file
            staged: list[tuple[_Pending, int, int]] = []
            newline = None  # the files concatenated share the line break of the first one
            with open(cat, "wb") as out:
                for f in candidates:
                    plain = tabular.csv_body(f.csv_path.read_bytes())
                    if plain is None or (newline is not None and plain[1] != newline):
                        continue
                    body, newline = plain
                    start = out.tell()
                    out.write(tabular.marker_line(f"{nonce}:{len(staged)}", width, newline))
                    out.write(body)
                    staged.append((f, start, out.tell()))
            if len(staged) < 2:
                return []
            for table in ("_cat", "_cat_rejects", "_cat_rejects_scan"):
                con.execute(f"drop table if exists {table}")
            try:
                con.execute(
                    "create temp table _cat as " + tabular.concatenated_sql(cat, width, "_cat_rejects")
                )
            except (
                duckdb.InvalidInputException
            ):  # the files are then read one by one, which names the culprit
                return []
            rejects = [
                row[0] for row in con.execute("select distinct byte_position from _cat_rejects").fetchall()
            ]
            if rejects:  # leave out the files holding a rejected line, try again with the others
                # the file holding the line, and the one before it: an unclosed quote at the end of a file
                # runs into the next, where DuckDB reports it
                hit = [
                    k for k, (_f, start, end) in enumerate(staged) if any(start <= b < end for b in rejects)
                ]
                bad = {id(staged[j][0]) for k in hit for j in (k - 1, k) if j >= 0}
                if not bad:
                    return []
                candidates = [f for f, _s, _e in staged if id(f) not in bad]
                continue
            marks = [
                row[0]
                for row in con.execute(
                    f"select rowid from _cat where starts_with(c0, {tabular.sql_str(nonce)}) order by rowid"
                ).fetchall()
            ]
            total = con.execute("select count(*) from _cat").fetchall()[0][0]
            if len(marks) != len(staged) or not marks or marks[0] != 0:
                return []
            # a file's rows follow its marker, its header's stand-in (line 1): the k-th file's lines are
            # 1..n_k, laid beside the rows of _cat by a positional join (no join on keys)
            sizes = [b - a for a, b in zip(marks, [*marks[1:], total], strict=True)]
            con.register(
                "_marks",
                pd.DataFrame(
                    {
                        "_k": range(len(staged)),
                        "_file": [f.csv_path.as_posix() for f, _s, _e in staged],
                        "_n": sizes,
                    }
                ),
            )
            lines = "(select _k, _file, unnest(range(1, _n + 1)) as _row_number from _marks)"
            try:
                # each marker must fall on line 1 of its own file, and only markers there
                off = con.execute(
                    f"select count(*) from _cat c positional join {lines} p "
                    f"where (p._row_number = 1) <> coalesce(c.c0 = {tabular.sql_str(nonce + ':')} || p._k, false)"
                ).fetchall()[0][0]
                if off:
                    return []
                con.execute(
                    "create temp table _cells_cat as select p._row_number, p._file, c.* "
                    f"from _cat c positional join {lines} p where p._row_number > 1"
                )
            finally:
                con.unregister("_marks")
            return [f for f, _s, _e in staged]
        return []
    finally:
        cat.unlink(missing_ok=True)
        for table in ("_cat", "_cat_rejects", "_cat_rejects_scan"):
            con.execute(f"drop table if exists {table}")


def _stage_files(con, files: list[_Pending], width: int) -> None:
    """Stage files one by one, one DuckDB CSV read per file: `_cells_numbered` (_row_number, _file, c0, …)
    and `_malformed` (the lines the reader rejected, per file). Not one multi-file read: with another file
    after it in the same read, DuckDB's reader dropped an unclosed quote on a file's last line without a
    reject (a row neither loaded nor rejected). These are the few files outside the concatenated path."""
    for k, f in enumerate(files):
        sql = tabular.stage_sql([f.csv_path], width, "_csv_rejects")
        con.execute(("create temp table _cells as " if k == 0 else "insert into _cells ") + sql)
    con.execute(
        "create temp table _malformed as select s.file_path as _file, r.line, min(r.error_message) as error, "
        "min(r.csv_line) as csv_line from _csv_rejects r join _csv_rejects_scan s using (scan_id, file_id) "
        "group by all"
    )
    # row numbers = lines in the file (header = 1); with malformed lines skipped by the reader, the good
    # rows take the remaining lines in order. Without any (the usual case) a row's line is its offset
    # from its file's first row in _cells (rows keep the files' order), no window or join needed.
    clean = con.execute("select count(*) = 0 from _malformed").fetchone()[0]
    con.execute(
        """
        create temp table _cells_numbered as
        select c.rowid - f._first + 2 as _row_number, c.filename as _file, c.* exclude (filename)
        from _cells c join (select filename, min(rowid) as _first from _cells group by 1) f using (filename)
        """
        if clean
        else """
        create temp table _cells_numbered as
        with cells as (
            select row_number() over (partition by filename order by rowid) as _k, * from _cells
        ), counts as (
            select filename as _file, count(*) as n from _cells group by 1
        ), bad as (
            select _file, count(*) as m from _malformed group by 1
        ), lines as (
            select c._file, unnest(range(2, c.n + coalesce(b.m, 0) + 2)) as line
            from counts c left join bad b using (_file)
        ), good as (
            select l._file, l.line, row_number() over (partition by l._file order by l.line) as _k
            from lines l anti join _malformed m on m._file = l._file and m.line = l.line
        )
        select g.line as _row_number, c.filename as _file, c.* exclude (_k, filename)
        from cells c join good g on g._file = c.filename and g._k = c._k
        """
    )


def _load_tabular_batch(
    con, spec: TabularSource, batch: list[_Pending], loaded_at, tmp_dir: Path | None = None
) -> list[FileReport]:
    """Stage the files' text cells with DuckDB's CSV reader, type and judge them in one SELECT, then
    write good rows, rejected rows and the manifest entries in one transaction."""
    names = list(batch[0].names)
    index = tabular.header_index(spec, names)
    files = pd.DataFrame(
        {
            "_file": [f.csv_path.as_posix() for f in batch],
            "rel": [f.rel for f in batch],
            "sha": [f.sha for f in batch],
            "export_time": [f.export_time for f in batch],
        }
    )
    temps = ("_cells", "_cells_numbered", "_typed", "_csv_rejects", "_csv_rejects_scan", "_cells_cat")
    try:
        for table in temps:
            con.execute(f"drop table if exists {table}")
        con.register("_files", files)
        fast = _stage_concatenated(con, batch, len(names), tmp_dir) if tmp_dir and len(batch) > 1 else []
        alone = [f for f in batch if all(f is not g for g in fast)]
        if not alone:
            con.execute("alter table _cells_cat rename to _cells_numbered")
            con.execute(
                "create temp table _malformed as select * from (values (null::varchar, null::bigint, "
                "null::varchar, null::varchar)) t(_file, line, error, csv_line) where false"
            )
        else:
            _stage_files(con, alone, len(names))
            if fast:
                con.execute("insert into _cells_numbered select * from _cells_cat")
        con.execute("create temp table _typed as " + tabular.select_sql(spec, index, "_cells_numbered"))
        col_list = ", ".join(f'"{c}"' for c in spec.raw_columns)
        con.execute("begin transaction")
        try:
            con.execute(
                f"insert into raw.{spec.name} ({col_list}, _source_file, _row_number, _file_sha256, _export_time, "
                f"_loaded_at) select {col_list}, f.rel, t._row_number, f.sha, f.export_time, ? "
                "from _typed t join _files f using (_file) where t._reason = '' order by f.rel, t._row_number",
                [loaded_at],
            )
            con.execute(
                "insert into raw.rejected_rows "
                "select ?, f.rel, t._row_number, t._reason, t._raw, f.sha, ? from _typed t join _files f using (_file) "
                "where t._reason <> '' "
                "union all "
                "select ?, f.rel, m.line, 'malformed CSV line: ' || m.error, json_object('line', m.csv_line), f.sha, ? "
                "from _malformed m join _files f using (_file) "
                "order by 2, 3",
                [spec.name, loaded_at, spec.name, loaded_at],
            )
            con.execute(
                """
                create temp table _counts as
                select f.rel, f.sha, f.export_time,
                    coalesce(t.good, 0), coalesce(t.bad, 0) + coalesce(m.n, 0)
                from _files f
                left join (
                    select _file, count(*) filter (where _reason = '') as good,
                        count(*) filter (where _reason <> '') as bad
                    from _typed group by 1
                ) t using (_file)
                left join (select _file, count(*) as n from _malformed group by 1) m using (_file)
                """
            )
            counts = con.execute("select * from _counts order by rel").fetchall()
            # one INSERT … SELECT, not one INSERT per file (executemany cost ~0.5 ms a file)
            con.execute(
                "insert into raw._manifest select sha, ?, rel, export_time, good + bad, good, bad, 'loaded', null, ? "
                "from (select * from _counts order by rel) c(rel, sha, export_time, good, bad)",
                [spec.name, loaded_at],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        return [
            FileReport(rel, sha, "loaded", good + bad, good, bad, reader="duckdb")
            for rel, sha, _et, good, bad in counts
        ]
    finally:
        for table in (*temps, "_malformed", "_counts"):
            con.execute(f"drop table if exists {table}")
        con.unregister("_files")


def _ingest_bulk(
    con, source: Source, pending: list[_Pending], loaded_at, report, log, tmp_dir: Path | None = None
) -> list[_Pending]:
    """Load the files in the plain shape with DuckDB's JSON reader (source.bulk); return the files left
    for the Python parser: those in another shape, those DuckDB cannot read, and those with a row the
    bulk SQL does not vouch for (the parser then names what is wrong)."""
    left: list[_Pending] = []
    shaped: list[tuple[_Pending, str, int]] = []
    for f in pending:
        if f.shape is None:
            left.append(f)
        else:
            shaped.append((f, *f.shape))
    batches = _by_size(shaped, lambda item: item[0].path.stat().st_size)
    done = 0
    while batches:
        batch = batches.pop(0)
        try:
            results, rejected = _load_bulk_batch(con, source, batch, loaded_at, tmp_dir)
        except (duckdb.InvalidInputException, duckdb.ConversionException):  # the data, not the SQL
            if len(batch) == 1:
                left.append(batch[0][0])
            else:  # one unreadable file must not stop the others: halve the batch until it is isolated
                half = len(batch) // 2
                batches[:0] = [batch[:half], batch[half:]]
            continue
        left += rejected
        for fr in results:
            done += 1
            report.files.append(fr)
            log(f"[{done}/{len(shaped)}] {fr.source_file}: {fr.rows_loaded} rows loaded, 0 rejected")
    return sorted(left, key=lambda f: (f.export_time, f.path.as_posix()))


CAT_FILE_BYTES = 1024 * 1024  # JSON-lines files up to this size are read concatenated (one read for many)


def _read_json_lines_concatenated(
    con, source: Source, files: list[tuple[_Pending, int]], tmp_dir: Path
) -> bool:
    """Create `_records` (_file, record columns…) from JSON-lines files in the plain shape (`n` records each)
    written one after the other into one file and read once: DuckDB's JSON reader cost ~1.4 ms per file
    opened (1,704 one-push track files: 2.4 s CPU in one multi-file read, 0.06 s concatenated). Records keep
    the file's order, so the k-th file's records are the next n_k rows, named by a positional join. False
    (nothing created) when the reader does not return exactly the records the shapes promised; the files are
    then read as before, each under its own name."""
    cat = tmp_dir / f"cat-{uuid.uuid4().hex}.jsonl"
    try:
        with open(cat, "wb") as out:
            for f, _n in files:
                data = f.path.read_bytes()
                out.write(data)
                if not data.endswith(b"\n"):
                    out.write(b"\n")
        con.execute(
            f"create temp table _records_cat as select * from read_json({tabular.sql_str(cat.as_posix())}, "
            f"format = 'newline_delimited', columns = {source.bulk.record_columns}, records = true, "
            "maximum_object_size = 1073741824)"
        )
        total = con.execute("select count(*) from _records_cat").fetchall()[0][0]
        if total != sum(n for _f, n in files):
            return False
        con.register(
            "_cat_files",
            pd.DataFrame({"_file": [f.path.as_posix() for f, _n in files], "_n": [n for _f, n in files]}),
        )
        try:
            con.execute(
                "create temp table _records as select p._file, c.* from _records_cat c "
                "positional join (select _file from (select _file, unnest(range(_n)) from _cat_files)) p"
            )
        finally:
            con.unregister("_cat_files")
        return True
    finally:
        cat.unlink(missing_ok=True)
        con.execute("drop table if exists _records_cat")


def _load_bulk_batch(
    con, source: Source, batch, loaded_at, tmp_dir: Path | None = None
) -> tuple[list[FileReport], list[_Pending]]:
    files = pd.DataFrame(
        {
            "_file": [f.path.as_posix() for f, _fmt, _n in batch],
            "rel": [f.rel for f, _fmt, _n in batch],
            "sha": [f.sha for f, _fmt, _n in batch],
            "export_time": [f.export_time for f, _fmt, _n in batch],
            "expected": [n for _f, _fmt, n in batch],
        }
    )
    temps = ("_records",)
    try:
        for table in temps:
            con.execute(f"drop table if exists {table}")
        con.register("_files", files)
        created = False
        lines = [(f, n) for f, fmt, n in batch if fmt == "newline_delimited"]
        small = [(f, n) for f, n in lines if f.path.stat().st_size <= CAT_FILE_BYTES]
        if (
            tmp_dir is not None
            and len(small) > 1
            and _read_json_lines_concatenated(con, source, small, tmp_dir)
        ):
            created = True
        else:
            small = []
        read_already = {id(f) for f, _n in small}
        for fmt in ("newline_delimited", "array"):
            paths = [
                f.path.as_posix() for f, f_fmt, _n in batch if f_fmt == fmt and id(f) not in read_already
            ]
            if not paths:
                continue
            # records = true: every record is an object (the shape says so); the default ('auto') looked at
            # each file again to decide, which cost more than reading the mini-program orders themselves
            read = (
                f"select filename as _file, * exclude (filename) from read_json({tabular.sql_str_list(paths)}, "
                f"format = '{fmt}', columns = {source.bulk.record_columns}, filename = true, "
                "records = true, maximum_object_size = 1073741824)"
            )
            con.execute(("insert into _records " if created else "create temp table _records as ") + read)
            created = True
        # a file is loaded here when it has the records its shape promised, each in the plain shape
        con.execute(
            f"""
            create or replace temp table _verdict as
            select f._file, f.rel, f.sha, f.export_time, coalesce(b.n, 0) as n,
                coalesce(b.records = f.expected and b.ok, false) as ok
            from _files f left join (
                select _file, count(*) as records, sum({source.bulk.record_rows}) as n,
                    bool_and({source.bulk.record_ok}) as ok
                from _records group by 1
            ) b using (_file)
            """
        )
        verdict = con.execute("select * from _verdict").fetchall()
        good = {row[0] for row in verdict if row[5]}
        con.execute(
            "create or replace temp table _good as select unnest(?::varchar[]) as _file", [sorted(good)]
        )
        # records keep the files' order: the position of a record in its file is its rowid's offset
        records = (
            "(select r.*, r.rowid - m._first + 1 as _record from _records r "
            "join (select _file, min(rowid) as _first from _records group by 1) m using (_file) "
            "semi join _good g using (_file))"
        )
        col_list = ", ".join(f'"{c}"' for c in source.columns)
        con.execute("begin transaction")
        try:
            con.execute(
                f"insert into raw.{source.name} ({col_list}, _source_file, _row_number, _file_sha256, _export_time, "
                f"_loaded_at) select {', '.join(f'b.{c}' for c in source.columns)}, f.rel, b._row_number, f.sha, "
                f"f.export_time, ? from ({source.bulk.select(records)}) b join _files f using (_file)",
                [loaded_at],
            )
            if good:
                con.execute(
                    "insert into raw._manifest select f.sha, ?, f.rel, f.export_time, v.n, v.n, 0, 'loaded', null, ? "
                    "from _files f join _verdict v using (_file) join _good g using (_file) order by f.rel",
                    [source.name, loaded_at],
                )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        by_file = {f.path.as_posix(): f for f, _fmt, _n in batch}
        results = [
            FileReport(rel, sha, "loaded", n, n, 0, reader="duckdb")
            for file, rel, sha, _et, n, _ok in verdict
            if file in good
        ]
        return results, [by_file[file] for file, *_rest, ok in verdict if not ok]
    finally:
        for table in (*temps, "_good", "_verdict"):
            con.execute(f"drop table if exists {table}")
        con.unregister("_files")


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


def conservation_violations(
    con: duckdb.DuckDBPyConnection, source_name: str, shas: list[str] | None = None
) -> list[tuple]:
    """Files of `source_name` where rows read != rows in raw + rows rejected (counted in the tables
    themselves, not taken from the manifest's own tallies). Empty list = nothing lost, nothing doubled.
    `shas`: only these files (a run checks the files it loaded, not the whole history again)."""
    only = "where _file_sha256 in (select unnest(?::varchar[]))" if shas is not None else ""
    return con.execute(
        f"""
        with loaded as (
            select _file_sha256 as sha, count(*) as n from raw.{source_name} {only} group by 1
        ), rejected as (
            select _file_sha256 as sha, count(*) as n from raw.rejected_rows where source = ? group by 1
        )
        select m.source_file, m.rows_read, coalesce(l.n, 0) as in_raw, coalesce(r.n, 0) as in_rejected
        from raw._manifest m
        left join loaded l on l.sha = m.file_sha256
        left join rejected r on r.sha = m.file_sha256
        where m.source = ? and m.status = 'loaded'
          and m.rows_read <> coalesce(l.n, 0) + coalesce(r.n, 0)
          {"and m.file_sha256 in (select unnest(?::varchar[]))" if shas is not None else ""}
        order by m.source_file
        """,
        ([shas] if shas is not None else [])
        + [source_name, source_name]
        + ([shas] if shas is not None else []),
    ).fetchall()
