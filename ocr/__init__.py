"""Bank e-receipt OCR: preprocess -> find lines and labels (regions) -> read labels, detect the layout,
read only the value regions it needs (fieldread) -> extract fields -> validate.

Pure functions; the record depends only on the file's bytes (cache it by its ``sha256``).

    from ocr import ocr_file, ocr_many
    rec = ocr_file("receipts/ICBC_回单_20260112_2026011200457123.png")
    recs = ocr_many(paths, processes=2)

Record fields: see ``ocr.core.RECORD_FIELDS``. Layouts (ICBC 业务回单, CCB 网上银行电子回执, CMB
入账回单) are data in ``ocr.layouts``. This package never imports the synthetic generator.
"""

from .core import (
    MIN_CONFIDENCE,
    READER_VERSION,
    RECORD_FIELDS,
    ocr_batch,
    ocr_file,
    ocr_many,
    parse_reading,
    parse_text,
    read_batch,
    read_many,
)
from .words import amount_in_words, words_match

__all__ = [
    "MIN_CONFIDENCE",
    "RECORD_FIELDS",
    "amount_in_words",
    "ocr_batch",
    "ocr_file",
    "ocr_many",
    "parse_reading",
    "parse_text",
    "read_batch",
    "read_many",
    "READER_VERSION",
    "words_match",
]
