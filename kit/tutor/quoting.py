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
# A one-line paragraph is a code block when it reads like one: it starts the way commands and
# statements start and does not end like a sentence ("python -m venv .venv", "<h1>{{ title }}</h1>").
_ONE_LINE_CODE = re.compile(r"[a-z.$@<{>\[-]")
_SENTENCE_TAIL = (".", "!", "?", ":")
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
PHRASE_WEIGHT = 1.0           # a command the learner typed, found whole: as much as their rarest word
_CODE_LIKE = re.compile(r"[_(){}\[\]<>=/\\]|^--?\w|\w\.\w")
_EDGE = "\"'`,;:!?*"


@dataclass(frozen=True)
class Unit:
    """A quotable piece of a passage: a sentence, a list item, a table cell or a code block."""
    text: str
    code: bool
    paragraph: int            # which paragraph of the passage it comes from


@dataclass
class Quote:
    text: str                 # verbatim from the passage
    url: str                  # the passage's own anchor
    title: str
    code: bool

    def public(self) -> dict:
        return asdict(self)


def units(passage_text: str) -> list[Unit]:
    """A passage as quotable units: a code block whole (its paragraph keeps its line breaks; a
    one-line block is told from prose by its shape), prose split into sentences (list items and
    table cells are paragraphs of their own), a sentence that goes on with the one before
    ("It…", "This…") kept with it."""
    result: list[Unit] = []
    for number, paragraph in enumerate(p.strip() for p in passage_text.split("\n\n")):
        if not paragraph:
            continue
        if "\n" in paragraph or (_ONE_LINE_CODE.match(paragraph) and not paragraph.endswith(_SENTENCE_TAIL)):
            result.append(Unit(paragraph, True, number))
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            if not sentence.strip():
                continue
            if result and result[-1].paragraph == number and _CONTINUES.match(sentence):
                result[-1] = Unit(f"{result[-1].text} {sentence}", False, number)
            else:
                result.append(Unit(sentence, False, number))
    return result


def is_code_to_type(code: str) -> bool:
    """Whether a code block is something to type — a command or a statement — rather than a
    listing of files or a program's output."""
    for line in code.splitlines():
        line = line.strip()
        if line and (line.split()[0].lower() in COMMAND_WORDS or _CALL_OR_ASSIGNMENT.match(line)):
            return True
    return False


def typed_phrases(asked: str) -> list[str]:
    """The commands or code the learner typed in the question, lower case ("python -m pydoc
    -b", "request.form"): a run of code-like words and the lower-case words between them, with
    a command word just before the first ("python" of "python -m"), ending on a code-like word."""
    phrases, run = [], []
    for raw in asked.split() + [""]:
        word = raw.strip(_EDGE)
        if word and (_CODE_LIKE.search(word) or (word.islower() and any(map(_CODE_LIKE.search, run)))):
            run.append(word)
            continue
        while run and not _CODE_LIKE.search(run[-1]):
            run.pop()
        if run and not _CODE_LIKE.search(run[0]) and run[0].lower() not in COMMAND_WORDS:
            run.pop(0)
        if len(" ".join(run)) >= 4:
            phrases.append(" ".join(run).lower())
        run = [word] if word.isalpha() and word.islower() else []
    return phrases


