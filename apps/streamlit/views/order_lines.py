"""订单明细: order lines and rejected input rows from the published snapshot."""

from __future__ import annotations

import streamlit as st

from apps.streamlit import i18n
from apps.streamlit.auth import require
from apps.streamlit.charts import amount_by_sku
from apps.streamlit.data import query
from apps.streamlit.downloads import download_buttons
from apps.streamlit.i18n import t

require("order_lines")

st.title(t("订单明细 Order lines"))

totals = query(
    """
    select count(*) as lines,
           count(distinct order_key) as orders,
           coalesce(sum(line_amount), 0) as amount,
           coalesce(sum(case when is_gift then 1 else 0 end), 0) as gift_lines
    from fct_order_lines
    """
).iloc[0]
rejected = int(query("select count(*) as n from audit_rejected_rows").iloc[0]["n"])

c1, c2, c3, c4 = st.columns(4)
c1.metric(t("订单数 Orders"), f"{int(totals['orders']):,}")
c2.metric(t("明细行 Lines"), f"{int(totals['lines']):,}")
c3.metric(t("金额 Amount (元)"), f"{float(totals['amount']):,.2f}")
c4.metric(t("拒收行 Rejected rows"), f"{rejected:,}")

platforms = query("select distinct platform from fct_order_lines order by platform")["platform"].tolist()
chosen = st.multiselect("平台 Platform", platforms, default=platforms)
lines = query(
    """
    select order_key, order_no, sku, product_name, quantity, line_amount, is_gift
    from fct_order_lines
    where list_contains(?, platform)
    order by order_key, sku
    limit 5000
    """,
    (chosen,),
)
by_sku = query(  # every line of the chosen platforms, summed in DuckDB (not just the rows listed below)
    """
    select sku, sum(line_amount) as line_amount, false as is_gift
    from fct_order_lines
    where list_contains(?, platform) and not is_gift
    group by sku
    """,
    (chosen,),
)
if len(by_sku) and "line_amount" in by_sku.columns:
    st.plotly_chart(amount_by_sku(by_sku), width="stretch")
table = lines.rename(
    columns={
        "order_key": "订单键", "order_no": "订单号", "sku": "商家编码", "product_name": "商品",
        "quantity": "数量", "line_amount": "金额", "is_gift": "赠品",
    }
)  # fmt: skip
i18n.dataframe(table, hide_index=True, width="stretch")
download_buttons(table, "order_lines", key="order_lines")

with st.expander(f"拒收行 Rejected input rows ({rejected})"):
    i18n.dataframe(
        query(
            "select source_file, row_number, source, reason from audit_rejected_rows order by source_file, row_number"
        ),
        hide_index=True,
        width="stretch",
    )
