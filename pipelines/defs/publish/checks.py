"""Freshness of what the dashboards read: the published snapshot's age (warns, never blocks)."""

import os
from datetime import datetime

import dagster as dg

from pipelines.publish import current_manifest, snapshot_age_minutes

from ..resources import OrderlensConfig

MAX_AGE_ENV = "ORDERLENS_SNAPSHOT_MAX_AGE_MINUTES"
DEFAULT_MAX_AGE_MINUTES = 60


@dg.asset_check(
    asset=dg.AssetKey(["published", "marts_snapshot"]),
    name="snapshot_fresh",
    description=(
        "The snapshot the dashboards read was published less than "
        f"${MAX_AGE_ENV} (default {DEFAULT_MAX_AGE_MINUTES}) minutes ago. Reads only published/, never the "
        "warehouse, so it runs beside a writer; the SLA pass evaluates it every 15 minutes."
    ),
)
def snapshot_fresh(orderlens: OrderlensConfig) -> dg.AssetCheckResult:
    settings = orderlens.settings()
    max_age = float(os.environ.get(MAX_AGE_ENV) or DEFAULT_MAX_AGE_MINUTES)
    manifest = current_manifest(settings.published_dir)
    if manifest is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"reason": f"nothing published yet in {settings.published_dir}"},
        )
    age = snapshot_age_minutes(manifest, datetime.now())
    return dg.AssetCheckResult(
        passed=age <= max_age,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "version": manifest["version"],
            "published_at": manifest["published_at"],
            "as_of": manifest["as_of"],
            "age_minutes": round(age, 1),
            "max_age_minutes": max_age,
        },
    )
