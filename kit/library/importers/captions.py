"""Caption files: WebVTT (`.vtt`) and SubRip (`.srt`), read into speaker turns."""
from __future__ import annotations

import html
import re

from kit.library.documents import Document, ImportProblem
from kit.library.importers.base import Importer, Source
from kit.library.importers.transcript import Turn, parse_clock, turns_to_passages

_TIMING = re.compile(r"^(?P<start>[\d:.,]+)\s+-->\s+(?P<end>[\d:.,]+)(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")
_TIME_LIKE = re.compile(r"^\d+:\d")     # a line that was meant to be a timing
_SRT_SPEAKER = re.compile(r"^(?:-\s*)?(?P<speaker>[A-Z][\w .'-]{0,30}):\s+")


def _blocks(text: str):
    """(first line number, lines) for each blank-line-separated block."""
    block, first = [], 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            if not block:
                first = number
            block.append(line.rstrip())
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _cue_timing(lines: list[str], first: int, relpath: str, example: str) -> tuple[int, float]:
    """Index of the timing line inside the cue block, and the cue's start in seconds.
    A malformed timing is reported on its own line (not the cue number above it), so the
    line in the message is the one to fix."""
    for offset, line in enumerate(lines[:2]):
        match = _TIMING.match(line.strip())
        if match:
            return offset, parse_clock(match["start"], relpath, first + offset)
        if "-->" in line:
            break
    meant = next((offset for offset, line in enumerate(lines[:2])
                  if "-->" in line or _TIME_LIKE.match(line.strip())), 0)
    raise ImportProblem(relpath, f"expected a cue timing line like '{example}' here.",
                        first + meant)


def _document(source: Source, title: str, cues) -> Document:
    if not cues:
        raise ImportProblem(source.relpath, "the file has no cues with text.")
    # Each cue is a turn of its own: turns_to_passages joins a speaker's cues up to a passage's
    # size, so every passage keeps the time of its own first cue as its anchor.
    return Document(kind="transcript", title=title,
                    passages=turns_to_passages([Turn(*cue) for cue in cues]))


class VttImporter(Importer):
    suffixes = (".vtt",)

    def read(self, source: Source) -> Document:
        blocks = list(_blocks(source.text))
        if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
            raise ImportProblem(source.relpath, "a WebVTT file must start with the line "
                                                "'WEBVTT'. Is this an SRT file named .vtt?", 1)
        header = blocks[0][1][0][len("WEBVTT"):].strip(" -\t")
        cues, speaker = [], ""
        for first, lines in blocks[1:]:
            if lines[0].startswith(("NOTE", "STYLE", "REGION")):
                continue
            at, start = _cue_timing(lines, first, source.relpath, "00:00:01.000 --> 00:00:04.000")
            raw = " ".join(lines[at + 1:])
            voice = _VOICE.search(raw)
            if voice:
                speaker = voice.group(1).strip()
            text = html.unescape(_TAG.sub("", raw)).strip()
            if text:
                cues.append((speaker, start, text))
        return _document(source, header or source.title_from_pack_or_name(), cues)


class SrtImporter(Importer):
    suffixes = (".srt",)

    def read(self, source: Source) -> Document:
        cues, speaker = [], ""
        for first, lines in _blocks(source.text):
            at, start = _cue_timing(lines, first, source.relpath, "00:00:01,000 --> 00:00:04,000")
            if at == 0 or not lines[0].strip().isdigit():   # SRT cues are numbered 1, 2, 3…
                raise ImportProblem(source.relpath, "expected a cue number (1, 2, 3…) before "
                                                    f"the timing line, found {lines[0]!r}.", first)
            text = html.unescape(_TAG.sub("", " ".join(lines[at + 1:]))).strip()
            named = _SRT_SPEAKER.match(text)
            if named:
                speaker, text = named["speaker"].strip(), text[named.end():]
            if text:
                cues.append((speaker, start, text))
        return _document(source, source.title_from_pack_or_name(), cues)
