"""GitBook/HonKit books: a folder with SUMMARY.md (the contents), README.md, book.json and pages.

The book's own contents decide the order and nesting; its template tags are applied the way
HonKit applies them (kit/library/formats/book_template.py), then each page is read as a chapter.
A book with LANGS.md is one book per language folder: `describe` lists them in `parts` and
`kit import` makes one pack of each.
"""
from __future__ import annotations

import json
import posixpath
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from kit.library.documents import Document, ImportProblem, slugify
from kit.library.formats.base import SourceFormat, SourceInfo
from kit.library.formats.book_markdown import book_chapter
from kit.library.formats.book_template import BookTemplate
from kit.library.importers import read_text_file

_ENTRY = re.compile(r"^(?P<indent>\s*)[*+-]\s+(?:\[(?P<title>[^\]]*)\]\((?P<link>[^)]*)\)|(?P<plain>.+))\s*$")
_PART = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
WHOLE_BOOK = "book.whole.json"   # a language pack's copy of the multi-language book's book.json


@dataclass
class Entry:
    title: str
    link: str                # '/'-separated path inside the book, "" for a heading-only entry
    depth: int
    line: int                # in SUMMARY.md
    part: str = ""           # the "## Part" heading it sits under


def read_book_json(root: Path, name: str = "book.json") -> dict:
    path = root / name
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportProblem(name, "not valid UTF-8. Save it as UTF-8.")
    except json.JSONDecodeError as error:
        raise ImportProblem(name, f"not valid JSON ({error.msg}). Fix the line.", error.lineno)
    if not isinstance(data, dict):
        raise ImportProblem(name, "must be a JSON object ({ … }).", 1)
    return data


def _languages_around(path: Path) -> bool:
    """Is `path` one language folder of a multi-language book (its parent's LANGS.md lists it)?"""
    langs = path.parent / "LANGS.md"
    return langs.is_file() and path.name in {folder for folder, _ in
                                             parse_langs(langs.read_text(encoding="utf-8"))}


def book_root(path: Path) -> Path:
    """Where the book's files are: book.json's `root` folder, else the folder itself."""
    root = read_book_json(path).get("root")
    return (path / str(root)) if isinstance(root, str) and root.strip("./") else path


def parse_summary(text: str) -> list[Entry]:
    """SUMMARY.md's list items in order, their depth from the indentation."""
    entries, indents, part = [], [], ""
    for number, line in enumerate(text.splitlines(), 1):
        heading = _PART.match(line)
        if heading and not line.startswith(" "):
            part = "" if heading["title"].lower() in ("summary", "table of contents") else heading["title"]
            continue
        match = _ENTRY.match(line)
        if not match:
            continue
        indent = len(match["indent"].expandtabs(4))
        while indents and indents[-1] > indent:
            indents.pop()
        if not indents or indents[-1] < indent:
            indents.append(indent)
        depth = len(indents) - 1
        title = (match["title"] if match["title"] is not None else match["plain"]).strip()
        link = unquote((match["link"] or "").strip().split("#")[0])
        entries.append(Entry(title=title, link=link, depth=depth, line=number, part=part))
    return entries


def parse_langs(text: str) -> list[tuple[str, str]]:
    """(language folder, language name) of each LANGS.md entry."""
    languages = []
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match and match["link"]:
            languages.append((match["link"].strip().strip("/"), (match["title"] or "").strip()))
    return languages


def _first_heading(path: Path) -> str:
    if not path.is_file():
        return ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


