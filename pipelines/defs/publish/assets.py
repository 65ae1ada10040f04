"""Publish the marts for the readers once the dbt build (and its tests) succeeded."""

import dagster as dg

from pipelines.publish import publish

from ..dbt.assets import orderlens_dbt_models
from ..resources import WAREHOUSE_POOL, OrderlensConfig

MART_KEYS = [key for key in orderlens_dbt_models.keys if key.path[0] == "marts"]


@dg.asset(
    key=["published", "marts_snapshot"],
    deps=MART_KEYS,
    group_name="publish",
    description="Versioned Parquet snapshot of every mart, swapped in atomically for dashboards and exports.",
    pool=WAREHOUSE_POOL,
    kinds={"parquet"},
    owners=["team:data-engineering"],
)
def marts_snapshot(context: dg.AssetExecutionContext, orderlens: OrderlensConfig) -> dg.MaterializeResult:
    settings = orderlens.settings()
    result = publish(settings.warehouse_path, settings.published_dir, settings.as_of_text)
    for table, rows in sorted(result.tables.items()):  # row counts on each mart's page (dbt does not count)
        if dg.AssetKey(["marts", table]) in MART_KEYS:
            context.log_event(
                dg.AssetObservation(
                    asset_key=dg.AssetKey(["marts", table]), metadata={"dagster/row_count": rows}
                )
            )
    return dg.MaterializeResult(
        metadata={
            "version": result.version,
            "path": dg.MetadataValue.path(str(result.path)),
            "tables": dg.MetadataValue.json(result.tables),
            "dagster/row_count": sum(result.tables.values()),
        }
    )
