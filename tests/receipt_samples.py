"""One sample bank receipt record for the OCR tests that render and read it back."""

from decimal import Decimal


def sample_receipt(bank: str, **kw) -> dict:
    """A receipt record as the generator renders it (bank ids in each bank's shape); `kw` overrides fields."""
    rec = {
        "bank": bank,
        "receipt_no": {"ICBC": "2026011271050724", "CCB": "450571437", "CMB": "20260112457123000001"}[bank],
        "txn_serial": {"ICBC": "ZX202601124071050724", "CCB": "20260112-1450571437", "CMB": "K014505714370"}[
            bank
        ],
        "txn_date": "2026-01-12",
        "txn_time": "10:23:45",
        "payer_name": "上海宠乐多贸易有限公司",
        "payer_account": "6222021001123456789",
        "payer_bank": "中国工商银行上海徐汇支行",
        "payee_name": "杭州华诚商贸有限公司",
        "payee_account": "33050161712700000587",
        "payee_bank": "中国建设银行杭州高新支行",
        "amount": Decimal("2000.00"),
        "purpose": "货款 SO20260112000457 SO20260112000458",
        "summary": "网银转账",
        "print_count": 1,
        "swap_sides": False,
    }
    rec.update(kw)
    return rec
