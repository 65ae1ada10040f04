"""orderlens dashboards: `streamlit run apps/streamlit/app.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `streamlit run` from anywhere: make `pipelines` and `apps` importable
    sys.path.insert(0, str(ROOT))

from apps.streamlit.data import published_dir, snapshot_version  # noqa: E402

st.set_page_config(page_title="orderlens", page_icon="📦", layout="wide")

version = snapshot_version()
if version is None:
    st.title("orderlens")
    st.warning(
        f"还没有发布的数据快照 (no published snapshot in `{published_dir()}`). "
        "Run `orderlens run` or `make run` first."
    )
    st.stop()

pages = [
    st.Page(str(Path(__file__).parent / "pages" / "order_lines.py"), title="订单明细 Order lines", icon="🧾",
            url_path="order_lines", default=True),
    st.Page(str(Path(__file__).parent / "pages" / "risk_signals.py"), title="风险预警 Risk signals", icon="🚨",
            url_path="risk_signals"),
]  # fmt: skip
st.sidebar.caption(f"数据版本 snapshot `{version}`")
st.navigation(pages).run()
