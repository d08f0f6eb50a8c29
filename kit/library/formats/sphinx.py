"""Sphinx HTML builds (Debian's python3.11-doc, any `make html` output).

The reading order is the build's own: each page's `<link rel="next">` points at the page after
it in the toctree, so the chain from the root document is the book's order — file names say
nothing about it. The depth of a page is the length of its breadcrumb ("related" bar). Each
page's main content (`role="main"`, the `.body` div) is read by the HTML page importer; the
sidebars, search box and navigation bars are left out.
"""
from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

from kit.library.documents import Document, ImportProblem, slugify
from kit.library.formats.base import SourceFormat, SourceInfo
from kit.library.importers import Source, read_text_file
from kit.library.page_roles import INDEX, page_role
from kit.library.importers.html import HtmlImporter
from kit.library.source_files import compress_pages, plain_name, read_source, stored

_NEXT = re.compile(r"<link\b[^>]*\brel=[\"']next[\"'][^>]*>", re.I)
_HREF = re.compile(r"\bhref=[\"']([^\"'#?]*)", re.I)
_NAV_ITEM = re.compile(r"class=[\"'][^\"']*\bnav-item-(\d+)\b[^\"']*[\"'][^>]*>\s*"
                       r"<a\b[^>]*\bhref=[\"']([^\"'#?]*)", re.I)
_PART = re.compile(r"class=[\"'][^\"']*\bnav-item-1\b[^\"']*[\"'][^>]*>\s*<a\b[^>]*>(.*?)</a>", re.I | re.S)
_MAIN = re.compile(r"role=[\"']main[\"']|<div class=[\"']body[\"']", re.I)
_MAIN_END = re.compile(r"<div class=[\"'](sphinxsidebar|footer)|<footer\b", re.I)
_LINK_TEXT = re.compile(r"<a\b[^>]*>(.*?)</a>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
LINK_PAGE_SHARE = 0.7    # a page whose text is mostly links is a contents page (a toctree)
_LANG = re.compile(r"<html\b[^>]*\blang=[\"']([\w-]+)", re.I)
_TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)
_IMPORTER = HtmlImporter()
_ROOT_PAGES = ("index.html", "contents.html")


def _inventory_header(root: Path) -> dict:
    """Project and version from objects.inv's plain-text header, when the build has one."""
    found = {}
    path = root / "objects.inv"
    if path.is_file():
        with path.open("rb") as inventory:
            for _ in range(4):
                line = inventory.readline().decode("utf-8", "replace").strip()
                for key in ("Project", "Version"):
                    if line.startswith(f"# {key}:"):
                        found[key.lower()] = line.split(":", 1)[1].strip()
    return found


def _pages(root: Path) -> list[str]:
    """Every HTML page a learner reads, '/'-separated, in file-name order; a page kept gzip'd
    by the import (page.html.gz) is named as the page it holds."""
    pages = set()
    for found in root.rglob("*.htm*"):
        path = found.with_name(plain_name(found.name))
        if path.suffix.lower() not in (".html", ".htm"):
            continue
        relative = path.relative_to(root)      # _static/, _sources/ are not pages; _thread.html is
        if any(part.startswith((".", "_")) for part in relative.parts[:-1]) or path.name.startswith("."):
            continue
        if found.is_file() and _IMPORTER.accepts(path):
            pages.add(relative.as_posix())
    return sorted(pages)


def _head(path: Path, limit: int = 65536) -> str:
    return read_source(path, limit).decode("utf-8", "replace")


def reading_order(root: Path, pages: list[str]) -> list[str]:
    """The pages in the build's order: the front page, then the `next` chain from the root
    document, then whatever no chain reached (in file-name order)."""
    known = set(pages)
    following: dict[str, str] = {}
    for page in pages:
        link = _NEXT.search(_head(root / page))
        href = _HREF.search(link.group(0)) if link else None
        if href and href.group(1):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), href.group(1)))
            if target in known:
                following[page] = target
    targets = set(following.values())
    starts = [p for p in _ROOT_PAGES if p in known] + [p for p in pages if p in following and p not in targets]
    order: list[str] = []
    placed: set[str] = set()
    for start in starts:
        page = start
        while page and page not in placed:
            order.append(page)
            placed.add(page)
            page = following.get(page)
    return order + [p for p in pages if p not in placed]


