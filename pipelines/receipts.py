"""Bank e-receipts (landing/receipts/*.png|jpg|pdf) -> raw.bank_receipts, through an OCR cache.

- `raw.receipt_ocr_cache`, keyed by the file's SHA-256: what tesseract read (text, word confidence,
  second-pass readings; the slow part, ~0.5 s a receipt per core) and the record parsed from it (fast).
  A file whose bytes were read before is never OCR'd again, under any name; the cache survives any
  rebuild of raw.bank_receipts and of every dbt model. A reading is redone only when
  `ocr.READER_VERSION` changes; the record is re-parsed from the cached reading when the parser code
  or the known-party list changes (milliseconds a receipt).
- `raw.bank_receipts` is rewritten on every run from the cache: one row per receipt file ever seen
  (first name it was seen under), as read. Nothing is lost when a file leaves the landing zone.
- A file that cannot be opened at all goes to `raw.rejected_rows` (row 0) once, like other sources.
- `raw.receipt_corrections`: every row of `landing/receipts/corrections*.csv`, reloaded on every run
  (the file is the person's record; dbt applies it); its bad rows go to `raw.rejected_rows`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from .sources import receipt_corrections
from .sources.common import FileFormatError, sha256_file

SOURCE = "bank_receipts"
CORRECTIONS_SOURCE = "receipt_corrections"
EXTENSIONS = (".png", ".jpg", ".jpeg", ".pdf")

CACHE_DDL = """
create table if not exists raw.receipt_ocr_cache (
    file_sha256 varchar primary key,
    source_file varchar not null,      -- the name the bytes were first seen under
    source_kind varchar not null,      -- png | jpg | pdf_text | pdf_scan | unreadable
    reader_version varchar not null,   -- ocr.READER_VERSION of the reading
    ocr_text varchar,
    confidence double,
    alternatives varchar,              -- JSON: second-pass readings of amount / amount in words
    error varchar,                     -- why the file could not be opened (null = read)
    ocr_seconds double,
    read_at timestamp not null,
    parsed_with varchar,               -- fingerprint of parser code + known parties of `record`
    record varchar                     -- JSON: the parsed record (ocr.RECORD_FIELDS)
)
"""

RAW_COLUMNS = {
    "source_file": "VARCHAR",
    "_file_sha256": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
    "source_kind": "VARCHAR",
    "bank": "VARCHAR",
    "receipt_no": "VARCHAR",
    "txn_serial": "VARCHAR",
    "txn_date": "TIMESTAMP",
    "payer_name": "VARCHAR",
    "payer_account": "VARCHAR",
    "payer_bank": "VARCHAR",
    "payee_name": "VARCHAR",
    "payee_account": "VARCHAR",
    "payee_bank": "VARCHAR",
    "amount": "DECIMAL(18,2)",
    "amount_in_words": "VARCHAR",
    "amount_in_words_ok": "BOOLEAN",
    "purpose": "VARCHAR",
    "summary": "VARCHAR",
    "order_nos": "VARCHAR",
    "is_reprint": "BOOLEAN",
    "confidence": "DOUBLE",
    "needs_review": "BOOLEAN",
    "review_reason": "VARCHAR",
}

CORRECTION_COLUMNS = {
    **receipt_corrections.COLUMNS,
    "_source_file": "VARCHAR",
    "_row_number": "INTEGER",
    "_file_sha256": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
}


@dataclass
class ReceiptReport:
    files_seen: int = 0
    ocr_done: int = 0  # files read by tesseract / the PDF text layer in this run
    cache_hits: int = 0  # files whose bytes were read before (skipped)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, error) read this run
    ocr_seconds: float = 0.0
    rows: int = 0  # rows in raw.bank_receipts
    needs_review: int = 0
    reparsed: int = 0
    corrections: int = 0
    corrections_rejected: int = 0
    corrections_failed: list[tuple[str, str]] = field(default_factory=list)


def receipt_files(landing_dir: Path) -> list[Path]:
    """Receipt images and PDFs under landing/receipts/ (none when the folder does not exist)."""
    folder = landing_dir / "receipts"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)


def ensure_receipt_tables(con: duckdb.DuckDBPyConnection) -> None:
    from .ingest import ensure_raw_schema

    ensure_raw_schema(con)  # raw schema, raw._manifest, raw.rejected_rows
    con.execute(CACHE_DDL)
    for name, columns in ((SOURCE, RAW_COLUMNS), (CORRECTIONS_SOURCE, CORRECTION_COLUMNS)):
        body = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        con.execute(f"create table if not exists raw.{name} ({body})")


def parser_fingerprint(known_names: list[str]) -> str:
    """Changes when the parsing code (ocr/*.py) or the known-party list changes."""
    import ocr

    h = hashlib.sha256()
    for p in sorted(Path(ocr.__file__).parent.glob("*.py")):
        h.update(p.name.encode() + p.read_bytes())
    h.update("\n".join(sorted(known_names)).encode())
    return h.hexdigest()[:16]


def known_parties(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Party names a receipt may carry: the ERP customer master (客户名称) and the own company
    (`ORDERLENS_OWN_COMPANY`, several separated by ';'). Names read within a small edit distance of
    exactly one of them are snapped to it."""
    names = {n.strip() for n in os.environ.get("ORDERLENS_OWN_COMPANY", "").split(";") if n.strip()}
    has_erp = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'orders_erp'"
    ).fetchone()[0]
    if has_erp:
        rows = con.execute(
            "select distinct customer_name from raw.orders_erp where customer_name is not null"
        ).fetchall()
        names |= {r[0] for r in rows}
    return sorted(names)


def _jsonable(rec: dict) -> dict:
    out = {}
    for k, v in rec.items():
        if isinstance(v, Decimal):
            v = f"{v:.2f}"
        elif hasattr(v, "isoformat"):
            v = v.isoformat()
        out[k] = v
    return out


def _record_json(rec: dict) -> str:
    return json.dumps(_jsonable(rec), ensure_ascii=False, sort_keys=True)


def ocr_new_files(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    loaded_at: datetime,
    processes: int | None = None,
    log: Callable[[str], None] = lambda _m: None,
    batch: int = 16,
) -> ReceiptReport:
    """OCR every receipt file whose bytes are not in the cache; each finished batch is committed at
    once (an interrupted run keeps what it read)."""
    import ocr

    ensure_receipt_tables(con)
    report = ReceiptReport()
    files = receipt_files(landing_dir)
    report.files_seen = len(files)
    cached = {
        sha: version
        for sha, version in con.execute(
            "select file_sha256, reader_version from raw.receipt_ocr_cache"
        ).fetchall()
    }
    todo: list[tuple[Path, str, str]] = []
    queued: set[str] = set()
    for path in files:
        sha = sha256_file(path)
        if (cached.get(sha) == ocr.READER_VERSION) or sha in queued:
            report.cache_hits += 1
            continue
        queued.add(sha)
        todo.append((path, path.relative_to(landing_dir).as_posix(), sha))
    if not todo:
        log(f"receipts: {len(files)} files, all read before (cache hits {report.cache_hits}); nothing to OCR")
        return report
    processes = processes or max(1, os.cpu_count() or 1)
    log(f"receipts: OCR of {len(todo)} new files on {processes} processes ({report.cache_hits} cache hits)")
    rel_of = {str(p): (rel, sha) for p, rel, sha in todo}
    done = 0
    started = datetime.now()

    def store(readings: list[dict]) -> None:
        nonlocal done
        rows = []
        for r in readings:
            rel, sha = rel_of[r["source_file"]]
            if r["sha256"] != sha:  # the file changed while we read it: next run reads it again
                log(f"{rel}: changed while being read; it will be read again")
                continue
            rows.append(
                (
                    sha,
                    rel,
                    r["source_kind"],
                    ocr.READER_VERSION,
                    r["text"],
                    r["confidence"],
                    json.dumps(r["alternatives"], ensure_ascii=False),
                    r["error"],
                    r.get("seconds"),
                    loaded_at,
                )
            )
            report.ocr_seconds += r.get("seconds") or 0.0
            if r["error"]:
                report.failed.append((rel, r["error"]))
        con.execute("begin transaction")
        try:
            con.executemany(
                "insert or replace into raw.receipt_ocr_cache "
                "(file_sha256, source_file, source_kind, reader_version, ocr_text, confidence, alternatives, "
                "error, ocr_seconds, read_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            for sha, rel, *_rest, error, _secs, _at in rows:
                if error:
                    con.execute(
                        "delete from raw.rejected_rows where source = ? and _file_sha256 = ?", [SOURCE, sha]
                    )
                    con.execute(
                        "insert into raw.rejected_rows values (?, ?, 0, ?, null, ?, ?)",
                        [
                            SOURCE,
                            rel,
                            f"whole file rejected: not a readable receipt image or PDF: {error}",
                            sha,
                            loaded_at,
                        ],
                    )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        done += len(rows)
        report.ocr_done += len(rows)
        elapsed = (datetime.now() - started).total_seconds()
        rate = done / elapsed if elapsed > 0 else 0.0
        log(f"receipts: OCR {done}/{len(todo)} files ({rate:.2f}/s)")

    ocr.read_many([p for p, _rel, _sha in todo], processes=processes, batch=batch, progress=store)
    for rel, error in report.failed:
        log(f"{rel}: whole file rejected: {error}")
    return report


def rebuild_bank_receipts(
    con: duckdb.DuckDBPyConnection,
    log: Callable[[str], None] = lambda _m: None,
    report: ReceiptReport | None = None,
) -> ReceiptReport:
    """Parse cached readings whose record is missing or stale, then rewrite raw.bank_receipts."""
    import ocr

    report = report or ReceiptReport()
    ensure_receipt_tables(con)
    known = known_parties(con)
    fp = parser_fingerprint(known)
    stale = con.execute(
        "select file_sha256, source_file, source_kind, ocr_text, confidence, alternatives from raw.receipt_ocr_cache "
        "where error is null and (parsed_with is null or parsed_with <> ?)",
        [fp],
    ).fetchall()
    updates = []
    for sha, rel, kind, text, conf, alts in stale:
        reading = {
            "source_file": rel,
            "sha256": sha,
            "source_kind": kind,
            "text": text or "",
            "confidence": conf or 0.0,
            "alternatives": json.loads(alts or "{}"),
        }
        try:
            rec = ocr.parse_reading(reading, known)
        except Exception as exc:  # a parser bug must not stop the run: the receipt goes to review
            log(f"{rel}: could not parse the OCR text: {exc!r}")
            rec = ocr.parse_reading({**reading, "text": ""})
            rec["review_reason"] = f"could not parse the OCR text: {exc.__class__.__name__}: {exc}"
        updates.append((fp, _record_json(rec), sha))
    if updates:
        con.executemany(
            "update raw.receipt_ocr_cache set parsed_with = ?, record = ? where file_sha256 = ?", updates
        )
        log(f"receipts: {len(updates)} cached readings parsed ({len(known)} known parties)")
    report.reparsed = len(updates)
    rows = con.execute(
        "select file_sha256, source_file, read_at, record from raw.receipt_ocr_cache "
        "where error is null order by source_file, file_sha256"
    ).fetchall()
    frame = pd.DataFrame({c: pd.Series([], dtype="object") for c in RAW_COLUMNS})
    if rows:
        recs = []
        for sha, rel, read_at, record in rows:
            rec = json.loads(record)
            rec.update(source_file=rel, _file_sha256=sha, _loaded_at=read_at)
            rec["order_nos"] = " ".join(rec.get("order_nos") or []) or None
            if rec.get("txn_date") and rec.get("txn_time"):  # CMB prints the time of day
                rec["txn_date"] = f"{rec['txn_date']} {rec['txn_time']}"
            recs.append({c: rec.get(c) for c in RAW_COLUMNS})
        frame = pd.DataFrame(recs, columns=list(RAW_COLUMNS), dtype="object")
    select = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in RAW_COLUMNS.items())
    con.register("_receipts", frame)
    try:
        con.execute("begin transaction")
        con.execute(f"delete from raw.{SOURCE}")
        con.execute(f"insert into raw.{SOURCE} select {select} from _receipts")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("_receipts")
    report.rows, report.needs_review = con.execute(
        f"select count(*), count(*) filter (where needs_review) from raw.{SOURCE}"
    ).fetchone()
    return report


def load_corrections(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    loaded_at: datetime,
    log: Callable[[str], None] = lambda _m: None,
    report: ReceiptReport | None = None,
) -> ReceiptReport:
    """Replace raw.receipt_corrections (and its rejected rows) with what the corrections files say now."""
    report = report or ReceiptReport()
    ensure_receipt_tables(con)
    files = sorted(
        {p for pattern in receipt_corrections.PATTERNS for p in landing_dir.glob(pattern) if p.is_file()}
    )
    rows: list[dict] = []
    rejected: list[tuple] = []
    for path in files:
        rel = path.relative_to(landing_dir).as_posix()
        sha = sha256_file(path)
        try:
            parsed = receipt_corrections.parse_corrections(path)
        except (FileFormatError, UnicodeError, OSError) as exc:
            log(f"{rel}: cannot read this file as receipt corrections: {exc}")
            report.corrections_failed.append((rel, str(exc)))
            rejected.append((CORRECTIONS_SOURCE, rel, 0, f"whole file rejected: {exc}", None, sha, loaded_at))
            continue
        for r in parsed.rows:
            rows.append({**r, "_source_file": rel, "_file_sha256": sha, "_loaded_at": loaded_at})
        for bad in parsed.rejected:
            log(f"{rel} row {bad.row_number}: {bad.reason}")
            rejected.append(
                (
                    CORRECTIONS_SOURCE,
                    rel,
                    bad.row_number,
                    bad.reason,
                    json.dumps(bad.raw, ensure_ascii=False),
                    sha,
                    loaded_at,
                )
            )
    frame = pd.DataFrame(
        [{c: r.get(c) for c in CORRECTION_COLUMNS} for r in rows] or None,
        columns=list(CORRECTION_COLUMNS),
        dtype="object",
    )
    select = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in CORRECTION_COLUMNS.items())
    con.register("_corrections", frame)
    try:
        con.execute("begin transaction")
        con.execute(f"delete from raw.{CORRECTIONS_SOURCE}")
        con.execute(f"insert into raw.{CORRECTIONS_SOURCE} select {select} from _corrections")
        con.execute("delete from raw.rejected_rows where source = ?", [CORRECTIONS_SOURCE])
        if rejected:
            con.executemany("insert into raw.rejected_rows values (?, ?, ?, ?, ?, ?, ?)", rejected)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("_corrections")
    report.corrections = len(rows)
    report.corrections_rejected = len(rejected)
    return report
