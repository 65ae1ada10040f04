"""The field reader (ocr/fieldread.py, ocr/regions.py): lines and labels found in the pixels, labels
read first, then only the value regions each layout needs. Pure parts on synthetic arrays and text;
the reader itself with real tesseract on rendered receipts (no skipping)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr import parse_reading, parse_text
from ocr.core import read_batch
from ocr.extract import fit_id
from ocr.fieldread import _fit_rows, _PagePlan, _Seg, _side_pair, read_fields
from ocr.layouts import CCB, CMB, ICBC, LAYOUTS
from ocr.preprocess import load_file, preprocess
from ocr.regions import Band, band_chunks, segment, text_bands
from tests.receipt_samples import sample_receipt

os.environ["OMP_THREAD_LIMIT"] = "1"


# --- pure: regions ----------------------------------------------------------------------------------


def _canvas(h=120, w=600):
    return np.full((h, w), 255, np.uint8)


def test_bands_drop_rules_and_borders():
    img = _canvas()
    img[20:50:2, 40:100:3] = 0  # glyph-like texture (strokes, not solid ink): text line 1
    img[70:100:2, 40:160:3] = 0  # text line 2
    img[60:62, 0:600] = 0  # a ruled line across the page
    img[:, 590:600] = 0  # a photo's dark border down the side
    ink = img < 128
    from ocr.regions import _ink

    assert text_bands(_ink(img)) == [(20, 49), (70, 99)]
    assert text_bands(ink)[0][1] > 50  # without rule removal the border joins everything


def test_chunks_gaps_and_colon():
    img = _canvas(40, 700)
    h0, h1 = 5, 35  # a 30 px text line
    img[h0:h1, 10:70] = 0  # label glyphs
    img[14:18, 74:78] = 0  # colon: two small square dots, one above the other
    img[24:28, 74:78] = 0
    img[h0:h1, 100:300] = 0  # value, after a gap of 22 px (> 0.45 * 30)
    img[h0:h1, 306:400] = 0  # same value after a 6 px space
    img[h0:h1, 500:560] = 0  # the other column's label, after a wide gap
    ink = img < 128
    chunks = band_chunks(ink, h0, h1)
    assert [(c.x0, c.x1) for c in chunks] == [(10, 78), (100, 400), (500, 560)]
    assert [c.colon for c in chunks] == [True, False, False]
    assert [c.may_label for c in chunks] == [True, False, True]
    # a broken "1" (two thin tall pieces) is not a colon
    img2 = _canvas(40, 200)
    img2[h0:h1, 10:70] = 0
    img2[9:18, 80:82] = 0
    img2[22:31, 80:82] = 0
    assert band_chunks(img2 < 128, h0, h1)[0].colon is False


# --- pure: parser repairs for what the field reader misreads --------------------------------------------


def test_fit_id_repairs_only_unambiguous_misreads():
    icbc = ICBC.id_patterns["txn_serial"]
    assert fit_id("2ZX202601054566009041", icbc) == "ZX202601054566009041"  # stray char before the prefix
    assert fit_id("2X202601133223856108", icbc) == "ZX202601133223856108"  # Z read as 2
    assert fit_id("ZX202601133223856108", icbc) == "ZX202601133223856108"
    assert fit_id("ZX2026011332238561", icbc) == "ZX2026011332238561"  # too short: left as read
    assert fit_id("K96859411911", CMB.id_patterns["txn_serial"]) == "K96859411911"
    assert fit_id("77633203", CCB.id_patterns["receipt_no"]) == "77633203"  # digits only: nothing to repair


def test_parser_label_anagram_and_confusion():
    text = """中国建设银
