"""What every published-source format shares (HonKit books, MkDocs folders, Sphinx builds, ZIM).

A pack imported from such a source keeps the source's own files (or its one file: a ZIM) and
gets a `pack.toml` with `format = "<name>"`. The indexer then asks that format, not the per-file
importers, for the pack's documents: the source's own table of contents decides what is a page
and in what order.

The contract, so every format fits the one indexer (indexer._index_source):
- `detect(path)` — is this folder (or file) a source of this format? Cheap: a marker file, a
  suffix, magic bytes;
- `describe(path)` — what the source says about itself (book.json, mkdocs.yml, ZIM metadata…),
  and for a multi-language book one `SourceInfo` per language in `parts`; ImportProblem when
  the source cannot be read at all (then nothing is imported);
- `documents(pack, settings, problems)` — the pack's documents in reading order, one at a time
  (a 90 GB ZIM never sits in memory whole). Each Document's `relpath` is its address in the
  pack ('/'-separated, unique; the page URL is made from it); a format with a table of contents
  also puts `depth` (0 = top level) and `parent` (the relpath it sits under, or "") in `meta`.
  Bad input is appended to `problems` as ImportProblem (file, line, what to do) and the rest
  goes on; an ImportProblem raised out of `documents` means the source could not be read (or
  stopped being readable part way), and the indexer keeps what it had.

A format whose pages stand alone may set `incremental = True`: the indexer then passes
`unchanged=callable(relpath, signature) -> bool` to `documents`, the format skips the pages for
which it returns True, and gives the others `meta["signature"]` (what `unchanged` was asked
with). Other formats are re-read whole when any file of the source changes.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.documents import Document, ImportProblem


@dataclass
class SourceInfo:
    """What `kit import` learns from the source itself. "" (or None, []) means the source does
    not say: `kit import` then uses its flags, else the kit's defaults (en, unknown, 1.0.0)."""
    id: str                  # the pack id to import it as (lower case, digits, '-')
    title: str
    language: str = ""       # BCP 47 code
    description: str = ""
    licence: str = ""        # SPDX id when the source names one (ZIM `License`)
    authors: list[str] = field(default_factory=list)
    version: str = ""        # the source's own version (Sphinx objects.inv, ZIM `Date`)
    documents: int | None = None   # how many documents to expect, for the progress line
    root: Path | None = None       # the folder (or file) to copy as the pack; None = the path given
    parts: list[SourceInfo] = field(default_factory=list)   # one per language (LANGS.md)
    extra: dict = field(default_factory=dict)    # the format's own notes for `after_copy`


class SourceFormat:
    """One published-source format. Subclasses set `name` and implement the three methods."""
    name: str = ""
    label: str = ""            # what `kit import` says it detected, e.g. "Sphinx HTML build"
    unit: str = "documents"    # what its progress line counts ("12,345 / 20,000 articles")
    incremental: bool = False  # see the module docstring
    # The pages have a reading order of their own, so each page links the previous and next
    # (a book, a doc set). False for a ZIM: its pages come in address order, which means
    # nothing to a reader, and 20,000 of them would make every page slow.
    reading_order: bool = True

    def detect(self, path: Path) -> bool:
        raise NotImplementedError

    def describe(self, path: Path) -> SourceInfo:
        raise NotImplementedError

    def documents(self, pack, settings, problems: list[ImportProblem]) -> Iterator[Document]:
        raise NotImplementedError

    def after_copy(self, info: SourceInfo, copy: Path) -> None:
        """Called by `kit import` on the finished copy, before it replaces the pack: for files
        the pack needs from outside the copied folder. Most formats need nothing."""
