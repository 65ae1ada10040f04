"""Per-page render times of the dashboards on a large published snapshot (Streamlit AppTest), per role.

    .venv/bin/python bench/bench_streamlit.py --orders 100000      # generate + run into bench/out/streamlit
    .venv/bin/python bench/bench_streamlit.py --published DIR      # an existing published/ folder
    .venv/bin/python bench/bench_streamlit.py --published /work/bench_data/dash1m/published \
        --roles admin,analyst,finance --json bench/out/streamlit_1m.json   # the 1,000,000-order snapshot

For every role (default: the three that see amounts) and every page that role may open, the time of the
page's script run in AppTest: "cold" for its first run (Streamlit's cache is cleared before each role, so
DuckDB aggregates over the Parquet files), "warm" for the rerun right after (answered from the cache keyed
on the snapshot version), then each interaction a user makes on the page, in order (heatmap drill-down to
the busiest day x warehouse, order lookup by order no / tracking no / last 4 phone digits, exceptions with
closed alerts, after-sales tag drill-down and all weeks' actions, reconciliation filters, order lines of
one platform). Wall seconds and the CPU seconds (user+sys) of this process beside them; the load average
at start and end. Target of the issue: < 2 s per page on 1,000,000 orders.
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


def cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument(
        "--published", metavar="DIR", help="use this published/ folder instead of building one"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "streamlit"))
    parser.add_argument(
        "--roles", default="admin,analyst,finance", help="comma-separated roles (those that see amounts)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    published = Path(args.published) if args.published else build(args.orders, Path(args.out))

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pipelines import access
    from pipelines.publish import current_version, snapshot_connection

    users = Path(tempfile.mkdtemp()) / "users.json"
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    for role_name in roles:
        access.add_user(f"bench_{role_name}", role_name, "bench-password", users)
    os.environ["ORDERLENS_PUBLISHED"] = str(published)
    os.environ["ORDERLENS_USERS_FILE"] = str(users)
    with snapshot_connection(published) as con:
        orders = con.execute("select count(*) from fct_orders").fetchone()[0]
        number = con.execute("select min(tracking_no) from fct_logistics_exceptions").fetchone()[0]
        order_no = con.execute(
            "select order_no from fct_orders where platform = 'douyin' order by order_key limit 1"
        ).fetchone()[0]
        phone4 = con.execute(
            "select phone_last4 from dim_order_receivers where phone_last4 is not null "
            "order by order_key limit 1"
        ).fetchone()[0]
        cell = con.execute(
            "select day, warehouse_code from fct_fulfillment_heatmap "
            "order by overdue_unshipped_orders desc, day desc limit 1"
        ).fetchone()
        recon_type = con.execute(
            "select difference_type from rpt_daily_differences group by 1 order by count(*) desc limit 1"
        ).fetchone()
        tags = [r[0] for r in con.execute(
            "select reason_tag from rpt_aftersales_weekly where week_start = (select max(week_start) "
            "from rpt_aftersales_weekly) order by rank"
        ).fetchall()]  # fmt: skip
        receipts = con.execute("select count(*) from fct_bank_receipts where needs_review").fetchone()[0]
    print(f"snapshot {current_version(published)}: {orders:,} orders, {receipts:,} receipts to review")
    print(f"load average at start: {os.getloadavg()}")

    from pipelines.exports.differences import TYPE_LABELS

    # page -> [(interaction name, step on the AppTest)]: what a user does on the page, in order
    interactions = {
        "overview": [("period=all", lambda at: at.radio(key="overview_period").set_value("全部 all"))],
        "heatmap": [
            (
                "day=busiest",
                lambda at: at.selectbox(key="heatmap_day").set_value(
                    getattr(cell[0], "date", lambda: cell[0])()
                ),
            ),
            ("warehouse=busiest (cell)", lambda at: at.selectbox(key="heatmap_warehouse").set_value(cell[1])),
        ],
        "order_lookup": [
            ("order no", lambda at: at.text_input(key="lookup_term").input(order_no)),
            ("tracking no", lambda at: at.text_input(key="lookup_term").input(number or "none")),
            ("phone last 4", lambda at: at.text_input(key="lookup_term").input(phone4)),
        ],
        "exceptions": [("closed alerts too", lambda at: at.toggle(key="alerts_all").set_value(True))],
        "risk_signals": [],
        "aftersales": [
            ("tag=2nd", lambda at: at.selectbox(key="aftersales_tag").set_value(tags[min(1, len(tags) - 1)])),
            ("actions all weeks", lambda at: at.toggle(key="aftersales_actions_all").set_value(True)),
        ],
        "reconciliation": [
            (
                "type filter",
                lambda at: at.multiselect(key="recon_types").select(
                    TYPE_LABELS.get(recon_type[0], recon_type[0])
                ),
            ),
            ("search term", lambda at: at.text_input(key="recon_term").input(order_no[:6])),
        ],
        "receipts": [],
        "order_lines": [("platform=douyin", lambda at: at.multiselect[0].set_value(["douyin"]))],
    }

    def timed(step):
        wall, cpu0 = time.perf_counter(), cpu()
        at = step()
        return time.perf_counter() - wall, cpu() - cpu0, at

    # once per server process, not per page: plotly.express, and DuckDB's first query → pandas (~2 CPU s here)
    import apps.streamlit.charts  # noqa: F401

    with snapshot_connection(published) as con:
        con.execute("select * from fct_kpi_daily limit 1").df()

    AppTest.from_file(APP, default_timeout=300).run()  # warm-up: imports and the sign-in page, no data
    results: dict = {"orders": orders, "loadavg_start": os.getloadavg(), "roles": {}}
    worst = 0.0
    for role_name in roles:
        st.cache_data.clear()  # every role starts cold: DuckDB reads the Parquet files again
        pages = [
            p
            for p in access.allowed_pages(role_name)
            if (ROOT / "apps/streamlit/views" / f"{p}.py").is_file()
        ]
        print(f"\nrole {role_name} (cache cleared)")
        print(f"{'page':<15}{'cold s':>8}{'cpu s':>7}{'warm s':>8}  interactions (wall s / cpu s)")
        results["roles"][role_name] = {}
        for key in pages:
            at = AppTest.from_file(APP, default_timeout=300)
            at.session_state["orderlens_user"] = f"bench_{role_name}"
            if key == pages[0]:
                cold, cold_cpu, at = timed(at.run)  # the landing page: the first run renders it
            else:
                at.run()
                cold, cold_cpu, at = timed(lambda at=at, key=key: at.switch_page(f"views/{key}.py").run())
            if at.exception:
                raise SystemExit(f"{role_name}/{key} failed: {at.exception}")
            warm, _, at = timed(at.run)
            steps = []
            for name, step in interactions.get(key, []):
                seconds, used, at = timed(lambda at=at, step=step: step(at).run())
                if at.exception:
                    raise SystemExit(f"{role_name}/{key} {name} failed: {at.exception}")
                steps.append((name, round(seconds, 2), round(used, 2)))
            worst = max([worst, cold, warm, *[s[1] for s in steps]])
            results["roles"][role_name][key] = {
                "cold": round(cold, 2), "cold_cpu": round(cold_cpu, 2), "warm": round(warm, 2),
                "interactions": steps,
            }  # fmt: skip
            shown = "  ".join(f"{n} {w:.2f}/{c:.2f}" for n, w, c in steps) or "-"
            print(f"{key:<15}{cold:8.2f}{cold_cpu:7.2f}{warm:8.2f}  {shown}", flush=True)
    results["loadavg_end"] = os.getloadavg()
    results["worst_s"] = round(worst, 2)
    print(f"\nslowest step: {worst:.2f} s · load average at end: {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
