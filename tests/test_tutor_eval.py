"""The tutor measured on the eval set (tests/eval/questions.toml), over the bundled library.

Retrieval: hit@3 on the answerable questions, scored on the sources the tutor SHOWS the learner
(its `sources` event), and the refusal rate on the out-of-scope ones, measured by
tests/eval/measure.py (the same function bench/calibrate_grounding.py uses to pick the
thresholds). Hint mode: every [[hint]] question asked of the REAL SmolLM2-135M (seeded, with the
kit's own answer length, as the kit runs it), each from its chapter page and with what the
learner tried; the text the learner receives must never contain the exercise's solution. That is
judged here by a criterion of this test's own, not by the kit's leak guard.
"""
from __future__ import annotations

import difflib
import inspect

import pytest

from tests.engine_state import SHARED_ENGINE_DIR
from kit.library.index_db import ReaderPool, connect
from kit.library.indexer import build_index
from kit.library.stored_html import unpack_text
from kit.settings import load_settings
from kit.tutor.answering import Tutor, engine_chooser
from kit.tutor.question_checks import parse_question
from tests.eval.measure import load_eval, measure, page_context

# The kit answers with the Tutor's default length (kit/app.py does not pass one).
KIT_ANSWER_TOKENS = inspect.signature(Tutor).parameters["answer_tokens"].default
HIT_AT_3_FLOOR = 0.82        # measured 0.854 on shown sources (0.817 before issue 20's retrieval)
MEANINGFUL_LINE = 12         # non-space characters: shorter solution lines are too generic to count
LONG_COPY = 40               # characters copied from a solution in one piece


@pytest.fixture(scope="module")
def settings(bundled_content, tmp_path_factory):
    settings = load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR,
                          content_dirs=(bundled_content,), engine="embedded",
                             data_dir=tmp_path_factory.mktemp("eval-data"))
    build_index(settings)
    return settings


@pytest.fixture(scope="module")
def evaluation() -> dict:
    return load_eval()


@pytest.fixture(scope="module")
def measurement(settings, evaluation):
    conn = connect(settings.index_path, readonly=True)
    try:
        return measure(conn, evaluation)
    finally:
        conn.close()


def test_the_eval_set_is_as_large_as_the_issue_asks(evaluation):
    assert len(evaluation["answerable"]) >= 40
    assert len(evaluation["out_of_scope"]) >= 10
    assert len(evaluation["hint"]) >= 10


def test_out_of_scope_questions_are_refused(measurement):
    assert measurement.refusal_rate >= 0.9, \
        "answered instead of refused:\n" + "\n".join(measurement.not_refused)


def test_retrieval_hit_at_3_stays_above_its_floor(measurement):
    """A regression floor a little under today's level; the issue's target is the xfail below."""
    print(f"\nhit@3 on the sources shown to the learner: {measurement.hit_at_3:.3f} "
          f"(floor {HIT_AT_3_FLOOR})")
    assert measurement.hit_at_3 >= HIT_AT_3_FLOOR, "misses:\n" + "\n".join(measurement.misses)


@pytest.mark.xfail(strict=True, reason="lexical retrieval plateaus at ~0.8 on the shown sources: "
                   "misses are vocabulary mismatches and right passages ranked below a first one "
                   "that fills the prompt (see bench/calibrate_grounding.py --show-misses)")
def test_retrieval_reaches_the_issues_target_hit_at_3(measurement):
    assert measurement.hit_at_3 >= 0.9


# ---------------------------------------------------------------------------------------------
# Hint mode with the real model

@pytest.fixture(scope="module")
def solutions(settings) -> dict[str, str]:
    conn = connect(settings.index_path, readonly=True)
    try:
        return {f"#{anchor}": solution for anchor, solution in conn.execute(
            "SELECT anchor, solution FROM exercises")}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def taught(settings) -> list[str]:
    """The library's teaching text (every passage but the exercises, whose solutions are not in
    the passages), whitespace-normalised: repeating a line the chapter itself shows gives
    nothing away."""
    conn = connect(settings.index_path, readonly=True)
    try:
        return [normalised(unpack_text(text)) for (text,) in conn.execute(
            "SELECT text FROM passages WHERE anchor NOT LIKE 'ex-%'")]
    finally:
        conn.close()


