"""Per-page render times of the dashboards on a larger published snapshot (Streamlit AppTest, admin role).

    .venv/bin/python bench/bench_streamlit.py --orders 100000      # generate + run into bench/out/streamlit
    .venv/bin/python bench/bench_streamlit.py --published DIR      # an existing published/ folder

For every page, the time of its script run in AppTest: "cold" for its first run in the process (no
query of the page cached yet: DuckDB aggregating over the Parquet files), "warm" for the rerun right after (answered from the cache keyed
on the snapshot version), and the time of the page's interactive step (heatmap drill-down to the busiest cell, order lookup of a tracking number, exceptions
with closed alerts, overview over the whole period). Target of the issue: < 2 s per page on 1,000,000
orders.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP = str(ROOT / "apps" / "streamlit" / "app.py")


def build(orders: int, out: Path) -> Path:
    from pipelines.runner import run_all
    from pipelines.settings import load_settings
    from pipelines.synthetic import generate

    zone = out / "landing"
    if not (out / "published" / "CURRENT").exists():
        t = time.perf_counter()
        summary = generate(zone, orders=orders, days=90, seed=5, receipts=False, progress=True)
        print(f"generated {orders:,} orders in {time.perf_counter() - t:.0f} s", flush=True)
        settings = load_settings(str(zone), str(out / "warehouse.duckdb"), summary["as_of"])
        t = time.perf_counter()
        result = run_all(settings)
        if not result.success:
            raise SystemExit(f"pipeline failed: {result.errors}")
        print(f"orderlens run in {time.perf_counter() - t:.0f} s", flush=True)
    return out / "published"


def timed(step) -> float:
    t = time.perf_counter()
    at = step()
    seconds = time.perf_counter() - t
    if at.exception:
        raise SystemExit(f"page failed: {at.exception}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument(
        "--published", metavar="DIR", help="use this published/ folder instead of building one"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "streamlit"))
    args = parser.parse_args()
    published = Path(args.published) if args.published else build(args.orders, Path(args.out))

    from streamlit.testing.v1 import AppTest

    from pipelines import access
    from pipelines.publish import current_version, snapshot_connection

    users = Path(tempfile.mkdtemp()) / "users.json"
    access.add_user("bench", "admin", "bench-password", users)
    os.environ["ORDERLENS_PUBLISHED"] = str(published)
    os.environ["ORDERLENS_USERS_FILE"] = str(users)
    with snapshot_connection(published) as con:
        orders = con.execute("select count(*) from fct_orders").fetchone()[0]
        number = con.execute("select min(tracking_no) from fct_logistics_exceptions").fetchone()[0]
        cell = con.execute(
            "select day, warehouse_code from fct_fulfillment_heatmap order by overdue_unshipped_orders desc limit 1"
        ).fetchone()
    print(f"snapshot {current_version(published)}: {orders:,} orders")

    def render(key: str):
        """(cold s, warm s, AppTest): the page's first run in this process (no query of it cached yet),
        then a rerun. The admin lands on overview, so overview's cold run is the first run itself."""
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["orderlens_user"] = "bench"
        t = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t
        if key != "overview":
            t = time.perf_counter()
            at.switch_page(f"views/{key}.py").run()
            cold = time.perf_counter() - t
        t = time.perf_counter()
        at.run()
        warm = time.perf_counter() - t
        if at.exception:
            raise SystemExit(f"{key} failed: {at.exception}")
        return cold, warm, at

    interactions = {
        "heatmap": lambda at: (
            at.selectbox(key="heatmap_day").set_value(cell[0]).run(),
            at.selectbox(key="heatmap_warehouse").set_value(cell[1]).run(),
        )[-1],
        "order_lookup": lambda at: at.text_input(key="lookup_term").input(number or "none").run(),
        "exceptions": lambda at: at.toggle(key="alerts_all").set_value(True).run(),
        "overview": lambda at: at.radio(key="overview_period").set_value("全部 all").run(),
    }
    AppTest.from_file(APP, default_timeout=120).run()  # warm-up: imports and the sign-in page, no data
    results = {}
    print(f"{'page':<14}{'cold s':>8}{'warm s':>8}{'interaction s':>15}")
    for key in ("overview", "heatmap", "order_lookup", "exceptions", "order_lines"):
        cold, warm, at = render(key)
        inter = None
        if key in interactions:
            t = time.perf_counter()
            after = interactions[key](at)
            inter = time.perf_counter() - t
            if after.exception:
                raise SystemExit(f"{key} interaction failed: {after.exception}")
        results[key] = {
            "cold": round(cold, 2), "warm": round(warm, 2), "interaction": None if inter is None else round(inter, 2)
        }  # fmt: skip
        shown = f"{inter:15.2f}" if inter is not None else f"{'-':>15}"
        print(f"{key:<14}{cold:8.2f}{warm:8.2f}{shown}", flush=True)
    print(json.dumps({"orders": orders, "pages": results}, indent=None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