def _normal(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def score(text: str, weights: dict[str, float], phrases: dict[str, float] | None = None) -> float:
    """The question's words found in `text`, each counted once with its rarity weight, plus the
    weight of each typed phrase found whole. A long word also matches its inflections
    ("activate" in "activating")."""
    words = _words(text)
    total = 0.0
    if phrases:
        flat = " ".join(text.lower().split())
        total += sum(weight for phrase, weight in phrases.items() if phrase in flat)
    for keyword, weight in weights.items():
        if keyword in words or (len(keyword) >= 6 and any(w.startswith(keyword[:5]) for w in words)):
            total += weight
    return total


def _best_code_window(code: str, scored) -> str:
    lines = code.splitlines()
    if len(lines) <= MAX_CODE_LINES:
        return code
    windows = [lines[i:i + MAX_CODE_LINES] for i in range(len(lines) - MAX_CODE_LINES + 1)]
    best = max(windows, key=lambda window: scored("\n".join(window)))
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


def _window_after(found: list[Unit], start: int, max_chars: int, scored) -> list[Unit]:
    """The units from `start` that fit in `max_chars`, cut after the last one that matches, the
    rest of its paragraph and a code block that paragraph introduces (at least one unit of
    context kept, if there is room)."""
    window, used = [], 0
    for unit in found[start:]:
        if window and used + len(unit.text) > max_chars:
            break
        window.append(unit)
        used += len(unit.text)
    last = max(i for i, unit in enumerate(window) if scored(unit.text) > 0)
    keep = last + 1
    while keep < len(window) and not window[keep].code and window[keep].paragraph == window[last].paragraph:
        keep += 1
    if keep < len(window) and window[keep].code and window[keep - 1].paragraph == window[last].paragraph:
        keep += 1
    return window[:max(keep, last + 2)]


def _best_window(passages, scored, allowed, max_chars: int, prefer_code: bool | None = None):
    """(passage, units) of the best run of consecutive units within `max_chars`. A "how"
    question (prefer_code True) adds half again the match of the best code to type in the run;
    a "what/why" question (False) prefers a run without code by CODE_PREFERENCE."""
    best, best_value = None, 0.0
    for rank, passage in enumerate(passages):
        found = [Unit(_best_code_window(unit.text, scored) if unit.code else unit.text, unit.code, unit.paragraph)
                 for unit in units(passage.text) if allowed(unit.text, unit.code)]
        for start in range(len(found)):
            if scored(found[start].text) <= 0:
                continue            # a quote starts with a line that answers
            window = _window_after(found, start, max_chars, scored)
            value = scored("\n".join(unit.text for unit in window))
            if prefer_code:
                value += (CODE_PREFERENCE - 1) * max(
                    (scored(u.text) for u in window if u.code and is_code_to_type(u.text)), default=0)
            elif prefer_code is False and not any(unit.code for unit in window):
                value *= CODE_PREFERENCE
            value *= RANK_FACTOR ** rank
            if value > best_value:
                best, best_value = (passage, window), value
    return best


def choose_quotes(passages, weights: dict[str, float], mode: str = "explain", *, asked: str = "",
                  error: tuple[str, str] | None = None, solutions: list[str] = ()) -> list[Quote]:
    """The quotes that open an answer: the run of consecutive units (sentences, list items,
    table cells, a code block) of one passage that contains the most of the question's
    weighted words (earlier-ranked passages preferred), then, in the room left, the best run of
    another passage: two places in the material find the fact more often than one (measured:
    29 of 36 facts against 23). Empty when no unit shares a word with the question."""
    asked_words = _words(asked)
    # In Debug the code in the question is the learner's own, not something to look up.
    phrases = {phrase: PHRASE_WEIGHT * max(weights.values(), default=1.0)
               for phrase in (typed_phrases(asked) if mode == "explain" else [])}

    def scored(text: str) -> float:
        return score(text, weights, phrases)

    def allowed(text: str, code: bool) -> bool:
        return _allowed(text, code, mode, error, list(solutions), asked_words)

    searched = [p for p in passages if not p.anchor.startswith("ex-")]   # a task answers nothing
    prefer_code = (True if _HOW.match(asked) else False if _WHAT.match(asked) else None) \
        if mode == "explain" else None
    first = _best_window(searched, scored, allowed, MAX_QUOTE_CHARS * 2 // 3, prefer_code)
    if first is None:
        return []
    quotes = [Quote(unit.text, first[0].url, _label(first[0]), unit.code) for unit in first[1]]
    room = MAX_QUOTE_CHARS - sum(len(q.text) for q in quotes)
    others = [p for p in searched if p.url != first[0].url]
    quoted = {_normal(line) for q in quotes for line in q.text.splitlines() if line.strip()}

    def new_and_allowed(text: str, code: bool) -> bool:      # a line two passages share, once
        return not any(_normal(line) in quoted for line in text.splitlines() if line.strip()) \
            and allowed(text, code)
    second = _best_window(others, scored, new_and_allowed, room, prefer_code) if room > 80 else None
    if second is not None:
        quotes += [Quote(unit.text, second[0].url, _label(second[0]), unit.code) for unit in second[1]]
    return quotes


def _label(hit) -> str:
    label = hit.title + (f" › {hit.heading}" if hit.heading and hit.heading != hit.title else "")
    return label + (f" ({hit.speaker}, {hit.start})" if getattr(hit, "speaker", "") else "")
