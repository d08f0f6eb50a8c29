"""A passage as the units a quote is made of: sentences, list items, table cells, code blocks
(a session's prompt and output kept with its command), and titles that never stand alone.

Passage text comes from many importers and is not always clean: the kit's own markers (a
caption line), control characters, source markup an import let through (MkDocs' "/// tip"),
and sentences an HTML or subtitle import broke over paragraphs. Units are cut so that a quote
is always the passage's own text, verbatim, and never one of those markers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kit.tutor.shell_prompts import commands, families, is_prompt_line, os_named, session

_SENTENCE_END = re.compile(r"(?<=[.!?])(\s+)(?=[A-Z(\"'`\-\d])")      # the space kept: quotes are verbatim
# A one-line paragraph is a code block when it reads like one: it starts the way commands and
# statements start and does not end like a sentence ("python -m venv .venv", "<h1>{{ title }}</h1>").
_ONE_LINE_CODE = re.compile(r"[a-z.$@<{>\[-]")
_SENTENCE_TAIL = (".", "!", "?", ":", "。", "！", "？", "：")
# A title standing alone ("Note", "Warning", a caption "command-line") says nothing by itself.
_TITLE = re.compile(r"[^\W\d_][\w'’ ,&+/-]{0,31}")
MAX_TITLE_WORDS = 4
_PROSE_START = re.compile(r"[^\W\d_]|[“\"'‘(]")
MAX_WRAPPED_CHARS = 2000      # a sentence joined from wrapped lines, at most
# The kit's own markers (a caption line, …) and control characters are never quoted: they
# separate units, as a paragraph break would.
# Source markup an importer let through is never quoted either: MkDocs' block fences
# ("/// info | Title", "///"), include tags ("{! … !}", "{* … *}"), container fences (":::: tab"),
# and private-use icon glyphs (a docs theme's OS logos), which read as nothing.
_NOT_QUOTED = re.compile(r"%%lantern-[^%\n]{0,200}%%|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]"
                         r"|(?m:^[ \t]*/{3,}(?:[ \t]*[a-z]+(?:[ \t]*\|[^\n]*)?)?[ \t]*$)"
                         r"|\{([!*])[^\n]{0,300}?\1\}|(?m:^[ \t]*:{3,}[^\n]*$)")
# A sentence that opens with one of these goes on with the sentence before it.
_CONTINUES = re.compile(r"(It|This|That|They|These|Those|Then)\b")
# The first words of code a learner types (shells, Python, common tools); a code block starting
# otherwise is a listing or output — what they will see, not what they do.
COMMAND_WORDS = frozenset("""
pip pip3 python python3 py flask django-admin cd mkdir source git npm npx node ls dir cp mv rm del
copy type cat echo set export sudo apt apt-get brew conda jupyter pytest curl wget make docker $ >>>
from import def class return if for while with print try async await @app.route
""".split())
_CALL_OR_ASSIGNMENT = re.compile(r"[A-Za-z_][\w.]*\s*(\(|=[^=])")
# A program run by its path or file name, with arguments: "./manage.py runserver", "club.exe serve".
_PROGRAM = re.compile(r"\.{1,2}[/\\]\S+|\S+\.(exe|sh|bat|cmd|ps1|py)")
# A settings file's section header opening a block: "[coverage:run]", "[tool.pytest]".
_SETTINGS_SECTION = re.compile(r"\[[A-Za-z_][\w.:-]*\][ \t]*\n")
CODE_LIKE = re.compile(r"[_(){}\[\]<>=/\\]|^--?\w|\w\.\w")


@dataclass(frozen=True)
class Unit:
    """A quotable piece of a passage: a sentence, a list item, a table cell or a code block."""
    text: str
    code: bool
    paragraph: int            # which paragraph of the passage it comes from
    title: bool = False       # a title alone ("Note"): never starts or ends a quote
    systems: frozenset = frozenset()   # the operating systems a command is written for


def _is_title(paragraph: str) -> bool:
    return (_TITLE.fullmatch(paragraph) is not None and len(paragraph.split()) <= MAX_TITLE_WORDS
            and not is_code_to_type(paragraph)
            and (not paragraph[0].islower() or ("-" in paragraph and " " not in paragraph)
                 or os_named(paragraph) is not None))


def _reads_as_prose(line: str) -> bool:
    words = line.split()
    return sum(1 for w in words if CODE_LIKE.search(w)) <= 0.3 * len(words)


def _wrapped(before: str, line: str) -> bool:
    """Whether `line` goes on with the sentence of `before`: some imports (HTML docs, plain text,
    subtitles) break a sentence over paragraphs ("…URLs, will" / "be registered with this
    class."). A line that starts in lower case after a line of words without a sentence end."""
    last = before.rsplit("\n\n", 1)[-1]
    return ("\n" not in last and "\n" not in line and line[:1].islower() and _PROSE_START.match(before)
            and not is_prompt_line(last) and not is_prompt_line(line)
            and not last.endswith((*_SENTENCE_TAIL, ";")) and len(last.split()) >= 5
            and not is_code_to_type(line)
            and _reads_as_prose(last) and (_reads_as_prose(line) or line.endswith(_SENTENCE_TAIL)))


def _paragraphs(passage_text: str) -> list[str]:
    """The passage's paragraphs, with the kit's markers and source markup taken out (as breaks)
    and a sentence wrapped over several paragraphs joined again — only where the joined text is
    the passage's own, so a quote stays verbatim."""
    paragraphs: list[str] = []
    building = -1                          # the paragraph a wrapped line may join
    for paragraph in (p.strip() for p in _NOT_QUOTED.sub("\n\n", passage_text).split("\n\n")):
        joined = f"{paragraphs[building]}\n\n{paragraph}" if building >= 0 else ""
        if paragraph and building >= 0 and len(joined) <= MAX_WRAPPED_CHARS \
                and _wrapped(paragraphs[building], paragraph) and joined in passage_text:
            paragraphs[building] = joined
            paragraphs.append("")          # numbering kept: paragraph numbers say what is next to what
            continue
        building = len(paragraphs) if paragraph else -1
        paragraphs.append(paragraph)
    return paragraphs


def units(passage_text: str) -> list[Unit]:
    """A passage as quotable units: a code block whole (its paragraph keeps its line breaks; a
    one-line block is told from prose by its shape, or by its prompt), prose split into
    sentences (list items and table cells are paragraphs of their own), a sentence that goes on
    with the one before ("It…", "This…") kept with it. A code block is marked with the systems
    its prompts (or a short caption naming one just before it) are written for."""
    result: list[Unit] = []
    for number, paragraph in enumerate(_paragraphs(passage_text)):
        if not paragraph.strip():
            continue
        one_line_code = _ONE_LINE_CODE.match(paragraph) and not paragraph.endswith(_SENTENCE_TAIL)
        if "\n\n" in paragraph:       # prose wrapped over several lines: never code
            pass
        elif "\n" in paragraph or is_prompt_line(paragraph) or (one_line_code and not _is_title(paragraph)):
            systems = families(paragraph)
            caption = result[-1] if result and result[-1].paragraph == number - 1 else None
            if not systems and caption is not None and not caption.code and len(caption.text.split()) <= 6:
                systems = {os_named(caption.text)} - {None}
            result.append(Unit(paragraph, True, number, systems=frozenset(systems)))
            continue
        if _is_title(paragraph):
            result.append(Unit(paragraph, False, number, title=True))
            continue
        pieces = _SENTENCE_END.split(paragraph)          # sentence, space, sentence, …
        for at in range(0, len(pieces), 2):
            sentence = pieces[at]
            if not sentence.strip():
                continue
            if at and result and result[-1].paragraph == number and _CONTINUES.match(sentence):
                result[-1] = Unit(f"{result[-1].text}{pieces[at - 1]}{sentence}", False, number)
            else:
                result.append(Unit(sentence, False, number))
    return result


def is_code_to_type(code: str) -> bool:
    """Whether a code block is something to type — a command or a statement (after its prompt,
    if it has one) — rather than a listing of files or a program's output."""
    typed = commands(code)
    if session(code) is not None:
        return any(line.strip() for line in typed)
    if _SETTINGS_SECTION.match(code.lstrip()):
        return False            # a settings file's text (setup.cfg, pyproject.toml): read, not run
    for line in typed:
        line = line.strip()
        first = line.split()[0].lower() if line else ""
        program = _PROGRAM.fullmatch(first) and len(line.split()) > 1       # a lone name is a listing
        if line and (first in COMMAND_WORDS or program or _CALL_OR_ASSIGNMENT.match(line)):
            return True
    return False
