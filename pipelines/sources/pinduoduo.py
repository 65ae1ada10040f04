"""拼多多 order export (CSV or XLSX): one row per order. CONTRACT §1.2."""

from __future__ import annotations

from .tabular import Col, TabularSource

ORDER_NO = r"\d{6}-\d{15}"
# As exported (full-width comma in the compound forms); the engine compares after full-width -> half-width.
STATUSES = (
    "待付款",
    "待发货",
    "已发货，待收货",
    "已收货",
    "已取消",
    "未发货，退款成功",
    "已发货，退款成功",
    "已收货，退款成功",
)
AFTERSALE_STATUSES = ("无售后或售后取消", "售后处理中", "退款中", "退款成功")

# 订单状态 / 售后状态 -> canonical order status. The typed status_raw is half-width, so the
# compound forms are compared with a half-width comma here.
#   any '…退款成功' 订单状态, or 售后状态 退款成功 -> refunded
#   待付款 -> pending_payment; 待发货 -> paid; 已发货,待收货 -> shipped;
#   已收货 (buyer confirmed receipt, the platform's end state) -> completed; 已取消 -> cancelled.
# 售后处理中 / 退款中 (a refund not yet granted) keep the order's own state.
CANONICAL_STATUS = """case
    when status_raw in ('未发货,退款成功', '已发货,退款成功', '已收货,退款成功') then 'refunded'
    when aftersale_status_raw = '退款成功' then 'refunded'
    when status_raw = '待付款' then 'pending_payment'
    when status_raw = '待发货' then 'paid'
    when status_raw = '已发货,待收货' then 'shipped'
    when status_raw = '已收货' then 'completed'
    when status_raw = '已取消' then 'cancelled'
end"""

SPEC = TabularSource(
    name="orders_pinduoduo",
    patterns=("orders/pinduoduo/*.csv", "orders/pinduoduo/*.xlsx"),
    description="拼多多 order export (CSV or XLSX), one row per order, CONTRACT §1.2",
    xlsx=True,
    columns=(
        Col("订单号", "order_no", "id", required=True, pattern=ORDER_NO, hint="YYMMDD- and 15 digits"),
        Col("订单状态", "status_raw", "enum", required=True, values=STATUSES),
        Col("商品", "product_title"),
        Col("商品id", "product_id"),
        Col("商品规格", "product_spec"),
        Col("商家编码-规格维度", "sku"),
        Col("商品数量(件)", "quantity", "int", required=True),
        Col("商品总价(元)", "goods_amount", "money"),
        Col("邮费(元)", "shipping_fee", "money"),
        Col("店铺优惠折扣(元)", "shop_discount", "money"),
        Col("平台优惠折扣(元)", "platform_discount", "money"),
        Col("用户实付金额(元)", "buyer_paid_amount", "money"),
        Col("商家实收金额(元)", "order_amount", "money", required=True),
        Col("订单成交时间", "created_at", "ts"),
        Col("支付时间", "paid_at", "ts"),
        Col("发货时间", "shipped_at", "ts"),
        Col("确认收货时间", "received_at", "ts"),
        Col("收货人", "receiver_name"),
        Col("手机", "receiver_phone"),
        Col("省", "province"),
        Col("市", "city"),
        Col("区", "district"),
        Col("街道", "street"),
        Col("快递单号", "tracking_nos", "tracking"),
        Col("快递公司", "courier"),
        Col("售后状态", "aftersale_status_raw", "enum", values=AFTERSALE_STATUSES),
        Col("商家备注", "merchant_remark"),
    ),
    derived=(
        ("status", "VARCHAR", CANONICAL_STATUS),
        # the order number's YYMMDD prefix: recovers a missing 订单成交时间 (DOMAIN "Orders")
        ("order_date", "DATE", "cast(try_strptime(substr(order_no, 1, 6), '%y%m%d') as date)"),
    ),
)