class HonKitFormat(SourceFormat):
    name = "honkit"
    label = "GitBook/HonKit book"

    def detect(self, path: Path) -> bool:
        if not path.is_dir():
            return False
        try:
            root = book_root(path)
        except ImportProblem:
            root = path            # a broken book.json is reported by describe
        return (root / "SUMMARY.md").is_file() or (root / "LANGS.md").is_file()

    def describe(self, path: Path) -> SourceInfo:
        book = read_book_json(path)
        root = book_root(path)
        languages = _languages_around(path)        # a language folder of a LANGS.md book
        whole = read_book_json(path.parent) if languages else {}
        title = str(book.get("title") or whole.get("title") or _first_heading(root / "README.md") or path.name)
        info = SourceInfo(id=slugify(title), title=title,
                          language=str(book.get("language") or (path.name if languages else "")),
                          description=str(book.get("description") or whole.get("description") or ""),
                          authors=[str(a) for a in (book.get("author") or whole.get("author"),) if a])
        if languages and (path.parent / "book.json").is_file():
            info.extra["whole_book"] = path.parent / "book.json"
            # named after the whole book, as when the whole book is imported: the languages'
            # packs are then one book (catalog.book_key), whichever way they were imported
            info.id = f"{slugify(str(whole.get('title') or title))}-{slugify(path.name)}"
        if (root / "LANGS.md").is_file():
            for folder, name in parse_langs((root / "LANGS.md").read_text(encoding="utf-8")):
                sub = root / folder
                if not sub.is_dir():
                    continue
                own = read_book_json(sub)
                part = SourceInfo(
                    id=f"{info.id}-{slugify(folder)}",
                    title=str(own.get("title") or f"{title} ({name or folder})"),
                    language=str(own.get("language") or folder), root=sub,
                    description=str(own.get("description") or info.description),
                    authors=[str(own["author"])] if own.get("author") else info.authors)
                if (path / "book.json").is_file():
                    part.extra["whole_book"] = path / "book.json"
                info.parts.append(part)
        return info

    def after_copy(self, info: SourceInfo, copy: Path) -> None:
        """A language's pack keeps the whole book's book.json beside its own, for the
        variables every language shares."""
        if info.extra.get("whole_book"):
            shutil.copy2(info.extra["whole_book"], copy / WHOLE_BOOK)

    def documents(self, pack, settings, problems: list) -> Iterator[Document]:
        root = book_root(pack.root)
        prefix = root.relative_to(pack.root).as_posix().strip(".").strip("/")
        variables: dict = {}
        config: dict = {}
        for name in (WHOLE_BOOK, "book.json"):      # a language's own variables win
            book = read_book_json(pack.root, name)
            found = book.get("variables")
            variables.update(found if isinstance(found, dict) else {})
            config.update(book)
        # HonKit's built-ins, from what the pack knows (its language from LANGS.md or book.json)
        known = {"title": pack.title, "language": pack.language}
        builtins = {"book": {k: v for k, v in known.items() if v},
                    "config": {**{k: v for k, v in known.items() if v}, **config}}
        template = BookTemplate(root, variables, settings.max_file_bytes, pack.root, builtins)
        summary = root / "SUMMARY.md"
        summary_name = "/".join(p for p in (prefix, "SUMMARY.md") if p)
        entries = parse_summary(read_text_file(summary, summary_name, settings.max_file_bytes)) \
            if summary.is_file() else []
        listed = {posixpath.normpath(entry.link) for entry in entries if entry.link}
        if (root / "README.md").is_file() and "README.md" not in listed:
            entries.insert(0, Entry("Introduction", "README.md", 0, 0))
        if (root / "GLOSSARY.md").is_file() and "GLOSSARY.md" not in listed:
            entries.append(Entry("Glossary", "GLOSSARY.md", 0, 0))
        seen: set[str] = set()
        parents: list[str] = []          # the relpath at each depth, for `parent`
        position = 0
        for entry in entries:
            del parents[entry.depth:]
            if not entry.link or _REMOTE.match(entry.link):
                parents.append("")
                continue
            page = (root / entry.link).resolve()
            where = f"the contents list '{entry.link}'"
            if not page.is_relative_to(root.resolve()):
                problems.append(ImportProblem(summary_name, f"{where}, which is outside the book. "
                                                            "Link only to files inside the book folder.", entry.line))
                parents.append("")
                continue
            if not page.is_file():
                problems.append(ImportProblem(summary_name, f"{where}, but the book has no such file. Fix "
                                                            "the link, or add the file and import again.", entry.line))
                parents.append("")
                continue
            relpath = page.relative_to(pack.root.resolve()).as_posix()
            parents.append(relpath)
            if relpath in seen:
                continue
            seen.add(relpath)
            try:
                text = template.render(page, entry.title)
            except ImportProblem as problem:     # a whole page that cannot be read
                problems.append(problem)
                continue
            problems.extend(template.take_problems())
            position += 1
            doc = book_chapter(text, relpath, entry.title)
            doc.position, doc.relpath = position, relpath
            doc.meta.update(depth=entry.depth,
                            parent=next((p for p in reversed(parents[:-1]) if p), ""), part=entry.part)
            yield doc


FORMAT = HonKitFormat()
