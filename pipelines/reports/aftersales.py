"""The after-sales weekly report (rpt_aftersales_weekly) as a self-contained HTML page.

Pure: DataFrames in, HTML text out; no warehouse, no Dagster. The page carries its own Plotly.js
(`include_plotlyjs="inline"`, once per page) so it opens offline, e.g. as an e-mail attachment. Every text
that came from the landing zone (tags, SKUs, categories) is HTML-escaped. Output is deterministic: the same
frames give the same bytes (fixed chart ids, no clock).
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

TITLE = "售后周报"

# rpt_aftersales_weekly column -> Chinese header, in display order
COLUMNS = {
    "rank": "排名",
    "reason_tag": "原因标签",
    "tickets": "工单数",
    "share_of_tickets": "占本周工单",
    "top_sku": "最多 SKU",
    "top_sku_share": "SKU 占比",
    "top_category": "最多类目",
    "top_category_share": "类目占比",
    "top_warehouse": "最多仓库",
    "top_warehouse_share": "仓库占比",
    "top_hour_slot": "最多出库时段",
    "top_hour_slot_share": "时段占比",
    "avg_handling_minutes": "平均处理时长(分钟)",
}
SHARES = {c for c in COLUMNS if c.endswith("share") or c == "share_of_tickets"}
TICKET_COLUMNS = {
    "ticket_no": "售后单号",
    "order_key": "订单",
    "sku": "SKU",
    "warehouse_code": "仓库",
    "reason_tags": "原因标签",
    "applied_at": "申请时间",
    "expected_items": "应发",
    "shipped_items": "实发(出库扫描)",
    "item_discrepancy": "差异",
}

STYLE = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
.meta { color: #666; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; white-space: nowrap; }
th { background: #f3f5f7; } td.num { text-align: right; }
tr.top td { background: #fff4e5; }
"""


def week_label(week_start: dt.date) -> str:
    """ISO week of a Monday: 2026-11-02 -> '2026-W45' (the <week> of aftersales-<week>.html)."""
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def _as_date(value) -> dt.date:
    return pd.Timestamp(value).date()


def _cell(column: str, value) -> tuple[str, bool]:
    """(escaped text, is_number) of one table cell."""
    sequence = isinstance(value, (list, tuple, np.ndarray))  # a list column (reason tags) comes as an array
    if value is None or (not sequence and pd.isna(value)):  # pd.isna of a 2+ element array is an array
        return "—", False
    if column in SHARES:
        return f"{float(value):.1%}", True
    if column == "avg_handling_minutes":
        return f"{float(value):,.1f}", True
    if sequence:
        items = value.tolist() if isinstance(value, np.ndarray) else value
        return html.escape("、".join(str(v) for v in items)), False
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M"), False
    if isinstance(value, (int, float)):
        return html.escape(str(value)), True
    return html.escape(str(value)), False


def _table(frame: pd.DataFrame, columns: dict[str, str], highlight_first: bool = False) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        cells = []
        for column in columns:
            text, numeric = _cell(column, record.get(column))
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        css = ' class="top"' if highlight_first and i == 0 else ""
        rows.append(f"<tr{css}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure_html(fig: go.Figure, div_id: str, first: bool) -> str:
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=340,
        font={"family": "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"},
    )
    return fig.to_html(
        full_html=False,
        include_plotlyjs="inline" if first else False,
        div_id=div_id,
        config={"displaylogo": False},
    )


def tag_chart(week: pd.DataFrame) -> go.Figure:
    """Tickets per reason tag in the week, rank order."""
    data = week.sort_values("rank")
    fig = go.Figure(
        go.Bar(
            x=data["reason_tag"].tolist(),
            y=data["tickets"].astype(int).tolist(),
            text=[f"{s:.0%}" for s in data["share_of_tickets"].astype(float)],
            textposition="outside",
            marker_color=["#e8590c" if r == 1 else "#4c6ef5" for r in data["rank"]],
            hovertemplate="%{x}<br>工单数 %{y}<extra></extra>",
        )
    )
    fig.update_layout(title="本周各原因标签工单数", xaxis_title="原因标签", yaxis_title="工单数")
    return fig


