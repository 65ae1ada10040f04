"""Start the Dagster UI and the Streamlit dashboards on loopback, print both addresses,
stop both on Ctrl-C. Used by `make run` and by the server smoke test.

    python -m pipelines.serve [--dagster-port 3000] [--streamlit-port 8501] [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .settings import PROJECT_ROOT, prepare_dagster_home


@dataclass
class Servers:
    dagster: subprocess.Popen
    streamlit: subprocess.Popen
    dagster_url: str
    streamlit_url: str

    def stop(self) -> None:
        for proc in (self.streamlit, self.dagster):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (self.streamlit, self.dagster):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def start(
    host: str = "127.0.0.1",
    dagster_port: int = 3000,
    streamlit_port: int = 8501,
    env: dict | None = None,
    log_dir: Path | None = None,
) -> Servers:
    env = {**os.environ, **(env or {})}
    env.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster"))
    prepare_dagster_home(Path(env["DAGSTER_HOME"]))
    env.setdefault("OMP_THREAD_LIMIT", "1")
    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    log_dir = log_dir or Path(env["DAGSTER_HOME"]) / "server-logs"  # not logs/: dagster dev clears that
    log_dir.mkdir(parents=True, exist_ok=True)

    def spawn(cmd: list[str], name: str) -> subprocess.Popen:
        log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child for its lifetime
        return subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    dagster = spawn(
        [str(bin_dir / "dagster"), "dev", "-w", "workspace.yaml", "-h", host, "-p", str(dagster_port)],
        "dagster",
    )
    streamlit = spawn(
        [
            str(bin_dir / "streamlit"), "run", "apps/streamlit/app.py",
            "--server.address", host, "--server.port", str(streamlit_port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ],
        "streamlit",
    )  # fmt: skip
    return Servers(dagster, streamlit, f"http://{host}:{dagster_port}", f"http://{host}:{streamlit_port}")


def dagster_loaded(url: str) -> bool:
    """True once the webserver answers GraphQL and the code location LOADED (GET / says 200 too early)."""
    import json

    query = b'{"query": "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"}'
    req = urllib.request.Request(f"{url}/graphql", data=query, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            entries = json.load(resp)["data"]["workspaceOrError"]["locationEntries"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


def streamlit_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def wait_until(check, timeout: float, servers: Servers | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if servers and (servers.dagster.poll() is not None or servers.streamlit.poll() is not None):
            return False
        time.sleep(1)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: loopback only)")
    parser.add_argument("--dagster-port", type=int, default=3000)
    parser.add_argument("--streamlit-port", type=int, default=8501)
    args = parser.parse_args(argv)
    # `kill` (SIGTERM) stops both servers too, not only Ctrl-C: SystemExit runs the `finally` below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    servers = start(args.host, args.dagster_port, args.streamlit_port)
    print("starting the Dagster UI and the dashboards (logs in .dagster/server-logs/) ...", flush=True)
    try:
        ok_st = wait_until(lambda: streamlit_healthy(servers.streamlit_url), 120, servers)
        ok_dg = wait_until(lambda: dagster_loaded(servers.dagster_url), 180, servers)
        if not (ok_st and ok_dg):
            print(
                "a server did not come up; see .dagster/server-logs/dagster.log and streamlit.log",
                file=sys.stderr,
            )
            servers.stop()
            return 1
        print(f"\n  Dashboards (Streamlit): {servers.streamlit_url}")
        print(f"  Dagster UI:             {servers.dagster_url}")
        from .access import DEMO_LOGIN, users_file

        if (PROJECT_ROOT / users_file()).with_name(DEMO_LOGIN).exists():
            note = (PROJECT_ROOT / users_file()).with_name(DEMO_LOGIN)
            print(f"  Dashboard sign-in:      demo user 'admin', password in {note}")
        print("\nPress Ctrl-C to stop both.", flush=True)
        while servers.dagster.poll() is None and servers.streamlit.poll() is None:
            time.sleep(1)
        print("a server stopped; stopping the other", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        servers.stop()


if __name__ == "__main__":
    sys.exit(main())
