"""B2B sales orders from the company's own sales system (UTF-8 CSV): one row per line. CONTRACT §1.5."""

from __future__ import annotations

from .tabular import Col, TabularSource

ORDER_NO = r"SO\d{14}"
STATUSES = ("已审核", "已发货", "已完成", "已取消")

# 状态 -> canonical order status. B2B orders are fulfilled on account: an approved (已审核) order
# is as good as paid (its paid_at is 下单时间, CONTRACT §1.5; staging exposes it as paid_at).
CANONICAL_STATUS = """case
    when status_raw = '已审核' then 'paid'
    when status_raw = '已发货' then 'shipped'
    when status_raw = '已完成' then 'completed'
    when status_raw = '已取消' then 'cancelled'
end"""

SPEC = TabularSource(
    name="orders_erp",
    patterns=("orders/erp/*.csv",),
    description="B2B sales orders (company sales system), one row per order line, CONTRACT §1.5",
    columns=(
        Col("销售订单号", "order_no", "id", required=True, pattern=ORDER_NO, hint="SO and 14 digits"),
        Col("客户编码", "customer_code", required=True),
        Col("客户名称", "customer_name"),
        Col("下单时间", "placed_at", "ts", required=True),
        Col("商家编码", "sku", required=True),
        Col("数量", "quantity", "int", required=True),
        Col("单价", "unit_price", "money"),
        Col("金额", "line_amount", "money", required=True),
        Col("订单总额", "order_amount", "money", required=True),
        Col("仓库编码", "warehouse_code"),
        Col("收货地址", "address"),
        Col("联系人", "contact_name"),
        Col("联系电话", "contact_phone"),
        Col("状态", "status_raw", "enum", required=True, values=STATUSES),
    ),
    derived=(("status", "VARCHAR", CANONICAL_STATUS),),
)
