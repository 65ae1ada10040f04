"""The dashboards (apps/streamlit) on a small generated zone: every page for every role, the numbers shown
equal the marts, forbidden pages are unreachable, personal data is masked without `pii`.

One pipeline run (conftest.dashboard_run: 1,200 orders, no receipts); each AppTest run has a 30 s timeout."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import access

APP = str(Path(__file__).resolve().parent.parent / "apps" / "streamlit" / "app.py")
PAGES_DIR = Path(APP).parent / "views"
TIMEOUT = 30
ROLE_OF = {"ana": "analyst", "fin": "finance", "wh": "warehouse", "adm": "admin"}  # conftest.DASHBOARD_USERS
PASSWORDS = {name: f"{role_name}-pass" for name, role_name in ROLE_OF.items()}
TITLES = {
    "overview": "总览 Overview",
    "heatmap": "履约热力图 Fulfilment heatmap",
    "order_lookup": "订单追踪 Order lookup",
    "exceptions": "物流异常 / SLA 预警",
    "risk_signals": "风险预警 Risk signals",
    "aftersales": "售后归因 After-sales",
    "reconciliation": "三流对账 Reconciliation",
    "receipts": "回单复核 Receipt review",
    "order_lines": "订单明细 Order lines",
}


@pytest.fixture(scope="module")
def dash(dashboard_run):
    settings, users = dashboard_run
    saved = {k: os.environ.get(k) for k in ("ORDERLENS_PUBLISHED", "ORDERLENS_USERS_FILE")}
    os.environ["ORDERLENS_PUBLISHED"] = str(settings.published_dir)
    os.environ["ORDERLENS_USERS_FILE"] = str(users)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        yield con, settings
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def mart(con, sql: str, params=()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def signed_in(user: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["orderlens_user"] = user
    return at.run()


def open_page(user: str, page: str) -> AppTest:
    at = signed_in(user)
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == TITLES[page]
    return at


def existing_pages(role_name: str) -> list[str]:
    return [p for p in access.allowed_pages(role_name) if (PAGES_DIR / f"{p}.py").is_file()]


# --- access ---------------------------------------------------------------------------------------------


def test_sign_in_rejects_a_wrong_password_and_accepts_the_right_one(dash):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert at.title[0].value == "orderlens 登录 Sign in"
    at.text_input(key="login_user").input("ana")
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误 Wrong user name or password"]
    assert "orderlens_user" not in at.session_state
    at.text_input(key="login_password").input(PASSWORDS["ana"])
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["orderlens_user"] == "ana"
    assert at.title[0].value == TITLES["overview"]  # the analyst's first page


def test_an_unknown_user_in_the_session_gets_the_sign_in_page(dash):
    at = signed_in("mallory")
    assert at.title[0].value == "orderlens 登录 Sign in"
    assert "orderlens_user" not in at.session_state


@pytest.mark.parametrize("user", ["ana", "fin", "wh", "adm"])
def test_every_allowed_page_renders_and_every_other_page_is_unreachable(dash, user):
    role_name = ROLE_OF[user]
    allowed = existing_pages(role_name)
    forbidden = [p for p in TITLES if p not in allowed]
    # every page's hash (what a browser asking for /<url_path> resolves to), as the admin's session has them
    admin = signed_in("adm")
    hashes = {Path(str(info["script_path"])).stem: h for h, info in admin._registered_pages.items()}
    at = signed_in(user)
    assert not at.exception, at.exception
    assert at.title[0].value == TITLES[allowed[0]]  # the role's first page is its landing page
    for page in allowed[1:]:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert at.title[0].value == TITLES[page]
    for page in forbidden:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"views/{page}.py")  # not registered in this session
        at._page_hash = hashes[page]  # request it anyway, as a typed URL does
        at.run()
        assert at.title[0].value == TITLES[allowed[0]], f"{role_name} reached {page} by URL"
    every = [
        "overview",
        "heatmap",
        "order_lookup",
        "exceptions",
        "risk_signals",
        "aftersales",
        "reconciliation",
        "receipts",
        "order_lines",
    ]
    expected = {"analyst": every,
                "finance": ["overview", "order_lookup", "reconciliation", "receipts", "order_lines"],
                "warehouse": ["order_lookup", "heatmap", "exceptions"],
                "admin": every}  # fmt: skip
    assert allowed == expected[role_name]


# --- the numbers shown equal the marts ----------------------------------------------------------------


def test_overview_tiles_equal_the_kpi_mart(dash):
    con, settings = dash
    last = settings.as_of.date()
    first = (pd.Timestamp(last) - pd.Timedelta(days=6)).date()
    before = (pd.Timestamp(first) - pd.Timedelta(days=7)).date()
    kpi = mart(con, "select * from marts.fct_kpi_daily where day <= ? order by day", (last,))
    period = kpi.loc[kpi["day"].dt.date >= first]
    previous = kpi.loc[(kpi["day"].dt.date >= before) & (kpi["day"].dt.date < first)]
    at = open_page("ana", "overview")
    at.radio(key="overview_period").set_value("近7天 7 days").run()
    assert not at.exception, at.exception

    def mean(frame, column):
        values = frame[column].dropna().astype(float)
        return float(values.mean()) if len(values) else None

    expected = {"已支付订单 Orders paid": (f"{int(period['orders_paid'].sum()):,}", None)}
    labels = {
        "on_time_72h_rate": "72小时签收率 On time 72 h", "shipped_within_24h_rate": "24小时发货率 Shipped within 24 h",
        "difference_rate": "对账差异率 Difference rate", "mis_shipment_rate": "错发率 Mis-shipment rate",
        "repeat_inquiry_rate": "重复咨询率 Repeat-inquiry rate",
        "avg_aftersales_minutes": "售后处理时长(分钟) After-sales minutes",
        "avg_outbound_seconds": "出库时长(秒) Outbound seconds",
    }  # fmt: skip
    for column, label in labels.items():
        now, then = mean(period, column), mean(previous, column)
        rate = column.endswith("_rate")
        value = "—" if now is None else (f"{now:.1%}" if rate else f"{now:,.1f}")
        delta = None
        if now is not None and then is not None:
            delta = f"{(now - then) * 100:+.1f} pp" if rate else f"{now - then:+,.1f}"
        expected[label] = (value, delta)
    shown = {m.label: (m.value, m.proto.delta or None) for m in at.metric}
    assert shown == expected
    assert int(period["orders_paid"].sum()) > 50
    assert period["on_time_72h_rate"].notna().any() and period["mis_shipment_rate"].notna().any()
    table = at.dataframe[0].value
    assert list(table["日期"].dt.date) == list(period["day"].dt.date)


def test_heatmap_cells_and_drill_down_equal_the_marts(dash):
    con, _ = dash
    grid = mart(
        con, "select day, warehouse_code, overdue_unshipped_orders as n from marts.fct_fulfillment_heatmap"
    )
    at = open_page("wh", "heatmap")
    trace = _trace(at, 0)
    z = _array(trace["z"])
    shown = {
        (day, warehouse): int(z[i][j])
        for i, warehouse in enumerate(trace["y"])
        for j, day in enumerate(trace["x"])
    }
    expected = {(str(r.day.date()), r.warehouse_code): int(r.n) for r in grid.itertuples()}
    assert shown == expected
    assert trace["colorscale"][-1][1].lower() in ("rgb(103,0,13)", "#67000d")  # Plotly's Reds, dark end

    # the busiest cell: its count, its orders, its breakdowns
    top = grid.sort_values(["n", "day", "warehouse_code"], ascending=[False, False, True]).iloc[0]
    assert top.n > 0
    at.selectbox(key="heatmap_day").set_value(top.day.date()).run()
    at.selectbox(key="heatmap_warehouse").set_value(top.warehouse_code).run()
    assert not at.exception, at.exception
    assert at.metric[0].value == f"{int(top.n):,}"
    listed = mart(
        con,
        "select h.order_no, o.delay_stage, extract(hour from h.paid_at) as hour from marts.fct_heatmap_orders h "
        "join marts.fct_orders o using (order_key) where h.day = ? and h.warehouse_code = ?",
        (top.day.date(), top.warehouse_code),
    )
    table = at.dataframe[0].value
    assert sorted(table["订单号"]) == sorted(listed["order_no"])
    assert len(table) == top.n
    assert "订单金额" not in " ".join(table.columns)  # warehouse: no amounts anywhere
    assert not at.get("download_button")  # warehouse: read-only, no exports
    by_hour = _trace(at, 2)
    hours = dict(zip(_array(by_hour["x"]).tolist(), _array(by_hour["y"]).tolist(), strict=True))
    assert hours == {int(h): n for h, n in listed.groupby("hour").size().items()}
    by_stage = _trace(at, 4)
    assert int(_array(by_stage["y"]).sum()) == top.n


def test_exceptions_page_counts_equal_the_marts(dash):
    con, settings = dash
    exceptions = mart(con, "select * from marts.fct_logistics_exceptions")
    alerts = mart(
        con,
        "select a.alert_type, o.reviewed_at, o.shipped_at, o.status from marts.fct_sla_alerts a "
        "join marts.fct_orders o using (order_key)",
    )
    review = alerts["alert_type"].isin(["review_pending", "review_escalated"])
    open_ = (review & alerts["reviewed_at"].isna()) | (
        ~review & alerts["shipped_at"].isna() & ~alerts["status"].isin(["cancelled", "refunded"])
    )
    at = open_page("ana", "exceptions")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "未关闭物流异常 Open exceptions": f"{len(exceptions):,}",
        "未关闭SLA预警 Open alerts": f"{int(open_.sum()):,}",
        "其中审单超时 Escalated": f"{int((open_ & (alerts['alert_type'] == 'review_escalated')).sum()):,}",
    }
    assert len(exceptions) > 0
    shown = at.dataframe[0].value
    assert sorted(shown["快递单号"]) == sorted(exceptions["tracking_no"])
    ages = (
        pd.Timestamp(settings.as_of) - exceptions.set_index("tracking_no")["since"]
    ).dt.total_seconds() / 3600
    for row in shown.itertuples():
        assert abs(row[7] - ages[row[1]]) < 0.06  # 账龄(小时), rounded to 0.1
    assert len(at.get("download_button")) == 4  # CSV + XLSX under both tables
    at.toggle(key="alerts_all").set_value(True).run()
    assert {m.label: m.value for m in at.metric}["SLA预警 Alerts"] == f"{len(alerts):,}"


# --- order lookup, PII ------------------------------------------------------------------------------------


def _excepted_order(con):
    return con.execute(
        """
        select o.order_key, o.order_no, o.tracking_nos, o.order_amount, r.receiver_name, r.receiver_phone,
               r.phone_last4, e.tracking_no, e.carrier
        from marts.fct_logistics_exceptions e
        join marts.fct_orders o using (order_key)
        join marts.dim_order_receivers r using (order_key)
        where o.platform = 'douyin'
        order by e.tracking_no
        limit 1
        """
    ).fetchone()


def _facts(at) -> dict:
    frame = next(d.value for d in at.dataframe if list(d.value.columns) == ["项目", "值"])
    return dict(zip(frame["项目"], frame["值"], strict=True))


def _array(value) -> np.ndarray:
    """A Plotly JSON array: a list, or (Plotly 6) {"dtype", "bdata" base64, "shape"}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if shape:
            flat = flat.reshape([int(n) for n in str(shape).split(",")])
        return flat
    return np.asarray(value)


