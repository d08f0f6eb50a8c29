"""The tutor's retriever: the passages a question should be answered from, and whether the
library covers the question at all.

Citations come from here, not from the model: the passages picked are the sources shown.

Whether the library covers a question is judged by *weighted coverage*: the share of the
question's topic words, each weighted by how rare it is in the library (IDF), that the best
passage holds. "How do I send email from Flask?" shares "flask" with half the library but
"email" with none of it, so its coverage is low and the tutor says the material does not cover
it instead of citing a loosely related page. On a whole library (a 500-page reference build)
every common word is somewhere, and four of them can meet in one passage: so a question whose
words the library never uses carry more than MAX_UNKNOWN_SHARE of its weight ("the best way to
learn to play the guitar") is not covered either, and spelling repair never turns such a word
into a rare library word ("kenya" is not "keya"). Words the library uses elsewhere ("the
teacher gave us a stick") do not count against a question: learners add context.
Thresholds are calibrated on tests/eval with bench/calibrate_grounding.py.

On a whole library the page that teaches competes with changelogs and contents pages that use
the same words: pages have a role (kit/library/page_roles.py) and the ranking prefers pages that
teach, puts release notes far down and never answers from an index page. A long passage is cut
to its best window for the prompt, so one passage never fills the budget. Sources are in one
language: the learner's (the page they are on, else the question's), never a mix.
"""
from __future__ import annotations

import dataclasses
import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from kit.library import languages
from kit.library.page_roles import INDEX, RELEASE_NOTES, TUTORIAL
from kit.library.search import SearchHit, pack_languages, search_passages
from kit.library.word_lookups import passage_count, passages_matching, passages_with, vocabulary_among

# Words that carry no topic, per language (kit/library/languages.py): dropped so ranking and
# coverage look at what the question is about.
STOPWORDS = languages.STOP_WORDS[languages.ENGLISH]
# A word may start with a digit: "3D", "mp3" and "2fa" are one word each (split, "3D" was the
# digit alone and the letter "d", both too short to count, and a question about 3D models lost
# its topic).
_WORD = re.compile(r"[^\W\d]\w*|\d\w*")
MIN_SCORE = 2.0          # calibrated: see bench/calibrate_grounding.py
MIN_COVERAGE = 0.45      # calibrated: see bench/calibrate_grounding.py
MAX_UNKNOWN_SHARE = 0.5   # of the question's weight in words the library never uses
MAX_KEYWORDS = 32        # a pasted page of code is not 300 questions: its first words stand for it
CANDIDATES = 60          # passages search hands the ranking; a big library needs more than 25
PER_PAGE = 2             # sources from one page among the first (see _varied)
HEADING_WEIGHT = 0.5     # a passage whose page title or heading names the question's words
SKIPPED_ROLES = (INDEX,)  # contents pages, glossaries, module indexes: links, not answers
# How much a page's role counts in the ranking: a learner is best served by a page that
# teaches; a changelog line that names the same words is history, not help.
ROLE_WEIGHT = {TUTORIAL: 1.25, RELEASE_NOTES: 0.2}
# Spelling repair: a learner's typo is one edit from a word the library uses ("enviroment"); a
# short word, or one close only to a rare word or only by more edits, is a different word.
REPAIR_MIN_LENGTH = 6
REPAIR_MIN_PASSAGES = 3


@dataclass
class Retrieval:
    question: str
    keywords: list[str]
    passages: list[SearchHit]     # the sources, best first, within the token budget
    nearest: list[SearchHit]      # the quote chooser's passages (up to 8); refused: the closest 5
    grounded: bool
    best_score: float
    coverage: float               # IDF-weighted share of the keywords in the best passage
    language: str | None = None   # primary subtag the sources are in (None: nothing found in any)


