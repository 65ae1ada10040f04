"""The dashboards (apps/streamlit) on a small generated zone: every page for every role, the numbers shown
equal the marts, forbidden pages are unreachable, personal data is masked without `pii`.

One pipeline run (conftest.dashboard_run: 1,200 orders, no receipts); each AppTest run has a 30 s timeout."""

from __future__ import annotations

import base64
import json
import os
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
    expected = {"analyst": ["overview", "heatmap", "order_lookup", "exceptions", "risk_signals", "order_lines"],
                "finance": ["overview", "order_lookup", "order_lines"],
                "warehouse": ["order_lookup", "heatmap", "exceptions"],
                "admin": ["overview", "heatmap", "order_lookup", "exceptions", "risk_signals", "order_lines"]}  # fmt: skip
    assert allowed == expected[role_name]


# --- the numbers shown equal the marts ----------------------------------------------------------------


def test_overview_rates_equal_the_orders_mart(dash):
    con, settings = dash
    orders = mart(con, "select paid_at, on_time_72h, shipped_within_24h from marts.fct_orders")
    orders = orders.loc[orders["paid_at"].notna()]
    as_of = settings.as_of
    at = open_page("ana", "overview")
    at.radio(key="overview_period").set_value("近7天 7 days").run()
    assert not at.exception, at.exception
    first = (pd.Timestamp(as_of).normalize() - pd.Timedelta(days=6)).date()
    period = orders.loc[(orders["paid_at"].dt.date >= first) & (orders["paid_at"].dt.date <= as_of.date())]
    on_time = period["on_time_72h"].dropna().astype(bool)
    shipped = period["shipped_within_24h"].dropna().astype(bool)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "已支付订单 Orders paid": f"{len(period):,}",
        "72小时签收率 On time 72 h": f"{on_time.mean():.1%}",
        "24小时发货率 Shipped within 24 h": f"{shipped.mean():.1%}",
    }
    assert len(period) > 50
    table = at.dataframe[0].value
    assert table["已支付"].sum() == len(period)
    assert list(table["支付日期"].dt.date) == sorted(set(period["paid_at"].dt.date))


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


def test_a_view_run_on_its_own_refuses_without_a_signed_in_role(dash):
    """Defence in depth: each view checks the role itself, whatever page routing let it run."""
    at = AppTest.from_file(str(PAGES_DIR / "order_lines.py"), default_timeout=TIMEOUT)
    at.session_state["orderlens_user"] = "wh"  # warehouse may not see 订单明细
    at.run()
    assert [e.value for e in at.error] == ["无权访问此页面 You may not see this page."]
    assert not at.metric and not at.dataframe
