"""The importer registry: one small class per file format, listed in one place.

An importer has `suffixes` (the file endings it reads) and `read(source) -> Document`, raising
`ImportProblem` for bad input. Size, binary content and UTF-8 are checked before it is called
(`base.read_text_file`), so importers only deal with their own format.
"""
from __future__ import annotations

from pathlib import Path

from kit.library.importers.base import Importer, Source, read_text_file
from kit.library.importers.captions import SrtImporter, VttImporter
from kit.library.importers.html import HtmlImporter
from kit.library.importers.markdown import ChapterImporter
from kit.library.importers.transcript import TextTranscriptImporter

IMPORTERS: list[Importer] = [
    ChapterImporter(),
    TextTranscriptImporter(),
    VttImporter(),
    SrtImporter(),
    HtmlImporter(),
]

__all__ = ["IMPORTERS", "Source", "importer_for", "read_text_file"]


def importer_for(path: Path) -> Importer | None:
    """The importer for this file, or None when Lantern does not import this kind of file."""
    suffix = path.suffix.lower()
    for importer in IMPORTERS:
        if suffix in importer.suffixes and importer.accepts(path):
            return importer
    return None
