"""apps/streamlit/corrections.py: the receipt page's append to landing/receipts/corrections.csv."""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.streamlit.corrections import append_correction
from pipelines.sources.receipt_corrections import parse_corrections

AT = datetime(2026, 10, 21, 10, 2)


def _append(landing, **kw):
    args = dict(source_file="receipts/a.png", receipt_no=None, field="金额", value="5,940.00",
                confirmed_by="王芳", confirmed_at=AT, note=None) | kw  # fmt: skip
    return append_correction(landing, **args)


def test_a_new_file_gets_a_header_and_every_append_one_parsed_row(tmp_path):
    path = _append(tmp_path)
    _append(tmp_path, source_file=None, receipt_no="450571437", field="确认", value="ignored", note='a,"b"')
    parsed = parse_corrections(path)
    assert not parsed.rejected
    assert [(r["source_file"], r["receipt_no"], r["field"], r["value"], r["confirmed_by"], r["note"])
            for r in parsed.rows] == [("receipts/a.png", None, "amount", "5940.00", "王芳", None),
                                      (None, "450571437", "confirm", None, "王芳", 'a,"b"')]  # fmt: skip
    assert [r["confirmed_at"] for r in parsed.rows] == [AT, AT]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf\xe6\x96\x87\xe4\xbb\xb6,")  # BOM + 文件


def test_an_existing_file_keeps_its_header_order_and_a_missing_last_newline_is_mended(tmp_path):
    path = tmp_path / "receipts" / "corrections.csv"
    path.parent.mkdir()
    path.write_text(
        "field,value,confirmed_by,confirmed_at,source_file\nconfirm,,李强,,receipts/b.png", encoding="utf-8"
    )
    _append(tmp_path)
    assert (
        path.read_text(encoding="utf-8").splitlines()[-1]
        == "金额,5940.00,王芳,2026-10-21 10:02:00,receipts/a.png"
    )
    parsed = parse_corrections(path)
    assert not parsed.rejected and [r["field"] for r in parsed.rows] == ["confirm", "amount"]
    # a header without a column for a value to write (here 确认时间) is refused, the file left alone
    path.write_text("字段,更正值,确认人,文件\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no column for confirmed_at"):
        _append(tmp_path)
    assert path.read_text(encoding="utf-8") == "字段,更正值,确认人,文件\n"


def test_a_value_the_parser_would_reject_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="not an amount"):
        _append(tmp_path, value="abc")
    with pytest.raises(ValueError, match="确认人"):
        _append(tmp_path, confirmed_by="")
    assert not (tmp_path / "receipts" / "corrections.csv").exists()
    path = tmp_path / "receipts" / "corrections.csv"
    path.parent.mkdir()
    path.write_bytes("文件,字段,确认人\n".encode("utf-16"))
    with pytest.raises(ValueError, match="not UTF-8"):
        _append(tmp_path)
