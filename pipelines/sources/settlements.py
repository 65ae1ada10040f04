"""Platform settlement bills (CSV), one table per platform: settlements/<platform>/*.csv. CONTRACT §1.6.

One row per settled order; a refund after settlement is a row with a negative 结算金额.
Each table carries a constant `platform` column so staging can union them.
"""

from __future__ import annotations

from .tabular import Col, TabularSource

# platform -> (order-number pattern, hint); the same shapes as the platforms' order exports
ORDER_NUMBERS = {
    "douyin": (r"\d{10,20}", "10-20 digits"),
    "pinduoduo": (r"\d{6}-\d{15}", "YYMMDD- and 15 digits"),
    "taobao": (r"\d{18,19}", "18-19 digits"),
    "miniprogram": (r"E\d{14,30}", "E, yyyyMMddHHmmss and digits"),
    "erp": (r"SO\d{14}", "SO and 14 digits"),
}


def settlement_spec(platform: str) -> TabularSource:
    pattern, hint = ORDER_NUMBERS[platform]
    return TabularSource(
        name=f"settlements_{platform}",
        patterns=(f"settlements/{platform}/*.csv",),
        description=f"{platform} settlement bill, one row per settled order (refunds negative), CONTRACT §1.6",
        columns=(
            Col("结算时间", "settled_at", "ts", required=True),
            Col("结算单号", "settlement_no", "id", required=True),
            Col("订单号", "order_no", "id", required=True, pattern=pattern, hint=hint),
            Col("结算金额", "amount", "money", required=True),
            Col("备注", "remark"),
        ),
        derived=(("platform", "VARCHAR", f"'{platform}'"),),
    )


SPECS = [settlement_spec(p) for p in ORDER_NUMBERS]
