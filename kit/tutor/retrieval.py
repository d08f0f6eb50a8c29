"""The tutor's retriever: the passages a question should be answered from, and whether the
library covers the question at all.

Citations come from here, not from the model: the passages picked are the sources shown.

Whether the library covers a question is judged by *weighted coverage*: the share of the
question's topic words, each weighted by how rare it is in the library (IDF), that the best
passage contains. "How do I send email from Flask?" shares "flask" with half the library but
"email" with none of it, so its coverage is low and the tutor says the material does not cover
it instead of citing a loosely related page. Thresholds are calibrated on tests/eval with
bench/calibrate_grounding.py.
"""
from __future__ import annotations

import difflib
import math
import re
import sqlite3
from dataclasses import dataclass

from kit.library.search import (SearchHit, passage_count, passages_matching, passages_with,
                                search_passages, vocabulary_near)

# Words that carry no topic; dropped so ranking and coverage look at what the question is about.
STOPWORDS = set("""
a about above after again all also am an and any are as at be because been before being below
between both but by can cant could did didnt do does doesnt doing dont down during each even
every few for from further got had has have having he her here hers him his how however i if
im in into is isnt it its itself ive just kind let lets like me mean means might more most much
must my no nor not now of off ok okay on once only or other our out over own please pls really
same say says should so some something still such sure than thank thanks that thats the their
them then there these they thing things this those through to too under until up very want
wants was we were what whats when where which while who whom why will with without would yes
you your youre yours
""".split())
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
MIN_SCORE = 2.0          # calibrated: see bench/calibrate_grounding.py
MIN_COVERAGE = 0.45      # calibrated: see bench/calibrate_grounding.py


@dataclass
class Retrieval:
    question: str
    keywords: list[str]
    passages: list[SearchHit]     # the sources, best first, within the token budget
    nearest: list[SearchHit]      # what search found, for the "not in the material" answer
    grounded: bool
    best_score: float
    coverage: float               # IDF-weighted share of the keywords in the best passage


def keywords(question: str) -> list[str]:
    """The question's topic words, lower case, in order, once each."""
    words = [w.lower() for w in _WORD.findall(question.replace("'", ""))]
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and len(w) > 1))


def estimate_tokens(text: str) -> int:
    """About four characters a token for English and code: enough to stay inside a budget."""
    return len(text) // 4 + 1


def repair_spelling(conn: sqlite3.Connection, word: str) -> str:
    """A word the library never uses, replaced by a library word it is probably a typo of
    ("enviroment" → "environment"). Short words are left alone: too many near neighbours."""
    if len(word) < 5 or passages_matching(conn, word):
        return word
    candidates = vocabulary_near(conn, word)
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.85)
    return close[0] if close else word


def word_weights(conn: sqlite3.Connection, words: list[str]) -> dict[str, float]:
    """BM25's IDF for each word over all passages; a word the library never uses weighs most."""
    total = passage_count(conn) or 1
    weights = {}
    for word in words:
        frequency = passages_with(conn, word)
        weights[word] = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
    return weights


def retrieve(conn: sqlite3.Connection, question: str, *, budget_tokens: int = 450,
             max_passages: int = 3, context: dict | None = None, prefer_heading: str | None = None,
             min_score: float = MIN_SCORE, min_coverage: float = MIN_COVERAGE) -> Retrieval:
    """Top passages for `question`, preferring the page the learner is on (`context` with
    `pack` and `doc`), packed into `budget_tokens`. Not grounded when the best passage scores
    below `min_score` or covers less than `min_coverage` of the question's weighted words."""
    words = list(dict.fromkeys(repair_spelling(conn, w) for w in keywords(question)))
    if not words:
        return Retrieval(question, words, [], [], False, 0.0, 0.0)
    hits = search_passages(conn, " OR ".join(f'"{w}"' for w in words), limit=25).hits
    if not hits:
        return Retrieval(question, words, [], [], False, 0.0, 0.0)
    weights = word_weights(conn, words)
    total_weight = sum(weights.values())
    ids = [hit.passage_id for hit in hits]
    containing = {word: passages_matching(conn, word, ids) for word in words}
    coverage = {hit.passage_id: sum(weights[w] for w in words if hit.passage_id in containing[w])
                / total_weight for hit in hits}
    context = context or {}

    def preference(hit: SearchHit) -> float:
        boost = 1.0
        if context.get("pack") == hit.pack:
            boost += 0.1
            if context.get("doc") == hit.doc_slug:
                boost += 0.2
        if prefer_heading and prefer_heading.lower() in hit.heading.lower():
            boost += 1.0
        return hit.score * boost * coverage[hit.passage_id]

    ranked = sorted(hits, key=preference, reverse=True)
    best = ranked[0]
    grounded = best.score >= min_score and coverage[best.passage_id] >= min_coverage
    chosen, used = [], 0
    for hit in ranked[:max_passages]:
        cost = estimate_tokens(hit.text)
        if chosen and (used + cost > budget_tokens or coverage[hit.passage_id] < min_coverage / 2):
            break
        chosen.append(hit)
        used += cost
    return Retrieval(question, words, chosen if grounded else [], ranked[:5], grounded,
                     best.score, coverage[best.passage_id])
