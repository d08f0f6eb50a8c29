"""What importers produce: documents split into passages, the unit of search and citation."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


class ImportProblem(Exception):
    """A file (or pack) could not be imported. The message names it and says what to do."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path, self.line, self.message = path, line, message
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {message}")


@dataclass
class Passage:
    anchor: str              # stable id inside the document page, e.g. "t-00-12-34", "s-routes"
    text: str                # plain text, what search and the tutor read
    heading: str = ""        # section heading (chapters, pages)
    speaker: str = ""        # transcripts
    start: str = ""          # transcripts: "00:12:34"
    html: str = ""           # how the passage is shown on a transcript page (escaped already)


@dataclass
class Exercise:
    anchor: str
    title: str
    prompt: str              # plain text of the task
    solution: str            # plain text of the solution: kept out of search, used for hint checks


@dataclass
class Document:
    kind: str                # "chapter" | "transcript" | "page"
    title: str
    passages: list[Passage]
    html: str = ""           # whole rendered body (chapters, pages); transcripts render passages
    position: int = 0        # order inside its workshop
    meta: dict = field(default_factory=dict)   # objectives, speakers, recorded, description
    exercises: list[Exercise] = field(default_factory=list)
    relpath: str = ""        # where a source format's document sits in its source (a ZIM path)


def slugify(text: str, max_length: int = 60) -> str:
    """Lower-case ASCII words joined by '-', for anchors and URLs."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "section"


def unique_anchor(anchor: str, taken: set[str]) -> str:
    """`anchor`, or `anchor-2`, `anchor-3`… so two passages never share one."""
    candidate, n = anchor, 2
    while candidate in taken:
        candidate, n = f"{anchor}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _code_pieces(code: str, max_words: int) -> list[str]:
    pieces, lines, count = [], [], 0
    for line in code.split("\n"):
        words = len(line.split())
        if lines and count + words > max_words:
            pieces.append("\n".join(lines))
            lines, count = [], 0
        lines.append(line)
        count += words
    return pieces + ["\n".join(lines)] if lines else pieces


def split_long_text(paragraphs: list[str], max_words: int) -> list[str]:
    """Group paragraphs into chunks of at most `max_words` (a single long paragraph is split
    at sentence ends), so passages stay small enough to cite and to fit a model's context."""
    chunks, current, count = [], [], 0
    for paragraph in paragraphs:
        pieces = [paragraph]
        if len(paragraph.split()) > max_words:     # code (a paragraph of lines) is cut between lines
            pieces = _code_pieces(paragraph, max_words) if "\n" in paragraph \
                else re.split(r"(?<=[.!?])\s+", paragraph)
        for piece in pieces:
            words = len(piece.split())
            if current and count + words > max_words:
                chunks.append("\n\n".join(current))
                current, count = [], 0
            current.append(piece)
            count += words
    if current:
        chunks.append("\n\n".join(current))
    return chunks
