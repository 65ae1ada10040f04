"""The finance difference export of the run's day, written after every publish (what the 09:00 schedule
leaves in data/exports/): the same file as `orderlens export differences --date <as_of day> --format xlsx`."""

import dagster as dg

from pipelines.exports.differences import export_differences

from ..resources import OrderlensConfig

SNAPSHOT = dg.AssetKey(["published", "marts_snapshot"])


@dg.asset(
    key=["reports", "differences_xlsx"],
    deps=[SNAPSHOT],
    group_name="reports",
    description=(
        "rpt_daily_differences of the run's as_of day as XLSX (a sheet per difference type, Chinese headers, "
        "amounts as numbers), read from the published snapshot: <warehouse folder>/exports/"
        "differences-<YYYY-MM-DD>.xlsx. The 09:00 schedule makes it the morning pool."
    ),
    kinds={"xlsx"},
    owners=["team:finance"],
)
def differences_xlsx(context: dg.AssetExecutionContext, orderlens: OrderlensConfig) -> dg.MaterializeResult:
    settings = orderlens.settings()
    day = settings.as_of.date()
    out = settings.exports_dir / f"differences-{day.isoformat()}.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    export = export_differences(settings.published_dir, day, "xlsx", out)
    context.log.info(f"differences of {day}: {len(export.rows)} pending items -> {out}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(out)),
            "report_date": day.isoformat(),
            "by_type": dg.MetadataValue.json(export.counts),
            "dagster/row_count": len(export.rows),
        }
    )
