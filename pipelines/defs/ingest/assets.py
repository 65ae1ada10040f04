"""One asset per landing source: new files -> raw.<source>, bad rows -> raw.rejected_rows.

The source assets are one multi-asset (one step): the selected sources load concurrently in one process
(`pipelines.ingest.ingest_sources`), each source's materialisation and conservation check reported as it
finishes."""

from datetime import datetime

import dagster as dg

from pipelines.ingest import IngestReport, ensure_raw_schema, ingest_sources
from pipelines.settings import connect_warehouse
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


CHECK = "rows_conserved"


def _key(source: Source) -> dg.AssetKey:
    return dg.AssetKey(["raw", source.name])


@dg.multi_asset(
    name="ingest_landing",
    specs=[
        dg.AssetSpec(
            _key(source),
            description=source.description,
            group_name="ingest",
            kinds={"python", "duckdb"},
            owners=["team:data-engineering"],
            skippable=True,  # a source that raised is not materialised; the step then fails
        )
        for source in SOURCES.values()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset=_key(source),
            description="Per file loaded by the run: rows read = rows in the raw table + rows in raw.rejected_rows.",
            blocking=True,
        )
        for source in SOURCES.values()
    ],
    # one asset per source, loaded together in one step: the sources run concurrently on cursors of one
    # DuckDB connection (one writer process; the warehouse pool lets one such step at a time). A selection
    # of some sources (a UI subset, the landing sensor's request) loads just those.
    can_subset=True,
    pool=WAREHOUSE_POOL,
    description="Every landing source (or the selected ones) into raw.<source>, the sources loading concurrently.",
)
def ingest_landing(context: dg.AssetExecutionContext, orderlens: OrderlensConfig):
    settings = orderlens.settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    selected = [s for s in SOURCES.values() if _key(s) in context.selected_asset_keys]
    failures: list[str] = []
    with connect_warehouse(settings.warehouse_path) as con:
        loads = ingest_sources(con, selected, settings.landing_dir, datetime.now(), log=context.log.info)
        for load in loads:
            if load.error is not None:
                context.log.error(f"{load.source}: ingest stopped: {load.error!r}")
                failures.append(f"{load.source}: {load.error}")
                continue
            report = load.report
            for failed in report.failed:
                context.log.error(f"{failed.source_file}: whole file rejected: {failed.error}")
            context.log.info(
                f"{load.source}: {report.rows_loaded} rows loaded, {report.rows_rejected} rejected, "
                f"{report.count('loaded')} files in {load.ended - load.started:.1f} s"
            )
            yield dg.MaterializeResult(
                asset_key=_key(SOURCES[load.source]),
                metadata={**_ingest_metadata(report), "dagster/row_count": load.table_rows},
                check_results=[
                    dg.AssetCheckResult(
                        asset_key=_key(SOURCES[load.source]),
                        check_name=CHECK,
                        passed=not load.violations,
                        metadata={
                            "files_off": dg.MetadataValue.md(
                                "\n".join(
                                    f"- `{f}`: read {r}, in raw {a}, rejected {b}"
                                    for f, r, a, b in load.violations
                                )
                                or "none"
                            )
                        },
                    )
                ],
            )
    if failures:
        raise dg.Failure(
            description="ingest stopped for " + "; ".join(failures),
            metadata={"sources": dg.MetadataValue.json([f.split(":")[0] for f in failures])},
        )


@dg.asset(
    key=["raw", "rejected_rows"],
    deps=[_key(source) for source in SOURCES.values()]
    + [dg.AssetKey(["raw", "bank_receipts"]), dg.AssetKey(["raw", "receipt_corrections"])],
    group_name="ingest",
    description="Audit of every input row that could not be loaded (written by the ingest assets).",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    owners=["team:data-engineering"],
)
def rejected_rows(orderlens: OrderlensConfig) -> dg.MaterializeResult:
    settings = orderlens.settings()
    with connect_warehouse(settings.warehouse_path) as con:
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
