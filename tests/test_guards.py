"""The loop guard and the faithfulness marks (by whole tokens), fed answers the way a model
streams them (a few characters at a time), alone and composed with the hint leak guard in one
chain. The sentence filter has its own tests (tests/test_sentence_filter.py)."""
from __future__ import annotations

from kit.tutor.guards import GuardChain
from kit.tutor.guards.faithfulness import FaithfulnessGuard, pieces
from kit.tutor.guards.leak import LeakGuard
from kit.tutor.guards.loops import LoopGuard
from tests.scripted import released

SOURCE = ("Open a terminal and type python -m venv .venv to make the environment. "
          "Then run flask --app app run --debug and open http://127.0.0.1:5000.")


def streamed(guard, answer: str, size: int = 4) -> tuple[str, list[str]]:
    """(everything released, the pieces released) for `answer` fed in chunks."""
    pieces = released(guard, answer, size)
    return "".join(pieces), pieces


def test_a_repeated_sentence_is_cut_before_the_repeat_is_shown():
    answer = ("The server is still listening on port 5000. Press Ctrl+C in the other window. "
              "The server is still listening on port 5000. The server is still listening on port 5000.")
    shown, _ = streamed(LoopGuard(), answer)
    assert shown.rstrip() == "The server is still listening on port 5000. Press Ctrl+C in the other window."


def test_a_repeated_code_line_is_cut():
    answer = "Use this:\n    with open('add_book.html', 'w')\n    with open('add_book.html', 'w')\n    with open("
    guard = LoopGuard()
    shown, _ = streamed(guard, answer)
    assert guard.looped
    assert shown.count("with open('add_book.html', 'w')") == 1


def test_a_long_run_of_words_said_twice_is_a_loop_even_without_sentence_ends():
    run = "the answer is a list of books and the list is the answer "
    guard = LoopGuard()
    shown, _ = streamed(guard, "So " + run + run + run)
    assert guard.looped and shown.strip() == ("So " + run).strip()


def test_repeating_the_quote_the_learner_just_read_is_a_loop():
    quote = "You must activate the environment again every time you open a new terminal."
    guard = LoopGuard(already_said=[quote])
    shown, _ = streamed(guard, "In short: you must activate the environment again every time you "
                               "open a new terminal. It is quick.")
    assert guard.looped and shown.rstrip() == "In short:"


def test_an_answer_that_does_not_repeat_itself_streams_through_whole_and_early():
    answer = "A virtual environment keeps this project's packages apart. Activate it in each new terminal."
    guard = LoopGuard()
    shown, released = streamed(guard, answer)
    assert shown == answer and not guard.looped
    early = "".join(released[:len(released) // 2])
    assert len(early) > len(answer) // 4, "new words should not wait for the end of the answer"


def test_code_the_material_does_not_have_is_marked_and_counted():
    guard = FaithfulnessGuard(SOURCE, "how do I start flask?")
    shown, _ = streamed(guard, "Type flask --app app run --debug, or call app.run_extra(fast=True) "
                               "from create_route_to_home.py today.")
    marked = [text for text, unsupported in pieces(shown) if unsupported]
    assert marked == ["app.run_extra(fast=True)", "create_route_to_home.py"]
    assert "".join(text for text, _ in pieces(shown)).startswith("Type flask --app app run --debug,")
    assert guard.unsupported == ["app.run_extra(fast=True)", "create_route_to_home.py"]
    assert 0 < guard.share() < 1


def test_prose_and_names_from_the_question_are_not_marked():
    guard = FaithfulnessGuard(SOURCE, "my file is called main_app.py")
    shown, _ = streamed(guard, "Rename main_app.py, then type python -m venv .venv again. Done.")
    assert all(not unsupported for _text, unsupported in pieces(shown))
    assert guard.unsupported == []


def test_every_word_of_an_invented_code_block_is_checked():
    guard = FaithfulnessGuard(SOURCE)
    shown, _ = streamed(guard, "```\nimport curl\n```\n")
    assert "curl" in guard.unsupported


def test_the_chain_stops_on_a_loop_and_still_marks_what_it_shows():
    chain = GuardChain(LoopGuard(), None, FaithfulnessGuard(SOURCE))
    answer = ("Call start_server_now() first. The server is still listening on port 5000. "
              "The server is still listening on port 5000.")
    shown, _ = streamed(chain, answer)
    assert chain.stopped
    assert [t for t, unsupported in pieces(shown) if unsupported] == ["start_server_now()"]
    assert "".join(t for t, _ in pieces(shown)).count("still listening") == 1


def test_the_chain_keeps_the_leak_guard_s_promise():
    solution = 'title = request.form.get("title", "").strip()\nif not title:\n    errors.append("Title?")'
    chain = GuardChain(LoopGuard(), LeakGuard([solution]), FaithfulnessGuard(SOURCE, solution))
    shown, _ = streamed(chain, "Here it is:\n" + solution + "\nGood luck.")
    assert chain.stopped
    assert 'request.form.get("title", "").strip()' not in shown


def test_a_line_the_quotes_share_is_not_the_model_repeating_itself():
    line = 'count = conn.execute("SELECT COUNT(*) FROM books").fetchone()[0]'
    guard = LoopGuard(already_said=[line, "Reading rows back:", line])
    shown, _ = streamed(guard, "fetchone returns one row, fetchall a list of all rows.")
    assert shown == "fetchone returns one row, fetchall a list of all rows." and not guard.looped


def test_a_command_is_supported_only_by_whole_tokens_not_inside_a_longer_one():
    guard = FaithfulnessGuard("Type python manage.py addsuperuser to make the admin account.")
    shown, _ = streamed(guard, "Run sudo_adduser -u or python manage.py addsuperuser, not manage.p.")
    assert [t for t, unsupported in pieces(shown) if unsupported] == ["sudo_adduser", "-u", "manage.p."]


def test_what_the_loop_guard_cut_is_kept_for_the_teacher():
    guard = LoopGuard()
    sentence = "The server is still listening on port 5000."
    shown, _ = streamed(guard, f"{sentence} {sentence} {sentence}")
    assert guard.looped and shown.strip() == guard.repeated == sentence
