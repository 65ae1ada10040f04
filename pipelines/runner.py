"""Run the whole asset graph in-process: what `orderlens run` does, and what a
materialisation of every asset in the Dagster UI does."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .settings import Settings, prepare_dagster_home


@dataclass
class RunSummary:
    success: bool
    seconds: float
    files_loaded: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    marts_built: list[str] = field(default_factory=list)
    published_version: str | None = None
    failed_files: list[str] = field(default_factory=list)
    passed_checks: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(
        default_factory=list
    )  # failed checks of severity WARN (run still succeeds)
    alerts_delivered: dict[str, int] = field(default_factory=dict)  # channel -> alerts delivered by this run
    alerts_undelivered: int = 0
    errors: list[str] = field(default_factory=list)
    # Dagster step key -> wall seconds from the step's start to its end (ingest per source, the dbt step...)
    step_seconds: dict[str, float] = field(default_factory=dict)


def export_settings(settings: Settings) -> None:
    """Make every step (Dagster resources, dbt's profile) see the same paths and as_of."""
    os.environ["ORDERLENS_LANDING"] = str(settings.landing_dir)
    os.environ["ORDERLENS_WAREHOUSE"] = str(settings.warehouse_path)
    os.environ["ORDERLENS_PUBLISHED"] = str(settings.published_dir)
    os.environ["ORDERLENS_AS_OF"] = settings.as_of_text


def ensure_dbt_manifest() -> bool:
    """Parse the dbt project when its manifest is missing or older than any model, macro, seed or
    project file (outside `dagster dev`, `prepare_if_dev()` does nothing), or was parsed for another warehouse.
    Returns True when it parsed.

    The warehouse matters for speed: dbt keeps its partial-parsing state only while the profile (its DuckDB path)
    and the command-line vars are unchanged, and the Dagster dbt step starts from this parse's state. Parsed for
    the warehouse of the run (and with as_of passed through the environment, macros/as_of.sql), the dbt build
    of every later run on that warehouse skips the full parse (~11 s on 2 cores)."""
    import subprocess
    import sys

    from .settings import DBT_PROJECT_DIR, dbt_target_dir

    target = dbt_target_dir()
    manifest = target / "manifest.json"
    inputs = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests", "snapshots"):
        inputs.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    stamp = target / ".orderlens-parsed-for"
    warehouse = os.environ.get("ORDERLENS_WAREHOUSE", "")
    if (
        manifest.is_file()
        and manifest.stat().st_mtime >= max(p.stat().st_mtime for p in inputs)
        and stamp.is_file()
        and stamp.read_text(encoding="utf-8") == warehouse
    ):
        return False
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [
            str(dbt),
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--quiet",
        ],
        check=True,
    )
    stamp.write_text(warehouse, encoding="utf-8")
    return True


SETTINGS_ENV = ("ORDERLENS_LANDING", "ORDERLENS_WAREHOUSE", "ORDERLENS_PUBLISHED", "ORDERLENS_AS_OF")


def run_all(settings: Settings, log_level: str = "INFO", full_refresh: bool = False) -> RunSummary:
    """Run every asset in-process with these settings. The ORDERLENS_* variables the steps read are set for
    the run only and restored afterwards, so a second run in the same process (tests, notebooks) that
    leaves, say, the published folder to its default does not inherit the first run's.
    `full_refresh`: dbt rebuilds its incremental models from scratch (`dbt build --full-refresh`)."""
    from .settings import restored_environment

    with restored_environment(*SETTINGS_ENV):
        return _run_all(settings, log_level, full_refresh)


def _run_all(settings: Settings, log_level: str, full_refresh: bool = False) -> RunSummary:
    import dagster as dg

    from .definitions import load_definitions

    export_settings(settings)
    ensure_dbt_manifest()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    defs = load_definitions()
    job = defs.resolve_implicit_global_asset_job_def()
    if os.environ.get("DAGSTER_HOME"):  # runs show in the Dagster UI's history
        prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))
        instance = dg.DagsterInstance.get()
    else:
        instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={
            "loggers": {"console": {"config": {"log_level": log_level}}},
            "ops": {"orderlens_dbt_models": {"config": {"full_refresh": full_refresh}}},
        },
    )
    summary = RunSummary(success=result.success, seconds=time.monotonic() - started)
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        key = mat.asset_key.path
        meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        if key[0] == "raw" and "files_loaded" in meta:
            summary.files_loaded += int(meta["files_loaded"])
            summary.files_skipped += int(meta["files_skipped_seen_before"])
            summary.files_failed += int(meta["files_failed"])
            summary.rows_loaded += int(meta["rows_loaded"])
            summary.rows_rejected += int(meta["rows_rejected"])
            if int(meta["files_failed"]):
                summary.failed_files.append(str(meta["failed_files"]))
        elif key[0] == "marts":
            summary.marts_built.append(key[-1])
        elif key == ["published", "marts_snapshot"]:
            summary.published_version = str(meta["version"])
        elif key == ["ops", "alert_deliveries"]:
            summary.alerts_delivered = dict(meta["delivered_this_pass"])
            summary.alerts_undelivered = int(meta["undelivered"])
    for evaluation in result.get_asset_check_evaluations():
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        if evaluation.passed:
            summary.passed_checks.append(name)
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            summary.warned_checks.append(name)
        else:
            summary.failed_checks.append(name)
    started_at: dict[str, float] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            started_at[event.step_key] = entry.timestamp
        elif (event.is_step_success or event.is_step_failure) and event.step_key in started_at:
            summary.step_seconds[event.step_key] = entry.timestamp - started_at[event.step_key]
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            message = data.error.message.strip() if data and data.error else "step failed"
            summary.errors.append(f"{event.step_key}: {message}")
    return summary
