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
daily_report_job = dg.define_asset_job(
    "daily_difference_report",
    selection=dg.AssetSelection.all(),
    description="The whole graph at 09:00: every mart (the daily difference report included), its exports, "
    "the published snapshot and alert delivery.",
    tags={"orderlens/trigger": "daily_report"},
)
weekly_report_job = dg.define_asset_job(
    "weekly_aftersales_report",
    selection=dg.AssetSelection.all(),
    description="The whole graph on Friday 18:00: the weekly after-sales report and everything it reads.",
    tags={"orderlens/trigger": "weekly_report"},
)


def as_of_run_config(scheduled: datetime) -> dict:
    as_of = scheduled.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return {"resources": {"orderlens": {"config": {"as_of": as_of}}}}


def _request(prefix: str, context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time
    config = as_of_run_config(scheduled)
    as_of = config["resources"]["orderlens"]["config"]["as_of"]
    return dg.RunRequest(run_key=f"{prefix}-{as_of}", run_config=config, tags={"orderlens/as_of": as_of})


@dg.schedule(
    name="sla_pass_every_15_minutes",
    job=sla_pass_job,
    cron_schedule="*/15 * * * *",
    execution_timezone=TIMEZONE,
    description="SLA pass: fct_sla_alerts and fct_logistics_exceptions at the tick's time, then delivery.",
)
def sla_pass_every_15_minutes(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return _request("sla", context)


@dg.schedule(
    name="daily_difference_report_0900",
    job=daily_report_job,
    cron_schedule="0 9 * * *",
    execution_timezone=TIMEZONE,
    description="Daily 09:00: the difference report (and its export) for finance.",
)
def daily_difference_report_0900(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return _request("daily", context)


@dg.schedule(
    name="weekly_aftersales_report_fri_1800",
    job=weekly_report_job,
    cron_schedule="0 18 * * 5",
    execution_timezone=TIMEZONE,
    description="Friday 18:00: the weekly after-sales attribution report.",
)
def weekly_aftersales_report_fri_1800(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return _request("weekly", context)
