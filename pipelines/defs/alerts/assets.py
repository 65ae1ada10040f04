"""Alert delivery as an asset: new rows of the alert marts go once each to the configured channel."""

import dagster as dg

from pipelines.notify.channels import LogChannel, configured_channels
from pipelines.notify.deliver import DeliveryConfig, run_pass
from pipelines.notify.sources import ALERT_SOURCES
from pipelines.settings import connect_warehouse

from ..dbt.assets import orderlens_dbt_models
from ..resources import WAREHOUSE_POOL, OrderlensConfig

# The alert marts that exist in this build of the graph (a source whose mart comes later is skipped).
ALERT_MART_KEYS = [
    dg.AssetKey(s.table.split("."))
    for s in ALERT_SOURCES
    if dg.AssetKey(s.table.split(".")) in set(orderlens_dbt_models.keys)
]


@dg.asset(
    key=["ops", "alert_deliveries"],
    deps=ALERT_MART_KEYS,
    group_name="delivery",
    description=(
        "Sends every new alert (rows of "
        + ", ".join(f"`{s.table}`" for s in ALERT_SOURCES)
        + ") once to the WeCom / DingTalk / Feishu robots configured in the environment, or to "
        "data/alerts/alerts.log when none is; the ledger `ops.alert_deliveries` records each alert × channel. "
        "A failed delivery stays pending and is retried on the next materialisation."
    ),
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
    owners=["team:data-engineering"],
    check_specs=[
        dg.AssetCheckSpec(
            "no_failed_deliveries",
            asset=dg.AssetKey(["ops", "alert_deliveries"]),
            description="Warns while a delivery failed in this pass (it is retried on the next one).",
        )
    ],
)
def alert_deliveries(context: dg.AssetExecutionContext, orderlens: OrderlensConfig) -> dg.MaterializeResult:
    settings = orderlens.settings()
    channels = configured_channels(default_log=settings.warehouse_path.parent / "alerts" / "alerts.log")
    context.log.info("alert channels: " + ", ".join(c.name for c in channels))  # names only, never URLs
    with connect_warehouse(settings.warehouse_path) as con:
        report = run_pass(con, channels, DeliveryConfig.from_env(), log=context.log.info)
        ledger_rows = con.execute("select count(*) from ops.alert_deliveries").fetchone()[0]
    log_paths = [str(c.path) for c in channels if isinstance(c, LogChannel)]
    return dg.MaterializeResult(
        metadata={
            "channels": ", ".join(c.name for c in channels),
            "new_alerts": dg.MetadataValue.json(report.new_alerts),
            "skipped_sources": ", ".join(report.skipped_sources) or "none",
            "delivered_this_pass": dg.MetadataValue.json(report.delivered),
            "messages_this_pass": dg.MetadataValue.json(report.messages),
            "failed_messages": report.failed_messages,
            "undelivered": report.undelivered,
            "ledger": dg.MetadataValue.json(report.status),
            "preview": dg.MetadataValue.md("\n".join(report.preview) or "nothing new"),
            "dagster/row_count": ledger_rows,
            **({"alert_log": dg.MetadataValue.path(log_paths[0])} if log_paths else {}),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="no_failed_deliveries",
                passed=report.failed_messages == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in report.errors) or "none"),
                    "undelivered": report.undelivered,
                },
            )
        ],
    )
