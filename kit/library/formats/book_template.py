"""HonKit's template tags in a page, applied before the Markdown is read.

Supported: `{% include "…" %}` (relative to the page, or to the book's root with a leading
`/`; never outside the book; a page that would include itself is refused), `{{ book.X }}`
from book.json's `variables`, HonKit's built-ins (`book.language`, `book.title`, `config.X`,
`page.title`: what the format knows of the book and the page, so a page that shows its own
language or title is not reported as broken), `{% raw %}…{% endraw %}`, `{% filename %}…{% endfilename %}`
(a caption for the next code block), the sectionx plugin's `<!--sec data-title=… -->…
<!--endsec-->` (a collapsible section) and the hints plugin's `{% hint style='info' %}…
{% endhint %}` (a box). Problems name the page and line and say what to do;
the page is still imported, with a visible note where an include failed.
"""
from __future__ import annotations

import re
from pathlib import Path

from kit.library.documents import ImportProblem
from kit.library.formats.book_markdown import caption_line, section_block
from kit.library.importers import read_text_file

_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
_INCLUDE = re.compile(r"\{%-?\s*include\s+(['\"])(?P<path>[^'\"]+)\1[^%]*-?%\}")
_VARIABLE = re.compile(r"\{\{-?\s*(?P<scope>book|page|config)\.(?P<name>[\w.]+)\s*-?\}\}")
_FILENAME = re.compile(r"\{%-?\s*filename\s*-?%\}(?P<name>.*?)\{%-?\s*endfilename\s*-?%\}", re.S)
_SECTION = re.compile(r"<!--\s*sec\b(?P<attrs>(?:(?!-->).)*?)\s*ces\s*-->(?P<body>(?:(?!<!--\s*sec\b).)*?)"
                      r"<!--\s*endsec\s*-->", re.S)
_ATTRIBUTE = re.compile(r"data-(?P<name>[\w-]+)\s*=\s*(?:\"(?P<q>[^\"]*)\"|'(?P<s>[^']*)'|(?P<bare>[^\s\"']+))")
_LEFT_MARKER = re.compile(r"<!--\s*(?:sec\b(?:(?!-->).)*?ces|endsec)\s*-->", re.S)
_PLACEHOLDER = re.compile(r"\x00R(\d+)\n*\x00")
_HINT = re.compile(r"\{%-?\s*hint\s+style\s*=\s*['\"](?P<style>\w+)['\"]\s*-?%\}")
_END_HINT = re.compile(r"\{%-?\s*endhint\s*-?%\}")


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _lookup(values: dict, dotted: str):
    """`a.b.c` in nested dicts; None when missing or not a value one can print."""
    found = values
    for key in dotted.split("."):
        found = found.get(key) if isinstance(found, dict) else None
    return None if isinstance(found, dict | list) else found


def _known(values: dict, scope: str) -> str:
    return ", ".join(f"{scope}.{key}" for key in sorted(values)) or "nothing"


