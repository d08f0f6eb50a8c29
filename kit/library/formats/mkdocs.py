"""MkDocs sites, as their source folder: mkdocs.yml and the Markdown pages in docs/.

`site_name` is the title; `nav` is the reading order and nesting (a section without a page of
its own sets the `part` its pages sit in); without `nav`, the pages in file-name order with
index.md first, as MkDocs does. Admonitions (`!!! note`, collapsible `??? note`) are read by
the book parser; content tabs (`=== "Tab"`) are rewritten here into labelled blocks, shown one
after the other (no script needed).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from kit.library.documents import Document, ImportProblem, slugify
from kit.library.formats.base import SourceFormat, SourceInfo
from kit.library.formats.book_markdown import book_chapter
from kit.library.importers import read_text_file
from kit.library.rendering import split_front_matter

_CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
_TAB = re.compile(r"^(?P<indent>[ \t]*)===(?P<open>\+?)\s+\"(?P<title>[^\"]*)\"\s*$")
_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml may hold `!!python/name:…` and `!ENV` tags: read them as nothing."""


_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def config_path(path: Path) -> Path | None:
    return next((path / name for name in _CONFIG_NAMES if (path / name).is_file()), None)


def read_config(path: Path) -> dict:
    config_file = config_path(path)
    try:
        config = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_ConfigLoader) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ImportProblem(config_file.name, f"not valid YAML ({getattr(error, 'problem', error)}). "
                                              "Fix the line.", mark.line + 1 if mark else None)
    if not isinstance(config, dict):
        raise ImportProblem(config_file.name, "must be 'key: value' lines.", 1)
    return config


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


class MkDocsFormat(SourceFormat):
    name = "mkdocs"
    label = "MkDocs site (source folder)"

    def detect(self, path: Path) -> bool:
        return path.is_dir() and config_path(path) is not None

    def describe(self, path: Path) -> SourceInfo:
        config = read_config(path)
        theme = config.get("theme") if isinstance(config.get("theme"), dict) else {}
        title = str(config.get("site_name") or path.name)
        author = config.get("site_author")
        return SourceInfo(id=slugify(title), title=title, language=str(theme.get("language") or ""),
                          description=str(config.get("site_description") or ""),
                          authors=[str(author)] if author else [])

    def documents(self, pack, settings, problems: list) -> Iterator[Document]:
        config = read_config(pack.root)
        docs_name = str(config.get("docs_dir") or "docs").strip("/")
        docs = pack.root / docs_name
        if config.get("nav"):
            entries = list(nav_entries(config["nav"]))
        else:
            pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
            pages.sort(key=lambda p: (p.count("/"), p.rsplit("/", 1)[-1] not in ("index.md", "README.md"), p))
            entries = [("", page, 0, "") for page in pages]
        parents: list[str] = []
        for position, (title, page, depth, part) in enumerate(entries, 1):
            if _REMOTE.match(page):
                continue
            relpath = f"{docs_name}/{page.lstrip('/')}"
            path = pack.root / relpath
            del parents[depth:]
            if not path.resolve().is_relative_to(docs.resolve()) or not path.is_file():
                problems.append(ImportProblem(config_path(pack.root).name, f"nav lists '{page}', but "
                                              f"{docs_name}/ has no such page. Fix the nav entry, or add "
                                              "the page and import again.", _nav_line(pack.root, page)))
                continue
            try:
                text = read_text_file(path, relpath, settings.max_file_bytes)
                _, body, _ = split_front_matter(text, relpath)
            except ImportProblem as problem:
                problems.append(problem)
                continue
            doc = book_chapter(rewrite_tabs(body), relpath, title)
            doc.position = position
            doc.relpath = relpath
            doc.meta.update(depth=depth, parent=parents[-1] if parents else "", part=part)
            parents.append(relpath)
            yield doc


def _nav_line(root: Path, page: str) -> int | None:
    """The line of mkdocs.yml that names `page`, so the message points where the fix goes."""
    for number, line in enumerate(config_path(root).read_text(encoding="utf-8").splitlines(), 1):
        if page in line:
            return number
    return None


FORMAT = MkDocsFormat()