def normalised(text: str) -> str:
    return " ".join(text.split())


def solution_copied(answer: str, solution: str, taught: list[str]) -> list[str]:
    """What of `solution` the answer hands over: each solution line of meaningful length that
    the library does not already teach elsewhere, found in the answer (whitespace ignored), and
    any piece of LONG_COPY or more characters the answer shares with the solution that is not
    taught text either. Independent of kit/tutor/guards/leak.py, which it checks."""
    said, solution_text = normalised(answer), normalised(solution)

    def is_taught(piece: str) -> bool:
        return any(piece in passage for passage in taught)

    copied = [line for line in map(normalised, solution.splitlines())
              if len(line.replace(" ", "")) >= MEANINGFUL_LINE and line in said and not is_taught(line)]
    matcher = difflib.SequenceMatcher(None, said, solution_text, autojunk=False)
    for block in matcher.get_matching_blocks():
        piece = said[block.a:block.a + block.size]
        if block.size >= LONG_COPY and piece not in copied and not is_taught(piece.strip()):
            copied.append(piece)
    return copied


def test_the_leak_criterion_catches_a_solution_pasted_into_an_answer(solutions, taught):
    """The check below can fail: every exercise's solution, re-wrapped inside a chatty answer,
    is caught."""
    missed = [anchor for anchor, solution in solutions.items()
              if not solution_copied(f"Sure! Here it is:\n  {solution.replace(chr(10), chr(10) + '   ')}\nGood luck.",
                                     solution, taught)]
    assert solutions and missed == []


@pytest.fixture(scope="module")
def hint_answers(settings, evaluation) -> list[tuple[dict, str, dict]]:
    """(eval item, the text the learner received, the done event) for every [[hint]] question."""
    tutor = Tutor(ReaderPool(settings.index_path), engine_chooser(settings))   # the kit's own answer length
    assert tutor.answer_tokens == KIT_ANSWER_TOKENS
    answers = []
    for item in evaluation["hint"]:
        question = parse_question({"question": item["question"], "mode": item["mode"],
                                   "tried": item["tried"], "context": page_context(item["page"])})
        events = list(tutor.answer(question))
        # everything the learner is shown: the kit's quotes as well as the model's words
        received = "\n".join(data["text"] for name, data in events if name in ("quote", "token"))
        answers.append((item, received, events[-1][1] if events[-1][0] == "done" else {}))
    return answers


def test_every_hint_question_is_answered_by_the_model(hint_answers):
    """Otherwise the leak test below would pass without the model saying anything."""
    unanswered = [item["exercise"] for item, _text, done in hint_answers
                  if not (done.get("grounded") and done.get("engine") == "embedded" and done.get("tokens"))]
    assert unanswered == []


def test_hint_mode_never_hands_over_a_solution(hint_answers, solutions, taught):
    leaks = {item["exercise"]: copied for item, received, _done in hint_answers
             if (copied := solution_copied(received, solutions[item["exercise"]], taught))}
    trimmed = [item["exercise"] for item, _received, done in hint_answers if done.get("trimmed")]
    tokens = [done.get("tokens", 0) for _item, _received, done in hint_answers]
    print(f"\nhint mode, real SmolLM2 (seed 42, {KIT_ANSWER_TOKENS} tokens, up to {max(tokens)} "
          f"used): {len(hint_answers)} answers, {len(leaks)} with solution lines or "
          f">= {LONG_COPY}-character pieces of the solution, {len(trimmed)} trimmed by the guard "
          f"{trimmed or ''}")
    assert leaks == {}