class BookTemplate:
    """Renders one book's pages. Problems pile up in `problems` until `take_problems`."""

    def __init__(self, root: Path, variables: dict, max_bytes: int, pack_root: Path | None = None,
                 builtins: dict | None = None):
        """`builtins`: HonKit's own `book` and `config` fields ({"book": {"language": …}});
        book.json's `variables` win over them, as in HonKit."""
        self.root, self.variables, self.max_bytes = root.resolve(), variables, max_bytes
        self.pack_root = (pack_root or root).resolve()    # problems name files as in the pack
        self.builtins = {"book": {}, "config": {}, "page": {}, **(builtins or {})}
        self.problems: list[ImportProblem] = []
        self._raw: list[str] = []
        self._reported: set[tuple] = set()

    def take_problems(self) -> list[ImportProblem]:
        """The problems found since the last call, each once for the whole book: a file
        included by several pages has its problem reported the first time only."""
        taken, self.problems = self.problems, []
        fresh = [p for p in taken if (p.path, p.line, p.message) not in self._reported]
        self._reported.update((p.path, p.line, p.message) for p in taken)
        return list({(p.path, p.line, p.message): p for p in fresh}.values())

    def relpath(self, path: Path) -> str:
        return path.relative_to(self.pack_root).as_posix()

    def render(self, page: Path, title: str = "") -> str:
        """The page's Markdown with every tag applied (`title`: the page's, from the contents,
        for `{{ page.title }}`). Raises ImportProblem only when the page itself cannot be read
        (too big, not UTF-8)."""
        self._raw = []
        self.builtins["page"] = {"title": title} if title else {}
        text = self._render_file(page.resolve(), [])
        text = self._sections(text, page)
        text = _FILENAME.sub(lambda m: caption_line(m["name"]), text)
        # the hints plugin's boxes: an admonition, its Markdown read (blank lines around it)
        text = _HINT.sub(lambda m: f'\n<div class="admonition {m["style"]}">\n\n', text)
        text = _END_HINT.sub("\n\n</div>\n", text)
        return _PLACEHOLDER.sub(lambda m: self._raw[int(m.group(1))], text)

    def _render_file(self, path: Path, including: list[Path]) -> str:
        text = read_text_file(path, self.relpath(path), self.max_bytes)
        text = _RAW.sub(self._keep_raw, text)
        text = self._variables(text, path)
        return self._includes(text, path, [*including, path])

    def _keep_raw(self, match) -> str:
        """Raw text is set aside (its line breaks kept, so line numbers stay right)."""
        self._raw.append(match.group(1))
        return f"\x00R{len(self._raw) - 1}" + "\n" * match.group(1).count("\n") + "\x00"

    def _variables(self, text: str, path: Path) -> str:
        def value(match):
            scope = match["scope"]
            sources = [self.variables, self.builtins["book"]] if scope == "book" else [self.builtins[scope]]
            found = next((v for v in (_lookup(s, match["name"]) for s in sources) if v is not None), None)
            if found is None:
                fix = (f"Add \"{match['name']}\" under \"variables\" in book.json." if scope == "book"
                       else f"Lantern knows only {_known(self.builtins[scope], scope)} here.")
                what = "a variable book.json does not define" if scope == "book" else \
                    f"something HonKit's '{scope}' does not hold for this page"
                self.problems.append(ImportProblem(
                    self.relpath(path), f"'{match.group(0)}' names {what}. {fix}", _line(text, match.start())))
                return match.group(0)
            return str(found)
        return _VARIABLE.sub(value, text)

    def _includes(self, text: str, path: Path, including: list[Path]) -> str:
        def included(match):
            line = _line(text, match.start())
            wanted = match["path"].strip()
            target = self._resolve(wanted, path)
            where = self.relpath(path)
            if target is None:
                self.problems.append(ImportProblem(
                    where, f"'{wanted}' cannot be included: there is no such file in the book. "
                           "Fix the path (relative to this page, or starting with / for the "
                           "book's folder).", line))
                return f"\n> (Missing here: the text of '{wanted}'.)\n"
            if target in including:
                chain = " → ".join(self.relpath(p) for p in [*including, target])
                self.problems.append(ImportProblem(
                    where, f"including '{wanted}' here would include the page in itself ({chain}). "
                           "Remove one of these includes.", line))
                return ""
            try:
                return self._render_file(target, including)
            except ImportProblem as problem:
                self.problems.append(ImportProblem(where, f"'{wanted}' cannot be included: "
                                                          f"{problem.message}", line))
                return f"\n> (Missing here: the text of '{wanted}'.)\n"
        return _INCLUDE.sub(included, text)

    def _resolve(self, wanted: str, page: Path) -> Path | None:
        """The file an include names, inside the book only; None when there is none."""
        bases = [self.root] if wanted.startswith("/") else [page.parent]
        if not wanted.startswith((".", "/")):
            bases.append(self.root)       # GitBook also looked a bare name up from the root
        for base in bases:
            target = (base / wanted.lstrip("/")).resolve()
            if target.is_relative_to(self.root) and target.is_file():
                return target
        return None

    def _sections(self, text: str, page: Path) -> str:
        """Innermost sections first, so a section inside another keeps its own block."""
        colons = 5
        while True:
            replaced = _SECTION.sub(lambda m: self._section(m, colons), text)
            if replaced == text:
                break
            text, colons = replaced, colons + 1
        if _LEFT_MARKER.search(text):
            self.problems.append(ImportProblem(
                self.relpath(page.resolve()), "a '<!--sec … ces-->' has no '<!--endsec-->' after it (or "
                                              "the other way round). Pair them; the markers were left out.",
                _line(text, _LEFT_MARKER.search(text).start())))
            text = _LEFT_MARKER.sub("", text)
        return text

    @staticmethod
    def _section(match, colons: int) -> str:
        attributes = {m["name"]: next(v for v in (m["q"], m["s"], m["bare"]) if v is not None)
                      for m in _ATTRIBUTE.finditer(match["attrs"])}
        shown = attributes.get("show", "false").lower() == "true"
        return section_block(attributes.get("title", "Details"), attributes.get("id", ""), shown,
                             match["body"], colons)
