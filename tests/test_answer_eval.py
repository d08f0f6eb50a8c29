"""What the learner sees of the tutor's answers, measured on the eval set with the REAL
SmolLM2-135M (seeded, the kit's own answer length and guards): tests/eval/answers.py asks every
answerable question that lists `facts` and scores the quotes and the tutor's words with its own
criteria (not the kit's guards). The numbers are printed; the floors sit under the measured
values with a margin, so a regression fails.
"""
from __future__ import annotations

import pytest

from kit.library.indexer import build_index
from kit.settings import load_settings
from tests.engine_state import SHARED_ENGINE_DIR
from tests.eval.answers import ask_all, score

FACTS_FLOOR = 0.75            # measured 0.806 (29 of 36 facts)
IN_SCOPE_REFUSALS_CEILING = 0.05   # measured 0.032: one question the retriever judges uncovered


@pytest.fixture(scope="module")
def scores(bundled_content, tmp_path_factory):
    settings = load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR, content_dirs=(bundled_content,),
                             engine="embedded", data_dir=tmp_path_factory.mktemp("answer-eval"))
    build_index(settings)
    shown = ask_all(settings)
    result = score(shown)
    print(f"\n{len(shown)} answers, real SmolLM2: {result.report()}\n" + "\n".join(result.details))
    return result


def test_answers_state_the_facts_of_the_material(scores):
    assert scores.facts_stated >= FACTS_FLOOR


def test_answers_reach_the_issues_target_for_facts(scores):
    assert scores.facts_stated >= 0.8


def test_no_answer_loops(scores):
    assert scores.loops == 0


def test_no_answer_shows_unsupported_code_unmarked(scores):
    assert scores.unmarked_unsupported_answers == 0


def test_in_scope_questions_are_rarely_refused(scores):
    assert scores.in_scope_refusals <= IN_SCOPE_REFUSALS_CEILING
