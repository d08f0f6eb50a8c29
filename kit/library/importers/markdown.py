"""Workshop chapters written in Markdown: sections become passages, exercises are found."""
from __future__ import annotations

import re

from kit.library.documents import Document, Exercise, ImportProblem, Passage, slugify, split_long_text, unique_anchor
from kit.library.importers.base import Importer, Source
from kit.library.rendering import markdown_parser, split_front_matter

_PARSER = markdown_parser()
_REMOTE = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//)", re.I)
MAX_SECTION_WORDS = 300


_SHOWN = ("text", "code_inline", "image")     # an image shows its alt text
_SPACES = ("softbreak", "hardbreak", "html_inline")   # an HTML tag is shown, but is no word to search


def _plain(inline) -> str:
    """An inline token as the reader sees it, for search and quotes: the parser's own reading
    of its text and code, links as their words, emphasis marks gone. Not a regex over the
    source: that took `__` and `*` out of code too (`__init__.py` became "init.py", `*args`
    "args"); outside code `Flask(__name__)` is CommonMark's bold "name", as the page shows."""
    if not inline.children:   # words the formats add for the passage only (a code block's
        return " ".join(inline.content.split())   # caption, a tab's title), never shown twice
    parts = [" " if child.type in _SPACES else child.content
             for child in inline.children or () if child.type in _SHOWN + _SPACES]
    return " ".join("".join(parts).split())


def _field_line(text: str, name: str) -> int:
    """The line of `name:` in the front matter, so a message points where the fix goes."""
    for number, line in enumerate(text.splitlines()[1:], 2):
        if line.startswith(f"{name}:"):
            return number
    return 2


class _Section:
    def __init__(self, anchor: str, heading: str):
        self.anchor, self.heading, self.parts = anchor, heading, []


class ChapterImporter(Importer):
    suffixes = (".md", ".markdown")

    def read(self, source: Source) -> Document:
        meta, body, offset = split_front_matter(source.text, source.relpath)
        order = meta.get("order", 0)
        if not isinstance(order, int) or isinstance(order, bool):
            raise ImportProblem(source.relpath, f"front matter field 'order' must be a whole "
                                                f"number, not {order!r}.",
                                _field_line(source.text, "order"))
        objectives = meta.get("objectives") or []
        if not isinstance(objectives, list):
            raise ImportProblem(source.relpath, "front matter field 'objectives' must be a list "
                                                "('- ' lines).", _field_line(source.text, "objectives"))
        tokens = _PARSER.parse(body)
        title = str(meta.get("title") or self._first_heading(tokens) or source.title_from_pack_or_name())
        return chapter_from_tokens(_PARSER, tokens, title, source.relpath, offset,
                                   position=order,
                                   meta={"objectives": [str(o) for o in objectives],
                                         "description": str(meta.get("description", ""))})

    @staticmethod
    def _first_heading(tokens) -> str:
        for i, token in enumerate(tokens):
            if token.type == "heading_open" and token.tag == "h1":
                return tokens[i + 1].content
        return ""

    def _walk(self, tokens, title: str, relpath: str, offset: int):
        """One pass over the tokens: give headings ids, find exercises, collect section text."""
        taken: set[str] = set()
        sections = [_Section(unique_anchor("s-top", taken), title)]
        heading_section = sections[0]    # the section an exercise sits in
        exercises: list[Exercise] = []
        exercise = None          # the exercise whose prompt is being read
        in_solution = False
        in_heading = False
        for position, token in enumerate(tokens):
            if token.type == "inline":    # headings too: an image there must not load remotely
                self._keep_local(token)
            if token.type == "heading_open":
                in_heading = True
                heading = _plain(tokens[position + 1])
                anchor = unique_anchor(token.attrGet("id") or "s-" + slugify(heading), taken)
                token.attrSet("id", anchor)
                if token.tag in ("h1", "h2", "h3") and exercise is None and not in_solution:
                    heading_section = _Section(anchor, heading)
                    sections.append(heading_section)
            elif token.type == "heading_close":
                in_heading = False
            elif token.type == "container_exercise_open":
                exercise_title = token.info.strip()[len("exercise"):].strip() or "Exercise"
                anchor = unique_anchor("ex-" + slugify(exercise_title), taken)
                token.attrSet("id", anchor)
                token.meta["title"] = exercise_title
                exercise = Exercise(anchor=anchor, title=exercise_title, prompt="", solution="")
                exercises.append(exercise)
                sections.append(_Section(anchor, f"Exercise: {exercise_title}"))
                sections[-1].parts.append(f"Exercise: {exercise_title}")
            elif token.type == "container_exercise_close":
                exercise = None     # text after it belongs to the section it sits in
                sections.append(_Section(heading_section.anchor, heading_section.heading))
            elif token.type == "container_solution_open":
                if not exercises or exercises[-1].solution:
                    line = offset + (token.map[0] if token.map else 0) + 1
                    raise ImportProblem(relpath, "a '::: solution' block must come right after "
                                                 "its '::: exercise' block.", line)
                in_solution = True
            elif token.type == "container_solution_close":
                in_solution = False
            elif token.type in ("inline", "fence", "code_block") and not in_heading:
                text = _plain(token) if token.type == "inline" else token.content.rstrip()
                if in_solution:
                    exercises[-1].solution += text + "\n"
                else:
                    sections[-1].parts.append(text)
                    if exercise is not None:
                        exercise.prompt += text + "\n\n"
        for exercise in exercises:
            exercise.prompt = exercise.prompt.strip()
            exercise.solution = exercise.solution.strip()
        return sections, exercises

    @staticmethod
    def _keep_local(token) -> None:
        """Links to sibling chapters lose '.md' (pages have no suffix); remote images are
        dropped, since the kit never loads anything from off the machine."""
        for child in token.children or []:
            if child.type == "link_open":
                href = child.attrGet("href") or ""
                if not _REMOTE.match(href):
                    child.attrSet("href", re.sub(r"\.md(?=#|$)", "", href))
            elif child.type == "image" and _REMOTE.match(child.attrGet("src") or ""):
                child.attrs.pop("src", None)


def chapter_from_tokens(parser, tokens, title: str, relpath: str, offset: int = 0,
                        position: int = 0, meta: dict | None = None) -> Document:
    """A chapter Document from parsed Markdown: sections as passages, exercises found, HTML
    rendered. Shared with the book formats (kit/library/formats/), which prepare the tokens
    their own way first (included files, heading ids, code captions)."""
    sections, exercises = ChapterImporter()._walk(tokens, title, relpath, offset)
    passages = []
    for section in sections:    # in reading order, exercises where they stand
        for chunk in split_long_text([p for p in section.parts if p], MAX_SECTION_WORDS):
            passages.append(Passage(anchor=section.anchor, heading=section.heading, text=chunk))
    html = parser.renderer.render(tokens, parser.options, {})
    return Document(kind="chapter", title=title, passages=passages, html=html,
                    position=position, exercises=exercises, meta=meta or {})