def _breadcrumb(text: str, page: str) -> tuple[int, str]:
    """(depth, parent page) from the first breadcrumb bar: nav-item-1, nav-item-2…"""
    items: dict[int, str] = {}
    for level, href in _NAV_ITEM.findall(text):
        level = int(level)
        if level in items:
            break                 # the bar is repeated at the foot of the page
        items[level] = href
    levels = sorted(n for n in items if n >= 1)
    if not levels or not items[levels[-1]]:
        return 0, ""
    parent = posixpath.normpath(posixpath.join(posixpath.dirname(page), items[levels[-1]]))
    return len(levels), parent


def _visible_length(fragment: str) -> int:
    return len("".join(html.unescape(_TAG.sub(" ", fragment)).split()))


def link_share(text: str) -> float:
    """The share of a page's main text that is link text: near 1 for a contents page (the
    front page's toctree, library/index.html), low for a page that teaches."""
    start = _MAIN.search(text)
    main = text[start.end():] if start else text
    end = _MAIN_END.search(main)
    main = main[:end.start()] if end else main
    total = _visible_length(main)
    return sum(_visible_length(m) for m in _LINK_TEXT.findall(main)) / total if total else 0.0


def _part(text: str) -> str:
    """The top part of the contents the page sits in: its breadcrumb's first item
    ("The Python Standard Library", "API Reference", "Release notes")."""
    found = _PART.search(text)
    return " ".join(html.unescape(_TAG.sub(" ", found.group(1))).split()) if found else ""


class SphinxFormat(SourceFormat):
    name = "sphinx"
    label = "Sphinx HTML build"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and any(stored(path / p).is_file() for p in _ROOT_PAGES) \
            and any((path / marker).exists() for marker in ("objects.inv", "searchindex.js", ".buildinfo"))

    def describe(self, path: Path) -> SourceInfo:
        inventory = _inventory_header(path)
        front = next(path / p for p in _ROOT_PAGES if stored(path / p).is_file())
        head = _head(front)
        language = _LANG.search(head)
        page_title = _TITLE.search(head)
        # "Page — Project 1.0 documentation": the part after the last dash names the build
        page_title = html.unescape(" ".join(page_title.group(1).split())).split(" — ")[-1] if page_title else ""
        named = " ".join(v for v in (inventory.get("project"), inventory.get("version")) if v) \
            or re.sub(r"\s+documentation$", "", page_title, flags=re.I)
        return SourceInfo(id=slugify(named or path.name), title=f"{named} documentation" if named else path.name,
                          language=language.group(1) if language else "",
                          version=inventory.get("version", ""))

    def after_copy(self, info: SourceInfo, copy: Path) -> None:
        """The copied pages are kept gzip'd: only a rebuild of the index reads them again."""
        compress_pages(copy, (".html", ".htm"))

    incremental = True       # each page stands alone: an unchanged one need not be read again

    def documents(self, pack, settings, problems: list, unchanged=None) -> Iterator[Document]:
        """The pages in reading order. `unchanged(relpath, signature)`, from the indexer, says
        which the index already holds as they are (same file, same place in the order)."""
        pages = _pages(pack.root)
        if not pages:
            raise ImportProblem(".", "the build has no HTML pages. Import the folder `make html` "
                                     "wrote (it holds index.html).")
        for position, page in enumerate(reading_order(pack.root, pages), 1):
            try:
                text = read_text_file(pack.root / page, page, settings.max_file_bytes)
            except ImportProblem as problem:
                problems.append(problem)
                continue
            depth, parent = _breadcrumb(text, page)
            stat = stored(pack.root / page).stat()
            signature = f"{stat.st_size}:{stat.st_mtime_ns}:{position}:{depth}:{parent}"
            if unchanged is not None and unchanged(page, signature):
                continue
            try:
                doc = _IMPORTER.read(Source(pack.id, pack.root, pack.root / page, page, text, pack.titles))
            except ImportProblem as problem:
                problems.append(problem)
                continue
            doc.position = position
            doc.relpath = page
            doc.meta.update(depth=depth, parent=parent, signature=signature)
            # the breadcrumb's part is not the contents' part (meta["part"]): only the role's
            doc.meta["role"] = INDEX if link_share(text) > LINK_PAGE_SHARE else \
                page_role(page, doc.title, _part(text), doc.kind)

            yield doc


FORMAT = SphinxFormat()
