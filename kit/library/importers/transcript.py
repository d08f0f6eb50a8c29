"""Plain-text transcripts, and the turn→passage merging every transcript format shares."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from kit.library.documents import Document, ImportProblem, Passage, split_long_text, unique_anchor
from kit.library.importers.base import Importer, Source
from kit.library.rendering import split_front_matter

MIN_WORDS, MAX_WORDS = 40, 250
_SPEAKER_LINE = re.compile(
    r"^(?P<speaker>[A-Z][\w .'-]{0,40}?)\s+\(?(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\)?"
    r"(?::\s*(?P<rest>.*)|\s*)$")


@dataclass
class Turn:
    speaker: str
    start: float | None      # seconds from the start, None when unknown
    text: str


def format_time(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def parse_clock(value: str, relpath: str, line: int) -> float:
    """'12:34' (minutes:seconds) or '1:02:03' / '01:02:03.500' into seconds."""
    parts = value.replace(",", ".").split(":")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3) or any(n >= 60 for n in numbers[1:]):
        raise ImportProblem(relpath, f"'{value}' is not a time like 12:34 or 01:02:03.", line)
    hours, minutes, seconds = ([0.0] + numbers)[-3:]
    return hours * 3600 + minutes * 60 + seconds


def turns_to_passages(turns: list[Turn]) -> list[Passage]:
    """Merge consecutive turns into passages of a citable size: a new passage starts when the
    speaker changes (once the current one has MIN_WORDS) or when it would pass MAX_WORDS.
    Anchors come from the start time, so they stay put when text elsewhere changes."""
    pieces: list[Turn] = []
    for turn in turns:                 # a very long turn is cut at sentence ends
        for chunk in split_long_text([turn.text], MAX_WORDS):
            pieces.append(Turn(turn.speaker, turn.start, chunk))
    groups: list[list[Turn]] = []
    words = 0
    for turn in pieces:
        turn_words = len(turn.text.split())
        if groups:
            current = groups[-1]
            same_speaker = turn.speaker == current[-1].speaker
            if same_speaker and words + turn_words <= MAX_WORDS:
                current.append(turn)
                words += turn_words
                continue
            if not same_speaker and words < MIN_WORDS and words + turn_words <= MAX_WORDS:
                current.append(turn)
                words += turn_words
                continue
        groups.append([turn])
        words = turn_words
    taken: set[str] = set()
    return [_passage(group, number, taken) for number, group in enumerate(groups, 1)]


def _passage(group: list[Turn], number: int, taken: set[str]) -> Passage:
    start = group[0].start
    anchor = f"t-{format_time(start).replace(':', '-')}" if start is not None else f"p-{number}"
    speakers = list(dict.fromkeys(t.speaker for t in group if t.speaker))
    merged: list[list] = []            # [speaker, [texts]] runs, for display
    for turn in group:
        if merged and merged[-1][0] == turn.speaker:
            merged[-1][1].append(turn.text)
        else:
            merged.append([turn.speaker, [turn.text]])
    labelled = len(speakers) > 1
    text_parts, html_parts = [], []
    for speaker, texts in merged:
        joined = " ".join(texts)
        text_parts.append(f"{speaker}: {joined}" if labelled and speaker else joined)
        label = f'<b class="turn-speaker">{html.escape(speaker)}:</b> ' if labelled and speaker else ""
        html_parts.append(f"<p>{label}{html.escape(joined)}</p>")
    return Passage(anchor=unique_anchor(anchor, taken), text="\n\n".join(text_parts),
                   speaker=" & ".join(speakers), html="\n".join(html_parts),
                   start=format_time(start) if start is not None else "")


class TextTranscriptImporter(Importer):
    """`Name 12:34` / `Name (00:12:34)` lines start turns; other text is paragraphs."""
    suffixes = (".txt",)

    def read(self, source: Source) -> Document:
        meta, body, offset = split_front_matter(source.text, source.relpath)
        turns: list[Turn] = []
        speaker, start, paragraph = "", None, []

        def end_paragraph():
            if paragraph:
                turns.append(Turn(speaker, start, " ".join(paragraph)))
                paragraph.clear()

        for number, line in enumerate(body.splitlines(), offset + 1):
            stripped = line.strip()
            match = _SPEAKER_LINE.match(stripped)
            if match:
                end_paragraph()
                speaker = match["speaker"].strip()
                start = parse_clock(match["time"], source.relpath, number)
                if match["rest"]:
                    paragraph.append(match["rest"].strip())
            elif stripped:
                paragraph.append(stripped)
            else:
                end_paragraph()
        end_paragraph()
        if not turns:
            raise ImportProblem(source.relpath, "the transcript has no text.")
        title = str(meta.get("title") or source.title_from_pack_or_name())
        return Document(kind="transcript", title=title, passages=turns_to_passages(turns),
                        meta={k: meta[k] for k in ("description", "speakers", "recorded") if k in meta})
