"""Extractive-first answers: the lines of the material that answer a question, chosen by the
kit and shown verbatim before the model says anything.

A 135M model states the key fact of an answer (the command, the tag) only some of the time, and
sometimes states a falsehood; the material states it every time. So every grounded answer opens
with quotes taken word for word from the best passages — the sentences, list items or code block
that share the most (rare) words with the question — each linked to its passage. The model then
only has to explain, and its words are shown as the tutor's, below the quotes.

Per mode: Explain quotes what answers the question (a "how" question prefers the code, a
"what/why" question the prose); Hint quotes only prose of the chapter (never code, nothing that
overlaps a related solution); Debug quotes the lines of the tutorial step that fix the error, not
the lines that repeat the error itself. No mode quotes an exercise's task (it answers nothing)
or a line that only repeats the learner's own words.

The choice is lexical, like the retriever, and its constants were tuned on tests/eval (see
tests/eval/answers.py): it finds the line with the fact in about two questions of three.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from kit.tutor.guards.leak import first_overlap

MAX_QUOTE_CHARS = 600         # the quote is read first, on a phone too: a few lines
MAX_CODE_LINES = 8
CODE_PREFERENCE = 1.5         # "how do I…" is answered by the command or code, in a workshop
_HOW = re.compile(r"\s*(how|what command|which command)\b", re.I)
_WHAT = re.compile(r"\s*(what|why|whats|when)\b", re.I)       # … is answered by the prose
RANK_FACTOR = 0.6             # a lower-ranked source must match clearly better to be quoted
_WORD = re.compile(r"[a-z_][a-z0-9_]*|\d+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'`\-\d])")


@dataclass
class Quote:
    text: str                 # verbatim from the passage
    url: str                  # the passage's own anchor
    title: str
    code: bool

    def public(self) -> dict:
        return asdict(self)


def units(passage_text: str) -> list[tuple[str, bool]]:
    """A passage as quotable units: a code block whole (its paragraph keeps its line breaks),
    prose split into sentences (list items and table cells are paragraphs of their own)."""
    result = []
    for paragraph in passage_text.split("\n\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if "\n" in paragraph:
            result.append((paragraph, True))
        else:
            result += [(sentence, False) for sentence in _SENTENCE_END.split(paragraph) if sentence.strip()]
    return result


def _normal(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def score(text: str, weights: dict[str, float]) -> float:
    """The question's words found in `text`, each counted once with its rarity weight. A long
    word also matches its inflections ("activate" in "activating")."""
    words = _words(text)
    total = 0.0
    for keyword, weight in weights.items():
        if keyword in words or (len(keyword) >= 6 and any(w.startswith(keyword[:5]) for w in words)):
            total += weight
    return total


def _best_code_window(code: str, weights: dict[str, float]) -> str:
    lines = code.splitlines()
    if len(lines) <= MAX_CODE_LINES:
        return code
    windows = [lines[i:i + MAX_CODE_LINES] for i in range(len(lines) - MAX_CODE_LINES + 1)]
    best = max(windows, key=lambda window: score("\n".join(window), weights))
    return "\n".join(best)


def _allowed(unit: str, code: bool, mode: str, error: tuple[str, str] | None,
             solutions: list[str], asked: set[str]) -> bool:
    """Whether a unit may be quoted: it must add something to the question (not echo the
    learner's own words or pasted error), and in hint mode be chapter prose that overlaps
    no related solution."""
    words = _words(unit)
    if words and len(words & asked) >= 0.6 * len(words):
        return False
    if mode == "hint":
        return not code and all(first_overlap(unit, s) is None for s in solutions)
    if mode == "debug" and error:
        return error[0].lower() not in unit.lower()
    return True


def _best_window(passages, weights: dict[str, float], allowed, max_chars: int,
                 prefer_code: bool | None = None):
    """(passage, units, value) of the best run of consecutive units within `max_chars`."""
    best, best_value = None, 0.0
    for rank, passage in enumerate(passages):
        found = [(_best_code_window(text, weights) if code else text, code)
                 for text, code in units(passage.text) if allowed(text, code)]
        for start in range(len(found)):
            if score(found[start][0], weights) <= 0:
                continue            # a quote starts with a line that answers
            window, used = [], 0
            for text, code in found[start:]:
                if window and used + len(text) > max_chars:
                    break
                window.append((text, code))
                used += len(text)
            while len(window) > 1 and score(window[-1][0], weights) <= 0 \
                    and score(window[-2][0], weights) <= 0:
                window.pop()        # one line of context after the last match, not more
            value = score("\n".join(text for text, _ in window), weights) * RANK_FACTOR ** rank
            if prefer_code is not None and any(code for _, code in window) == prefer_code:
                value *= CODE_PREFERENCE
            if value > best_value:
                best, best_value = (passage, window), value
    return best


def choose_quotes(passages, weights: dict[str, float], mode: str = "explain", *, asked: str = "",
                  error: tuple[str, str] | None = None, solutions: list[str] = ()) -> list[Quote]:
    """The quotes that open an answer: the run of consecutive units (sentences, list items,
    table cells, a code block) of one passage that contains the most of the question's
    weighted words (earlier-ranked passages preferred), then, in the room left, the best run of
    another passage: two places in the material find the fact more often than one (measured:
    25 of 36 facts against 22). Empty when no unit shares a word with the question."""
    asked_words = _words(asked)

    def allowed(text: str, code: bool) -> bool:
        return _allowed(text, code, mode, error, list(solutions), asked_words)

    searched = [p for p in passages if not p.anchor.startswith("ex-")]   # a task answers nothing
    prefer_code = (True if _HOW.match(asked) else False if _WHAT.match(asked) else None) \
        if mode == "explain" else None
    first = _best_window(searched, weights, allowed, MAX_QUOTE_CHARS * 2 // 3, prefer_code)
    if first is None:
        return []
    quotes = [Quote(text, first[0].url, _label(first[0]), code) for text, code in first[1]]
    room = MAX_QUOTE_CHARS - sum(len(q.text) for q in quotes)
    others = [p for p in searched if p.url != first[0].url]
    quoted = {_normal(line) for q in quotes for line in q.text.splitlines() if line.strip()}

    def new_and_allowed(text: str, code: bool) -> bool:      # a line two passages share, once
        return not any(_normal(line) in quoted for line in text.splitlines() if line.strip()) \
            and allowed(text, code)
    second = _best_window(others, weights, new_and_allowed, room, prefer_code) if room > 80 else None
    if second is not None:
        quotes += [Quote(text, second[0].url, _label(second[0]), code) for text, code in second[1]]
    return quotes


def _label(hit) -> str:
    label = hit.title + (f" › {hit.heading}" if hit.heading and hit.heading != hit.title else "")
    return label + (f" ({hit.speaker}, {hit.start})" if getattr(hit, "speaker", "") else "")
