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


def _grouped(pieces: list[str], max_words: int, joiner: str) -> list[str]:
    """Consecutive pieces joined into chunks of at most `max_words` (a longer piece alone)."""
    chunks, current, count = [], [], 0
    for piece in pieces:
        words = len(piece.split())
        if current and count + words > max_words:
            chunks.append(joiner.join(current))
            current, count = [], 0
        current.append(piece)
        count += words
    return chunks + [joiner.join(current)] if current else chunks


def split_long_text(paragraphs: list[str], max_words: int) -> list[str]:
    """Group paragraphs into chunks of at most `max_words` (a single long paragraph is split
    at sentence ends, a long code block between its lines), so passages stay small enough to
    cite and to fit a model's context."""
    pieces = []
    for paragraph in paragraphs:
        if len(paragraph.split()) <= max_words:
            pieces.append(paragraph)
        elif "\n" in paragraph:          # code (a paragraph of lines) is cut between lines
            pieces += _grouped(paragraph.split("\n"), max_words, "\n")
        else:
            pieces += re.split(r"(?<=[.!?])\s+", paragraph)
    return _grouped(pieces, max_words, "\n\n")
