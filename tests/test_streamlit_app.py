"""The dashboard page renders from the published snapshot and shows the marts' numbers."""

import os
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import access

APP = str(Path(__file__).resolve().parent.parent / "apps" / "streamlit" / "app.py")


@pytest.fixture
def published_env(skeleton_run, monkeypatch, tmp_path):
    settings, _ = skeleton_run
    monkeypatch.setenv("ORDERLENS_PUBLISHED", str(settings.published_dir))
    users = tmp_path / "users.json"
    access.add_user("admin", "admin", "admin-password", users)
    monkeypatch.setenv("ORDERLENS_USERS_FILE", str(users))
    return settings


def order_lines_page() -> AppTest:
    """Signed in as an admin, on 订单明细 (the sign-in itself is tested in test_dashboards.py)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["orderlens_user"] = "admin"
    at.run()
    return at.switch_page("views/order_lines.py").run()


def test_order_lines_page_shows_the_mart_figures(published_env):
    with duckdb.connect(str(published_env.warehouse_path), read_only=True) as con:
        orders, lines, amount = con.execute(
            "select count(distinct order_key), count(*), sum(line_amount) from marts.fct_order_lines"
        ).fetchone()
        rejected = con.execute("select count(*) from marts.audit_rejected_rows").fetchone()[0]
    at = order_lines_page()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "订单数 Orders": f"{orders:,}",
        "明细行 Lines": f"{lines:,}",
        "金额 Amount (元)": f"{float(amount):,.2f}",
        "拒收行 Rejected rows": f"{rejected:,}",
    }
    assert metrics["订单数 Orders"] == "3"
    table = at.dataframe[0].value
    assert len(table) == lines
    assert set(table["订单号"]) == {"6920000000000000001", "6920000000000000002", "6920000000000000003"}


def test_platform_filter_narrows_the_table(published_env):
    at = order_lines_page()
    at.multiselect[0].set_value([]).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 0


def test_without_a_snapshot_the_app_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERLENS_PUBLISHED", str(tmp_path / "nothing"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "orderlens run" in at.warning[0].value
    assert os.environ["ORDERLENS_PUBLISHED"].endswith("nothing")
