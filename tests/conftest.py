"""Shared fixtures: a parsed dbt project, an isolated DAGSTER_HOME, and one skeleton pipeline run."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BIN = Path(sys.executable).parent
DOUYIN_AS_OF = "2026-10-14 09:00:00"


def pytest_configure(config):
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.environ["DAGSTER_TELEMETRY_DISABLED"] = "1"
    for name in ("ORDERLENS_LANDING", "ORDERLENS_WAREHOUSE", "ORDERLENS_PUBLISHED", "ORDERLENS_AS_OF"):
        os.environ.pop(name, None)
    # Each pytest-xdist worker gets its own dbt target folder: a pipeline run re-parses the project for its
    # warehouse (pipelines.runner.ensure_dbt_manifest), which must never rewrite the manifest.json another
    # worker is loading definitions from.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ["ORDERLENS_DBT_TARGET"] = str(ROOT / "dbt_project" / "target" / f"xdist-{worker}")
    _parse_dbt_project()  # before collection: test modules import the Dagster definitions, which read the manifest


def _parse_dbt_project() -> Path:
    """`prepare_if_dev()` is a no-op outside `dagster dev`: parse dbt before definitions load. Parsed only when
    the manifest is missing, older than a model, macro or project file, or parsed for another warehouse path, under
    a file lock (pipelines.runner.ensure_dbt_manifest); always for the same placeholder warehouse path, so the
    session fixture below does not parse again."""
    import fcntl

    from pipelines.runner import ensure_dbt_manifest
    from pipelines.settings import dbt_target_dir, restored_environment

    target = dbt_target_dir()
    target.mkdir(parents=True, exist_ok=True)
    with restored_environment("ORDERLENS_WAREHOUSE"):
        os.environ["ORDERLENS_WAREHOUSE"] = str(target / "parse-only.duckdb")  # dbt parse never opens it
        with open(target / ".pytest-parse.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ensure_dbt_manifest()
    return target / "manifest.json"


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """The parsed dbt project (parsed again only if a model changed since pytest_configure)."""
    return _parse_dbt_project()


# Under pytest-xdist (`make test` runs `-n auto --dist loadscope`), tests are spread over workers by scope. Our
# scheduler makes every module one scope, so a module-scoped pipeline run happens once; a module that uses one of
# these session-scoped runs joins that run's scope, so the run happens once too (on the worker that has it).
# (xdist's own `--dist loadgroup` marks do nothing with pytest 9.2: xdist renames `item._nodeid`, which pytest no
# longer reads.)
SHARED_RUNS = ("generated_zone_run", "dashboard_run", "skeleton_run")


@functools.cache
def _scope_of_module(module: str) -> str:
    path = ROOT / module
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return next((name for name in SHARED_RUNS if name in text), module)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleOrSharedRunScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope_of_module(nodeid.split("::", 1)[0])

    return ModuleOrSharedRunScheduling(config, log)


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def douyin_landing(tmp_path_factory) -> Path:
    """A private copy of the hand-made 抖店 landing zone (see tests/fixtures/make_douyin_fixture.py)."""
    target = tmp_path_factory.mktemp("landing") / "landing"
    shutil.copytree(FIXTURES / "landing_douyin", target)
    return target


@pytest.fixture(scope="session")
def skeleton_run(douyin_landing, tmp_path_factory, dbt_manifest, dagster_home):
    """One in-process materialisation of every asset on a temp warehouse (what `orderlens run` does)."""
    from pipelines.runner import run_all
    from pipelines.settings import load_settings

    work = tmp_path_factory.mktemp("warehouse")
    settings = load_settings(str(douyin_landing), str(work / "warehouse.duckdb"), DOUYIN_AS_OF)
    summary = run_all(settings)
    return settings, summary


@pytest.fixture(scope="session")
def generated_zone_run(tmp_path_factory, dbt_manifest, dagster_home):
    """One pipeline run on a generated zone (1,800 orders, 25 days, seed 23, no receipts), shared READ-ONLY by
    the fulfilment and the KPI/signal tests (open the warehouse read_only). Returns (zone, settings, summary,
    result of run_all)."""
    from pipelines.runner import run_all
    from pipelines.settings import load_settings
    from pipelines.synthetic import generate

    zone = tmp_path_factory.mktemp("generated") / "landing"
    summary = generate(zone, orders=1800, days=25, seed=23, receipts=False, progress=False)
    settings = load_settings(str(zone), str(zone.parent / "warehouse.duckdb"), summary["as_of"])
    result = run_all(settings)
    assert result.success, result.errors
    return zone, settings, summary, result


@pytest.fixture(scope="session")
def dashboard_run(tmp_path_factory, dbt_manifest, dagster_home):
    """One pipeline run on a small generated zone (1,200 orders, no receipts) and a users file with one
    user per role, shared by the dashboard tests (AppTest and browser). Passwords: <role>-pass."""
    from pipelines import access
    from pipelines.runner import run_all
    from pipelines.settings import load_settings
    from pipelines.synthetic import generate

    base = tmp_path_factory.mktemp("dash")
    zone = base / "landing"
    summary = generate(zone, orders=1200, days=30, seed=11, receipts=False, progress=False)
    settings = load_settings(str(zone), str(base / "warehouse.duckdb"), summary["as_of"])
    result = run_all(settings)
    assert result.success, result.errors
    users = base / "users.json"
    for name, role_name in DASHBOARD_USERS.items():
        access.add_user(name, role_name, f"{role_name}-pass", users)
    return settings, users


DASHBOARD_USERS = {"ana": "analyst", "fin": "finance", "wh": "warehouse", "adm": "admin"}
