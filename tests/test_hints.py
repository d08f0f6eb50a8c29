"""Hint mode's promise, on the workshop's real exercise solutions (the `exercises` table of the
bundled library's index): an answer is cut before it gives a solution away, and an answer that
only points the way reaches the learner whole.

The last tests drive Tutor.answer with a scripted engine that does leak — a real subclass of
`Engine` whose stream types the solution out word by word — because no honest test can make
the real small model leak on cue, and the guard must be shown trimming a model that does.
"""
from __future__ import annotations


import pytest

from tests.scripted import ScriptedEngine
from kit.tutor.guards.leak import LeakGuard, leak_position
from kit.library.index_db import ReaderPool, connect
from kit.tutor.answering import LEAK_NOTE, Question, Tutor

CHAPTERS = "/p/first-web-app/flask-workshop"


@pytest.fixture(scope="module")
def solutions(index_path) -> dict[str, str]:
    """anchor -> solution text, for every exercise in the bundled workshop."""
    conn = connect(index_path, readonly=True)
    try:
        return {anchor: solution for anchor, solution in conn.execute(
            "SELECT anchor, solution FROM exercises ORDER BY id")}
    finally:
        conn.close()


def stream_through(guard: LeakGuard, answer: str, size: int = 5) -> str:
    """What the learner receives when `answer` arrives in chunks of `size` characters."""
    received = "".join(guard.feed(answer[i:i + size]) for i in range(0, len(answer), size))
    return received + guard.finish()


def test_the_bundled_workshop_has_exercises_with_solutions(solutions):
    assert len(solutions) >= 15
    assert all(text.strip() for text in solutions.values())


def test_every_full_solution_is_cut_where_it_starts(solutions):
    """Streamed in 5-character chunks, each solution is recognised as a leak, and the learner
    gets only the text before its first identifying line — none of the solution itself."""
    not_cut = {}
    for anchor, solution in solutions.items():
        guard = LeakGuard([solution])
        received = stream_through(guard, solution)
        start = leak_position(solution, solution)
        if not guard.leaked or start is None or received != solution[:start]:
            not_cut[anchor] = (guard.leaked, start, len(received))
    assert not_cut == {}, "anchor: (leaked, leak starts at, characters released)"


def test_the_guiding_words_before_a_leak_still_reach_the_learner(solutions):
    solution = solutions["ex-next-book"]
    intro = ("Good idea to check the next book first. What does find_book give back for a book "
             "that does not exist? Here is one way to write it:\n\n")
    guard = LeakGuard([solution])
    received = stream_through(guard, intro + solution)
    assert guard.leaked
    assert received == intro


def test_one_line_of_a_multi_line_solution_is_not_a_leak(solutions):
    solution = solutions["ex-next-book"]
    assert solution.count("\n") >= 5
    answer = ("Look at the line `if find_book(book_id + 1) is not None:` in your head first: "
              "what does find_book return for /books/3? Put the link inside that if, and try it "
              "on the last book.")
    assert leak_position(answer, solution) is None
    guard = LeakGuard([solution])
    assert stream_through(guard, answer) == answer
    assert not guard.leaked


def test_guiding_questions_are_not_a_leak(solutions):
    solution = solutions["ex-search-with-sql"]
    answer = ("What does LIKE compare your text with: the whole title, or a part of it? Which "
              "signs tell SQL that anything may come before or after the word? Try printing the "
              "value you pass to the placeholder, then search for hob again.")
    guard = LeakGuard([solution])
    assert stream_through(guard, answer) == answer
    assert not guard.leaked


def test_a_prose_solution_repeated_word_for_word_is_cut(solutions):
    """The deactivate exercise is answered in sentences, not code."""
    solution = solutions["ex-prove-the-environment-matters"]
    hint = "You are close. "
    guard = LeakGuard([solution])
    received = stream_through(guard, hint + solution)
    assert guard.leaked and received == hint


def test_a_prose_solution_retold_in_other_words_is_not_a_leak(solutions):
    solution = solutions["ex-prove-the-environment-matters"]
    answer = ("Think about which Python runs after you type deactivate. Does that Python have "
              "Flask installed? Read the last line of the red error: what package does it name?")
    guard = LeakGuard([solution])
    assert stream_through(guard, answer) == answer
    assert not guard.leaked


def test_a_solution_without_any_code_is_caught_by_its_wording(solutions):
    """The explanation closing the SQL search solution has no code characters at all, so it is
    matched by runs of six words rather than by lines."""
    prose = solutions["ex-search-with-sql"].splitlines()[-1]
    assert not set("()=:[]{}<>") & set(prose) and len(prose.split()) > 30
    guard = LeakGuard([prose])
    received = stream_through(guard, "Here is what happens. " + prose)
    assert guard.leaked and received == "Here is what happens. "
    assert leak_position("LIKE ignores case for English letters, so try hob.", prose) is None


def test_the_held_back_tail_is_released_by_finish_when_nothing_leaks(solutions):
    answer = ("Start from the route you already have for one book. " * 8).strip()
    guard = LeakGuard(list(solutions.values()))
    streamed = "".join(guard.feed(answer[i:i + 5]) for i in range(0, len(answer), 5))
    assert len(streamed) < len(answer), "the guard should hold some text back while streaming"
    assert streamed + guard.finish() == answer
    assert not guard.leaked


# ---------------------------------------------------------------------------------------------
# Through the tutor, with an engine that leaks

HINT = Question("next book link shows up on the last book too, how do i hide it", "hint",
                tried="I add the link with url_for and book_id + 1 but /books/3 links to a 404",
                context={"pack": "first-web-app", "doc": "flask-workshop/03-routes-and-variables"})


@pytest.fixture
def leaky_answer(index_path, solutions):
    """(events, engine, solution): the tutor's hint-mode events over a model that opens with a
    question and then types out the whole next-book solution."""
    solution = solutions["ex-next-book"]
    # the guiding question is one the shown material supports (the exercise's own words): the
    # sentence filter drops one that names what the material does not have
    engine = ScriptedEngine("Does the book with the next id exist? Here it is:\n" + solution)
    tutor = Tutor(ReaderPool(index_path), lambda: (engine, "scripted"), answer_tokens=2000)
    return list(tutor.answer(HINT)), engine, solution


def streamed_text(events) -> str:
    return "".join(data["text"] for name, data in events if name == "token")


def test_hint_mode_trims_a_model_that_types_out_the_solution(leaky_answer):
    events, _engine, solution = leaky_answer
    text = streamed_text(events)
    assert text.startswith("Does the book with the next id exist?")
    assert leak_position(text, solution) is None
    assert not any(line.strip() in text for line in solution.splitlines() if len(line.strip()) > 12)
    assert text.endswith(LEAK_NOTE)
    assert events[-1][0] == "done" and events[-1][1]["trimmed"] is True


def test_a_trimmed_hint_stops_the_model(leaky_answer):
    _events, engine, _solution = leaky_answer
    assert engine.stopped_early
    assert engine.produced < len(engine.words)


def test_a_trimmed_hint_still_reports_the_models_stats(leaky_answer):
    events, engine, _solution = leaky_answer
    done = events[-1][1]
    assert done["tokens"] == engine.produced
    assert done["ttft_ms"] is not None and done["ttft_ms"] >= 0