日期： 2026-01-21 凭证号： 586666819
交易流水号： 20260121-0586666819
付款人 收款人
全称： 长沙汇丰源宠物用品有限公司 全称： 杭州橙镜电子商务有限公司
账号： 6286597166380498379 灵号: 33050161712700000587
大写金额： 伍万零柒佰壹拾陆元陆角肆分
小金额写: ¥50,716.64
用途： 货款 SO20260110458405"""
    r = parse_text(text)
    assert r["bank"] == "CCB"
    assert r["amount"] == Decimal("50716.64") and r["amount_in_words_ok"] is True
    assert (r["payer_account"], r["payee_account"]) == ("6286597166380498379", "33050161712700000587")


def test_side_labels_come_in_pairs():
    row = [_Seg(0, 60, "label", text="账号:"), _Seg(70, 400, "value"), _Seg(700, 760, "label", text="由号:")]
    assert _side_pair(row, CCB) == "账号"
    row[0].text = "凭证号:"  # not a side label: no guess
    assert _side_pair(row, CCB) is None
    assert _side_pair(row, ICBC) is None


def test_layout_readers_are_declared():
    assert ICBC.reader("amount") == "digits" and ICBC.reader("amount_in_words") == "words"
    assert CCB.reader("{side}_name") == "text" and CCB.reader("{side}_bank") is None
    assert CMB.reader(None) is None and CMB.reader("purpose") == "text"


def test_layout_rows_are_printed_labels():
    for lay in LAYOUTS:
        printed = [label for row in lay.rows for label in row]
        assert printed and set(printed) <= set(lay.labels), lay.bank  # every printed label means a field
        assert all(1 <= len(row) <= 2 for row in lay.rows), lay.bank


def _plan(rows: list[list[tuple[str, float]]], h: int = 30) -> _PagePlan:
    """A page of label chunks (kind, width in text heights), one band per row, each label followed by
    a value chunk; a title line without label first."""
    bands, segs = [Band(0, h, ())], [[_Seg(500, 700, "raw", text="中国工商银")]]
    for i, row in enumerate(rows, 1):
        bands.append(Band(2 * i * h, 2 * i * h + h, ()))
        line, x = [], 60
        for kind, width in row:
            line.append(_Seg(x, x + round(width * h), kind))
            line.append(_Seg(x + round(width * h) + 20, x + round(width * h) + 300, "value"))
            x += 740
        segs.append(line)
    return _PagePlan(Image.new("L", (1600, 800), 255), bands, segs)


def test_fit_rows_names_labels_only_when_every_row_fits():
    widths = [[("label", 0.98 * len(label) + 0.4) for label in row] for row in CMB.rows]
    plan = _plan(widths)
    assert _fit_rows(plan, CMB) is True
    named = [seg.text for row in plan.segs for seg in row if seg.kind == "label"]
    assert named == [f"{row[0]}：" for row in CMB.rows]
    assert _fit_rows(_plan(widths), ICBC) is False  # another layout's rows: 13 single labels, not 9 rows
    missing = _plan(widths[:5] + widths[6:])  # one label's colon not found (under a seal)
    assert _fit_rows(missing, CMB) is False
    assert all(seg.text == "" for row in missing.segs for seg in row if seg.kind == "label")  # none named
    wide = [list(r) for r in widths]
    wide[3] = [("label", 7.3)]  # a value glued to its label: the chunk is far wider than 收款账号：
    assert _fit_rows(_plan(wide), CMB) is False
    extra = [list(r) for r in widths]
    extra[2] = [("label", 4.3), ("label", 4.3)]  # a second colon on one line
    assert _fit_rows(_plan(extra), CMB) is False


def test_side_headers_one_misread():
    text = """中国建设银
