"""Start the Dagster webserver and Streamlit on loopback (as `make run` does), ask each, stop them."""

import json
import socket
import urllib.request

import pytest

from pipelines import serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_dagster_ui_and_dashboards_answer_on_loopback(skeleton_run, tmp_path):
    settings, _ = skeleton_run
    servers = serve.start(
        dagster_port=_free_port(),
        streamlit_port=_free_port(),
        env={
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
            "ORDERLENS_PUBLISHED": str(settings.published_dir),
            "ORDERLENS_WAREHOUSE": str(settings.warehouse_path),
            "ORDERLENS_LANDING": str(settings.landing_dir),
        },
        log_dir=tmp_path,
    )
    try:
        assert serve.wait_until(lambda: serve.streamlit_healthy(servers.streamlit_url), 120, servers), (
            tmp_path / "streamlit.log"
        ).read_text()[-2000:]
        with urllib.request.urlopen(servers.streamlit_url, timeout=10) as resp:
            assert resp.status == 200
        assert serve.wait_until(lambda: serve.dagster_loaded(servers.dagster_url), 240, servers), (
            tmp_path / "dagster.log"
        ).read_text()[-3000:]
        query = json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
        req = urllib.request.Request(
            f"{servers.dagster_url}/graphql", data=query, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            nodes = json.load(resp)["data"]["assetNodes"]
        paths = {"/".join(n["assetKey"]["path"]) for n in nodes}
        assert {"raw/orders_douyin", "marts/fct_order_lines", "published/marts_snapshot"} <= paths
    finally:
        servers.stop()
    assert servers.dagster.poll() is not None and servers.streamlit.poll() is not None
