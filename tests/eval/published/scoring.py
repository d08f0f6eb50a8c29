"""Criteria of this eval's own for what a learner is shown. They never import the kit's guards
or quoting: an eval that judged the kit with the kit's own checks would pass whatever they miss
(issue 20: substring matching let `createuser` pass inside `createsuperuser`).

- facts are matched as WHOLE tokens: words, with code punctuation (`.`, `_`, `-`) kept inside a
  token and a leading `-`/`--` kept on a flag, so `port` is not in `import`, `createuser` not in
  `createsuperuser`, and `manage.py` is one token;
- internal markers: `%%`, `lantern-`, control characters, raw source markup (`/// info`, `{!`);
- a spliced answer quotes two packs; a language mix quotes a pack in another language;
- a loop: a line or sentence of LOOP_MIN_CHARS+ characters, or a run of LOOP_WORDS words,
  said twice in the model's words;
- invented code: a code-like token of the model's words whose tokens are neither in the shown
  sources nor in the question.
"""
from __future__ import annotations

import re
from collections import Counter

TOKEN = re.compile(r"(?:--?)?\w+(?:[._\-]+\w+)*")
# The kit's own markers, control characters, and source markup a learner should never see raw:
# MkDocs admonitions and tabs (`/// info`, `//// tab`), the kit's tab blocks (`::::`), includes (`{!`).
MARKERS = re.compile(r"%%|lantern-|[\x00-\x08\x0b-\x1f\x7f]|(?m:^[ \t]*/{3,}|^[ \t]*:{4})|\{!")
LOOP_MIN_CHARS = 8
LOOP_WORDS = 8
# A whitespace-separated token is code-like when it has one of these inside it: an inner `_`,
# or `.` between word characters, brackets, `=`, a path's `/`, a leading flag dash, an
# inner capital (CamelCase) or a template tag. Words between backticks are code whatever they are.
_CODE_MARKS = re.compile(r"\w[._]\w|[(){}\[\]<>=/\\]|^--?\w|[a-z][A-Z]|\{%|%\}")
_BACKTICKS = re.compile(r"`([^`\n]+)`")
_EDGE = "\"'`,;:!?*“”‘’"
_SENTENCE_END = re.compile(r"\n+|(?<=[.!?])\s+")


def tokens(text: str) -> list[str]:
    """The whole tokens of `text`, lower-cased."""
    return [token.lower() for token in TOKEN.findall(text)]


def _contains_run(haystack: list[str], needle: list[str]) -> bool:
    if not needle:
        return False
    width = len(needle)
    return any(haystack[i:i + width] == needle for i in range(len(haystack) - width + 1))


def states(text: str, fact: str) -> bool:
    """Does `text` state `fact`: its tokens as one contiguous run of `text`'s tokens?"""
    return _contains_run(tokens(text), tokens(fact))


def facts_stated(text: str, facts: list[str]) -> list[str]:
    return [fact for fact in facts if states(text, fact)]


def markers_in(text: str) -> list[str]:
    """Internal markers the learner must never see, as found (control characters escaped)."""
    return [match.encode("unicode_escape").decode() if len(match) == 1 else match
            for match in MARKERS.findall(text)]


def pack_of(url: str) -> str:
    """The pack of a kit URL `/p/<pack>/<slug>#anchor`."""
    return url.removeprefix("/p/").split("/", 1)[0]


def page_of(url: str) -> str:
    """`<pack>/<slug>` of a kit URL, without the anchor: how questions name accepted pages."""
    return url.removeprefix("/p/").split("#", 1)[0]


def spliced(quote_urls: list[str]) -> bool:
    """One answer's quotes come from more than one pack."""
    return len({pack_of(url) for url in quote_urls}) > 1


def other_languages(quote_urls: list[str], pack_languages: dict[str, str], wanted: str) -> list[str]:
    """The packs quoted whose language is not `wanted` (the question's library language)."""
    found = []
    for pack in dict.fromkeys(pack_of(url) for url in quote_urls):
        language = (pack_languages.get(pack) or "").split("-")[0].lower()
        if language and language != wanted:
            found.append(f"{pack} ({language})")
    return found


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def sentences(text: str) -> list[str]:
    """The model's words as sentences and lines, stripped, empty ones dropped."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece.strip()]


def loops_in(text: str) -> list[str]:
    """What repeats: a line or sentence of LOOP_MIN_CHARS+ characters said twice, or a run of
    LOOP_WORDS words said twice (runs inside an already found repeat are not listed again)."""
    pieces = Counter(_normalised(piece) for piece in sentences(text))
    found = [piece for piece, count in pieces.items() if count > 1 and len(piece) >= LOOP_MIN_CHARS]
    words = _normalised(text).split()
    runs = Counter(" ".join(words[i:i + LOOP_WORDS]) for i in range(len(words) - LOOP_WORDS + 1))
    found += [run for run, count in runs.items() if count > 1 and not any(run in f for f in found)]
    return found


def code_like(text: str) -> list[str]:
    """The code-like tokens of `text`: words between backticks, and whitespace-separated tokens
    with a code mark inside (edge punctuation and a final full stop removed)."""
    found = []
    for span in _BACKTICKS.findall(text):
        found += [word.strip(_EDGE) for word in span.split() if TOKEN.search(word)]
    for raw in _BACKTICKS.sub(" ", text).split():
        token = raw.strip(_EDGE).rstrip(".")
        if len(token) >= 3 and _CODE_MARKS.search(token):
            found.append(token)
    return found


def unsupported_code(words: str, known: str) -> list[str]:
    """Code-like tokens of the model's `words` whose whole tokens are not a run in `known`
    (the shown sources, the quotes and the question)."""
    known_tokens = tokens(known)
    return [code for code in code_like(words)
            if tokens(code) and not _contains_run(known_tokens, tokens(code))]