日期： 2026-01-01 凭证号： 824244834
账户明细编号-交易流水号： 20260101-7824244834
收藏人 付款人
全称： 杭州橙镜电子商务有限公司 全称： 杭州卓越宠物用品有限公司
账号： 33050161712700000587 账号： 6214290511145348
小写金额： ¥57,441.35"""
    r = parse_text(text)  # 收藏人 is one glyph off 收款人: the left block is the payee's
    assert (r["payer_name"], r["payer_account"]) == ("杭州卓越宠物用品有限公司", "6214290511145348")
    assert (r["payee_name"], r["payee_account"]) == ("杭州橙镜电子商务有限公司", "33050161712700000587")
    unsure = parse_text(text.replace("收藏人", "收藏单"))  # two glyphs off: no guess, left to right
    assert unsure["payer_account"] == "33050161712700000587"


# --- real tesseract on rendered receipts -----------------------------------------------------------------


def _rec(bank: str, **kw) -> dict:
    return sample_receipt(bank, **{"amount": Decimal("38205.50"), "purpose": "货款 SO20260112000457", **kw})


CASES = [("ICBC", "png", 21, {}), ("CCB", "jpg", 22, {"swap_sides": True}), ("CMB", "pdf_scan", 23, {})]
LABELS = {"ICBC": 15, "CCB": 14, "CMB": 13}  # labels printed with a colon on each layout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from pipelines.synthetic.receipts import render_receipt

    d = tmp_path_factory.mktemp("fields")
    out = []
    for bank, fmt, seed, kw in CASES:
        rec = _rec(bank, **kw)
        p = d / f"{bank}_{seed}.{'pdf' if fmt.startswith('pdf') else fmt}"
        p.write_bytes(render_receipt(rec, fmt, seed))
        out.append((rec, p))
    return out


def test_segment_finds_every_label_of_rendered_receipts(rendered):
    for rec, p in rendered:
        img, _ = preprocess(load_file(str(p))[1])
        bands = segment(np.asarray(img))
        colons = sum(c.colon for b in bands for c in b.chunks)
        assert colons == LABELS[rec["bank"]], (p.name, colons)


def test_field_reader_reads_values_not_branch_names(rendered):
    readings = read_batch([str(p) for _, p in rendered])
    for (rec, p), reading in zip(rendered, readings, strict=True):
        text = reading["text"]
        assert rec["payer_bank"] not in text and rec["payee_bank"] not in text, text  # never read
        r = parse_reading(reading, known_names=[rec["payer_name"], rec["payee_name"]])
        got = {
            f: r[f] for f in ("bank", "receipt_no", "txn_serial", "payer_account", "payee_account", "amount")
        }
        want = {f: rec[f] for f in got}
        assert got == want, (p.name, text)
        assert r["txn_date"] == dt.date(2026, 1, 12)
        assert (r["payer_name"], r["payee_name"]) == (rec["payer_name"], rec["payee_name"]), text
        assert r["order_nos"] == ["SO20260112000457"]
        assert r["needs_review"] is False, r["review_reason"]


def test_unknown_layout_is_read_whole(tmp_path, rendered):
    from pipelines.synthetic.receipts import _font

    img = Image.new("RGB", (900, 260), "white")
    draw = ImageDraw.Draw(img)
    draw.text((40, 30), "增值税普通发票", font=_font("serif", 40), fill="black")
    draw.text((40, 120), "购买方名称：杭州华诚商贸有限公司", font=_font("serif", 30), fill="black")
    draw.text((40, 180), "价税合计：叁佰元整", font=_font("serif", 30), fill="black")
    prepared, _ = preprocess(img)
    assert read_fields([prepared]) == [None]  # no bank layout among the labels
    p = tmp_path / "invoice.png"
    img.save(p)
    [reading] = read_batch([str(p)])
    assert "杭州华诚商贸有限公司" in reading["text"].replace(" ", "")  # the whole page was read
    r = parse_reading(reading)
    assert r["bank"] is None and r["needs_review"] and r["review_reason"] == "bank/layout not recognised"


def test_unknown_payer_kept_as_read_and_flagged():
    text = """中国工商银行业务回单
日期: 2026-01-11 回单编号: 2026011171050724
付款人户名: 成都华诚贸易有限公词 收款人户名: 杭州橙镜电子商务有限公司
付款人账号: 6218609139099603 收款人账号: 1202026309900123456
小写: ¥2,000.00
金额(大写): 贰仟元整
流水号: ZX202601114071050724"""
    known = ["成都华诚贸易有限公司", "杭州橙镜电子商务有限公司"]
    near = parse_text(text, known_names=known)  # one glyph off a known party: snapped, not flagged
    assert near["payer_name"] == "成都华诚贸易有限公司" and near["needs_review"] is False, near[
        "review_reason"
    ]
    unknown = parse_text(text.replace("成都华诚贸易有限公词", "深圳未知科技有限公司"), known_names=known)
    assert unknown["payer_name"] == "深圳未知科技有限公司"  # not snapped to anybody
    assert unknown["needs_review"] is True
    assert unknown["review_reason"] == "payer name '深圳未知科技有限公司' is not a known party (kept as read)"
    assert parse_text(text.replace("成都华诚贸易有限公词", "深圳未知科技有限公司"))["needs_review"] is False


def test_labels_named_from_rows_read_like_labels_read(rendered, monkeypatch):
    """On clean renders every page's label chunks fit its layout's rows (no label is read); reading the
    labels instead (the path of a page whose rows do not fit) gives the same record."""
    import ocr.fieldread as F

    fits: list[bool] = []
    real = F._fit_rows

    def spy(plan, layout):
        fits.append(real(plan, layout))
        return fits[-1]

    monkeypatch.setattr(F, "_fit_rows", spy)
    paths = [str(p) for _, p in rendered]
    by_rows = read_batch(paths)
    assert fits == [True, True, True]
    monkeypatch.setattr(F, "_fit_rows", lambda plan, layout: False)
    read = read_batch(paths)
    keys = (
        "bank",
        "receipt_no",
        "txn_serial",
        "txn_date",
        "payer_account",
        "payee_account",
        "amount",
        "order_nos",
    )
    for (rec, p), a, b in zip(rendered, by_rows, read, strict=True):
        ra, rb = parse_reading(a), parse_reading(b)
        assert {k: ra[k] for k in keys} == {k: rb[k] for k in keys}, (p.name, a["text"], b["text"])
        assert ra["payer_name"] == rb["payer_name"] == rec["payer_name"], (a["text"], b["text"])
