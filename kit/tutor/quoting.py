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
tests/eval/answers.py and tests/eval/quotes.py). Four habits of tutorials help it beyond counting
shared words: a command is often a one-line code block of its own; a "how" question is answered
by code to type (a command or a statement), not by a listing of files or output; a sentence that
opens with "It…"/"This…" continues the one before ("python -m pydoc -b. It opens your browser");
and a sentence that names the thing asked about is followed, in its paragraph, by what it does
and the command it introduces. In Explain, a command the learner typed ("python -m pydoc -b")
counts as a phrase: a line that has it whole matches better than one that has its words apart.

Published tutorials add shapes of their own (issue 20): prompts in code blocks (a session is
scored by its commands, kit/tutor/shell_prompts.py, and quoted with its prompt), a command
given per operating system (both quoted, compactly, or the one the learner names), captions and
tab titles, admonition titles (kit/tutor/quote_units.py). One answer's quotes come from one
pack: never two languages or two books spliced together.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

from kit.tutor.guards.leak import first_overlap
from kit.tutor.retrieval import identifier_parts
from kit.tutor.quote_units import CODE_LIKE, COMMAND_WORDS, Unit, is_code_to_type, units
from kit.tutor.shell_prompts import MAX_SESSION_LINES, commands, os_named, session

__all__ = ["COMMAND_WORDS", "Quote", "Unit", "choose_quotes", "is_code_to_type", "typed_phrases", "units"]

MAX_QUOTE_CHARS = 600         # the quote is read first, on a phone too: a few lines
MAX_CODE_LINES = 8
MAX_LINE_CHARS = 1000
CODE_PREFERENCE = 1.5         # "what/why" is answered by the prose: a run without code counts this much more
# "How do I…" is answered by the command: a run's best code to type counts twice. Measured with
# the quote chooser alone: published tune half 14/32 facts (12/32 at 0.5), bundled eval A 19/19 and
# B 10/17 at both (B fell to 9/17 at 1.5).
HOW_CODE_BONUS = 1.0
_HOW = re.compile(r"\s*(how|what command|which command)\b", re.I)
# Learners often say what happened first and ask last: "my main.py is getting huge, how do i split
# the app into several files" is a how-question too.
_HOW_LATER = re.compile(r"[,.;:!?]\s*(how|what command|which command)\b|\bhow (do|can|should) (i|we|you)\b", re.I)
_WHAT = re.compile(r"\s*(what|why|whats|when)\b", re.I)       # … is answered by the prose
RANK_FACTOR = 0.6             # a lower-ranked source must match clearly better to be quoted
_WORD = re.compile(r"[^\W\d]\w*|\d+")
PHRASE_WEIGHT = 1.0           # a command the learner typed, found whole: as much as their rarest word
_EDGE = "\"'`,;:!?*"
MIN_PART = 5                  # a question word this long is found inside a code word (createsuperuser)


@dataclass
class Quote:
    text: str                 # verbatim from the passage
    url: str                  # the passage's own anchor
    title: str
    code: bool

    def public(self) -> dict:
        return asdict(self)


def typed_phrases(asked: str) -> list[str]:
    """The commands or code the learner typed in the question, lower case ("python -m pydoc
    -b", "request.form"): a run of code-like words and the lower-case words between them, with
    a command word just before the first ("python" of "python -m"), ending on a code-like word."""
    phrases, run = [], []
    for raw in asked.split() + [""]:
        word = raw.strip(_EDGE)
        if word and (CODE_LIKE.search(word) or (word.islower() and any(map(CODE_LIKE.search, run)))):
            run.append(word)
            continue
        while run and not CODE_LIKE.search(run[-1]):
            run.pop()
        if run and not CODE_LIKE.search(run[0]) and run[0].lower() not in COMMAND_WORDS:
            run.pop(0)
        if len(" ".join(run)) >= 4:
            phrases.append(" ".join(run).lower())
        run = [word] if word.isalpha() and word.islower() else []
    return phrases


