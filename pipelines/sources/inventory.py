"""Stock snapshots (`inventory/*.csv`): one raw row per snapshot × warehouse × SKU. CONTRACT §1.10."""

from __future__ import annotations

from .tabular import Col, TabularSource

SPEC = TabularSource(
    name="inventory_snapshots",
    patterns=("inventory/*.csv",),
    description="stock snapshots (可用库存 per warehouse and SKU at 快照时间), CONTRACT §1.10",
    columns=(
        Col("快照时间", "snapshot_at", "ts", required=True),
        Col("仓库编码", "warehouse_code", required=True),
        Col("商家编码", "sku", required=True),
        Col("可用库存", "available_qty", "int", required=True),
    ),
)
