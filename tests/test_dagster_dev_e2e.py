"""End to end through the Dagster UI's API: `dagster dev` on loopback, a materialisation of the whole
asset job launched with GraphQL `launchRun`, run to success by the daemon, on a tiny landing zone."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from pipelines import serve
from pipelines.publish import current_manifest
from pipelines.settings import PROJECT_ROOT, prepare_dagster_home

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}"""
STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
STEPS = """query Steps($id: ID!) { runOrError(runId: $id) { ... on Run { stepStats { stepKey status } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(url: str, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    req = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        answer = json.load(resp)
    assert "errors" not in answer, answer
    return answer["data"]


@pytest.mark.slow
def test_a_materialisation_launched_through_graphql_succeeds(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(PROJECT_ROOT / "tests" / "fixtures" / "landing_douyin", landing)
    home = prepare_dagster_home(tmp_path / "dagster_home")
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ORDERLENS_LANDING": str(landing),
        "ORDERLENS_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "ORDERLENS_PUBLISHED": str(tmp_path / "published"),
        "ORDERLENS_AS_OF": "2026-10-14 09:00:00",
        "ORDERLENS_ALERT_LOG": str(tmp_path / "alerts.log"),
        # dagster dev re-parses the project (prepare_if_dev): into its own target folder, not the manifest.json
        # that other pytest-xdist workers are loading definitions from
        "ORDERLENS_DBT_TARGET": str(tmp_path / "dbt_target"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name in ("ORDERLENS_WECOM_WEBHOOK", "ORDERLENS_DINGTALK_WEBHOOK", "ORDERLENS_FEISHU_WEBHOOK"):
        env.pop(name, None)
    log = open(tmp_path / "dagster.log", "wb")  # noqa: SIM115 - closed in finally
    dagster = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        loaded = serve.wait_until(lambda: serve.dagster_loaded(url) or dagster.poll() is not None, 300)
        assert loaded and dagster.poll() is None, (tmp_path / "dagster.log").read_text()[-3000:]
        params = {
            "selector": {
                "repositoryLocationName": "orderlens",
                "repositoryName": "__repository__",
                "jobName": "__ASSET_JOB",
            },
            "runConfigData": {"execution": {"config": {"in_process": {}}}},  # one process, as orderlens run
        }
        launched = _graphql(url, LAUNCH, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        status, deadline = None, time.monotonic() + 600
        while time.monotonic() < deadline:
            status = _graphql(url, STATUS, {"id": run_id})["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(2)
        steps = _graphql(url, STEPS, {"id": run_id})["runOrError"]["stepStats"]
        assert status == "SUCCESS", (steps, (tmp_path / "dagster.log").read_text()[-3000:])
    finally:
        if dagster.poll() is None:
            os.killpg(dagster.pid, signal.SIGTERM)
        try:
            dagster.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(dagster.pid, signal.SIGKILL)
            dagster.wait()
        log.close()
    step_keys = {s["stepKey"]: s["status"] for s in steps}
    assert {
        "ingest_landing",  # every landing source's asset, loaded concurrently in one step
        "orderlens_dbt_models",
        "published__marts_snapshot",
        "ops__alert_deliveries",
    } <= set(step_keys)
    assert set(step_keys.values()) == {"SUCCESS"}
    # the run did what `orderlens run` does: the fixture's rows in the marts, a snapshot, the alerts logged
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_order_lines").fetchone()[0] == 4
        alerts = con.execute(
            "select count(*) from ops.alert_deliveries where status = 'delivered'"
        ).fetchone()[0]
    assert current_manifest(tmp_path / "published")["as_of"] == "2026-10-14 09:00:00"
    assert len((tmp_path / "alerts.log").read_text().splitlines()) == alerts > 0
