"""Warehouse operation log (`warehouse/*.csv`): one raw row per logged event. CONTRACT §1.9.

事件: 审单 (order reviewed and assigned to the warehouse), 出库扫描 (one row per scanned item: 商品条码 +
物流单号, both required), 出库 (package handed to the courier), 异常上报 (with 备注, required).
订单号 is the platform's own order number, 平台 its platform code.
"""

from __future__ import annotations

from .tabular import Check, Col, TabularSource

PLATFORMS = ("douyin", "pinduoduo", "taobao", "miniprogram", "erp")
EVENTS = ("审单", "出库扫描", "出库", "异常上报")

SPEC = TabularSource(
    name="warehouse_log",
    patterns=("warehouse/*.csv",),
    description="warehouse operation log (审单, 出库扫描, 出库, 异常上报), one row per event, CONTRACT §1.9",
    columns=(
        Col("时间", "event_time", "ts", required=True),
        Col("事件", "event", "enum", required=True, values=EVENTS),
        Col("订单号", "order_no", "id", required=True),
        Col("平台", "platform", "enum", required=True, values=PLATFORMS),
        Col("仓库编码", "warehouse_code", required=True),
        Col("操作人", "operator"),
        Col("物流单号", "tracking_no", "tracking"),
        Col("商品条码", "barcode", "id"),
        Col("波次号", "wave_no"),
        Col("备注", "remark"),
    ),
    checks=(
        Check(
            bad="event = '出库扫描' and (barcode is null or tracking_no is null)",
            reason="'事件 出库扫描 needs 商品条码 and 物流单号 (missing: ' || "
            "concat_ws(', ', case when barcode is null then '商品条码' end, "
            "case when tracking_no is null then '物流单号' end) || ')'",
        ),
        Check(bad="event = '异常上报' and remark is null", reason="'事件 异常上报 needs 备注 (empty)'"),
    ),
)
