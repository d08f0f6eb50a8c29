"""The registry of published-source formats: one small module per format, listed here once.

`kit import` asks `detect` which format a folder is; the indexer asks `format_named` for the
format a pack's `pack.toml` names. Order matters: the first format that recognises a source wins.
"""
from __future__ import annotations

from pathlib import Path

from kit.library.formats import honkit, mkdocs, sphinx
from kit.library.formats.base import SourceFormat, SourceInfo

FORMATS: list[SourceFormat] = [honkit.FORMAT, mkdocs.FORMAT, sphinx.FORMAT]

__all__ = ["FORMATS", "SourceFormat", "SourceInfo", "detect", "format_named"]


def detect(path: Path) -> SourceFormat | None:
    """The format of the source at `path`, or None (a Lantern pack, or a plain folder)."""
    for source_format in FORMATS:
        if source_format.detect(path):
            return source_format
    return None


def format_named(name: str) -> SourceFormat | None:
    return next((f for f in FORMATS if f.name == name), None)