def _normal(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class Matcher:
    """What of the question a piece of text holds: its weighted words (a long word also matches
    its inflections, "activate" in "activating"; in code, a word inside a compound,
    "superuser" in "createsuperuser", or a part of a name split at "_" and capitals, "cors" of
    CORSMiddleware) and the phrases the learner typed, found whole. A code
    block with prompts is matched by its commands only: its output answers no "how"."""

    def __init__(self, weights: dict[str, float], phrases: dict[str, float] | None = None):
        self.weights, self.phrases = weights, phrases or {}

    def hits(self, text: str, code: bool = False) -> frozenset[str]:
        if code:
            text = "\n".join(commands(text))
        words = _words(text)
        # A whole part of a name: "cors" of CORSMiddleware, "router" of APIRouter (the retriever's split)
        parts = set(identifier_parts(text).split()) if code else set()
        found = {phrase for phrase in self.phrases if phrase in " ".join(text.lower().split())}
        for keyword in self.weights:
            if keyword in words or keyword in parts \
                    or (len(keyword) >= 6 and any(w.startswith(keyword[:5]) for w in words)) \
                    or (code and len(keyword) >= MIN_PART and any(keyword in w for w in words)):
                found.add(keyword)
        return frozenset(found)

    def value(self, hits) -> float:
        # fsum: the same total in any order (a set's order changes with PYTHONHASHSEED, and a
        # last-bit difference flipped a tie between two windows from one process to the next)
        return math.fsum(self.weights.get(key, 0.0) + self.phrases.get(key, 0.0) for key in hits)


def score(text: str, weights: dict[str, float], phrases: dict[str, float] | None = None) -> float:
    """The question's words (and typed phrases) found in prose `text`, each counted once with
    its rarity weight."""
    matcher = Matcher(weights, phrases)
    return matcher.value(matcher.hits(text))


def _best_code_window(code: str, matcher: Matcher) -> str:
    """At most MAX_CODE_LINES whole lines of a long block: those whose commands (or, without
    prompts, lines) hold the most of the question; a session's window starts at a command,
    with its prompt. The block is read up to shell_prompts.MAX_SESSION_LINES, so the work is
    bounded however long it is."""
    lines = code.splitlines()
    if len(lines) <= MAX_CODE_LINES:
        return code
    lines = session(code)
    if lines is None:
        typed = texts = code.splitlines()[:MAX_SESSION_LINES]
        starts = range(max(len(texts) - MAX_CODE_LINES + 1, 1))
    else:
        typed, texts = [line.command for line in lines], [line.text for line in lines]
        starts = [i for i, line in enumerate(lines) if line.command is not None]
    line_hits = [matcher.hits(t) if t else frozenset() for t in typed]

    def value(i: int) -> tuple:     # a session's window opens on the command that matches
        opening = matcher.value(line_hits[i]) if lines is not None else 0.0
        return matcher.value(frozenset().union(*line_hits[i:i + MAX_CODE_LINES])), opening, -i
    best = max(starts, key=value)
    return "\n".join(texts[best:best + MAX_CODE_LINES])


def _too_long(text: str) -> bool:
    """A line no one reads in a quote (minified code, a data blob, a flattened table): left out
    rather than cut, since a quoted line is always whole."""
    return any(len(line) > MAX_LINE_CHARS for line in text.splitlines())


def _allowed(unit: Unit, mode: str, error: tuple[str, str] | None, solutions: list[str],
             asked: set[str], system: str | None) -> bool:
    """Whether a unit may be quoted: it must add something to the question (not echo the
    learner's own words or pasted error), be written for the learner's system when they name
    one, and in hint mode be chapter prose that overlaps no related solution."""
    words = _words(unit.text)
    if words and len(words & asked) >= 0.6 * len(words):
        return False
    if system and unit.systems and system not in unit.systems:
        return False
    if mode == "hint":
        return not unit.code and all(first_overlap(unit.text, s) is None for s in solutions)
    if mode == "debug" and error:
        return error[0].lower() not in unit.text.lower()
    return True


def _window_after(found: list[Unit], start: int, max_chars: int, hits, limit: int = 0) -> list[Unit]:
    """The units from `start` that fit in `max_chars`, cut after the last one that matches, the
    rest of its paragraph and a code block that paragraph introduces, with its caption (at
    least one unit of context kept, if there is room); a title never ends it. A last sentence
    that introduces a code block brings that block's first lines, up to `limit` characters in all."""
    window, used = [], 0
    for unit in found[start:]:
        if window and used + len(unit.text) > max_chars:
            break
        window.append(unit)
        used += len(unit.text)
    last = max(i for i, unit in enumerate(window) if hits(unit))
    keep = last + 1
    while keep < len(window) and not window[keep].code and window[keep].paragraph == window[last].paragraph:
        keep += 1
    if keep < len(window) and window[keep - 1].paragraph == window[last].paragraph:
        code_at = keep + 1 if window[keep].title and keep + 1 < len(window) else keep   # past a caption
        if window[code_at].code:
            keep = code_at + 1
    window = window[:max(keep, last + 2)]
    while window[-1].title:
        window.pop()
    return window + _introduced_code(found, start + len(window), window[-1], limit - sum(len(u.text) for u in window))


def _introduced_code(found: list[Unit], at: int, last: Unit, room: int) -> list[Unit]:
    """The code block a window's last sentence introduces ("…like this:"), as many of its first
    lines as fit in `room`, when it is code to type: tutorials put the command or the example
    right after the sentence that announces it, so a quote ending on the colon would promise the
    line it leaves out. A listing of files or output is not brought in (it answers no "how",
    and would take the second quote's room: measured on the bundled eval)."""
    if at >= len(found) or last.code or last.title or not last.text.rstrip().endswith(":"):
        return []
    code = found[at]
    if not code.code or code.paragraph != last.paragraph + 1 or not is_code_to_type(code.text):
        return []
    lines = []
    for line in code.text.splitlines():
        if sum(len(kept) + 1 for kept in lines) + len(line) > room:
            break
        lines.append(line)
    if not any(line.strip() for line in lines):
        return []
    return [code if len(lines) == len(code.text.splitlines()) else
            Unit("\n".join(lines), True, code.paragraph, systems=code.systems)]


def _best_window(passages, matcher: Matcher, allowed, max_chars: int, prefer_code: bool | None = None,
                 limit: int = 0, code_adding: frozenset | None = None):
    """(passage, units) of the best run of consecutive units within `max_chars`. A "how"
    question (prefer_code True) adds the match of the best code to type in the run again;
    a "what/why" question (False) prefers a run without code by CODE_PREFERENCE. A run that
    fits in the room wins over one whose first unit alone overflows it, taken only for a first
    quote (`limit` given) when no run fits: a quote is read first, on a phone too. With
    `code_adding` (the question's words already quoted), only a run whose code to type holds
    another of the question's words counts."""
    best, best_value = None, 0.0
    longer, longer_value = None, 0.0      # the best run whose first unit alone overflows the room
    for rank, passage in enumerate(passages):
        every = units(passage.text)
        kept = [allowed(unit) and not _too_long(unit.text) for unit in every]
        for at in range(len(every) - 1):      # a caption goes with the code it captions
            if every[at].title and every[at + 1].code and not kept[at + 1]:
                kept[at] = False
        found = [Unit(_best_code_window(unit.text, matcher), True, unit.paragraph, systems=unit.systems)
                 if unit.code else unit for unit, keep in zip(every, kept, strict=True) if keep]
        unit_hits = [matcher.hits(unit.text, unit.code) for unit in found]
        by_id = {id(unit): h for unit, h in zip(found, unit_hits, strict=True)}

        def hits_of(unit: Unit) -> frozenset:     # (the first lines of an introduced block are new)
            return by_id[id(unit)] if id(unit) in by_id else matcher.hits(unit.text, unit.code)
        for start in range(len(found)):
            if not unit_hits[start] or found[start].title:
                continue            # a quote starts with a line that answers
            window = _window_after(found, start, max_chars, hits_of, max(limit, max_chars))
            value = matcher.value(frozenset().union(*(hits_of(unit) for unit in window)))
            typed = [hits_of(u) for u in window if u.code and is_code_to_type(u.text)]
            if code_adding is not None and not any(h - code_adding for h in typed):
                continue
            in_code = max(map(matcher.value, typed), default=0)
            if prefer_code:
                value += HOW_CODE_BONUS * in_code
            elif prefer_code is False and not any(unit.code for unit in window):
                value *= CODE_PREFERENCE
            value *= RANK_FACTOR ** rank
            if sum(len(unit.text) for unit in window) > max(limit, max_chars):
                if value > longer_value:
                    longer, longer_value = (passage, window), value
            elif value > best_value:
                best, best_value = (passage, window), value
    return best or (longer if limit else None)


def _command_words(code: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", " ".join(commands(code)).lower()))


def _twins(passage, window: list[Unit]) -> list[tuple[Unit, list[Unit]]]:
    """For each command of the window written for one system, the same step written for
    another system nearby in the passage (the Windows block beside the macOS/Linux one): the
    twin's first command line (prompt kept: it says the system), or its caption and block when
    only a caption says the system. A learner who named no system is shown both, compactly."""
    everything = units(passage.text)
    quoted = {_normal(unit.text) for unit in window}
    found = []
    for unit in window:
        if not (unit.code and unit.systems and is_code_to_type(unit.text)):
            continue
        mine = _command_words(unit.text)
        for position, other in enumerate(everything):
            theirs = _command_words(other.text) if other.code else set()
            if not (other.code and other.systems and not other.systems & unit.systems and theirs
                    and abs(other.paragraph - unit.paragraph) <= 4 and _normal(other.text) not in quoted
                    and len(mine & theirs) >= 0.5 * min(len(mine), len(theirs))):
                continue
            lines = session(other.text)
            if lines is not None:
                first = next(line.text for line in lines if line.command is not None)
                found.append((unit, [Unit(first, True, other.paragraph, systems=other.systems)]))
            else:
                caption = everything[position - 1] if position else None
                if caption is not None and caption.paragraph != other.paragraph - 1:
                    caption = None
                found.append((unit, ([caption] if caption and not caption.code else [])
                              + [Unit(_first_lines(other.text), True, other.paragraph, systems=other.systems)]))
            quoted.add(_normal(other.text))
            break
    return found


def _first_lines(code: str) -> str:
    return "\n".join(code.splitlines()[:MAX_CODE_LINES])


def choose_quotes(passages, weights: dict[str, float], mode: str = "explain", *, asked: str = "",
                  error: tuple[str, str] | None = None, solutions: list[str] = ()) -> list[Quote]:
    """The quotes that open an answer: the run of consecutive units (sentences, list items,
    table cells, a code block) of one passage that contains the most of the question's
    weighted words (earlier-ranked passages preferred), with the same command written for the
    other systems when the learner named none; then, in the room left, the best run of another
    passage of the same pack (never two languages or two books spliced in one answer): two
    places in the material find the fact more often than one (measured: 29 of 36 facts against
    23). Empty when no unit shares a word with the question."""
    asked_words = _words(asked)
    # In Debug the code in the question is the learner's own, not something to look up.
    phrases = {phrase: PHRASE_WEIGHT * max(weights.values(), default=1.0)
               for phrase in (typed_phrases(asked) if mode == "explain" else [])}
    matcher = Matcher(weights, phrases)
    system = os_named(asked)

    def allowed(unit: Unit) -> bool:
        return _allowed(unit, mode, error, list(solutions), asked_words, system)

    searched = [p for p in passages if not p.anchor.startswith("ex-")]   # a task answers nothing
    prefer_code = (True if _HOW.match(asked) else False if _WHAT.match(asked)
                   else True if _HOW_LATER.search(asked) else None) if mode == "explain" else None
    first = _best_window(searched, matcher, allowed, MAX_QUOTE_CHARS * 2 // 3, prefer_code, MAX_QUOTE_CHARS)
    if first is None:
        return []
    chosen = list(first[1])
    if system is None and mode == "explain":
        for _, twin in _twins(first[0], chosen):
            if sum(len(u.text) for u in chosen + twin) <= MAX_QUOTE_CHARS:
                at = sum(1 for u in chosen if u.paragraph < twin[0].paragraph)   # in the passage's order
                chosen[at:at] = twin
    quotes = [Quote(unit.text, first[0].url, _label(first[0]), unit.code) for unit in chosen]
    room = MAX_QUOTE_CHARS - sum(len(q.text) for q in quotes)
    pack = getattr(first[0], "pack", None)
    others = [p for p in searched if p.url != first[0].url and getattr(p, "pack", None) == pack]
    quoted = {_normal(line) for q in quotes for line in q.text.splitlines() if line.strip()}

    def new_and_allowed(unit: Unit) -> bool:      # a line two passages share, once
        return not any(_normal(line) in quoted for line in unit.text.splitlines() if line.strip()) \
            and allowed(unit)
    second = None
    if room > 80 and prefer_code and not any(q.code and is_code_to_type(q.text) for q in quotes):
        # A how-question's first quote is prose: the second is the code to type that names a
        # question's word the prose did not, wherever the retriever ranked it (code says in one
        # word, CORSMiddleware, what prose says in many, so its passage ranks low).
        already = frozenset().union(*(matcher.hits(q.text, q.code) for q in quotes))
        second = _best_window(others, matcher, new_and_allowed, room, prefer_code, code_adding=already)
    if second is None and room > 80:
        second = _best_window(others, matcher, new_and_allowed, room, prefer_code)
    if second is not None:
        quotes += [Quote(unit.text, second[0].url, _label(second[0]), unit.code) for unit in second[1]]
    return quotes


def _label(hit) -> str:
    label = hit.title + (f" › {hit.heading}" if hit.heading and hit.heading != hit.title else "")
    return label + (f" ({hit.speaker}, {hit.start})" if getattr(hit, "speaker", "") else "")
