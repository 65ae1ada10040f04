"""Synthetic landing zone generator with ground truth (pure Python; no pipeline imports)."""

from .generator import generate  # noqa: F401
