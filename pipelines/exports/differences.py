"""The day's reconciliation differences for finance: `orderlens export differences --date D`.

Reads ``rpt_daily_differences`` from the **published** snapshot (``pipelines.publish.snapshot_connection``),
never the live warehouse. The report of day D is the pending pool of the run whose ``as_of`` falls on D
(the morning run at D 09:00 gives "the pool as of 09:00 that day"); a snapshot of another day is refused
with a message saying which run to make.

Output: the rows grouped by difference type (contract priority order, then the orphan types), Chinese
headers, amounts as numbers. XLSX: one sheet per difference type (every type, empty ones keep their header,
so the layout never changes). CSV: one UTF-8-with-BOM file (Excel opens it as UTF-8), the same rows in the
same order. Text cells that Excel would read as a formula (starting with = + - @ tab CR) get a leading '.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

HEADERS = ["差异类型", "责任组", "订单号", "物流单号", "回单编号", "订单金额", "到账金额", "说明"]
MONEY_COLUMNS = {"订单金额", "到账金额"}

# difference_type -> (Chinese label shown in the file and used as the sheet name), in report order
TYPE_LABELS = {
    "order_without_logistics": "有单无物流",
    "logistics_without_payment": "已发货未收款",
    "logistics_not_signed": "物流未签收",
    "amount_mismatch": "金额不符",
    "payment_without_order": "有款无单",
    "logistics_without_order": "有物流无订单",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class DifferencesExportError(Exception):
    """The export cannot be made (no snapshot, wrong day, bad arguments); the message says what to do."""


@dataclass
class DifferencesExport:
    report_date: dt.date
    as_of: dt.datetime | None
    rows: list[list] = field(default_factory=list)  # HEADERS order; amounts Decimal or None
    counts: dict[str, int] = field(default_factory=dict)  # difference_type -> rows
    snapshot_version: str | None = None


def neutralise(value):
    """A text cell Excel could run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def load_differences(
    con, report_date: dt.date, snapshot_as_of: dt.datetime | None = None
) -> DifferencesExport:
    """The pending pool of ``report_date`` from a snapshot connection (views named like the marts).

    ``snapshot_as_of``: the as_of the snapshot was built for (its manifest); the report date must be its
    date. Without it, the as_of recorded in the rows is used (an empty pool cannot be checked)."""
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    if "rpt_daily_differences" not in tables:
        raise DifferencesExportError(
            "the published snapshot has no rpt_daily_differences: it predates the reconciliation; "
            "run `orderlens run` again"
        )
    if snapshot_as_of is None:
        found = con.execute("select max(as_of) from rpt_daily_differences").fetchone()[0]
        snapshot_as_of = found
    if snapshot_as_of is not None and snapshot_as_of.date() != report_date:
        raise DifferencesExportError(
            f"the published snapshot is as of {snapshot_as_of:%Y-%m-%d %H:%M:%S}: it holds the differences of "
            f"{snapshot_as_of:%Y-%m-%d}, not of {report_date}. Run "
            f'`orderlens run --as-of "{report_date} 09:00:00"` first (the pending pool as of 09:00 that day)'
        )
    as_of = snapshot_as_of
    order = {t: i for i, t in enumerate(TYPE_LABELS)}
    fetched = con.execute(
        """
        select difference_type, responsible_team, order_no, tracking_nos, payment_refs, order_amount,
               paid_amount, detail, match_key
        from rpt_daily_differences
        where report_date = ?
        """,
        [report_date],
    ).fetchall()
    fetched.sort(key=lambda r: (order.get(r[0], len(order)), r[0], r[8]))
    export = DifferencesExport(report_date=report_date, as_of=as_of)
    for dtype, team, order_no, tracking, refs, order_amount, paid_amount, detail, _key in fetched:
        export.rows.append(
            [
                TYPE_LABELS.get(dtype, dtype),
                team,
                order_no,
                tracking,
                refs,
                _money(order_amount),
                _money(paid_amount),
                detail,
            ]
        )
        export.counts[dtype] = export.counts.get(dtype, 0) + 1
    return export


def _money(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def write_csv(export: DifferencesExport, out: Path) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in export.rows:
        writer.writerow(
            ["" if v is None else (f"{v:.2f}" if isinstance(v, Decimal) else neutralise(v)) for v in row]
        )
    _atomic_write(out, buf.getvalue().encode("utf-8-sig"))


def write_xlsx(export: DifferencesExport, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    money_idx = [i for i, h in enumerate(HEADERS) if h in MONEY_COLUMNS]
    widths = [16, 8, 22, 24, 34, 12, 12, 60]
    for label in TYPE_LABELS.values():
        ws = wb.create_sheet(title=label)
        ws.append(HEADERS)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        written = 1  # rows so far (the header): openpyxl's ws.max_row scans every cell, once per row made it
        for row in export.rows:  # quadratic (the 10M pending pool's XLSX ran for tens of minutes)
            if row[0] != label:
                continue
            ws.append([neutralise(v) if not isinstance(v, Decimal) else v for v in row])
            written += 1
            for i in money_idx:
                cell = ws.cell(row=written, column=i + 1)
                if cell.value is not None:
                    cell.number_format = "#,##0.00"
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = w
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    _atomic_write(out, buf.getvalue())


def _atomic_write(out: Path, data: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)


def export_differences(published_dir: Path, report_date: dt.date, fmt: str, out: Path) -> DifferencesExport:
    """Write the day's differences from the published snapshot to ``out`` (csv or xlsx)."""
    from pipelines.publish import current_version, snapshot_connection

    if fmt not in ("csv", "xlsx"):
        raise DifferencesExportError(f"unknown format {fmt!r}: use csv or xlsx")
    version = current_version(published_dir)
    snapshot_as_of = None
    if version is not None:
        manifest = published_dir / version / "manifest.json"
        if manifest.is_file():
            snapshot_as_of = dt.datetime.fromisoformat(json.loads(manifest.read_text())["as_of"])
    try:
        con = snapshot_connection(published_dir, version)
    except FileNotFoundError as exc:
        raise DifferencesExportError(str(exc)) from exc
    try:
        export = load_differences(con, report_date, snapshot_as_of)
    finally:
        con.close()
    export.snapshot_version = version
    (write_csv if fmt == "csv" else write_xlsx)(export, out)
    return export
