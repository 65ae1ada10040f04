"""CSV files staged together from one concatenated file (`pipelines.ingest._stage_concatenated`) load
exactly what reading each file on its own loads: same raw rows and row numbers, same rejected rows and
reasons, same manifest. Files outside the plain shape, and files with a line DuckDB rejects, are read on
their own, and the rest of their batch still goes through the fast path."""

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines import ingest
from pipelines.ingest import conservation_violations, ingest_source
from pipelines.sources import tabular
from pipelines.sources.registry import SOURCES

LOADED_AT = datetime(2026, 10, 20, 9)
DOUYIN = "orders/douyin"


def _variant(data: bytes, k: int) -> bytes:
    """Another file with the same rows (a different SHA-256): a changed remark cell in the last line."""
    return data.rstrip(b"\r\n") + f"x{k}".encode() + data[len(data.rstrip(b"\r\n")) :]


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> Path:
    from pipelines.synthetic import generate

    root = tmp_path_factory.mktemp("concat") / "landing"
    generate(root, orders=400, days=3, seed=5, receipts=False, progress=False)
    folder = root / DOUYIN
    plain = sorted(folder.glob("*.csv"))
    base = max(plain, key=lambda p: p.stat().st_size).read_bytes()
    assert base.startswith(b"\xef\xbb\xbf") and b"\r" not in base  # BOM, LF: the generator's export
    head, _, rest = base.partition(b"\n")
    lines = rest.splitlines(keepends=True)
    odd = {
        # read on their own (not the plain shape, or a line DuckDB rejects)
        "odd_crlf": (head + b"\n" + b"".join(lines)).replace(b"\n", b"\r\n"),  # another line break than the batch
        "odd_no_final_newline": head + b"\n" + b"".join(lines)[:-1],
        "odd_blank_line_at_end": head + b"\n" + b"".join(lines) + b"\n",
        "odd_quoted_header": b'\xef\xbb\xbf"' + head[3:].replace(b",", b'","') + b'"\n' + b"".join(lines),
        "odd_extra_column": head + b"\n" + lines[0] + lines[1].rstrip(b"\n") + b",surplus\n" + b"".join(lines[2:]),
        "odd_unclosed_quote": head + b"\n" + b"".join(lines) + b'"unclosed,1\n',
        "odd_short_line": head + b"\n" + lines[0] + b"a,b\n" + b"".join(lines[1:]),
        # the plain shape: concatenated
        "plain_no_bom": _variant(base[3:], 1),
        "plain_header_only": head + b"\n",
        # a remark of two lines, quoted
        "plain_quoted_newline": head + b"\n" + lines[0][: lines[0].rfind(b",") + 1] + b'"two\nlines"\n'
        + b"".join(lines[1:3]),
    }  # fmt: skip
    for k, (name, data) in enumerate(odd.items()):
        (folder / f"douyin_orders_2026101{7 + k // 10}_{k % 10:02d}3000_{name}.csv").write_bytes(data)
    for k, p in enumerate(plain):  # several plain variants, so that the odd files sit among plain ones
        (folder / f"douyin_orders_20261019_{k:02d}0000_plain_copy.csv").write_bytes(
            _variant(p.read_bytes(), k + 2)
        )
    return root


def _tables(con) -> dict[str, list]:
    return {
        "raw": con.execute("select * exclude (_loaded_at) from raw.orders_douyin order by all").fetchall(),
        "rejected": con.execute(
            "select * exclude (_loaded_at) from raw.rejected_rows order by all"
        ).fetchall(),
        "manifest": con.execute("select * exclude (loaded_at) from raw._manifest order by all").fetchall(),
    }


