"""Every dbt model as an asset (dbt tests become asset checks); one dbt invocation per run."""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from ...settings import dbt_target_dir, restored_environment
from ..project import dbt_project
from ..resources import WAREHOUSE_POOL, OrderlensConfig


class OrderlensTranslator(DagsterDbtTranslator):
    """Models keyed by schema (`marts/fct_orders`), grouped by their folder (staging, marts)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props["config"].get("schema") or "main"
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # staging views in `staging`; intermediate models build the marts and sit with them in `marts`
        if dbt_resource_props["resource_type"] == "model":
            folder = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "marts"
            return "staging" if folder == "staging" else "marts"
        if dbt_resource_props["resource_type"] == "seed":  # small reference data read by the staging layer
            return "staging"
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        owners = list(super().get_owners(dbt_resource_props) or [])
        if dbt_resource_props["resource_type"] in ("model", "seed"):
            owners.append("team:analytics-engineering")
        return owners


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt step (Dagster launchpad, or `orderlens run --full-refresh`)."""

    full_refresh: bool = False  # rebuild the incremental models from scratch (dbt build --full-refresh)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=OrderlensTranslator(),
    pool=WAREHOUSE_POOL,
)
def orderlens_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, orderlens: OrderlensConfig, config: DbtBuildConfig
):
    settings = orderlens.settings()
    args = ["build"] + (["--full-refresh"] if config.full_refresh else [])
    # as_of reaches dbt through the environment (macros/as_of.sql), not --vars: a new --vars every run would
    # make dbt re-parse the whole project. DBT_TARGET_PATH = our dbt target folder ($ORDERLENS_DBT_TARGET):
    # dagster-dbt puts the run's artefacts in a folder under it and starts from the partial-parse state there
    # (where pipelines.runner.ensure_dbt_manifest parsed), not under dbt_project/target. The dbt process is
    # started inside dbt.cli(), with this environment.
    with restored_environment("ORDERLENS_AS_OF", "DBT_TARGET_PATH"):
        os.environ.update(ORDERLENS_AS_OF=settings.as_of_text, DBT_TARGET_PATH=str(dbt_target_dir()))
        invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
