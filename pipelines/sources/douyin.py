"""抖店 order export (商品维度 CSV): one row per 子订单 (SKU line). CONTRACT §1.1."""

from __future__ import annotations

from .tabular import Col, TabularSource

ORDER_NO = r"\d{10,20}"
STATUSES = ("待支付", "备货中", "部分发货", "已发货", "已完成", "已取消")
AFTERSALE_STATUSES = ("售后中", "退款成功", "售后关闭")

# 订单状态 -> canonical order status; 售后状态 退款成功 overrides to refunded.
CANONICAL_STATUS = """case
    when aftersale_status_raw = '退款成功' then 'refunded'
    when status_raw = '待支付' then 'pending_payment'
    when status_raw = '备货中' then 'paid'
    when status_raw in ('部分发货', '已发货') then 'shipped'
    when status_raw = '已完成' then 'completed'
    when status_raw = '已取消' then 'cancelled'
end"""

SPEC = TabularSource(
    name="orders_douyin",
    patterns=("orders/douyin/*.csv",),
    description="抖店 order export, one row per 子订单 (SKU line), CONTRACT §1.1",
    columns=(
        Col("主订单编号", "order_no", "id", required=True, pattern=ORDER_NO, hint="10-20 digits"),
        Col("子订单编号", "sub_order_no", "id", required=True, pattern=ORDER_NO, hint="10-20 digits"),
        Col("选购商品", "product_title"),
        Col("商品ID", "product_id"),
        Col("商家编码", "sku"),
        Col("商品数量", "quantity", "int", required=True),
        Col("商品金额", "line_amount", "money", required=True),
        Col("订单应付金额", "order_amount", "money", required=True),
        Col("订单提交时间", "created_at", "ts", required=True),
        Col("支付完成时间", "paid_at", "ts"),
        Col("订单完成时间", "completed_at", "ts"),
        Col("订单状态", "status_raw", "enum", required=True, values=STATUSES),
        Col("售后状态", "aftersale_status_raw", "enum", values=AFTERSALE_STATUSES),
        Col("收件人", "receiver_name"),
        Col("收件人手机号", "receiver_phone"),
        Col("省", "province"),
        Col("市", "city"),
        Col("区", "district"),
        Col("街道", "street"),
        Col("详细地址", "address"),
        Col("达人ID", "author_id"),
        Col("达人昵称", "author_name"),
        Col("直播间ID", "room_id"),
        Col("视频ID", "video_id"),
        Col("流量来源", "traffic_source"),
        Col("快递公司", "courier"),
        Col("快递单号", "tracking_nos", "tracking"),
        Col("发货时间", "shipped_at", "ts"),
        Col("商家备注", "merchant_remark"),
    ),
    derived=(("status", "VARCHAR", CANONICAL_STATUS),),
)
