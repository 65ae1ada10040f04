"""Product master (`products/*.csv`): one raw row per SKU per file. CONTRACT §1.11.

商品条码 is read as an id so that a barcode destroyed by Excel (`6.94273E+12`) is rejected, not stored.
"""

from __future__ import annotations

from .tabular import Col, TabularSource

SPEC = TabularSource(
    name="products",
    patterns=("products/*.csv",),
    description="SKU catalogue (商家编码, 商品名称, 类目, 商品条码, 供应商, 成本价), CONTRACT §1.11",
    columns=(
        Col("商家编码", "sku", required=True),
        Col("商品名称", "product_name", required=True),
        Col("类目", "category"),
        Col("商品条码", "barcode", "id"),
        Col("供应商", "supplier"),
        Col("成本价", "cost_price", "money"),
    ),
)
