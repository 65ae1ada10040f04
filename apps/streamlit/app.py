"""orderlens dashboards: `streamlit run apps/streamlit/app.py`.

Sign in first; st.navigation then gets only the pages the user's role may see (pipelines/access.py), so
any other page is neither in the menu nor reachable by URL. A page is one file, views/<key>.py; a key
of the access table whose file does not exist yet is skipped. Each view also calls auth.require(key).

The folder is deliberately not called `pages/`: Streamlit's legacy multipage mode registers every file of
a `pages/` folder beside the main script on any run that happens before st.navigation was first called
in the process, which would let the first request to /<page> after a server start run it unauthenticated.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `streamlit run` from anywhere: make `pipelines` and `apps` importable
    sys.path.insert(0, str(ROOT))

from apps.streamlit import auth, i18n  # noqa: E402
from apps.streamlit.data import published_dir, snapshot_version  # noqa: E402
from pipelines import access  # noqa: E402

PAGES_DIR = Path(__file__).parent / "views"  # not pages/: see the module docstring

# page key (pipelines.access.PAGES) -> (title, icon)
PAGE_TITLES = {
    "overview": ("总览 Overview", ":material/dashboard:"),
    "heatmap": ("履约热力图 Heatmap", ":material/local_fire_department:"),
    "order_lookup": ("订单追踪 Order lookup", ":material/search:"),
    "exceptions": ("物流异常 / SLA 预警", ":material/warning:"),
    "risk_signals": ("风险预警 Risk signals", ":material/notifications_active:"),
    "aftersales": ("售后归因 After-sales", ":material/support_agent:"),
    "reconciliation": ("三流对账 Reconciliation", ":material/account_balance:"),
    "receipts": ("回单复核 Receipt review", ":material/receipt_long:"),
    "order_lines": ("订单明细 Order lines", ":material/list_alt:"),
}


def navigation_pages(role_name: str) -> list:
    pages = []
    for key in access.allowed_pages(role_name):
        path = PAGES_DIR / f"{key}.py"
        if not path.is_file():
            continue
        title, icon = PAGE_TITLES[key]
        pages.append(st.Page(str(path), title=i18n.t(title), icon=icon, url_path=key, default=not pages))
    return pages


st.set_page_config(page_title="orderlens", page_icon=":material/inventory_2:", layout="wide")


def no_snapshot_page() -> None:
    st.title("orderlens")
    st.warning(
        f"还没有发布的数据快照 (no published snapshot in `{published_dir()}`). "
        "Run `orderlens run` or `make run` first."
    )


# st.navigation is called on every run (also before sign-in): only the pages passed here exist for
# this session.
version = snapshot_version()
if version is None:
    st.navigation([st.Page(no_snapshot_page, title="orderlens", url_path="start")], position="hidden").run()
    st.stop()

role_name = auth.current_role()
if role_name is None:
    auth.logout()
    st.navigation([st.Page(auth.login_form, title="登录 Sign in", url_path="login")], position="hidden").run()
    st.stop()

st.sidebar.markdown(f"**{auth.current_user()}** · {role_name}")
if st.sidebar.button("退出 Sign out", key="logout"):
    auth.logout()
    st.rerun()
st.sidebar.caption(f"数据版本 snapshot `{version}`")
i18n.toggle()
pages = navigation_pages(role_name)
if not pages:
    st.warning(f"角色 {role_name} 还没有可用的页面 No page for role {role_name} yet.")
    st.stop()
st.navigation(pages).run()
