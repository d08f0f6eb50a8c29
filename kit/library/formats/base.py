"""What a source format is: a published form of material (a Kiwix ZIM file, …) that Lantern
reads as a whole into one pack, rather than file by file like the importers in importers/.

A pack made from one has `format = "<name>"` in its pack.toml; the indexer then asks the format
for the pack's documents instead of the per-file importers.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.documents import Document, ImportProblem


@dataclass
class SourceInfo:
    """What `kit import` learns from the source itself: the pack's id and pack.toml fields."""
    id: str
    title: str
    language: str = "en"
    description: str = ""
    licence: str = "unknown"
    authors: list[str] = field(default_factory=list)
    version: str = "1.0.0"
    documents: int | None = None     # how many documents to expect, for the progress line


class SourceFormat:
    """One source format. Subclasses set `name` and implement the three methods."""
    name: str = ""
    label: str = ""            # what `kit import` says it detected, e.g. "a Kiwix ZIM file"
    unit: str = "documents"    # what its progress line counts

    def detect(self, path: Path) -> bool:
        """True when `path` is in this format (cheap: a suffix, a marker file, magic bytes)."""
        raise NotImplementedError

    def describe(self, path: Path) -> SourceInfo:
        """The id, title, language… the source gives itself; ImportProblem when it is unreadable."""
        raise NotImplementedError

    def documents(self, pack, settings, problems: list[ImportProblem]) -> Iterator[Document]:
        """The pack's documents in reading order, one at a time (a big source never sits in
        memory whole). A part that cannot be read is appended to `problems` and skipped."""
        raise NotImplementedError