def test_concatenated_staging_loads_what_file_by_file_staging_loads(zone, monkeypatch):
    staged: list[str] = []
    real = ingest._stage_concatenated

    def spy(con, batch, width, tmp_dir):
        got = real(con, batch, width, tmp_dir)
        staged.extend(Path(f.rel).name for f in got)
        return got

    monkeypatch.setattr(ingest, "_stage_concatenated", spy)
    fast = duckdb.connect()
    report = ingest_source(fast, SOURCES["orders_douyin"], zone, LOADED_AT)
    assert conservation_violations(fast, "orders_douyin") == []
    monkeypatch.setattr(ingest, "_stage_concatenated", lambda *_args: [])
    alone = duckdb.connect()
    ingest_source(alone, SOURCES["orders_douyin"], zone, LOADED_AT)

    got, want = _tables(fast), _tables(alone)
    for table in ("raw", "rejected", "manifest"):
        only_fast = [r for r in got[table] if r not in want[table]]
        only_alone = [r for r in want[table] if r not in got[table]]
        assert (only_fast, only_alone) == ([], []), f"{table}: concatenated and file-by-file staging differ"
        assert got[table] == want[table]

    names = {Path(f.source_file).name for f in report.files if f.status == "loaded"}
    odd = {n for n in names if "_odd_" in n}
    assert odd and not odd & set(staged), sorted(odd & set(staged))
    # every plain file but the neighbours of a rejected line: a file where DuckDB reports a rejected line is
    # read on its own with the one before it (an unclosed quote is reported in the file after it). Here: the
    # file staged before odd_extra_column, and plain_no_bom, where odd_unclosed_quote's quote is reported
    neighbours = {"douyin_orders_20261016_230000 (1).csv", "douyin_orders_20261017_073000_plain_no_bom.csv"}
    assert set(staged) == names - odd - neighbours, sorted((names - odd - neighbours) ^ set(staged))
    # the bad lines are named with their line in their own file, and the rest of the file is loaded
    malformed = fast.execute(
        "select source_file, row_number from raw.rejected_rows where reason like 'malformed CSV line%' order by all"
    ).fetchall()
    unclosed = next((zone / DOUYIN).glob("*_odd_unclosed_quote.csv"))
    # odd_unclosed_quote's last line too: files outside the concatenated path are read one per read (in one
    # multi-file read, DuckDB dropped an unclosed quote at the end of a file without a reject)
    assert sorted((Path(f).name.split("_", 4)[4], n) for f, n in malformed) == sorted(
        [
            ("odd_extra_column.csv", 3),
            ("odd_short_line.csv", 3),
            ("odd_unclosed_quote.csv", unclosed.read_bytes().count(b"\n")),
        ]
    )
    assert [f.source_file for f in report.files if f.status == "failed"] == []


def test_a_file_duckdb_cannot_read_is_named_and_its_batch_loaded_without_it(zone, tmp_path):
    root = tmp_path / "landing"
    shutil.copytree(zone, root)
    folder = root / DOUYIN
    data = max(folder.glob("douyin_orders_2026101[56]_*.csv"), key=lambda p: p.stat().st_size).read_bytes()
    head, _, rest = data.partition(b"\n")
    bad = folder / "douyin_orders_20261018_003000_mixed_breaks.csv"
    bad.write_bytes(head + b"\r\n" + rest)  # CRLF after the header, LF after the rows: the reader gives up
    con = duckdb.connect()
    report = ingest_source(con, SOURCES["orders_douyin"], root, LOADED_AT)
    failed = [
        (Path(f.source_file).name, (f.error or "").split(".")[0])
        for f in report.files
        if f.status == "failed"
    ]
    assert failed == [
        (bad.name, "Invalid Input Error: The CSV Parser state machine reached an invalid state")
    ]
    assert con.execute(
        "select row_number, reason like 'whole file rejected: Invalid Input Error%' from raw.rejected_rows "
        "where source_file = ?",
        [f"{DOUYIN}/{bad.name}"],
    ).fetchall() == [(0, True)]
    # every other file is loaded, as when the bad file is absent
    bad.unlink()
    without = duckdb.connect()
    ingest_source(without, SOURCES["orders_douyin"], root, LOADED_AT)
    assert _tables(con)["raw"] == _tables(without)["raw"]
    assert conservation_violations(con, "orders_douyin") == []


def test_csv_body_takes_only_the_plain_shape():
    assert tabular.csv_body(b"\xef\xbb\xbfa,b\n1,2\n") == (b"1,2\n", b"\n")
    assert tabular.csv_body(b"a,b\r\n1,2\r\n3,4\r\n") == (b"1,2\r\n3,4\r\n", b"\r\n")
    assert tabular.csv_body(b"a,b\n") == (b"", b"\n")
    assert tabular.csv_body(b'a,b\n"x\ny",2\n') == (
        b'"x\ny",2\n',
        b"\n",
    )  # quoted break: the reader's business
    for data in (b"a,b", b'"a",b\n1,2\n', b"a,b\n1,2", b"a,b\n1,2\n\n", b"a,b\r\n1,2\n", b"a,b\n1\r2\n",
                 b"a,b\r\n1,2\r\n\r\n", b"a,b\n\n", b"a,b\r\n\r\n"):  # fmt: skip
        assert tabular.csv_body(data) is None, data
    assert tabular.marker_line("m:0", 3, b"\r\n") == b"m:0,,\r\n"


def test_files_are_batched_in_order_up_to_the_byte_bound(monkeypatch):
    monkeypatch.setattr(ingest, "BATCH_BYTES", 10)
    # consecutive runs of at most 10 bytes; a file larger than the bound is a batch of its own
    assert ingest._by_size([3, 4, 5, 20, 1, 9, 1], lambda n: n) == [[3, 4], [5], [20], [1, 9], [1]]
    assert ingest._by_size([], lambda n: n) == []
