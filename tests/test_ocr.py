"""Tests for ocr/: pure parsing on text fixtures, amount words, words-vs-figure, and real OCR of
rendered receipts (tesseract, no skipping)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest

from ocr import amount_in_words, ocr_many, parse_text, words_match
from ocr.extract import clean_id, find_order_nos, parse_amount, snap_name
from ocr.words import amount_in_words_forms, words_to_amount
from tests.receipt_samples import sample_receipt

os.environ["OMP_THREAD_LIMIT"] = "1"

# --- text fixtures, as tesseract (chi_sim, psm 6) prints them -------------------------------------

ICBC_TEXT = """中国工商银行业务回单〈付款)
日期: 2026-01-11 回单编号: 2026011171050724
付款人户名: 成都华诚贸易有限公司收丈人户名: 杭州橙镜电子商务有限公司
付款人账号: 6218609139099603 收款人账号: 1202026309900123456
付款人开户行: 中国工商银行上海徐汇支行收丈人开户行: 中国工商银行杭州分行营业部
币种: 人民币小写: ¥2,000.00
金额(大写): 贰什元整
用途: 货款 S020260103861168 $O20260103861169
流水号: ZX202601114071050724 摘要: 网银转账
打印次数: 1
回单编号相同表示同一笔业务，请勿重复记账"""

CCB_SWAPPED = """中国建设银行 网上银行电子回执
日期: 2026-01-07 凭证号: 450571437
账户明细编号 -交易流水号: 20260107-1450571437
收丈人 付款人
全称: 杭州橙镜电子商务有限公司 全称: 杭州华诚商贸有限公司
账号: 33050161712700000587 账号: 6226516761222029729
开户行: 中国建设银行杭州高新支行 开户行: 中国银行南京江宁支行
大写金额: 贰 万 陆 什 元 整
小写金额: ¥26,000.00
用途: 货款 SO20260120881260 S$O20260120881261 $020260120881262
摘要: 网银转账
回单编号相同表示同一笔业务，请勿重复记账"""

CMB_TEXT = """招商银行 入账回单
交易日期: 2026-01-12 10:23:45
业务类型: 汇入汇款
交易流水: K0123456789 01
收款账号: 571909876510602
收款人: 杭州橙镜电子商务有限公司
付款账号: 6222021001123456789
付款人: 上海 宠 乐 多 贸易 有限 公司
付款开户行: 中国工商银行股份有限公司上海市徐汇支行
交易金额(小写): CNY 6,040.00
交易金额(大写): 人民币陆什零肆拾元整
交易摘要: 汇入汇款
用途: 预付款
回单编号: 2026011200457123O001
回单编号相同表示同一笔业务，请勿重复记账"""


def test_parse_icbc_two_columns_and_s0_prefix():
    r = parse_text(ICBC_TEXT, confidence=90)
    assert r["bank"] == "ICBC"
    assert r["receipt_no"] == "2026011171050724"
    assert r["receipt_ref"] == "ICBC:2026011171050724"
    assert r["txn_serial"] == "ZX202601114071050724"
    assert r["txn_date"] == dt.date(2026, 1, 11)
    assert r["payer_name"] == "成都华诚贸易有限公司"
    assert r["payee_name"] == "杭州橙镜电子商务有限公司"
    assert r["payer_account"] == "6218609139099603"
    assert r["payee_account"] == "1202026309900123456"
    assert r["amount"] == Decimal("2000.00")
    assert r["amount_in_words_ok"] is True
    assert r["order_nos"] == ["SO20260103861168", "SO20260103861169"]
    assert r["needs_review"] is False and r["review_reason"] is None


def test_parse_ccb_swapped_sides_uses_labels_not_position():
    r = parse_text(CCB_SWAPPED, confidence=90)
    assert r["bank"] == "CCB"
    assert r["receipt_no"] == "450571437"
    assert r["txn_serial"] == "20260107-1450571437"
    assert r["payer_name"] == "杭州华诚商贸有限公司"
    assert r["payer_account"] == "6226516761222029729"
    assert r["payee_name"] == "杭州橙镜电子商务有限公司"
    assert r["payee_account"] == "33050161712700000587"
    assert r["amount"] == Decimal("26000.00") and r["amount_in_words_ok"]
    assert r["order_nos"] == ["SO20260120881260", "SO20260120881261", "SO20260120881262"]
    assert not r["needs_review"]


def test_parse_cmb_spaced_cjk_and_o_in_digits():
    r = parse_text(CMB_TEXT, confidence=88)
    assert r["bank"] == "CMB"
    assert r["receipt_no"] == "20260112004571230001"
    assert r["payer_name"] == "上海宠乐多贸易有限公司"
    assert r["amount"] == Decimal("6040.00") and r["amount_in_words_ok"]
    assert r["order_nos"] == []
    assert not r["needs_review"]


def test_review_reasons():
    wrong = CMB_TEXT.replace("陆什零肆拾元整", "陆仟肆佰元整")
    r = parse_text(wrong, confidence=88)
    assert r["needs_review"] and not r["amount_in_words_ok"]
    assert "大写金额与小写金额不符 (words say 6,400.00, figure 6,040.00)" in r["review_reason"]
    r = parse_text(CMB_TEXT, confidence=61)
    assert r["needs_review"] and "low OCR confidence 61 < 65" in r["review_reason"]
    r = parse_text(CMB_TEXT.replace("回单编号: 2026011200457123O001", ""), confidence=90)
    assert r["needs_review"] and "no receipt number found" in r["review_reason"]
    assert r["receipt_ref"].startswith("sha256:")
    r = parse_text("something else entirely", confidence=90)
    assert r["needs_review"] and r["bank"] is None
    r = parse_text(CMB_TEXT.replace("CNY 6,040.00", "CNY 名"), confidence=90)  # figure unreadable
    assert r["amount"] == Decimal("6040.00") and r["needs_review"] and not r["amount_in_words_ok"]
    assert "amount figure (小写) not readable; amount as the words (大写) spell it" in r["review_reason"]


def test_helpers():
    assert parse_amount("¥101,680.32") == Decimal("101680.32")
    assert parse_amount("CNY 1,0O0.50") == Decimal("1000.50")
    assert parse_amount("¥1,01,680.32") is None  # misplaced separators: do not guess
    assert clean_id("ZX2026O1120004571234") == "ZX202601120004571234"
    assert find_order_nos("货款 SO20260112000457,SO20260112000458 另 260112-123456789012345") == [
        "SO20260112000457",
        "SO20260112000458",
        "260112-123456789012345",
    ]
    assert find_order_nos("货款 S$O20260112000457 5O20260112000458") == [
        "SO20260112000457",
        "SO20260112000458",
    ]
    assert snap_name("杭州楼镜电子商务有限公司", ["杭州橙镜电子商务有限公司", "上海宠乐多贸易有限公司"]) == (
        "杭州橙镜电子商务有限公司"
    )


# --- amount in words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "strict", "short"),
    [
        ("6040.00", "陆仟零肆拾元整", "陆仟零肆拾元整"),
        ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分", "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("100.05", "壹佰元零伍分", "壹佰元零伍分"),
        ("101000.00", "壹拾万零壹仟元整", "壹拾万壹仟元整"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分", "壹仟陆佰捌拾元叁角贰分"),
        ("0.05", "伍分", "伍分"),
        ("10.50", "壹拾元零伍角", "壹拾元伍角"),
        ("1000010.00", "壹佰万零壹拾元整", "壹佰万零壹拾元整"),
        ("20001.01", "贰万零壹元零壹分", "贰万零壹元零壹分"),
        ("100000000.00", "壹亿元整", "壹亿元整"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分", None),
    ],
)
def test_amount_in_words(amount, strict, short):
    a = Decimal(amount)
    assert amount_in_words(a) == strict
    assert amount_in_words(a, strict=False) == (short or strict)
    for form in amount_in_words_forms(a):
        assert words_to_amount(form) == a


@pytest.mark.parametrize(
    ("read", "amount", "ok"),
    [
        ("陆仟零肆拾元整", "6040", True),  # equal
        ("人民币 壹拾万壹仟元整", "101000", True),  # short form
        ("壹拾万零壹仟元整", "101000", True),  # strict form
        ("壹什陆佰拥拾元参角贰分", "1680.32", True),  # confusable but equal
        ("过拾万过什陆佰抽拾元参角贰分", "101680.32", True),
        ("陆仟肆佰元整", "6040", False),  # truly different
        ("柒仟零肆拾元整", "6040", False),
        ("壹仟柒佰捌拾元叁角贰分", "1680.32", False),  # +100
        ("", "6040", False),
        ("陆什零肆拾元", "6040", True),  # 整 omitted
        ("陆坦零肆拾元整", "6040", False),  # unknown glyph: never accepted
    ],
)
def test_words_match(read, amount, ok):
    assert words_match(read, Decimal(amount)) is ok


def test_pdf_text_layer(tmp_path):
    from pipelines.synthetic.receipts import render_receipt

    rec = sample_receipt("CCB", swap_sides=True)
    p = tmp_path / "ccb.pdf"
    p.write_bytes(render_receipt(rec, "pdf_text", 3))
    [r] = ocr_many([p], processes=1)
    assert r["source_kind"] == "pdf_text" and r["confidence"] == 100.0
    _assert_matches(r, rec)
    assert not r["needs_review"]


# --- real OCR of rendered receipts -------------------------------------------------------------------


def _assert_matches(r: dict, rec: dict) -> None:
    assert r["bank"] == rec["bank"]
    assert r["receipt_no"] == rec["receipt_no"]
    assert r["txn_serial"] == rec["txn_serial"]
    assert r["txn_date"] == dt.date.fromisoformat(rec["txn_date"])
    assert r["payer_account"] == rec["payer_account"]
    assert r["payee_account"] == rec["payee_account"]
    assert r["payer_name"] == rec["payer_name"]
    assert r["amount"] == rec["amount"]
    assert r["order_nos"] == [t for t in rec["purpose"].split() if t.startswith("SO")]


CASES = [
    ("ICBC", "png", 11, {}),
    ("CCB", "jpg", 12, {"swap_sides": True, "amount": Decimal("26000.00")}),
    ("CMB", "pdf_scan", 13, {"amount": Decimal("5604.00"), "purpose": "货款 SO20260112000459"}),
    ("ICBC", "png", 14, {"words_override": "陆仟零肆拾元整", "amount": Decimal("5940.00")}),
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from pipelines.synthetic.receipts import render_receipt

    d = tmp_path_factory.mktemp("receipts")
    out = []
    for bank, fmt, seed, kw in CASES:
        rec = sample_receipt(bank, **kw)
        ext = "pdf" if fmt.startswith("pdf") else fmt
        p = d / f"{bank}_{seed}.{ext}"
        p.write_bytes(render_receipt(rec, fmt, seed))
        out.append((rec, p))
    records = ocr_many([p for _, p in out], processes=2, batch=2)
    return list(zip([r for r, _ in out], records, strict=True))


def test_real_ocr_fields(rendered):
    for rec, r in rendered:
        assert r["source_file"].endswith((".png", ".jpg", ".pdf"))
        assert len(r["sha256"]) == 64
        assert 0 < r["confidence"] <= 100
        _assert_matches(r, rec)


def test_real_ocr_words_override_needs_review(rendered):
    rec, r = rendered[-1]
    assert "words_override" in rec
    assert r["amount"] == Decimal("5940.00")
    assert r["needs_review"] is True and r["amount_in_words_ok"] is False
    assert "大写金额与小写金额不符" in r["review_reason"]


def test_parse_banks_time_of_day_and_reprint():
    cmb = parse_text(CMB_TEXT)
    assert cmb["txn_date"] == dt.date(2026, 1, 12) and cmb["txn_time"] == dt.time(10, 23, 45)
    assert cmb["payer_bank"] == "中国工商银行股份有限公司上海市徐汇支行" and cmb["payee_bank"] is None
    assert cmb["is_reprint"] is False
    ccb = parse_text(CCB_SWAPPED)  # sides swapped: banks follow the side headers like names do
    assert (ccb["payer_bank"], ccb["payee_bank"]) == ("中国银行南京江宁支行", "中国建设银行杭州高新支行")
    icbc = parse_text(ICBC_TEXT)
    assert icbc["txn_time"] is None and icbc["print_count"] == 1 and icbc["is_reprint"] is False
    assert icbc["payee_bank"] == "中国工商银行杭州分行营业部"
    again = parse_text(ICBC_TEXT.replace("打印次数: 1", "打印次数: 2"))
    assert again["print_count"] == 2 and again["is_reprint"] is True
    by_name = parse_text(CMB_TEXT, source_file="receipts/CMB_回单_20260112_1_补打.png")
    assert by_name["is_reprint"] is True
