"""Tests for pipelines.synthetic.receipts (synthetic bank e-receipts)."""

from __future__ import annotations

import io
import os
import shutil
from decimal import Decimal

import pytest

from pipelines.synthetic.receipts import BANKS, FORMATS, amount_in_words, render_many, render_receipt

ORDERS = ["SO20260112000457", "SO20260112000458"]


def make_rec(bank: str = "ICBC", **kw) -> dict:
    rec = {
        "bank": bank,
        "receipt_no": {"ICBC": "0102000123456789012", "CCB": "7700123456789", "CMB": "G3210987654321"}[bank],
        "txn_serial": {
            "ICBC": "HQH00004471234",
            "CCB": "1100000000123456-20260112000123",
            "CMB": "K4567812345",
        }[bank],
        "txn_date": "2026-01-12",
        "txn_time": "10:23:45",
        "payer_name": "上海宠乐多贸易有限公司",
        "payer_account": "6222021001123456789",
        "payer_bank": "中国工商银行股份有限公司上海市徐汇支行",
        "payee_name": "杭州喵汪宠物用品有限公司",
        "payee_account": "31050161373600001234",
        "payee_bank": "中国建设银行股份有限公司杭州西湖支行",
        "amount": Decimal("12345.67"),
        "purpose": "货款 " + " ".join(ORDERS),
        "summary": "网银转账",
        "print_count": 1,
        "swap_sides": False,
    }
    rec.update(kw)
    return rec


# --- amount in words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("6040.00", "陆仟零肆拾元整"),
        ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("100.05", "壹佰元零伍分"),
        ("100000.00", "壹拾万元整"),
        ("10.50", "壹拾元伍角"),
        ("0.05", "伍分"),
        ("0.01", "壹分"),
        ("0.50", "伍角"),
        ("1000010.00", "壹佰万零壹拾元整"),
        ("20001.01", "贰万零壹元零壹分"),
        ("1.00", "壹元整"),
        ("10.00", "壹拾元整"),
        ("15.00", "壹拾伍元整"),
        ("101.00", "壹佰零壹元整"),
        ("1001.10", "壹仟零壹元壹角"),
        ("10000.00", "壹万元整"),
        ("10100.00", "壹万零壹佰元整"),
        ("101000.00", "壹拾万壹仟元整"),
        ("120034.00", "壹拾贰万零叁拾肆元整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("100000000.00", "壹亿元整"),
        ("100010000.00", "壹亿零壹万元整"),
        ("100001000.00", "壹亿零壹仟元整"),
        ("100000001.00", "壹亿零壹元整"),
        ("110000000.00", "壹亿壹仟万元整"),
        ("1000000000.00", "壹拾亿元整"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize("bad", ["0.00", "-1.00", "1000000000000.00", "1.005"])
def test_amount_in_words_rejects(bad):
    with pytest.raises(ValueError):
        amount_in_words(Decimal(bad))


# --- determinism and formats ----------------------------------------------------------------

MAGIC = {"png": b"\x89PNG", "jpg": b"\xff\xd8\xff", "pdf_text": b"%PDF", "pdf_scan": b"%PDF"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_deterministic_bytes(fmt):
    bank = BANKS[FORMATS.index(fmt) % len(BANKS)]
    rec = make_rec(bank, print_count=2, swap_sides=True)
    a = render_receipt(rec, fmt, 42)
    b = render_receipt(dict(rec), fmt, 42)
    assert a == b
    assert a.startswith(MAGIC[fmt])
    assert render_receipt(rec, fmt, 43) != a


def test_render_rejects_unknown():
    with pytest.raises(ValueError):
        render_receipt(make_rec(), "gif", 1)
    with pytest.raises(ValueError):
        render_receipt({**make_rec(), "bank": "BOC"}, "png", 1)


def _pdf_text(data: bytes) -> str:
    import pypdf

    return pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()


@pytest.mark.parametrize("bank", BANKS)
def test_pdf_text_layer(bank):
    rec = make_rec(bank, words_override="壹万贰仟叁佰肆拾伍元陆角捌分" if bank == "CCB" else None)
    if rec["words_override"] is None:
        del rec["words_override"]
    text = _pdf_text(render_receipt(rec, "pdf_text", 5))
    flat = text.replace(" ", "").replace("\n", "")
    assert rec["receipt_no"] in flat
    assert "12,345.67" in flat
    assert rec["txn_serial"] in flat
    for o in ORDERS:
        assert o in flat
    words = rec.get("words_override") or amount_in_words(rec["amount"])
    assert words in flat
    assert rec["payer_name"] in flat and rec["payee_name"] in flat
    labels = {
        "ICBC": ["回单编号", "付款人户名", "收款人账号", "金额(大写)", "小写", "用途", "流水号"],
        "CCB": [
            "凭证号",
            "账户明细编号-交易流水号",
            "付款人",
            "收款人",
            "全称",
            "大写金额",
            "小写金额",
            "用途",
        ],
        "CMB": [
            "交易日期",
            "交易流水",
            "收款账号",
            "付款开户行",
            "交易金额(小写)",
            "CNY",
            "交易金额(大写)",
            "回单编号",
        ],
    }[bank]
    for label in labels:
        assert label in flat, label


def test_pdf_scan_has_no_text_layer_and_renders():
    import pypdfium2 as pdfium

    data = render_receipt(make_rec("CMB"), "pdf_scan", 9)
    assert _pdf_text(data).strip() == ""
    pdf = pdfium.PdfDocument(data)
    img = pdf[0].render(scale=200 / 72).to_pil()
    assert img.width > 1000 and img.height > 600
    pdf.close()


def test_render_many_writes_files(tmp_path):
    items = [
        (make_rec(b), f, i, str(tmp_path / "sub" / f"{b}_{i}.{f}"))
        for i, (b, f) in enumerate([("ICBC", "png"), ("CCB", "jpg"), ("CMB", "pdf_text")])
    ]
    render_many(items, processes=2)
    for rec, fmt, seed, path in items:
        with open(path, "rb") as fh:
            assert fh.read() == render_receipt(rec, fmt, seed)
    assert sorted(os.listdir(tmp_path / "sub")) == sorted(os.path.basename(p) for *_, p in items)


# --- OCR: one real tesseract run per bank -----------------------------------------------------


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
@pytest.mark.parametrize("bank", BANKS)
def test_tesseract_reads_png(bank, monkeypatch):
    import pytesseract
    from PIL import Image

    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    rec = make_rec(bank, swap_sides=(bank == "CCB"))
    img = Image.open(io.BytesIO(render_receipt(rec, "png", 11)))
    text = pytesseract.image_to_string(img, lang="chi_sim+eng", config="--psm 6").replace(" ", "")
    assert rec["receipt_no"] in text
    assert "12,345.67" in text
    for o in ORDERS:
        assert o in text
