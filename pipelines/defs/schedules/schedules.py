"""Schedules, in Asia/Shanghai time. Each run's as_of is the tick's scheduled time (reproducible: a
re-executed tick computes the same thing). Stopped by default: turn them on in the UI (Automation).

- every 15 minutes: the SLA pass rebuilds the alert marts at the tick's as_of and delivers new alerts;
- daily 09:00: the whole graph at 09:00 (ingest what is new, every mart, publish, deliver) — the
  reconciliation's difference report and its export are assets of the graph, so they are included;
- Friday 18:00: the same for the weekly after-sales report.
"""

from datetime import datetime

import dagster as dg

from pipelines.settings import SHANGHAI

from ..alerts.assets import ALERT_MART_KEYS
from ..publish.checks import snapshot_fresh

TIMEZONE = "Asia/Shanghai"

sla_pass_job = dg.define_asset_job(
    "sla_pass",
    selection=dg.AssetSelection.assets(*ALERT_MART_KEYS, dg.AssetKey(["ops", "alert_deliveries"]))
    | dg.AssetSelection.checks(snapshot_fresh),
    description="Rebuild the alert marts at the current as_of, deliver the alerts they raise, and check "
    "that the dashboards' snapshot is fresh. (The snapshot is not republished: it keeps one as_of.)",
    tags={"orderlens/trigger": "sla_pass"},
)


def _whole_graph_job(name: str, trigger: str, description: str):
    return dg.define_asset_job(
        name, selection=dg.AssetSelection.all(), description=description, tags={"orderlens/trigger": trigger}
    )


daily_report_job = _whole_graph_job(
    "daily_difference_report",
    "daily_report",
    "The whole graph at 09:00: every mart (the daily difference report included), its exports, "
    "the published snapshot and alert delivery.",
)
weekly_report_job = _whole_graph_job(
    "weekly_aftersales_report",
    "weekly_report",
    "The whole graph on Friday 18:00: the weekly after-sales report and everything it reads.",
)


def as_of_run_config(scheduled: datetime) -> dict:
    as_of = scheduled.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return {"resources": {"orderlens": {"config": {"as_of": as_of}}}}


def _request(prefix: str, context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time
    config = as_of_run_config(scheduled)
    as_of = config["resources"]["orderlens"]["config"]["as_of"]
    return dg.RunRequest(run_key=f"{prefix}-{as_of}", run_config=config, tags={"orderlens/as_of": as_of})


def _as_of_schedule(name: str, job, cron: str, prefix: str, description: str) -> dg.ScheduleDefinition:
    """A schedule whose run's as_of is the tick's scheduled time; run key `<prefix>-<as_of>`."""

    @dg.schedule(name=name, job=job, cron_schedule=cron, execution_timezone=TIMEZONE, description=description)
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return _request(prefix, context)

    return _schedule


sla_pass_every_15_minutes = _as_of_schedule(
    "sla_pass_every_15_minutes",
    sla_pass_job,
    "*/15 * * * *",
    "sla",
    "SLA pass: fct_sla_alerts and fct_logistics_exceptions at the tick's time, then delivery.",
)
daily_difference_report_0900 = _as_of_schedule(
    "daily_difference_report_0900",
    daily_report_job,
    "0 9 * * *",
    "daily",
    "Daily 09:00: the difference report (and its export) for finance.",
)
weekly_aftersales_report_fri_1800 = _as_of_schedule(
    "weekly_aftersales_report_fri_1800",
    weekly_report_job,
    "0 18 * * 5",
    "weekly",
    "Friday 18:00: the weekly after-sales attribution report.",
)
