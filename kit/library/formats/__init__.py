"""The source format registry: published forms of material Lantern imports as a whole pack,
one entry per format, listed in one place (see base.py)."""
from __future__ import annotations

from pathlib import Path

from kit.library.formats.base import SourceFormat, SourceInfo
from kit.library.formats.zim import ZimFormat

FORMATS: list[SourceFormat] = [
    ZimFormat(),
]

__all__ = ["FORMATS", "SourceFormat", "SourceInfo", "detect", "format_named"]


def detect(path: Path) -> SourceFormat | None:
    """The format `path` is in, or None for a plain Lantern pack folder (or nothing known)."""
    return next((source_format for source_format in FORMATS if source_format.detect(path)), None)


def format_named(name: str) -> SourceFormat | None:
    """The format a pack.toml's `format = "…"` names, or None when this kit does not know it."""
    return next((source_format for source_format in FORMATS if source_format.name == name), None)