_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu)['’](?=\w)", re.I)     # French "l'adresse", "qu'une"


def keywords(question: str, language: str = languages.ENGLISH) -> list[str]:
    """The question's topic words, lower case, in order, once each; the stop-words of its
    `language` left out. A run of CJK characters is one word here (see _cjk_words)."""
    question = _ELISION.sub(" ", question)
    stop = languages.stop_words(language)
    words = [w.lower() for part in languages.words(question.replace("'", "")) for w in
             ([part] if languages.has_cjk(part) else _WORD.findall(part))]
    return list(dict.fromkeys(w for w in words if w not in stop and (len(w) > 1 or languages.has_cjk(w))))


def _cjk_words(conn: sqlite3.Connection, words: list[str], language: str | None) -> list[str]:
    """A run of CJK characters longer than a word is cut into its overlapping pairs of characters
    (most Chinese words are two), keeping the pairs the library uses: "怎么激活虚拟环境" → 激活,
    虚拟, 环境… A pair the library never uses is a cut across two words, not a topic; a run none
    of whose pairs the library uses stays whole, a word it does not know."""
    out = []
    for word in words:
        if not languages.has_cjk(word) or len(word) <= 2:
            out.append(word)
            continue
        pairs = list(dict.fromkeys(word[i:i + 2] for i in range(len(word) - 1)))
        out += [pair for pair in pairs if passages_with(conn, pair, language)] or [word]
    return list(dict.fromkeys(out))


def estimate_tokens(text: str) -> int:
    """About four characters a token for English and code: enough to stay inside a budget."""
    return len(text) // 4 + 1


_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def one_edit(word: str) -> set[str]:
    """Every string one edit from `word`: a letter left out, added, changed, or two neighbours
    swapped ("pyhton" → "python")."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS}) - {word}


def repair_spelling(conn: sqlite3.Connection, word: str, language: str | None = None) -> str:
    """A word the library never uses, replaced by a library word it is probably a typo of
    ("enviroment" → "environment"): one edit away, used in a few passages at least, the most
    used such word. Short words are left alone (too many near neighbours in a big library):
    "kenya" is not "keya", and "sunlight" (two edits) is not "slight"."""
    if len(word) < REPAIR_MIN_LENGTH or not word.isascii() or passages_matching(conn, word, language=language):
        return word
    used = {c: passages_with(conn, c, language) for c in vocabulary_among(conn, sorted(one_edit(word)))}
    best = max(used, key=lambda c: (used[c], c), default=None)
    return best if best and used[best] >= REPAIR_MIN_PASSAGES else word


def word_weights(conn: sqlite3.Connection, words: list[str], language: str | None = None) -> dict[str, float]:
    """BM25's IDF for each word over all passages, the word matched by its stem in `language`;
    a word the library never uses weighs most."""
    total = passage_count(conn) or 1
    weights = {}
    for word in words:
        frequency = passages_with(conn, word, language)
        weights[word] = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
    return weights




# -- language: sources in the learner's language only --------------------------------------------

_LITTLE = languages.LITTLE_WORDS


def primary_language(code: str) -> str:
    """'pt-BR' → 'pt'; '' → 'en' (as packs without a language are taken)."""
    return languages.primary(code)


def question_language(question: str, library_languages: set[str]) -> str | None:
    """Which of the library's languages the question is written in (kit/library/languages.py)."""
    return languages.guess(question, library_languages)


def learner_language(conn: sqlite3.Connection, question: str, context: dict | None = None) -> str | None:
    """The language to answer from: the page the learner is on, else the question's."""
    languages = pack_languages(conn)
    if context and context.get("pack") in languages:
        return languages[context["pack"]]
    return question_language(question, set(languages.values()))


# -- the prompt's share of a long passage ---------------------------------------------------------

_UNIT = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")      # a paragraph (or a line of code)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _units(text: str, max_tokens: int) -> list[tuple[int, int]]:
    """(start, end) of each paragraph; a paragraph too long for a window is cut at sentence
    ends, and a sentence still too long at the window's length."""
    spans = []
    for paragraph in _UNIT.finditer(text):
        start, end = paragraph.span()
        if estimate_tokens(text[start:end]) <= max_tokens:
            spans.append((start, end))
            continue
        cuts = [start] + [start + m.end() for m in _SENTENCE_END.finditer(text[start:end])] + [end]
        for left, right in zip(cuts, cuts[1:], strict=False):
            while right - left > max_tokens * 4:
                spans.append((left, left + max_tokens * 4))
                left += max_tokens * 4
            if right > left:
                spans.append((left, right))
    return spans


def _stem_pattern(word: str) -> re.Pattern:
    if languages.has_cjk(word):       # no word boundaries inside CJK text
        return re.compile(re.escape(word))
    return re.compile(r"\b" + re.escape(word[:max(4, len(word) - 2)]), re.I)


def best_window(text: str, weights: dict[str, float], max_tokens: int) -> str:
    """The part of `text`, verbatim and whole paragraphs where they fit, that holds the most of
    the question's weighted words within `max_tokens`: what the model reads of a long passage."""
    if estimate_tokens(text) <= max_tokens:
        return text
    units = _units(text, max_tokens)
    patterns = {word: _stem_pattern(word) for word in weights}
    found = [{w for w, p in patterns.items() if p.search(text, s, e)} for s, e in units]
    best, best_value = (0, 0), -1.0
    for first in range(len(units)):
        words: set[str] = set()
        last = first
        while last < len(units) and estimate_tokens(text[units[first][0]:units[last][1]]) <= max_tokens:
            words |= found[last]
            last += 1
        value = math.fsum(weights[w] for w in words)     # exact: the same whatever the set's order
        if last > first and value > best_value:
            best, best_value = (first, last - 1), value
    return text[units[best[0]][0]:units[best[1]][1]]


# -- what the quote chooser sees --------------------------------------------------------------------

# A how-question's answer is often the code after a sentence, and code names things in one word
# that the learner says in several: "include a router" is `include_router`, "CORS" is inside
# `CORSMiddleware`. Such a passage ranks below prose that repeats the question's words, so the
# quote chooser (which reads `Retrieval.nearest`, kit/tutor/quoting.py) is also shown the best
# passages when the question's words found in code identifiers count: ×(1 + CODE_WEIGHT · share).
# They come after the ranking's own five, so the sources and the chooser's first picks stay.
NEAREST = 5             # the ranking's best passages, in its order
CODE_WEIGHT = 1.0
CODE_EXTRA = 3          # at most this many more passages,
CODE_SCAN = 20          # among the ranking's next 20: reading code costs ~0.15 ms a passage
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+"       # snake_case
                         r"|[A-Za-z]*[a-z][A-Z][A-Za-z0-9]*"              # camelCase, PascalCase
                         r"|[A-Z]{2,}[a-z][A-Za-z0-9]*")                  # APIRouter, CORSMiddleware
