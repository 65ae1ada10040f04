"""淘宝/天猫 classic two-file export (usually GB18030). CONTRACT §1.3.

`ExportOrderList*.csv` (订单报表, one row per order) -> raw.orders_taobao;
`ExportOrderDetailList*.csv` (宝贝报表, one row per item) -> raw.order_lines_taobao.
Header names with trailing spaces (`收货地址 `) are cleaned by the engine.
"""

from __future__ import annotations

from .tabular import Col, TabularSource

ORDER_NO = r"\d{18,19}"
HINT = "18-19 digits"
# As exported (mixed comma widths); the engine compares after full-width -> half-width.
STATUSES = ("等待买家付款", "买家已付款,等待卖家发货", "卖家已发货，等待买家确认", "交易成功", "交易关闭")

# 订单状态 -> canonical order status (status_raw is half-width, so commas are ',' here).
# 交易关闭 closes an order either before payment (cancelled) or after a full refund (refunded):
# the 订单付款时间 tells them apart.
CANONICAL_STATUS = """case
    when status_raw = '等待买家付款' then 'pending_payment'
    when status_raw = '买家已付款,等待卖家发货' then 'paid'
    when status_raw = '卖家已发货,等待买家确认' then 'shipped'
    when status_raw = '交易成功' then 'completed'
    when status_raw = '交易关闭' and paid_at is not null then 'refunded'
    when status_raw = '交易关闭' then 'cancelled'
end"""

ORDERS = TabularSource(
    name="orders_taobao",
    patterns=("orders/taobao/ExportOrderList*.csv",),
    description="淘宝/天猫 订单报表 (ExportOrderList), one row per order, CONTRACT §1.3",
    columns=(
        Col("订单编号", "order_no", "id", required=True, pattern=ORDER_NO, hint=HINT),
        Col("买家会员名", "buyer_nick"),
        Col("支付单号", "payment_no"),
        Col("买家应付货款", "goods_amount", "money"),
        Col("买家应付邮费", "shipping_fee", "money"),
        Col("总金额", "order_amount", "money", required=True),
        Col("买家实际支付金额", "paid_amount", "money"),
        Col("订单状态", "status_raw", "enum", required=True, values=STATUSES),
        Col("买家留言", "buyer_message"),
        Col("收货人姓名", "receiver_name"),
        Col("收货地址", "address"),
        Col("联系手机", "receiver_phone"),
        Col("订单创建时间", "created_at", "ts", required=True),
        Col("订单付款时间", "paid_at", "ts"),
        Col("宝贝标题", "product_title"),
        Col("宝贝种类", "item_kinds", "int"),
        Col("物流单号", "tracking_nos", "tracking"),
        Col("物流公司", "courier"),
        Col("订单备注", "merchant_remark"),
        Col("宝贝总数量", "quantity", "int"),
        Col("店铺名称", "shop_name"),
        Col("订单关闭原因", "close_reason"),
    ),
    derived=(("status", "VARCHAR", CANONICAL_STATUS),),
)

LINES = TabularSource(
    name="order_lines_taobao",
    patterns=("orders/taobao/ExportOrderDetailList*.csv",),
    description="淘宝/天猫 宝贝报表 (ExportOrderDetailList), one row per item of an order, CONTRACT §1.3",
    columns=(
        Col("订单编号", "order_no", "id", required=True, pattern=ORDER_NO, hint=HINT),
        Col("标题", "product_title"),
        Col("价格", "unit_price", "money", required=True),
        Col("购买数量", "quantity", "int", required=True),
        Col("外部系统编号", "outer_id"),
        Col("商品属性", "product_attributes"),
        Col("套餐信息", "bundle_info"),
        Col("备注", "remark"),
        # the item's state as exported; the order's canonical status (which needs 订单付款时间 to tell a
        # refund from a cancellation) is on orders_taobao
        Col("订单状态", "status_raw", "enum", required=True, values=STATUSES),
        Col("商家编码", "sku"),
    ),
)

SPECS = [ORDERS, LINES]
