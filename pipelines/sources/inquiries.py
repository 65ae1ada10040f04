"""Customer-service inquiries (`inquiries/*.csv`): one raw row per contact. CONTRACT §1.13.

订单号 may be empty (a question about no particular order); when it is given, 平台 is required (an order
is identified by platform and number). 渠道 is free text.
"""

from __future__ import annotations

from .tabular import Check, Col, TabularSource

PLATFORMS = ("douyin", "pinduoduo", "taobao", "miniprogram", "erp")
TOPICS = ("物流查询", "售后", "商品咨询", "其他")

SPEC = TabularSource(
    name="inquiries",
    patterns=("inquiries/*.csv",),
    description="customer-service inquiries (咨询时间, 订单号, 平台, 渠道, 问题类型), CONTRACT §1.13",
    columns=(
        Col("咨询时间", "asked_at", "ts", required=True),
        Col("订单号", "order_no", "id"),
        Col("平台", "platform", "enum", values=PLATFORMS),
        Col("渠道", "channel"),
        Col("问题类型", "topic", "enum", required=True, values=TOPICS),
    ),
    checks=(Check(bad="order_no is not null and platform is null", reason="'订单号 given without 平台'"),),
)