_IDENTIFIER_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def identifier_parts(text: str) -> str:
    """The words inside `text`'s compound identifiers, lower case, one per line:
    `app.include_router(APIRouter())` → include, router, api, router. Full-text search keeps
    `CORSMiddleware` as one word, so a question's "cors" never meets it there."""
    return "\n".join(part.lower() for name in _IDENTIFIER.findall(text)
                     for part in _IDENTIFIER_PART.findall(name))


def nearest_for_quotes(ranked: list[SearchHit], preferred: dict[int, float],
                       in_code: Callable[[SearchHit], float]) -> list[SearchHit]:
    """The ranking's first NEAREST, then up to CODE_EXTRA others whose code names the question's
    words, best first by their ranking ×(1 + CODE_WEIGHT · `in_code`, the share of the question's
    weight in their code). Read in ranking order and stopped once no later passage can make the
    extras (a passage's value is at most its ranking × (1 + CODE_WEIGHT)), and after CODE_SCAN:
    reading the code of all 60 candidates doubled retrieval's time."""
    top, extras = ranked[:NEAREST], []
    for hit in ranked[NEAREST:NEAREST + CODE_SCAN]:
        if len(extras) == CODE_EXTRA and (not extras or preferred[hit.passage_id] * (1 + CODE_WEIGHT)
                                          <= extras[-1][0]):
            break
        share = in_code(hit)
        if share > 0:
            extras.append((preferred[hit.passage_id] * (1 + CODE_WEIGHT * share), hit))
            extras = sorted(extras, key=lambda pair: pair[0], reverse=True)[:CODE_EXTRA]
    return top + [hit for _, hit in extras]


# -- retrieval -------------------------------------------------------------------------------------

def coverage_of(weights: dict[str, float], present: set[str]) -> float:
    """The share of the question's weight a passage holds."""
    return math.fsum(weights[w] for w in present) / (math.fsum(weights.values()) or 1.0)


def unknown_share(conn: sqlite3.Connection, weights: dict[str, float], language: str | None = None) -> float:
    """The share of the question's weight in words no passage of the library uses."""
    unknown = [w for w in weights if not passages_with(conn, w, language)]
    return sum(weights[w] for w in unknown) / (sum(weights.values()) or 1.0)


