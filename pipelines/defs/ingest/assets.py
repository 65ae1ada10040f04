"""One asset per landing source: new files -> raw.<source>, bad rows -> raw.rejected_rows."""

from datetime import datetime

import dagster as dg
import duckdb

from pipelines.ingest import IngestReport, conservation_violations, ensure_raw_schema, ingest_source
from pipelines.sources.common import Source
from pipelines.sources.registry import SOURCES

from ..resources import WAREHOUSE_POOL, OrderlensConfig


def _ingest_metadata(report: IngestReport) -> dict:
    return {
        "files_loaded": report.count("loaded"),
        "files_skipped_seen_before": report.count("skipped"),
        "files_failed": report.count("failed"),
        "rows_loaded": report.rows_loaded,
        "rows_rejected": report.rows_rejected,
        "failed_files": dg.MetadataValue.md(
            "\n".join(f"- `{f.source_file}`: {f.error}" for f in report.failed) or "none"
        ),
    }


def build_ingest_asset(source: Source) -> dg.AssetsDefinition:
    @dg.asset(
        name=source.name,
        key_prefix="raw",
        group_name="ingest",
        description=source.description,
        pool=WAREHOUSE_POOL,
        kinds={"python", "duckdb"},
        owners=["team:data-engineering"],
        check_specs=[
            dg.AssetCheckSpec(
                "rows_conserved",
                asset=dg.AssetKey(["raw", source.name]),
                description="Per file: rows read = rows in the raw table + rows in raw.rejected_rows.",
                blocking=True,
            )
        ],
    )
    def _asset(context: dg.AssetExecutionContext, orderlens: OrderlensConfig) -> dg.MaterializeResult:
        settings = orderlens.settings()
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(settings.warehouse_path)) as con:
            report = ingest_source(con, source, settings.landing_dir, datetime.now(), log=context.log.info)
            violations = conservation_violations(con, source.name)
            table_rows = con.execute(f"select count(*) from raw.{source.name}").fetchone()[0]
        for failed in report.failed:
            context.log.error(f"{failed.source_file}: whole file rejected: {failed.error}")
        return dg.MaterializeResult(
            metadata={**_ingest_metadata(report), "dagster/row_count": table_rows},
            check_results=[
                dg.AssetCheckResult(
                    check_name="rows_conserved",
                    passed=not violations,
                    metadata={
                        "files_off": dg.MetadataValue.md(
                            "\n".join(
                                f"- `{f}`: read {r}, in raw {a}, rejected {b}" for f, r, a, b in violations
                            )
                            or "none"
                        )
                    },
                )
            ],
        )

    return _asset


ingest_assets = [build_ingest_asset(source) for source in SOURCES.values()]


@dg.asset(
    key=["raw", "rejected_rows"],
    deps=[a.key for a in ingest_assets]
    + [dg.AssetKey(["raw", "bank_receipts"]), dg.AssetKey(["raw", "receipt_corrections"])],
    group_name="ingest",
    description="Audit of every input row that could not be loaded (written by the ingest assets).",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    owners=["team:data-engineering"],
)
def rejected_rows(orderlens: OrderlensConfig) -> dg.MaterializeResult:
    settings = orderlens.settings()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        ensure_raw_schema(con)
        by_source = con.execute(
            "select source, count(*) from raw.rejected_rows group by source order by source"
        ).fetchall()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(n for _, n in by_source),
            "rejected_rows": sum(n for _, n in by_source),
            "by_source": dg.MetadataValue.json(dict(by_source)),
        }
    )
