"""Landing-zone sensor: new or changed files start a run of the ingest assets they feed and everything
downstream of those (dbt models, publish, alert delivery). Stopped by default: turn it on in the UI."""

import dagster as dg
import duckdb

from pipelines.landing_watch import read_cursor, scan
from pipelines.settings import connect_warehouse
from pipelines.sources.registry import SOURCES

from ..resources import OrderlensConfig


def _manifest_shas(warehouse_path) -> set[str]:
    if not warehouse_path.exists():
        return set()
    with connect_warehouse(warehouse_path, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = '_manifest'"
        ).fetchone()[0]
        return (
            {r[0] for r in con.execute("select file_sha256 from raw._manifest").fetchall()}
            if exists
            else set()
        )


class WarehouseBusy(Exception):
    pass


@dg.sensor(
    name="landing_zone_sensor",
    target=dg.AssetSelection.all(),
    minimum_interval_seconds=30,
    description=(
        "Watches the landing zone ($ORDERLENS_LANDING): files with new bytes (SHA-256) start one run of the "
        "raw assets they feed plus everything downstream. Files already loaded start nothing."
    ),
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, orderlens: OrderlensConfig):
    settings = orderlens.settings()
    if not settings.landing_dir.is_dir():
        return dg.SkipReason(f"no landing zone at {settings.landing_dir}")

    def loaded() -> set[str]:
        try:
            return _manifest_shas(settings.warehouse_path)
        except duckdb.IOException as exc:  # a run holds the warehouse: look again on the next tick
            raise WarehouseBusy(str(exc)) from exc

    try:
        result = scan(settings.landing_dir, SOURCES.values(), read_cursor(context.cursor), loaded)
    except WarehouseBusy:
        return dg.SkipReason("the warehouse is busy (a run is writing it); new files are looked at next tick")
    if not result.new:
        context.update_cursor(result.cursor())
        return dg.SkipReason("no new landing files")
    raw_keys = [dg.AssetKey(["raw", name]) for name in sorted(result.new)]
    selection = dg.AssetSelection.assets(*raw_keys).downstream().resolve(context.repository_def.asset_graph)
    files = sorted(rel for new in result.new.values() for rel, _sha in new)
    context.log.info(f"{len(files)} new landing files for {', '.join(sorted(result.new))}")
    context.update_cursor(result.cursor())
    return dg.RunRequest(
        run_key=result.run_key,
        asset_selection=sorted(selection, key=lambda k: k.to_user_string()),
        tags={"orderlens/trigger": "landing", "orderlens/new_files": str(len(files))},
    )
