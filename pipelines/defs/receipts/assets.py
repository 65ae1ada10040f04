"""Bank e-receipts: landing/receipts/ -> OCR (cached by SHA-256) -> raw.bank_receipts, and the person
corrections file -> raw.receipt_corrections. Wiring only: the work is in pipelines/receipts.py and ocr/."""

import os
from datetime import datetime

import dagster as dg

from pipelines.receipts import (
    CORRECTIONS_SOURCE,
    SOURCE,
    load_corrections,
    ocr_new_files,
    rebuild_bank_receipts,
)
from pipelines.settings import connect_warehouse

from ..resources import WAREHOUSE_POOL, OrderlensConfig

REVIEW_SHARE_ENV = "ORDERLENS_OCR_REVIEW_MAX_SHARE"
REVIEW_SHARE_DEFAULT = 0.25  # above this share of receipts waiting for a person, the OCR needs attention


def review_share_limit() -> float:
    return float(os.environ.get(REVIEW_SHARE_ENV) or REVIEW_SHARE_DEFAULT)


def _md(items: list[tuple[str, str]]) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- `{f}`: {e}" for f, e in items) or "none")


@dg.asset(
    key=["raw", SOURCE],
    deps=[dg.AssetKey(["raw", "orders_erp"])],  # the ERP customer master snaps misread party names
    group_name="receipts",
    description=(
        "Bank e-receipts (landing/receipts/*.png|jpg|pdf, CONTRACT §1.7) read by OCR, one row per receipt "
        "file as read. OCR results are cached by the file's SHA-256 in raw.receipt_ocr_cache: a re-run "
        "OCRs only new files; one tesseract process per core (OMP_THREAD_LIMIT=1)."
    ),
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
    owners=["team:data-engineering"],
    check_specs=[
        dg.AssetCheckSpec(
            "every_file_accounted",
            asset=dg.AssetKey(["raw", SOURCE]),
            description="Every receipt file read is in raw.bank_receipts or (unreadable) in raw.rejected_rows.",
            blocking=True,
        ),
        dg.AssetCheckSpec(
            "review_share",
            asset=dg.AssetKey(["raw", SOURCE]),
            description=(
                f"Share of receipt files the OCR flags for review is at most ${REVIEW_SHARE_ENV} "
                f"(default {REVIEW_SHARE_DEFAULT:.0%}); warns, never blocks (flagged receipts wait for a person)."
            ),
        ),
    ],
)
def bank_receipts(context: dg.AssetExecutionContext, orderlens: OrderlensConfig) -> dg.MaterializeResult:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    settings = orderlens.settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with connect_warehouse(settings.warehouse_path) as con:
        report = ocr_new_files(con, settings.landing_dir, datetime.now(), log=context.log.info)
        rebuild_bank_receipts(con, log=context.log.info, report=report)
        off = con.execute(
            f"""
            select c.source_file from raw.receipt_ocr_cache c
            where (c.error is null and c.file_sha256 not in (select _file_sha256 from raw.{SOURCE}))
               or (c.error is not null and c.file_sha256 not in
                   (select _file_sha256 from raw.rejected_rows where source = '{SOURCE}' and row_number = 0))
            order by 1
            """
        ).fetchall()
    for rel, error in report.failed:
        context.log.error(f"{rel}: whole file rejected: {error}")
    return dg.MaterializeResult(
        metadata={
            "files_loaded": report.ocr_done - len(report.failed),
            "files_skipped_seen_before": report.cache_hits,
            "files_failed": len(report.failed),
            "rows_loaded": report.ocr_done - len(report.failed),
            "rows_rejected": len(report.failed),
            "failed_files": _md(report.failed),
            "receipt_files_in_landing": report.files_seen,
            "ocr_cache_hits": report.cache_hits,
            "ocr_files_read": report.ocr_done,
            "ocr_seconds": round(report.ocr_seconds, 1),
            "records_reparsed": report.reparsed,
            "rows_in_raw": report.rows,
            "rows_needing_review": report.needs_review,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="every_file_accounted",
                passed=not off,
                metadata={"files_off": dg.MetadataValue.md("\n".join(f"- `{r[0]}`" for r in off) or "none")},
            ),
            _review_share_result(report.rows, report.needs_review),
        ],
    )


def _review_share_result(rows: int, needs_review: int) -> dg.AssetCheckResult:
    limit = review_share_limit()
    share = needs_review / rows if rows else 0.0
    return dg.AssetCheckResult(
        check_name="review_share",
        passed=share <= limit,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"receipts": rows, "needs_review": needs_review, "share": round(share, 4), "limit": limit},
        description=f"{needs_review} of {rows} receipt files need review ({share:.0%}; limit {limit:.0%})",
    )


@dg.asset(
    key=["raw", CORRECTIONS_SOURCE],
    group_name="receipts",
    description=(
        "Person corrections and confirmations of receipts (landing/receipts/corrections*.csv, docs/receipts.md), "
        "reloaded in full on every run; applied by dbt (int_bank_receipts_corrected)."
    ),
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
    owners=["team:finance"],
)
def receipt_corrections(
    context: dg.AssetExecutionContext, orderlens: OrderlensConfig
) -> dg.MaterializeResult:
    settings = orderlens.settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with connect_warehouse(settings.warehouse_path) as con:
        report = load_corrections(con, settings.landing_dir, datetime.now(), log=context.log.info)
    for rel, error in report.corrections_failed:
        context.log.error(f"{rel}: whole file rejected: {error}")
    return dg.MaterializeResult(
        metadata={
            "corrections": report.corrections,
            "rows_rejected": report.corrections_rejected,
            "failed_files": _md(report.corrections_failed),
        }
    )
