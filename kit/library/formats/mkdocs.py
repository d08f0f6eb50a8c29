"""MkDocs sites, as their source folder: mkdocs.yml and the Markdown pages in docs/.

`site_name` is the title; `nav` is the reading order and nesting (a section without a page of
its own sets the `part` its pages sit in); without `nav`, the pages in file-name order with
index.md first, as MkDocs does. mkdocs.yml's INHERIT is followed and the language read from the
theme (mkdocs_config.py). Each page is made ready for the book parser the way MkDocs' extensions
would build it: included files put in (mkdocs_includes.py), content tabs (`=== "Tab"`) rewritten
here into labelled blocks shown one after the other (no script needed); `///` blocks rewritten,
terminal blocks made plain text and attribute lists (`{.internal-link target=_blank}`) taken
out (mkdocs_blocks.py). Admonitions (`!!! note`, collapsible `??? note`) are read by the book
parser itself.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from kit.library.documents import Document, ImportProblem
from kit.library.formats.base import SourceFormat, SourceInfo
from kit.library.formats.book_markdown import book_chapter
from kit.library.formats.mkdocs_blocks import plain_consoles, rewrite_blocks, without_attribute_lists
from kit.library.formats.mkdocs_config import (config_path, extension_options, read_site,
                                               site_identity)
from kit.library.formats.mkdocs_includes import MAX_FILE_BYTES, IncludeArea, Includer, include_bases
from kit.library.importers import read_text_file
from kit.library.rendering import split_front_matter

_TAB = re.compile(r"^(?P<indent>[ \t]*)===(?P<open>\+?)\s+\"(?P<title>[^\"]*)\"\s*$")
_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
# More nav pages missing than this from a folder that inherits its nav: one problem says so
# (a translation not finished yet), not one per page.
_MISSING_LISTED = 5


def nav_entries(nav, depth: int = 0, part: str = "") -> Iterator[tuple[str, str, int, str]]:
    """(title, page, depth, part) for every page of a `nav`, in order."""
    for item in nav or []:
        if isinstance(item, str):
            yield "", item, depth, part
        elif isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    yield str(title), value, depth, part
                elif isinstance(value, list):
                    yield from nav_entries(value, depth + 1 if part else depth, str(title))


def rewrite_tabs(text: str) -> str:
    """`=== "Tab"` and its indented lines become a `:::: tab` block."""
    lines, out, position = text.splitlines(), [], 0
    while position < len(lines):
        match = _TAB.match(lines[position])
        if not match:
            out.append(lines[position])
            position += 1
            continue
        indent = len(match["indent"])
        body, position = [], position + 1
        while position < len(lines) and (not lines[position].strip() or
                                         len(lines[position]) - len(lines[position].lstrip()) >= indent + 4):
            body.append(lines[position][indent + 4:])
            position += 1
        out += ["", f"{match['indent']}:::: tab {match['title']}", *rewrite_tabs("\n".join(body)).splitlines(),
                f"{match['indent']}::::", ""]
    return "\n".join(out)


def prepare_page(body: str, relpath: str, includer: Includer) -> str:
    """A page's Markdown as MkDocs' extensions would build it, in the parser's own syntax."""
    text = rewrite_blocks(rewrite_tabs(includer.expand(body, relpath)))
    return without_attribute_lists(plain_consoles(text))


def _entries(site, docs: Path) -> list[tuple[str, str, int, str]]:
    if site.data.get("nav"):
        return list(nav_entries(site.data["nav"]))
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    pages.sort(key=lambda p: (p.count("/"), p.rsplit("/", 1)[-1] not in ("index.md", "README.md"), p))
    return [("", page, 0, "") for page in pages]


class MkDocsFormat(SourceFormat):
    name = "mkdocs"
    label = "MkDocs site (source folder)"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and config_path(path) is not None

    def describe(self, path: Path) -> SourceInfo:
        site = read_site(path, IncludeArea.of_source(path))
        pack_id, title, language = site_identity(site, path)
        author = site.data.get("site_author")
        return SourceInfo(id=pack_id, title=title, language=language,
                          description=str(site.data.get("site_description") or ""),
                          authors=[str(author)] if author else [], extra={"source": path})

    def after_copy(self, info: SourceInfo, copy: Path) -> None:
        """The files the pages include from outside the folder (and the configs it INHERITs)
        go with the copy, so the pack reads the same text wherever it is."""
        source = info.extra.get("source")
        if source is None:
            return
        area = IncludeArea.of_source(source)
        site = read_site(source, area)
        includer = Includer(area, include_bases(site.data, extension_options), [])
        docs = source / str(site.data.get("docs_dir") or "docs").strip("/")
        for _, page, _, _ in _entries(site, docs):
            path = docs / page
            if not _REMOTE.match(page) and path.is_file() and path.stat().st_size <= MAX_FILE_BYTES * 4:
                includer.expand(path.read_text(encoding="utf-8", errors="replace"), page)
        area.mirror(copy)

    def documents(self, pack, settings, problems: list) -> Iterator[Document]:
        area = IncludeArea.of_pack(pack.root)
        site = read_site(pack.root, area)
        includer = Includer(area, include_bases(site.data, extension_options), problems)
        docs_name = str(site.data.get("docs_dir") or "docs").strip("/")
        docs = pack.root / docs_name
        inherited_nav = site.inherited("nav")
        parents: list[str] = []
        missing: list[str] = []
        for position, (title, page, depth, part) in enumerate(_entries(site, docs), 1):
            if _REMOTE.match(page):
                continue
            relpath = f"{docs_name}/{page.lstrip('/')}"
            path = pack.root / relpath
            del parents[depth:]
            if not path.resolve().is_relative_to(docs.resolve()) or not path.is_file():
                if inherited_nav:
                    missing.append(page)
                    continue
                problems.append(ImportProblem(site.name, f"nav lists '{page}', but "
                                              f"{docs_name}/ has no such page. Fix the nav entry, or add "
                                              "the page and import again.", _nav_line(pack.root, page)))
                continue
            try:
                text = read_text_file(path, relpath, settings.max_file_bytes)
                _, body, _ = split_front_matter(text, relpath)
            except ImportProblem as problem:
                problems.append(problem)
                continue
            doc = book_chapter(prepare_page(body, relpath, includer), relpath, title)
            doc.position = position
            doc.relpath = relpath
            doc.meta.update(depth=depth, parent=parents[-1] if parents else "", part=part)
            parents.append(relpath)
            yield doc
        if missing:
            shown = ", ".join(missing[:_MISSING_LISTED]) + (", …" if len(missing) > _MISSING_LISTED else "")
            problems.append(ImportProblem(site.name, f"{len(missing)} page(s) of the nav it inherits from "
                                          f"'{inherited_nav}' are not in {docs_name}/ ({shown}): left out. "
                                          "Translate them, or import the original language's folder."))


def _nav_line(root: Path, page: str) -> int | None:
    """The line of mkdocs.yml that names `page`, so the message points where the fix goes."""
    for number, line in enumerate(config_path(root).read_text(encoding="utf-8").splitlines(), 1):
        if page in line:
            return number
    return None


FORMAT = MkDocsFormat()