def _varied(ranked: list[SearchHit], count: int) -> list[SearchHit]:
    """The first `count` hits, at most PER_PAGE from one page while other pages are left: when
    the best page is the wrong one, its second and third passage would hide the right one."""
    first = [hit for n, hit in enumerate(ranked)
             if sum(other.url.split("#")[0] == hit.url.split("#")[0] for other in ranked[:n]) < PER_PAGE]
    return (first + [hit for hit in ranked if hit not in first])[:count]


def retrieve(conn: sqlite3.Connection, question: str, *, budget_tokens: int = 450,
             max_passages: int = 3, context: dict | None = None, prefer_heading: str | None = None,
             min_score: float = MIN_SCORE, min_coverage: float = MIN_COVERAGE,
             language: str | None = None) -> Retrieval:
    """Top passages for `question`, preferring the page the learner is on (`context` with
    `pack` and `doc`) and pages that teach, packed into `budget_tokens` (each passage at most
    its share of it). Not grounded when the best passage scores below `min_score` or covers
    less than `min_coverage` of the question's weighted words. Sources are in `language` (a
    primary subtag, "en"); by default the learner's: `learner_language`."""
    language = primary_language(language) if language else learner_language(conn, question, context)
    little = _LITTLE.get(language or "en", set()) - {"a", "i"}    # "a" and "i" can be words of code
    asked = [w for w in keywords(question, language or languages.ENGLISH) if w not in little][:MAX_KEYWORDS]
    asked = _cjk_words(conn, asked, language)
    words = list(dict.fromkeys(repair_spelling(conn, w, language) for w in asked))
    if not words:
        return Retrieval(question, words, [], [], False, 0.0, 0.0, language)
    packs = tuple(p for p, lang in pack_languages(conn).items() if lang == language) if language else None
    hits = search_passages(conn, " ".join(words), limit=CANDIDATES, packs=packs, skip_roles=SKIPPED_ROLES,
                           language=language, any_word=True).hits
    if not hits:
        return Retrieval(question, words, [], [], False, 0.0, 0.0, language)
    weights = word_weights(conn, words, language)
    ids = [hit.passage_id for hit in hits]
    containing = {word: passages_matching(conn, word, ids, language) for word in words}
    coverage = {hit.passage_id: coverage_of(weights, {w for w in words if hit.passage_id in containing[w]})
                for hit in hits}
    context = context or {}
    patterns = {word: _stem_pattern(word) for word in words}

    def preference(hit: SearchHit) -> float:
        boost = ROLE_WEIGHT.get(hit.role, 1.0)
        if context.get("pack") == hit.pack:
            boost += 0.1
            if context.get("doc") == hit.doc_slug:
                boost += 0.2
        if prefer_heading and prefer_heading.lower() in hit.heading.lower():
            boost += 1.0
        named = coverage_of(weights, {w for w, p in patterns.items() if p.search(f"{hit.title} {hit.heading}")})
        return hit.score * boost * coverage[hit.passage_id] * (1 + HEADING_WEIGHT * named)

    def in_code(hit: SearchHit) -> float:
        parts = identifier_parts(hit.text)
        return coverage_of(weights, {w for w, p in patterns.items() if p.search(parts)}) if parts else 0.0

    preferred = {hit.passage_id: preference(hit) for hit in hits}
    ranked = sorted(hits, key=lambda hit: preferred[hit.passage_id], reverse=True)
    best = ranked[0]
    ranked = [hit for hit in ranked if hit.language == best.language]     # never a mix
    grounded = best.score >= min_score and coverage[best.passage_id] >= min_coverage \
        and unknown_share(conn, weights, language) <= MAX_UNKNOWN_SHARE
    chosen, used, share = [], 0, max(budget_tokens // max_passages, 1)
    for hit in _varied(ranked, max_passages):
        hit = dataclasses.replace(hit, text=best_window(hit.text, weights, share))
        cost = estimate_tokens(hit.text)
        if chosen and (used + cost > budget_tokens or coverage[hit.passage_id] < min_coverage / 2):
            break
        chosen.append(hit)
        used += cost
    nearest = nearest_for_quotes(ranked, preferred, in_code) if grounded else ranked[:NEAREST]
    return Retrieval(question, words, chosen if grounded else [], nearest, grounded,
                     best.score, coverage[best.passage_id], language or primary_language(best.language))
