"""The `orderlens` command: run | generate | demo | export. See README.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import settings as settings_mod

EPILOG = """\
environment:
  ORDERLENS_LANDING    landing zone (default data/landing)
  ORDERLENS_WAREHOUSE  DuckDB warehouse file (default data/warehouse.duckdb)
  ORDERLENS_PUBLISHED  published Parquet snapshots (default: 'published' beside the warehouse)
  ORDERLENS_AS_OF      the instant 'now' means for aging and SLA rules (default: current time)
"""


def _print_summary(summary) -> None:
    print()
    print("orderlens run " + ("succeeded" if summary.success else "FAILED") + f" in {summary.seconds:.1f} s")
    print(
        f"  files: {summary.files_loaded} loaded, {summary.files_skipped} seen before (skipped), "
        f"{summary.files_failed} unreadable"
    )
    print(
        f"  rows:  {summary.rows_loaded} loaded, {summary.rows_rejected} rejected (see marts.audit_rejected_rows)"
    )
    print(f"  marts built: {len(summary.marts_built)} ({', '.join(sorted(summary.marts_built)) or 'none'})")
    print(f"  checks: {len(summary.passed_checks)} passed, {len(summary.failed_checks)} failed")
    for name in summary.failed_checks:
        print(f"  failed check: {name}", file=sys.stderr)
    for name in summary.warned_checks:
        print(f"  warning (check): {name}", file=sys.stderr)
    if summary.alerts_delivered:
        sent = ", ".join(f"{n} to {channel}" for channel, n in summary.alerts_delivered.items())
        print(f"  alerts: {sent} (undelivered, retried next run: {summary.alerts_undelivered})")
    if summary.published_version:
        print(f"  published snapshot: {summary.published_version}")
    for failed in summary.failed_files:
        print(f"  unreadable files:\n{failed}")
    for error in summary.errors:
        print(f"  error: {error}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from .runner import run_all

    try:
        settings = settings_mod.load_settings(args.landing, args.warehouse, args.as_of)
    except ValueError as exc:
        print(f"orderlens run: {exc}", file=sys.stderr)
        return 2
    if not settings.landing_dir.is_dir():
        print(
            f"orderlens run: landing zone {settings.landing_dir} does not exist; "
            "create it (see docs/CONTRACT.md) or run `orderlens generate --out DIR`",
            file=sys.stderr,
        )
        return 2
    print(f"landing   {settings.landing_dir}")
    print(f"warehouse {settings.warehouse_path}")
    print(f"as_of     {settings.as_of_text}")
    summary = run_all(settings, log_level=args.log_level)
    _print_summary(summary)
    return 0 if summary.success else 1


def cmd_generate(args: argparse.Namespace) -> int:
    try:
        from .synthetic import generate
    except ImportError as exc:
        print(f"orderlens generate: the generator is not available ({exc})", file=sys.stderr)
        return 2
    from datetime import date

    start = date.fromisoformat(args.start) if args.start else None
    summary = generate(
        Path(args.out),
        orders=args.orders,
        days=args.days,
        seed=args.seed,
        start=start,
        anomaly_rate=args.anomaly_rate,
        progress=not args.quiet,
        receipts=not args.no_receipts,
    )
    print(f"landing zone written to {args.out} (truth in {Path(args.out) / '_truth'})")
    for key, value in summary.items():
        if not isinstance(value, dict | list):
            print(f"  {key}: {value}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    landing = Path(args.landing)
    if not landing.is_dir() or not any(landing.iterdir()):
        rc = cmd_generate(
            argparse.Namespace(
                out=str(landing), orders=args.orders, days=30, seed=42, start=None,
                anomaly_rate=0.03, quiet=False, no_receipts=False,
            )
        )  # fmt: skip
        if rc:
            return rc
    as_of = args.as_of or _truth_as_of(landing)
    rc = cmd_run(
        argparse.Namespace(landing=str(landing), warehouse=args.warehouse, as_of=as_of, log_level="WARNING")
    )
    if rc:
        return rc
    print()
    print("dashboards: streamlit run apps/streamlit/app.py   -> http://127.0.0.1:8501")
    print("dagster UI: dagster dev -w workspace.yaml         -> http://127.0.0.1:3000")
    print("(`make run` does all of this and starts both)")
    return 0


def _truth_as_of(landing: Path) -> str | None:
    """A generated zone carries the as_of its truth was computed for; use it so the demo matches."""
    import json

    meta = landing / "_truth" / "meta.json"
    if meta.is_file():
        return json.loads(meta.read_text()).get("as_of")
    return None


def cmd_export(args: argparse.Namespace) -> int:
    print(
        "orderlens export differences: not built yet — it arrives with the three-way reconciliation "
        "(fct_three_way_match / rpt_daily_differences). Nothing was exported.",
        file=sys.stderr,
    )
    return 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orderlens",
        description="Order-fulfilment and three-way reconciliation warehouse (DuckDB + dbt + Dagster).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="ingest the landing zone and build every mart",
        description="Ingest all of the landing zone, build every mart with dbt, run the tests, publish "
        "the snapshot for the dashboards. Idempotent: files seen before are not loaded again.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--landing", metavar="DIR", help="landing zone (default $ORDERLENS_LANDING or data/landing)"
    )
    run.add_argument(
        "--warehouse",
        metavar="FILE",
        help="DuckDB file (default $ORDERLENS_WAREHOUSE or data/warehouse.duckdb)",
    )
    run.add_argument(
        "--as-of", metavar="TS", help="'YYYY-MM-DD HH:MM:SS' Asia/Shanghai; default $ORDERLENS_AS_OF or now"
    )
    run.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                     help="Dagster step log level (default WARNING; INFO shows per-file progress)")  # fmt: skip
    run.set_defaults(func=cmd_run)

    gen = sub.add_parser(
        "generate",
        help="write a synthetic landing zone with known ground truth",
        description="Write a realistic synthetic landing zone (every source of docs/CONTRACT.md §1) "
        "and DIR/_truth/ with the expected outcome. Same seed, same bytes.",
    )
    gen.add_argument("--out", required=True, metavar="DIR", help="where to write the landing zone")
    gen.add_argument(
        "--orders", type=int, default=20000, metavar="N", help="number of orders (default 20000)"
    )
    gen.add_argument("--days", type=int, default=30, metavar="D", help="days of history (default 30)")
    gen.add_argument("--seed", type=int, default=42, metavar="S", help="random seed (default 42)")
    gen.add_argument("--start", metavar="YYYY-MM-DD", help="first day (default: the generator's fixed start)")
    gen.add_argument(
        "--anomaly-rate",
        type=float,
        default=0.03,
        metavar="R",
        help="share of planted anomalies (default 0.03)",
    )
    gen.add_argument(
        "--no-receipts", action="store_true", help="skip rendering receipt images (truth still written)"
    )
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=cmd_generate)

    demo = sub.add_parser(
        "demo",
        help="generate a demo landing zone (if missing), run, and say where the dashboards are",
        description="Generate data/landing if it is missing or empty, run the pipeline on it with the "
        "generated as_of, and print where the dashboards are.",
    )
    demo.add_argument("--landing", default="data/landing", metavar="DIR")
    demo.add_argument("--warehouse", metavar="FILE")
    demo.add_argument(
        "--orders", type=int, default=5000, metavar="N", help="orders to generate (default 5000)"
    )
    demo.add_argument("--as-of", metavar="TS", help="default: the generated zone's as_of")
    demo.set_defaults(func=cmd_demo)

    export = sub.add_parser("export", help="export finance tables (CSV/XLSX)")
    export_sub = export.add_subparsers(dest="what", required=True, metavar="WHAT")
    diff = export_sub.add_parser("differences", help="the day's pending reconciliation items")
    diff.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    diff.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    diff.add_argument("--out", required=True, metavar="FILE")
    diff.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
