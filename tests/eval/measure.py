"""Measuring the tutor's retriever on the eval set (tests/eval/questions.toml).

Used by tests/test_tutor_eval.py (which asserts the targets) and bench/calibrate_grounding.py
(which picks the grounding thresholds). A hit means: the retriever judged the question covered
AND one of the sources the tutor SHOWS the learner (its `sources` event: at most three passages,
fewer when they do not fit the prompt's budget) is one the question's author marked as
answering it. The sources are taken from the real `Tutor.answer`, so what is scored is what a
learner sees, not the search's top three.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.index_db import ReaderPool
from kit.tutor.answering import Question, Tutor, retrieve_for
from kit.tutor.retrieval import Retrieval, retrieve

EVAL_FILE = Path(__file__).with_name("questions.toml")
SHOWN_AT_MOST = 3


def load_eval() -> dict:
    return tomllib.loads(EVAL_FILE.read_text(encoding="utf-8"))


@dataclass
class Measurement:
    hit_at_3: float
    refusal_rate: float
    misses: list[str] = field(default_factory=list)
    not_refused: list[str] = field(default_factory=list)


def page_context(page: str | None) -> dict:
    """'/p/<pack>/<doc>' as the retriever's context."""
    if not page:
        return {}
    pack, _, doc = page.removeprefix("/p/").partition("/")
    return {"pack": pack, "doc": doc}


def _no_engine():
    raise AssertionError("measuring retrieval must not reach the model")


class _ShownSources(Tutor):
    """The real Tutor, retrieving with the thresholds being measured (the calibration tries
    others than the kit's) and remembering the Retrieval it made."""

    def __init__(self, index_path, thresholds: dict):
        super().__init__(ReaderPool(index_path), _no_engine)
        self.thresholds = thresholds
        self.last: Retrieval | None = None

    def retrieve(self, conn, question: Question) -> Retrieval:
        self.last = retrieve_for(conn, question, **self.thresholds)
        return self.last

    def shown(self, question: Question) -> tuple[Retrieval, list[dict]]:
        """(the retrieval, the `sources` event the learner receives first)."""
        events = self.answer(question)
        try:
            name, sources = next(events)
        finally:
            events.close()              # before any engine is asked
        assert name == "sources", name
        return self.last, sources


def index_path_of(conn) -> str:
    return next(row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main")


def measure(conn, evaluation: dict, **thresholds) -> Measurement:
    tutor = _ShownSources(index_path_of(conn), thresholds)
    try:
        return _measured(conn, evaluation, tutor, thresholds)
    finally:
        tutor.index_readers.close()


def _measured(conn, evaluation: dict, tutor: _ShownSources, thresholds: dict) -> Measurement:
    hits, misses = 0, []
    for item in evaluation["answerable"]:
        question = Question(item["question"], item.get("mode", "explain"), item.get("tried", ""))
        result, sources = tutor.shown(question)
        shown = [source["url"] for source in sources[:SHOWN_AT_MOST]]
        if result.grounded and any(url in item["expect"] for url in shown):
            hits += 1
        else:
            misses.append(f"{item['question'][:70]!r} grounded={result.grounded} "
                          f"score={result.best_score:.1f} coverage={result.coverage:.2f} shown={shown} "
                          f"top={[hit.url for hit in result.nearest[:3]]}")
    refused, not_refused = 0, []
    for item in evaluation["out_of_scope"]:
        result = retrieve(conn, item["question"], **thresholds)
        if result.grounded:
            not_refused.append(f"{item['question'][:70]!r} score={result.best_score:.1f} "
                               f"coverage={result.coverage:.2f} top={result.nearest[0].url}")
        else:
            refused += 1
    return Measurement(hits / len(evaluation["answerable"]), refused / len(evaluation["out_of_scope"]),
                       misses, not_refused)
