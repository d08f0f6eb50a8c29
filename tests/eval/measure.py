"""Measuring the tutor's retriever on the eval set (tests/eval/questions.toml).

Used by tests/test_tutor_eval.py (which asserts the targets) and bench/calibrate_grounding.py
(which picks the grounding thresholds). A hit means: the retriever judged the question covered
AND one of its top three passages is one the question's author marked as answering it.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kit.tutor.retrieval import retrieve
from kit.tutor.answering import Question, retrieve_for

EVAL_FILE = Path(__file__).with_name("questions.toml")


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


def measure(conn, evaluation: dict, **thresholds) -> Measurement:
    hits, misses = 0, []
    for item in evaluation["answerable"]:
        question = Question(item["question"], item.get("mode", "explain"), item.get("tried", ""))
        result = retrieve_for(conn, question, **thresholds)
        top = [hit.url for hit in result.nearest[:3]]
        if result.grounded and any(url in item["expect"] for url in top):
            hits += 1
        else:
            misses.append(f"{item['question'][:70]!r} grounded={result.grounded} "
                          f"score={result.best_score:.1f} coverage={result.coverage:.2f} top={top}")
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
