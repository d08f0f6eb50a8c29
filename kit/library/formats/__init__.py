"""The registry of published-source formats: one small module per format, listed here once.

`kit import` asks `detect` which format a folder or file is; the indexer asks `format_named` for
the format a pack's `pack.toml` names. Order matters: the first format that recognises a source
wins (a ZIM is a file, the others folders, so they never compete).
"""
from __future__ import annotations

from pathlib import Path

from kit.library.formats import honkit, mkdocs, sphinx, zim
from kit.library.formats.base import SourceFormat, SourceInfo

FORMATS: list[SourceFormat] = [honkit.FORMAT, mkdocs.FORMAT, sphinx.FORMAT, zim.FORMAT]

__all__ = ["FORMATS", "SourceFormat", "SourceInfo", "detect", "format_named"]


def detect(path: Path) -> SourceFormat | None:
    """The format of the source at `path`, or None (a Lantern pack, or a plain folder)."""
    return next((source_format for source_format in FORMATS if source_format.detect(path)), None)


def format_named(name: str) -> SourceFormat | None:
    """The format a pack.toml's `format = "…"` names, or None when this kit does not know it."""
    return next((source_format for source_format in FORMATS if source_format.name == name), None)