def trend_chart(weekly: pd.DataFrame, up_to: dt.date) -> go.Figure:
    """Share of tickets per tag, week by week up to the report's week (0 in a week without the tag)."""
    data = weekly.loc[weekly["week_start"].map(_as_date) <= up_to].copy()
    data["week"] = data["week_start"].map(lambda d: week_label(_as_date(d)))
    data["share_of_tickets"] = data["share_of_tickets"].astype(float)
    shares = data.pivot_table(index="week", columns="reason_tag", values="share_of_tickets", aggfunc="sum")
    shares = shares.sort_index().fillna(0.0)
    fig = go.Figure()
    for tag in sorted(shares.columns):
        fig.add_trace(
            go.Scatter(
                x=shares.index.tolist(),
                y=shares[tag].tolist(),
                mode="lines+markers",
                name=str(tag),
                hovertemplate=f"{html.escape(str(tag))}<br>%{{x}} 占比 %{{y:.1%}}<extra></extra>",
            )
        )
    fig.update_layout(
        title="各原因标签占比趋势（按周）",
        xaxis_title="周",
        yaxis_title="占当周工单",
        yaxis_tickformat=".0%",
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": shares.index.tolist()},
    )
    return fig


def render_week(
    week_start: dt.date,
    weekly: pd.DataFrame,
    tickets: pd.DataFrame | None = None,
    as_of: str | None = None,
) -> str:
    """The page of one week: headline (rank-1 tag with its top category, warehouse, slot), the week's table,
    a bar chart per tag, the share trend up to this week, and the week's tickets whose scanned items differ
    from the order."""
    week_start = _as_date(week_start)
    week_end = week_start + dt.timedelta(days=6)
    all_weeks = weekly.copy()
    week = all_weeks.loc[all_weeks["week_start"].map(_as_date) == week_start].sort_values("rank")
    label = week_label(week_start)
    total = 0
    if tickets is not None and not tickets.empty:
        in_week = tickets.loc[tickets["week_start"].map(_as_date) == week_start]
        total = len(in_week)
    else:
        in_week = pd.DataFrame(columns=list(TICKET_COLUMNS))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{TITLE} {label}</title><style>{STYLE}</style></head><body>",
        f"<h1>{TITLE} {label}（{week_start:%Y-%m-%d} 至 {week_end:%Y-%m-%d}）</h1>",
    ]
    meta = [f"本周售后工单 {total} 张" if total else "本周售后工单"]
    if as_of:
        meta.append(f"数据截至 {html.escape(as_of)}")
    parts.append(f'<p class="meta">{"，".join(meta)}。周一 00:00 至周日 23:59:59，按申请时间。</p>')
    if week.empty:
        parts.append("<p>本周没有售后工单。</p></body></html>")
        return "\n".join(parts)
    top = week.iloc[0]
    parts.append(
        "<p><b>本周第一原因：</b>"
        f"{html.escape(str(top['reason_tag']))}（{int(top['tickets'])} 张，占 {float(top['share_of_tickets']):.1%}），"
        f"集中在类目 {_cell('top_category', top['top_category'])[0]}（{_cell('top_category_share', top['top_category_share'])[0]}）、"
        f"仓库 {_cell('top_warehouse', top['top_warehouse'])[0]}（{_cell('top_warehouse_share', top['top_warehouse_share'])[0]}）、"
        f"出库时段 {_cell('top_hour_slot', top['top_hour_slot'])[0]}（{_cell('top_hour_slot_share', top['top_hour_slot_share'])[0]}）。</p>"
    )
    parts.append("<h2>原因标签排行</h2>")
    parts.append(_table(week, COLUMNS, highlight_first=True))
    parts.append("<h2>图表</h2>")
    parts.append(_figure_html(tag_chart(week), f"aftersales-{label}-tags", first=True))
    parts.append(_figure_html(trend_chart(all_weeks, week_start), f"aftersales-{label}-trend", first=False))
    differing = in_week.loc[in_week["item_discrepancy"].notna()] if "item_discrepancy" in in_week else in_week
    parts.append("<h2>出库扫描与订单不符的工单</h2>")
    if differing.empty:
        parts.append("<p>无。</p>")
    else:
        parts.append(_table(differing.sort_values("applied_at"), TICKET_COLUMNS))
    parts.append("</body></html>")
    return "\n".join(parts)


def render_all(
    weekly: pd.DataFrame, tickets: pd.DataFrame | None = None, as_of: str | None = None
) -> dict[str, str]:
    """File name (aftersales-<ISO week>.html) -> page, one per week of the report; empty without weeks."""
    weeks: Iterable[dt.date] = sorted({_as_date(d) for d in weekly["week_start"]}) if not weekly.empty else []
    return {f"aftersales-{week_label(w)}.html": render_week(w, weekly, tickets, as_of) for w in weeks}


def write_pages(pages: dict[str, str], folder: Path) -> list[Path]:
    """Write each page atomically (temporary file, then os.replace): a reader never sees half a page."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(pages.items()):
        target = folder / name
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        written.append(target)
    return written
