"""The `orderlens` command: run | generate | demo | export | spark-export | user. See README.md."""

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
  ORDERLENS_USERS_FILE dashboard users and roles (default data/users.json)
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
    if summary.step_seconds:  # where the time went, slowest step first
        steps = sorted(summary.step_seconds.items(), key=lambda item: -item[1])
        print("  steps: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps))
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
    full_refresh = getattr(args, "full_refresh", False)
    if full_refresh:
        print("dbt       --full-refresh (incremental models rebuilt from scratch)")
    summary = run_all(settings, log_level=args.log_level, full_refresh=full_refresh)
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
        shard_size=getattr(args, "shard_size", None),
        receipt_sample=getattr(args, "receipt_sample", None),
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
    _demo_login()
    print()
    print("dashboards: streamlit run apps/streamlit/app.py   -> http://127.0.0.1:8501")
    print("dagster UI: dagster dev -w workspace.yaml         -> http://127.0.0.1:3000")
    print("(`make run` does all of this and starts both)")
    return 0


def _demo_login() -> None:
    """A fresh checkout has no dashboard users: create a demo admin so `make run` lands on dashboards."""
    from . import access

    created = access.create_demo_admin()
    if created:
        name, password, note = created
        print()
        print(f"dashboard login created: user {name!r}, password {password!r} (also in {note})")
        print(f"add real users with: orderlens user add NAME --role {{{','.join(access.ROLES)}}}")


def _truth_as_of(landing: Path) -> str | None:
    """A generated zone carries the as_of its truth was computed for; use it so the demo matches."""
    import json

    meta = landing / "_truth" / "meta.json"
    if meta.is_file():
        return json.loads(meta.read_text()).get("as_of")
    return None


def cmd_export(args: argparse.Namespace) -> int:
    """`orderlens export differences`: the day's pending reconciliation pool, from the published snapshot."""
    import datetime as dt

    from .exports.differences import TYPE_LABELS, DifferencesExportError, export_differences

    try:
        report_date = dt.date.fromisoformat(args.date)
    except ValueError:
        print(
            f"orderlens export differences: --date {args.date!r} is not a date (YYYY-MM-DD)", file=sys.stderr
        )
        return 2
    settings = settings_mod.load_settings(warehouse=args.warehouse, published=args.published)
    out = Path(args.out)
    try:
        export = export_differences(settings.published_dir, report_date, args.format, out)
    except DifferencesExportError as exc:
        print(f"orderlens export differences: {exc}. Nothing was exported.", file=sys.stderr)
        return 2
    print(f"{out}: {len(export.rows)} pending items of {report_date} (as of {export.as_of}), "
          f"snapshot {export.snapshot_version}")  # fmt: skip
    for dtype, label in TYPE_LABELS.items():
        if export.counts.get(dtype):
            print(f"  {label} ({dtype}): {export.counts[dtype]}")
    return 0


def cmd_spark_export(args: argparse.Namespace) -> int:
    """`orderlens spark-export`: DuckDB's raw schema as Parquet folders for the dbt `spark` target."""
    from .spark_export import export_raw

    settings = settings_mod.load_settings(warehouse=args.warehouse)
    out = Path(args.out).resolve()
    try:
        tables = export_raw(settings.warehouse_path, out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"orderlens spark-export: {exc}", file=sys.stderr)
        return 2
    rows = sum(t.rows for t in tables)
    print(f"{out}: {len(tables)} raw tables, {rows} rows (Parquet)")
    print(f"next: ORDERLENS_SPARK_RAW={out} dbt build --target spark (see docs/spark.md)")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise ValueError("the two passwords differ")
    if len(password) < 8:
        raise ValueError("the password needs at least 8 characters")
    return password


def cmd_user_add(args: argparse.Namespace) -> int:
    from . import access

    try:
        password = _read_password(args)
        path = access.add_user(args.name, args.role, password)
    except ValueError as exc:
        print(f"orderlens user add: {exc}", file=sys.stderr)
        return 2
    print(f"user {args.name!r} ({args.role}) saved in {path}")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from . import access

    try:
        users = access.load_users()
    except ValueError as exc:
        print(f"orderlens user list: {exc}", file=sys.stderr)
        return 2
    print(f"users file: {access.users_file()}")
    for name, entry in sorted(users.items()):
        print(f"  {name}\t{entry['role']}")
    return 0


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
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild dbt's incremental models from scratch (dbt build --full-refresh); normally a run "
        "recomputes only what the newly loaded files change (docs/incremental.md)",
    )
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
    gen.add_argument(
        "--receipt-sample",
        type=int,
        metavar="N",
        help="keep only N bank-transfer payments, i.e. N receipts (plus their re-prints), rendered and in the "
        "truth; the other B2B payments do not exist in the zone (their orders are unpaid in every truth file)",
    )
    gen.add_argument(
        "--shard-size",
        type=int,
        metavar="N",
        help="orders per shard (default 500000, env ORDERLENS_GEN_SHARD_SIZE): a larger zone is built and "
        "written shard by shard, with bounded memory; a zone of at most N orders is one shard",
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
    diff.add_argument("--date", required=True, metavar="YYYY-MM-DD",
                      help="report day: the snapshot must be of a run whose as_of is that day (09:00 for the "
                           "morning pool)")  # fmt: skip
    diff.add_argument("--format", choices=["csv", "xlsx"], default="xlsx",
                      help="xlsx: a sheet per difference type; csv: one UTF-8 (BOM) file")  # fmt: skip
    diff.add_argument("--out", required=True, metavar="FILE")
    diff.add_argument("--warehouse", metavar="FILE",
                      help="only to locate the default published folder beside it")  # fmt: skip
    diff.add_argument("--published", metavar="DIR",
                      help="published snapshots (default $ORDERLENS_PUBLISHED or 'published' beside the warehouse)")  # fmt: skip
    diff.set_defaults(func=cmd_export)

    spark = sub.add_parser(
        "spark-export",
        help="write the warehouse's raw tables as Parquet for `dbt build --target spark` (docs/spark.md)",
    )
    spark.add_argument("--warehouse", metavar="FILE", help="DuckDB warehouse (default $ORDERLENS_WAREHOUSE)")
    spark.add_argument("--out", required=True, metavar="DIR",
                       help="one folder per raw table (<DIR>/<table>/part-0.parquet); replaced table by table")  # fmt: skip
    spark.set_defaults(func=cmd_spark_export)

    from .access import ROLES

    user = sub.add_parser(
        "user",
        help="manage dashboard users (admin)",
        description="Dashboard users and roles live in $ORDERLENS_USERS_FILE (default data/users.json), "
        "outside the repository; passwords are stored as salted scrypt hashes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    user_sub = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    user_add = user_sub.add_parser(
        "add",
        help="add a user (or reset its password and role)",
        description="Add a user, or replace an existing one. The password is asked twice on a terminal, "
        "else read from the first line of stdin.",
    )
    user_add.add_argument("name", metavar="NAME")
    user_add.add_argument(
        "--role", required=True, choices=list(ROLES), help="; ".join(r.label for r in ROLES.values())
    )
    user_add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user_add.set_defaults(func=cmd_user_add)
    user_list = user_sub.add_parser("list", help="list users and their roles")
    user_list.set_defaults(func=cmd_user_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
