"""The whole pipeline on a generated landing zone, compared with the generator's truth (exact)."""

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.runner import run_all
from pipelines.settings import load_settings
from pipelines.synthetic import generate


def _truth(zone: Path, name: str) -> list[dict]:
    with open(zone / "_truth" / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory):
    zone = tmp_path_factory.mktemp("gen") / "landing"
    summary = generate(zone, orders=1500, days=20, seed=11, receipts=False, progress=False)
    settings = load_settings(str(zone), str(zone.parent / "warehouse.duckdb"), summary["as_of"])
    result = run_all(settings)
    assert result.success, result.errors
    return zone, settings, result


def test_exactly_the_bad_rows_are_rejected_with_reasons(generated_run):
    zone, settings, result = generated_run
    truth = sorted((r["source_file"], int(r["row_number"])) for r in _truth(zone, "rejected_rows.csv"))
    assert len(truth) >= 7  # each planted kind at least once
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ours = con.execute(
            "select source_file, row_number, reason from marts.audit_rejected_rows order by 1, 2"
        ).fetchall()
    assert [(f, n) for f, n, _ in ours] == truth, "rejected rows differ from the truth"
    assert all(reason for _, _, reason in ours)
    assert result.rows_rejected == len(truth)
    assert result.failed_checks == []


def test_every_row_of_every_csv_source_is_read_once(generated_run):
    """Rows read per source folder (duplicate re-exports skipped) = the rows the generator wrote."""
    zone, settings, _ = generated_run
    import json

    written = json.loads((zone / "_truth" / "meta.json").read_text())["counts"]["rows_by_source"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        read = dict(
            con.execute(
                "select regexp_extract(source_file, '^(orders/[a-z]+|settlements/[a-z]+|[a-z]+)') as folder, "
                "sum(rows_read) from raw._manifest where status = 'loaded' group by 1"
            ).fetchall()
        )
    # JSON sources are stored one row per order line (mini-program) or per track node, not per file row
    csv_folders = {f for f in written if f not in ("orders/miniprogram", "tracks")}
    assert {f: read.get(f) for f in csv_folders} == {f: written[f] for f in csv_folders}


def test_every_order_line_matches_the_truth(generated_run):
    zone, settings, _ = generated_run
    truth = sorted(
        (r["order_key"], r["sku"], int(r["quantity"]), Decimal(r["line_amount"]), r["is_gift"] == "true",
         r["category"])
        for r in _truth(zone, "order_lines.csv")
    )  # fmt: skip
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ours = sorted(
            con.execute(
                "select order_key, sku, quantity, line_amount, is_gift, category from marts.fct_order_lines"
            ).fetchall()
        )
    missing = sorted(set(truth) - set(ours))[:10]
    extra = sorted(set(ours) - set(truth))[:10]
    assert ours == truth, f"missing {missing}\nextra {extra}"


def test_a_rerun_loads_nothing_new(generated_run):
    zone, settings, first = generated_run
    second = run_all(settings)
    assert second.success, second.errors
    assert (second.files_loaded, second.rows_loaded, second.rows_rejected) == (0, 0, 0)
    assert second.files_skipped == first.files_loaded + first.files_skipped
