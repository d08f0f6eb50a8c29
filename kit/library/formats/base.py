"""What every published-source format shares (HonKit books, MkDocs folders, Sphinx builds, ZIM).

A pack imported from such a source keeps the source's own files and gets a `pack.toml` with
`format = "<name>"`. The indexer then asks that format, not the per-file importers, for the
pack's documents: the source's own table of contents decides what is a page and in what order.

The contract, so every format fits the one indexer:
- `detect(path)` — is this folder (or file) a source of this format?
- `describe(path)` — id, title and language found in the source (book.json, mkdocs.yml, …), and
  for a multi-language book one `SourceInfo` per language in `parts`;
- `documents(pack, settings, problems)` — the pack's documents in reading order. Each Document
  carries in `meta`: `relpath` (its address in the pack, '/'-separated, unique; the page URL is
  made from it), `depth` (0 = top level of the contents) and `parent` (the relpath of the page
  it sits under, or ""). Bad input is appended to `problems` as ImportProblem (file, line, what
  to do) and the rest goes on; an ImportProblem raised out of `documents` means the whole
  source could not be read, and the indexer keeps what it had.

A format whose pages stand alone may set `incremental = True`: the indexer then passes
`unchanged=callable(relpath, signature) -> bool` to `documents`, the format skips the pages for
which it returns True, and gives the others `meta["signature"]` (what `unchanged` was asked
with). Other formats are re-read whole when any file of the source changes.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.documents import Document


@dataclass
class SourceInfo:
    id: str                  # the pack id to import it as (lower case, digits, '-')
    title: str
    language: str            # BCP 47 code, "" when the source does not say
    description: str = ""
    authors: list[str] = field(default_factory=list)
    version: str = ""        # the source's own version, when it says (Sphinx: objects.inv)
    root: Path | None = None     # the folder (or file) to copy as the pack; None = the path given
    parts: list[SourceInfo] = field(default_factory=list)   # one per language (LANGS.md)
    extra: dict = field(default_factory=dict)    # the format's own notes for `after_copy`


class SourceFormat:
    """One published-source format. Subclasses set `name` and implement the three methods."""
    name: str = ""
    label: str = ""          # what `kit import` says it detected, e.g. "Sphinx HTML build"
    incremental: bool = False

    def detect(self, path: Path) -> bool:
        raise NotImplementedError

    def describe(self, path: Path) -> SourceInfo:
        raise NotImplementedError

    def documents(self, pack, settings, problems: list) -> Iterator[Document]:
        raise NotImplementedError

    def after_copy(self, info: SourceInfo, copy: Path) -> None:
        """Called by `kit import` on the finished copy, before it replaces the pack: for files
        the pack needs from outside the copied folder. Most formats need nothing."""
