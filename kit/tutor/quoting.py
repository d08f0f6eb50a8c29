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
from kit.tutor.shell_prompts import MAX_SESSION_LINES, commands, families, is_prompt_line, os_named, session

MAX_QUOTE_CHARS = 600         # the quote is read first, on a phone too: a few lines
MAX_CODE_LINES = 8
CODE_PREFERENCE = 1.5         # "how do I…" is answered by the command or code, in a workshop
_HOW = re.compile(r"\s*(how|what command|which command)\b", re.I)
_WHAT = re.compile(r"\s*(what|why|whats|when)\b", re.I)       # … is answered by the prose
RANK_FACTOR = 0.6             # a lower-ranked source must match clearly better to be quoted
_WORD = re.compile(r"[^\W\d]\w*|\d+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'`\-\d])")
# A one-line paragraph is a code block when it reads like one: it starts the way commands and
# statements start and does not end like a sentence ("python -m venv .venv", "<h1>{{ title }}</h1>").
_ONE_LINE_CODE = re.compile(r"[a-z.$@<{>\[-]")
_SENTENCE_TAIL = (".", "!", "?", ":", "。", "！", "？", "：")
# A title standing alone ("Note", "Warning", a caption "command-line") says nothing by itself.
_TITLE = re.compile(r"[^\W\d_][\w'’ &+/-]{0,31}")
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
PHRASE_WEIGHT = 1.0           # a command the learner typed, found whole: as much as their rarest word
_CODE_LIKE = re.compile(r"[_(){}\[\]<>=/\\]|^--?\w|\w\.\w")
_EDGE = "\"'`,;:!?*"
MIN_PART = 5                  # a question word this long is found inside a code word (createsuperuser)


@dataclass(frozen=True)
class Unit:
    """A quotable piece of a passage: a sentence, a list item, a table cell or a code block."""
    text: str
    code: bool
    paragraph: int            # which paragraph of the passage it comes from
    title: bool = False       # a title alone ("Note"): never starts or ends a quote
    systems: frozenset = frozenset()   # the operating systems a command is written for


@dataclass
class Quote:
    text: str                 # verbatim from the passage
    url: str                  # the passage's own anchor
    title: str
    code: bool

    def public(self) -> dict:
        return asdict(self)


def _is_title(paragraph: str) -> bool:
    return (_TITLE.fullmatch(paragraph) is not None and len(paragraph.split()) <= MAX_TITLE_WORDS
            and not is_code_to_type(paragraph)
            and (not paragraph[0].islower() or ("-" in paragraph and " " not in paragraph)))


def _reads_as_prose(line: str) -> bool:
    words = line.split()
    return sum(1 for w in words if _CODE_LIKE.search(w)) <= 0.3 * len(words)


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
        for sentence in _SENTENCE_END.split(paragraph):
            if not sentence.strip():
                continue
            if result and result[-1].paragraph == number and _CONTINUES.match(sentence):
                result[-1] = Unit(f"{result[-1].text} {sentence}", False, number)
            else:
                result.append(Unit(sentence, False, number))
    return result


def is_code_to_type(code: str) -> bool:
    """Whether a code block is something to type — a command or a statement (after its prompt,
    if it has one) — rather than a listing of files or a program's output."""
    typed = commands(code)
    if session(code) is not None:
        return any(line.strip() for line in typed)
    for line in typed:
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


class Matcher:
    """What of the question a piece of text holds: its weighted words (a long word also matches
    its inflections, "activate" in "activating"; in code, a word inside a compound,
    "superuser" in "createsuperuser") and the phrases the learner typed, found whole. A code
    block with prompts is matched by its commands only: its output answers no "how"."""

    def __init__(self, weights: dict[str, float], phrases: dict[str, float] | None = None):
        self.weights, self.phrases = weights, phrases or {}

    def hits(self, text: str, code: bool = False) -> frozenset[str]:
        if code:
            text = "\n".join(commands(text))
        words = _words(text)
        found = {phrase for phrase in self.phrases if phrase in " ".join(text.lower().split())}
        for keyword in self.weights:
            if keyword in words or (len(keyword) >= 6 and any(w.startswith(keyword[:5]) for w in words)) \
                    or (code and len(keyword) >= MIN_PART and any(keyword in w for w in words)):
                found.add(keyword)
        return frozenset(found)

    def value(self, hits) -> float:
        return sum(self.weights.get(key, 0.0) + self.phrases.get(key, 0.0) for key in hits)


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


def _window_after(found: list[Unit], start: int, max_chars: int, hits) -> list[Unit]:
    """The units from `start` that fit in `max_chars`, cut after the last one that matches, the
    rest of its paragraph and a code block that paragraph introduces (at least one unit of
    context kept, if there is room); a title never ends it."""
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
    if keep < len(window) and window[keep].code and window[keep - 1].paragraph == window[last].paragraph:
        keep += 1
    window = window[:max(keep, last + 2)]
    while window[-1].title:
        window.pop()
    return window


def _best_window(passages, matcher: Matcher, allowed, max_chars: int, prefer_code: bool | None = None):
    """(passage, units) of the best run of consecutive units within `max_chars`. A "how"
    question (prefer_code True) adds half again the match of the best code to type in the run;
    a "what/why" question (False) prefers a run without code by CODE_PREFERENCE."""
    best, best_value = None, 0.0
    for rank, passage in enumerate(passages):
        found = [Unit(_best_code_window(unit.text, matcher), True, unit.paragraph, systems=unit.systems)
                 if unit.code else unit for unit in units(passage.text) if allowed(unit)]
        unit_hits = [matcher.hits(unit.text, unit.code) for unit in found]
        by_id = {id(unit): h for unit, h in zip(found, unit_hits, strict=True)}
        for start in range(len(found)):
            if not unit_hits[start] or found[start].title:
                continue            # a quote starts with a line that answers
            window = _window_after(found, start, max_chars, lambda unit: by_id[id(unit)])
            value = matcher.value(frozenset().union(*(by_id[id(unit)] for unit in window)))
            if prefer_code:
                value += (CODE_PREFERENCE - 1) * max(
                    (matcher.value(by_id[id(u)]) for u in window if u.code and is_code_to_type(u.text)), default=0)
            elif prefer_code is False and not any(unit.code for unit in window):
                value *= CODE_PREFERENCE
            value *= RANK_FACTOR ** rank
            if value > best_value:
                best, best_value = (passage, window), value
    return best


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
    prefer_code = (True if _HOW.match(asked) else False if _WHAT.match(asked) else None) \
        if mode == "explain" else None
    first = _best_window(searched, matcher, allowed, MAX_QUOTE_CHARS * 2 // 3, prefer_code)
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
    second = _best_window(others, matcher, new_and_allowed, room, prefer_code) if room > 80 else None
    if second is not None:
        quotes += [Quote(unit.text, second[0].url, _label(second[0]), unit.code) for unit in second[1]]
    return quotes


def _label(hit) -> str:
    label = hit.title + (f" › {hit.heading}" if hit.heading and hit.heading != hit.title else "")
    return label + (f" ({hit.speaker}, {hit.start})" if getattr(hit, "speaker", "") else "")
