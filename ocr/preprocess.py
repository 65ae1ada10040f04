"""Load receipt files and prepare their images for tesseract.

Steps (each can be switched off to measure what it earns, see bench/bench_ocr.py --ablate):
red-seal removal (red pixels -> paper before anything else), grayscale, background flattening
(photos have uneven light and a darker surround), deskew (projection-profile search over ±3°),
binarisation (Otsu on the flattened image) and upscaling of small images.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["PrepOptions", "load_file", "preprocess", "estimate_skew"]

PDF_RENDER_DPI = 200


@dataclass(frozen=True)
class PrepOptions:
    remove_seal: bool = True
    flatten: bool = True
    deskew: bool = True
    binarise: bool = True
    upscale_below: int = 1100  # images narrower than this are upscaled to about 1500 px
    max_skew: float = 3.0


DEFAULT = PrepOptions()
RAW = PrepOptions(remove_seal=False, flatten=False, deskew=False, binarise=False, upscale_below=0)


def load_file(path: str, data: bytes | None = None) -> tuple[str, str | Image.Image]:
    """("text", page text) for PDFs with a text layer, else ("image", RGB image)."""
    if data is None:
        with open(path, "rb") as fh:
            data = fh.read()
    if data[:5] == b"%PDF-":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        text = "\n".join((page.extract_text() or "") for page in reader.pages[:1])
        if sum(ch.isalnum() for ch in text) >= 20:
            return "text", text
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            page = pdf[0]
            img = page.render(scale=PDF_RENDER_DPI / 72).to_pil().convert("RGB")
            page.close()
        finally:
            pdf.close()
        return "image", img
    img = Image.open(io.BytesIO(data))
    img.load()
    return "image", img.convert("RGB")


def _seal_mask(rgb: np.ndarray) -> np.ndarray:
    """Red ink: red clearly above green and blue (seal over paper and seal over text alike)."""
    r = rgb[..., 0].astype(np.int16)
    g = rgb[..., 1].astype(np.int16)
    b = rgb[..., 2].astype(np.int16)
    return (r - np.maximum(g, b) > 28) & (r > 90)


def _otsu(gray: np.ndarray) -> int:
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * levels)
    mt = m0[-1]
    w1 = total - w0
    valid = (w0 > 0) & (w1 > 0)
    between = np.zeros(256)
    between[valid] = (mt * w0[valid] / total - m0[valid]) ** 2 / (w0[valid] * w1[valid])
    return int(np.argmax(between))


def estimate_skew(binary: np.ndarray, max_angle: float = 3.0, step: float = 0.25) -> float:
    """Angle (degrees, PIL's counter-clockwise convention) that makes text rows horizontal.

    Projection-profile search on a downsampled ink mask: the right angle gives the sharpest row
    profile (largest variance of row sums).
    """
    ink = binary < 128
    h, w = ink.shape
    f = max(1, w // 800)
    small = ink[::f, ::f]
    ys, xs = np.nonzero(small)
    if len(ys) < 200:
        return 0.0
    xs_c = xs - small.shape[1] / 2
    best, best_score = 0.0, -1.0
    n = int(round(max_angle / step))
    for k in range(-n, n + 1):
        a = np.deg2rad(k * step)
        rows = np.round(ys + xs_c * np.tan(a)).astype(np.int64)
        rows -= rows.min()
        prof = np.bincount(rows)
        score = float((prof.astype(np.float64) ** 2).sum())
        if score > best_score:
            best, best_score = k * step, score
    return best


def preprocess(img: Image.Image, opts: PrepOptions = DEFAULT) -> tuple[Image.Image, dict]:
    """Prepared grayscale/binary image and what was done (``{"skew": deg, "scale": f}``)."""
    info: dict = {"skew": 0.0, "scale": 1.0}
    rgb = np.asarray(img.convert("RGB"))
    gray = np.asarray(img.convert("L")).copy()
    if opts.remove_seal:
        gray[_seal_mask(rgb)] = 255
    if opts.upscale_below and gray.shape[1] < opts.upscale_below:
        scale = 1500 / gray.shape[1]
        info["scale"] = scale
        g = Image.fromarray(gray).resize(
            (int(gray.shape[1] * scale), int(gray.shape[0] * scale)), Image.Resampling.LANCZOS
        )
        gray = np.asarray(g).copy()
    if opts.flatten:
        # background: max filter on a 1/8 image (text strokes vanish), blurred, scaled back
        g = Image.fromarray(gray)
        small = g.resize((max(1, g.width // 8), max(1, g.height // 8)), Image.Resampling.BILINEAR)
        bg = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))
        bg_arr = np.asarray(bg.resize(g.size, Image.Resampling.BILINEAR), dtype=np.float32)
        flat = np.clip(gray.astype(np.float32) / np.maximum(bg_arr, 1.0) * 255.0, 0, 255)
        gray = flat.astype(np.uint8)
    out = gray
    if opts.binarise or opts.deskew:
        t = _otsu(gray)
        binary = np.where(gray > t, 255, 0).astype(np.uint8)
        if opts.binarise:
            out = binary
        if opts.deskew:
            angle = estimate_skew(binary, opts.max_skew)
            info["skew"] = angle
            if abs(angle) >= 0.2:
                rotated = Image.fromarray(out).rotate(
                    -angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255
                )
                out = np.asarray(rotated)
                if opts.binarise:
                    out = np.where(out > 127, 255, 0).astype(np.uint8)
    return Image.fromarray(out), info