def _frame(at, column: str) -> pd.DataFrame:
    """The first table shown with that column (st.dataframe has no key AppTest can look up)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _trace(at, index: int) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)["data"][0]


def test_lookup_by_tracking_number_shows_the_chain_masked_for_an_analyst(dash):
    con, _ = dash
    key, order_no, tracking_nos, amount, name, phone, _, number, carrier = _excepted_order(con)
    at = open_page("ana", "order_lookup")
    at.text_input(key="lookup_term").input(number).run()
    assert not at.exception, at.exception
    facts = _facts(at)
    assert facts["平台 platform"] == "douyin"
    assert facts["订单金额 amount (元)"] == f"{amount:,.2f}"
    assert facts["收件人 receiver"] == name[0] + "*" * (len(name) - 1) != name
    assert facts["电话 phone"] == "*******" + phone[-4:]
    assert name not in str([d.value.to_string() for d in at.dataframe])
    link = f"[{number}](https://www.kuaidi100.com/chaxun?com={carrier}&nu={number})"
    assert any(link in m.value for m in at.markdown)
    nodes = con.execute(
        "select count(*) from marts.fct_track_events where tracking_no = ?", [number]
    ).fetchone()[0]
    assert any(f"{nodes} 个节点" in m.value for m in at.markdown)
    assert [s.value for s in at.subheader][0] == f"订单 {order_no}"
    events = con.execute(
        "select count(*) from marts.fct_warehouse_events where order_key = ?", [key]
    ).fetchone()[0]
    assert sum(len(d.value) for d in at.dataframe if "事件" in d.value.columns) == events


def test_lookup_by_phone_digits_shows_personal_data_to_finance_and_no_amount_to_warehouse(dash):
    con, _ = dash
    key, order_no, _, amount, name, phone, last4, _, _ = _excepted_order(con)
    same_digits = con.execute(
        "select count(*) from marts.dim_order_receivers where phone_last4 = ?", [last4]
    ).fetchone()[0]
    at = open_page("fin", "order_lookup")
    at.text_input(key="lookup_term").input(last4).run()
    assert at.selectbox(key="lookup_pick").label == f"匹配订单 Matching orders ({same_digits})"
    label = next(o for o in at.selectbox(key="lookup_pick").options if o.startswith(order_no))
    at.selectbox(key="lookup_pick").set_value(label).run()
    facts = _facts(at)
    assert (facts["收件人 receiver"], facts["电话 phone"]) == (name, phone)

    at = open_page("wh", "order_lookup")
    at.text_input(key="lookup_term").input(order_no).run()
    facts = _facts(at)
    assert "订单金额 amount (元)" not in facts
    assert facts["电话 phone"] == "*******" + phone[-4:]
    lines = next(d.value for d in at.dataframe if "商家编码" in d.value.columns)
    assert "金额" not in lines.columns

    at.text_input(key="lookup_term").input("no-such-order").run()
    assert "没有找到" in at.warning[0].value


AMOUNT_HEADERS = {"订单金额", "金额", "已付", "退款金额", "到账金额", "order_amount", "paid_amount", "line_amount",
                  "refund_amount", "amount"}  # fmt: skip


def test_warehouse_staff_see_no_amount_no_download_and_no_personal_data_on_any_of_their_pages(dash):
    """The warehouse role: order lookup by scan, heatmap, exceptions — read-only, no amounts, PII masked."""
    con, _ = dash
    _, order_no, _, _, name, phone, _, number, _ = _excepted_order(con)
    for page in existing_pages("warehouse"):
        at = open_page("wh", page)
        if page == "order_lookup":
            at.text_input(key="lookup_term").input(number).run()  # a scanned tracking number
            assert not at.exception, at.exception
            assert _facts(at)["电话 phone"] == "*******" + phone[-4:]
        if page == "heatmap":  # the busiest cell's order list too
            top = con.execute(
                "select day, warehouse_code from marts.fct_fulfillment_heatmap "
                "order by overdue_unshipped_orders desc limit 1"
            ).fetchone()
            at.selectbox(key="heatmap_day").set_value(top[0]).run()
            at.selectbox(key="heatmap_warehouse").set_value(top[1]).run()
        headers = {c for frame in at.dataframe for c in frame.value.columns}
        assert not headers & AMOUNT_HEADERS, (page, headers & AMOUNT_HEADERS)
        assert not [m.label for m in at.metric if "金额" in m.label or "Amount" in m.label], page
        assert not at.get("download_button"), page  # no `export`
        shown = " ".join(frame.value.to_string() for frame in at.dataframe)
        assert name not in shown and phone not in shown, page


def test_a_view_run_on_its_own_refuses_without_a_signed_in_role(dash):
    """Defence in depth: each view checks the role itself, whatever page routing let it run."""
    at = AppTest.from_file(str(PAGES_DIR / "order_lines.py"), default_timeout=TIMEOUT)
    at.session_state["orderlens_user"] = "wh"  # warehouse may not see 订单明细
    at.run()
    assert [e.value for e in at.error] == ["无权访问此页面 You may not see this page."]
    assert not at.metric and not at.dataframe


# --- reconciliation, after-sales, receipts ------------------------------------------------------------------


def test_reconciliation_pool_by_type_and_team_equals_the_mart_and_the_export_is_the_cli_file(dash, tmp_path):
    from apps.streamlit import data
    from pipelines.exports.differences import TYPE_LABELS, export_differences

    con, settings = dash
    day = settings.as_of.date()
    pool = mart(con, "select * from marts.rpt_daily_differences where report_date = ?", (day,))
    assert len(pool) > 20, len(pool)
    at = open_page("fin", "reconciliation")
    metrics = {m.label: m.value for m in at.metric}
    money = pool["order_amount"].fillna(pool["paid_amount"]).astype(float).sum()
    assert metrics == {"待处理差异 Pending items": f"{len(pool):,}", "涉及金额 Amount (元)": f"{money:,.2f}"}
    summary = _frame(at, "条数")
    shown = {
        (r["差异类型"], r["责任组"]): (r["条数"], round(r["订单金额"], 2)) for _, r in summary.iterrows()
    }
    grouped = pool.groupby(["difference_type", "responsible_team"])
    expected = {
        (TYPE_LABELS[t], team): (len(g), round(g["order_amount"].astype(float).sum(), 2))
        for (t, team), g in grouped
    }
    assert shown == expected
    # filters: one type, then one row's detail from fct_three_way_match
    label = TYPE_LABELS[pool["difference_type"].value_counts().index[0]]
    at.multiselect(key="recon_types").set_value([label]).run()
    rows = _frame(at, "匹配键")
    wanted = pool.loc[pool["difference_type"].map(TYPE_LABELS) == label]
    assert sorted(rows["匹配键"]) == sorted(wanted["match_key"])
    key = sorted(wanted["match_key"])[0]
    at.selectbox(key="recon_pick").set_value(key).run()
    facts = _frame(at, "项目")
    assert dict(zip(facts["项目"], facts["值"], strict=True))["match_key"] == key
    payers = mart(con, "select * from marts.rpt_misdirected_payers")
    if len(payers):
        assert sorted(_frame(at, "无单付款笔数")["付款人"]) == sorted(payers["payer_name"])
    assert {b.label for b in at.get("download_button")} >= {"下载差异 CSV", "下载差异 XLSX"}
    # the page's files are written by the export's own code: the CSV equals the CLI's byte for byte
    cli = tmp_path / "cli.csv"
    export_differences(settings.published_dir, day, "csv", cli)
    page_csv, page_day, n = data.differences_file("csv")
    assert (page_csv, page_day, n) == (cli.read_bytes(), str(day), len(pool))

    # an analyst sees the page without personal data in clear; without `export` there is no file
    at = open_page("ana", "reconciliation")
    if len(payers):
        assert not set(_frame(at, "无单付款笔数")["付款人"]) & set(payers["payer_name"])


def test_aftersales_week_top_tags_and_drill_down_equal_the_marts(dash):
    con, _ = dash
    weekly = mart(con, "select * from marts.rpt_aftersales_weekly order by week_start desc, rank, reason_tag")
    assert len(weekly) > 0
    week = weekly["week_start"].max().date()
    rows = weekly.loc[weekly["week_start"].dt.date == week]
    at = open_page("ana", "aftersales")
    assert at.selectbox(key="aftersales_week").value == week
    tickets = con.execute(
        "select count(*) from marts.fct_aftersales where week_start = ?", [week]
    ).fetchone()[0]
    assert at.metric[0].value == f"{tickets:,}"
    trace = _trace(at, 0)
    assert list(trace["x"]) == list(rows["reason_tag"])
    assert np.allclose(_array(trace["y"]).astype(float), rows["share_of_tickets"].astype(float))
    top3 = [m.value for m in at.markdown if m.value.startswith("**") and "SKU" in m.value]
    assert len(top3) == min(3, int((rows["rank"] <= 3).sum()))
    for line, row in zip(top3, rows.loc[rows["rank"] <= 3].itertuples(), strict=True):
        assert line.startswith(f"**{int(row.rank)}. {row.reason_tag}** — {int(row.tickets)} 单")
        assert f"SKU `{row.top_sku}`" in line and row.top_category in line and row.top_warehouse in line
        assert row.top_hour_slot in line
    tag = rows.iloc[0]["reason_tag"]
    at.selectbox(key="aftersales_tag").set_value(tag).run()
    listed = mart(
        con,
        "select ticket_no from marts.fct_aftersales where week_start = ? and list_contains(reason_tags, ?)",
        (week, tag),
    )
    assert sorted(_frame(at, "ticket_no")["ticket_no"]) == sorted(listed["ticket_no"])
    at.toggle(key="aftersales_actions_all").set_value(True).run()
    actions = con.execute("select count(*) from marts.fct_correction_actions").fetchone()[0]
    assert len(_frame(at, "措施")) == actions


def test_aftersales_offers_the_week_html_page_when_it_exists(dash):
    con, settings = dash
    week = con.execute("select max(week_start) from marts.rpt_aftersales_weekly").fetchone()[0]
    year, number, _ = week.isocalendar()
    page = settings.reports_dir / f"aftersales-{year}-W{number:02d}.html"
    os.environ["ORDERLENS_WAREHOUSE"] = str(settings.warehouse_path)
    try:
        at = open_page("adm", "aftersales")
        buttons = [b.label for b in at.get("download_button")]
        assert page.is_file(), page  # the pipeline wrote the latest week's page
        assert f"下载周报 HTML ({page.name})" in buttons
    finally:
        os.environ.pop("ORDERLENS_WAREHOUSE", None)


@pytest.fixture
def receipt_zone(dash, tmp_path):
    """The dashboard snapshot with three receipts in fct_bank_receipts (two need review: a PNG and a PDF) and
    a landing zone holding their files: the page reads the snapshot and the landing zone, no OCR needed."""
    from PIL import Image

    _, settings = dash
    version = (settings.published_dir / "CURRENT").read_text().strip()
    published = tmp_path / "published"
    shutil.copytree(settings.published_dir / version, published / version)
    (published / "CURRENT").write_text(version)
    landing = tmp_path / "landing"
    (landing / "receipts").mkdir(parents=True)
    Image.new("RGB", (120, 60), "white").save(landing / "receipts" / "ICBC_回单_a.png")
    Image.new("RGB", (120, 60), "white").save(landing / "receipts" / "CCB_回单_b.pdf")
    target = published / version / "fct_bank_receipts.parquet"
    with duckdb.connect() as con:
        con.execute(f"create table r as select * from read_parquet('{target}') limit 0")
        con.execute(
            """
            insert into r values
            ('receipt:ICBC:2026102042451038', 'receipts/ICBC_回单_a.png', 'ICBC', '2026102042451038', 'S1',
             timestamp '2026-10-20', '张三', '6222000011112222', '某某商贸', '6222000033334444', 5940.00, false,
             ['SO1'], 80.0, true, '大写与小写不符'),
            ('receipt:CCB:450571437', 'receipts/CCB_回单_b.pdf', 'CCB', '450571437', 'S2', timestamp '2026-10-21',
             '李四', '6222000055556666', '某某商贸', '6222000033334444', 100.00, true, [], 60.0, true, '置信度低'),
            ('receipt:CMB:9', 'receipts/CMB_c.png', 'CMB', '9', 'S3', timestamp '2026-10-19', '王五',
             '6222000077778888', '某某商贸', '6222000033334444', 1.00, true, [], 95.0, false, null)
            """
        )
        con.execute(f"copy r to '{target}' (format parquet)")
    saved = {k: os.environ.get(k) for k in ("ORDERLENS_PUBLISHED", "ORDERLENS_LANDING")}
    os.environ["ORDERLENS_PUBLISHED"] = str(published)
    os.environ["ORDERLENS_LANDING"] = str(landing)
    yield landing
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_receipt_review_shows_the_image_and_a_finance_correction_appends_one_parsed_row(receipt_zone):
    from pipelines.sources.receipt_corrections import parse_corrections

    at = open_page("fin", "receipts")
    assert {m.label: m.value for m in at.metric} == {"待复核 Need review": "2", "回单总数 Receipts": "3"}
    assert len(_frame(at, "复核原因")) == 2
    assert at.selectbox(key="receipts_pick").value == "receipt:ICBC:2026102042451038"
    assert len(at.get("image")) == 1
    assert any("下次" in i.value and "next" in i.value for i in at.info)
    at.selectbox(key="correct_field").set_value("金额")
    at.text_input(key="correct_value").input("¥5,490.00")
    at.text_input(key="correct_note").input("=大写为准")
    next(b for b in at.button if b.label == "保存 Save").click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    file = receipt_zone / "receipts" / "corrections.csv"
    parsed = parse_corrections(file)
    assert not parsed.rejected, parsed.rejected
    assert [(r["source_file"], r["receipt_no"], r["field"], r["value"], r["confirmed_by"], r["note"])
            for r in parsed.rows] == [("receipts/ICBC_回单_a.png", None, "amount", "5490.00", "fin", "=大写为准")]  # fmt: skip
    assert parsed.rows[0]["confirmed_at"] is not None
    assert file.read_text(encoding="utf-8-sig").count("\n") == 2  # header + one row

    # the PDF: its first page is rendered; confirm it as read; a bad amount writes nothing
    at.selectbox(key="receipts_pick").set_value("receipt:CCB:450571437").run()
    assert not at.exception, at.exception
    assert len(at.get("image")) == 1
    at.selectbox(key="correct_field").set_value("金额")
    at.text_input(key="correct_value").input("abc")
    next(b for b in at.button if b.label == "保存 Save").click().run()
    assert at.error and "Not saved" in at.error[0].value
    at.selectbox(key="correct_field").set_value("确认")
    at.text_input(key="correct_value").input("")
    next(b for b in at.button if b.label == "保存 Save").click().run()
    parsed = parse_corrections(file)
    assert not parsed.rejected and len(parsed.rows) == 2
    assert (parsed.rows[1]["source_file"], parsed.rows[1]["field"], parsed.rows[1]["value"]) == (
        "receipts/CCB_回单_b.pdf", "confirm", None)  # fmt: skip

    # an analyst sees the queue, personal data masked, and no correction form
    at = open_page("ana", "receipts")
    assert not [b for b in at.button if b.label == "保存 Save"]
    assert "张三" not in _frame(at, "复核原因").to_string()


# --- heatmap cell clicks ---------------------------------------------------------------------------------


def test_heatmap_cells_are_clickable_points_and_a_click_names_its_day_and_warehouse():
    from apps.streamlit.charts import CELL_TRACE, fulfillment_heatmap, heatmap_cell

    grid = pd.DataFrame(
        {
            "day": pd.to_datetime(["2027-10-01", "2027-10-01", "2027-10-02", "2027-10-02"]),
            "warehouse_code": ["WH-A", "WH-B", "WH-A", "WH-B"],
            "overdue_unshipped_orders": [0, 3, 5, 0],
        }
    )
    fig = fulfillment_heatmap(grid)
    cells = [trace for trace in fig.data if trace.name == CELL_TRACE]
    assert len(cells) == 1  # the overlay answering clicks (a Heatmap trace yields no selection points)
    points = {(x, y): int(n) for x, y, n in zip(cells[0].x, cells[0].y, cells[0].customdata, strict=True)}
    assert points == {
        ("2027-10-01", "WH-A"): 0, ("2027-10-01", "WH-B"): 3, ("2027-10-02", "WH-A"): 5, ("2027-10-02", "WH-B"): 0,
    }  # fmt: skip
    assert fig.layout.clickmode == "event+select"

    # the selection state st.plotly_chart(..., on_select="rerun") returns after a click on a cell
    click = {"points": [{"curve_number": 1, "point_index": 2, "x": "2027-10-02", "y": "WH-A"}]}
    assert heatmap_cell(click) == ("2027-10-02", "WH-A")
    two = {"points": [click["points"][0], {"x": "2027-10-01", "y": "WH-B"}]}
    assert heatmap_cell(two) == ("2027-10-01", "WH-B")  # the latest click
    assert heatmap_cell({"points": [], "point_indices": [], "box": [], "lasso": []}) is None
    assert heatmap_cell(None) is None
    assert heatmap_cell({"points": [{"curve_number": 0}]}) is None  # no coordinates: not a cell


# --- 中文 / English ---------------------------------------------------------------------------------------


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def test_english_toggle_switches_titles_kpi_labels_and_column_headers(dash):
    from apps.streamlit.i18n import LABELS, LANG_KEY

    at = open_page("adm", "overview")
    assert at.toggle(key=LANG_KEY).value is False  # Chinese by default
    chinese_tiles = [m.label for m in at.metric]
    chinese_columns = list(at.dataframe[0].value.columns)
    at.toggle(key=LANG_KEY).set_value(True).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Overview"
    assert [m.label for m in at.metric] == [LABELS[label] for label in chinese_tiles]
    assert {"Orders paid", "On time 72 h", "Shipped within 24 h"} <= {m.label for m in at.metric}
    assert list(at.dataframe[0].value.columns) == [LABELS[c] for c in chinese_columns]
    assert list(at.dataframe[0].value.columns)[:2] == ["Day", "Orders paid"]

    # the choice follows the user: every page's title and every table header is English
    for page in existing_pages("admin"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert at.title[0].value == LABELS[TITLES[page]], page
        untranslated = [c for frame in at.dataframe for c in frame.value.columns if _has_cjk(c)]
        assert not untranslated, (page, untranslated)
        assert not [m.label for m in at.metric if _has_cjk(m.label.split(" · ")[0])], page

    at.toggle(key=LANG_KEY).set_value(False).run()
    assert at.title[0].value == TITLES[existing_pages("admin")[-1]]  # back to 中文
