"""The quotes that open an answer, chosen over the bundled library (no model involved): word for
word from a passage, linked to it, and per mode — Hint never quotes code, an exercise or a
solution; Debug quotes the tutorial step's fix, not the learner's own error back."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from kit.library.index_db import connect

from kit.library.indexer import build_index
from kit.library.stored_html import unpack_text
from kit.settings import load_settings
from kit.tutor.answering import Question, quotes_for, related_solutions, retrieve_for
from kit.tutor.question_checks import parse_question
from kit.tutor.quoting import MAX_QUOTE_CHARS, choose_quotes, is_code_to_type, typed_phrases, units
from tests.engine_state import SHARED_ENGINE_DIR
from tests.eval.measure import load_eval, page_context
from tests.eval.quotes import quoted_facts


@pytest.fixture(scope="module")
def conn(bundled_content, tmp_path_factory):
    settings = load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR, content_dirs=(bundled_content,),
                             data_dir=tmp_path_factory.mktemp("quote-data"))
    build_index(settings)
    connection = connect(settings.index_path, readonly=True)
    yield connection
    connection.close()


def quoted(conn, question: Question):
    retrieval = retrieve_for(conn, question)
    solutions = related_solutions(conn, question, retrieval) if question.mode == "hint" else []
    return retrieval, quotes_for(conn, question, retrieval, solutions)


def passage_texts(conn, url: str) -> list[str]:
    pack_doc, _, anchor = url.removeprefix("/p/").partition("#")
    pack, _, slug = pack_doc.partition("/")
    return [unpack_text(text) for (text,) in conn.execute(
        "SELECT p.text FROM passages p JOIN documents d ON d.id = p.doc_id "
        "WHERE d.pack = ? AND d.slug = ? AND p.anchor = ?", (pack, slug, anchor))]


# Questions here are not the eval's (tests/eval/questions.toml): a unit test that restates an
# eval item only repeats what the chooser was tuned on.

def test_a_quote_is_word_for_word_from_the_passage_it_links_to(conn):
    _, quotes = quoted(conn, Question("which folder do the html files for render_template go in"))
    assert quotes
    for quote in quotes:
        assert any(quote.text in text for text in passage_texts(conn, quote.url)), quote


def test_an_uncovered_question_gets_no_quote(conn):
    retrieval, quotes = quoted(conn, Question("How do I bake a chocolate cake?"))
    assert not retrieval.grounded and quotes == []


def test_debug_quotes_the_fix_not_the_learner_s_error():
    step = passage("If the page says NameError: name 'render_template' is not defined, the import is "
                   "missing. Add it to the first line:\n\nfrom flask import Flask, render_template\n\n"
                   "Save the file and reload the page.", "s-fix")
    quotes = choose_quotes([step], {"render_template": 3.0, "defined": 1.0}, "debug",
                           asked="NameError: name 'render_template' is not defined",
                           error=("NameError", "name 'render_template' is not defined"))
    assert any(q.text == "from flask import Flask, render_template" for q in quotes), quotes
    assert not any("NameError" in q.text for q in quotes), quotes


@pytest.mark.parametrize("item", load_eval()["hint"], ids=lambda item: item["exercise"])
def test_hint_quotes_are_chapter_prose_and_never_a_solution_line(conn, item):
    question = parse_question({"question": item["question"], "mode": "hint", "tried": item["tried"],
                               "context": page_context(item["page"])})
    _, quotes = quoted(conn, question)
    solution, = [s for (s,) in conn.execute("SELECT solution FROM exercises WHERE anchor = ?",
                                            (item["exercise"].lstrip("#"),))]
    lines = [" ".join(line.split()) for line in solution.splitlines() if len(line.strip()) >= 12]
    assert quotes, "a hint quotes the chapter's prose"
    for quote in quotes:
        assert not quote.code and "#ex-" not in quote.url, quote
        assert not any(line in " ".join(quote.text.split()) for line in lines), quote


QUOTED_FACTS_FLOORS = {"A": 0.89, "B": 0.52}   # measured 19/19 = 1.0 and 10/17 = 0.588


def test_the_quotes_alone_state_the_facts_on_both_halves_of_the_eval(conn):
    """The chooser without the model (tests/eval/quotes.py): a change that loses a fact on
    either half fails here in seconds, before the real-model eval."""
    halves, misses = quoted_facts(conn)
    print("\n".join(misses))
    for name, half in halves.items():
        assert half.share >= QUOTED_FACTS_FLOORS[name], (name, half, misses)


# The chooser's habits, on passages written here (no index): each test fails if its habit goes.

def passage(text: str, anchor: str = "s-one"):
    return SimpleNamespace(text=text, url=f"/p/pack/doc#{anchor}", anchor=anchor, title="Doc",
                           heading="Section", speaker="")


def test_a_one_line_command_is_code_and_a_sentence_leading_to_it_is_prose():
    found = units("Make the environment with this command:\n\npython -m venv .venv\n\n"
                  "It makes a folder. This folder holds Python.\n\n<h1>{{ title }}</h1>")
    assert [(u.text, u.code) for u in found] == [
        ("Make the environment with this command:", False),
        ("python -m venv .venv", True),
        ("It makes a folder. This folder holds Python.", False),   # "This…" goes on with "It…"
        ("<h1>{{ title }}</h1>", True)]


def test_code_to_type_is_told_from_a_listing_or_output():
    assert is_code_to_type("python -m pip install --no-index --find-links wheels flask")
    assert is_code_to_type("total = price * count\nprint(total)")
    assert not is_code_to_type("blinker-1.9.0-py3-none-any.whl\nflask-3.1.3-py3-none-any.whl")
    assert not is_code_to_type("Successfully installed flask-3.1.3 werkzeug-3.1.9")


def test_the_commands_a_learner_typed_are_phrases():
    assert typed_phrases("what does python -m pydoc -b do") == ["python -m pydoc -b"]
    assert typed_phrases("how do i use request.form in flask?") == ["request.form"]
    assert typed_phrases("why is my loop slow") == []


def test_a_how_question_quotes_the_command_not_the_files_listed():
    filler = ("Each name says the version and the Pythons it suits. Leave the files as they are, because "
              "pip reads the names to choose among them, and a renamed file is never found again. ") * 3
    steps = passage("Look inside the folder:\n\nwidget-2.0-py3-none-any.whl\ngadget-1.1-py3-none-any.whl\n\n"
                    f"{filler.strip()}\n\nWith your environment active, install it:\n\n"
                    "python -m pip install --no-index --find-links wheels widget")
    quotes = choose_quotes([steps], {"install": 1.0, "widget": 1.0, "whl": 1.5},
                           asked="how do i install widget from the whl files")
    assert quotes[0].text == "With your environment active, install it:", quotes
    assert quotes[1].code and "--find-links wheels widget" in quotes[1].text, quotes
    assert not any("gadget-1.1" in q.text for q in quotes), quotes


def test_what_a_named_command_does_is_quoted_with_it():
    text = ("Kofi: pydoc shows documentation in the terminal, with nothing to install. python -m pydoc "
            "json prints the json module's help, and python -m pydoc -k zip searches the one-line "
            "summaries of every installed module for a word you give it, handy when you do not know "
            "the name of the module you are looking for.\n\n"
            "My favourite is python -m pydoc -b. It starts a small server and opens your browser on "
            "an index of every module.")
    quotes = choose_quotes([passage(text)], {"python": 1.0, "pydoc": 2.0}, asked="what does python -m pydoc -b do")
    assert any("opens your browser" in q.text for q in quotes), quotes


def test_the_command_a_matching_paragraph_introduces_is_quoted_with_it():
    text = ("Now create a virtual environment. It is a private copy of Python. Packages you add to it "
            "stay in this project.\n\npython -m venv .venv\n\nThe folder .venv appears.")
    quotes = choose_quotes([passage(text)], {"virtual": 2.0, "environment": 1.5},
                           asked="what is a virtual environment and why do i need one")
    assert any(q.text == "python -m venv .venv" for q in quotes), quotes


# Code names in one word what a learner says in several, and its passage ranks low (issue 20.2).

def test_a_question_word_is_a_whole_part_of_a_code_name():
    step = passage("Add the gate to the app:\n\napp.add_middleware(CORSGate, origins=ORIGINS)")
    quotes = choose_quotes([step], {"cors": 3.0}, asked="how do i allow cors")
    assert [q.text for q in quotes if q.code] == ["app.add_middleware(CORSGate, origins=ORIGINS)"]


def test_a_long_question_word_is_not_matched_by_the_start_of_a_code_name_s_part():
    step = passage("Show the page:\n\nreturn render_template(\"page.html\")")
    assert choose_quotes([step], {"templatenotfound": 3.0}, "debug", asked="TemplateNotFound: page.html") == []


def test_a_how_question_asked_after_what_happened_prefers_the_code():
    prose = passage("When a shelf grows past a hundred books the page gets slow, and the shelf view "
                    "waits for every book before it shows the first.", "s-prose")
    code = passage("Split the shelf in pages:\n\nshelf = paginate(books, per_page=20)", "s-code")
    weights = {"shelf": 3.0, "slow": 0.4}
    asked = "my shelf page is slow, how do i fix it"
    assert choose_quotes([prose, code], weights, asked=asked)[0].url.endswith("#s-code")
    assert choose_quotes([prose, code], weights, asked="my shelf page is slow")[0].url.endswith("#s-prose")


BROWSER_PROSE = ("Your frontend runs on one port and the backend on another. The browser asks the backend "
                 "first, and a frontend on another port is blocked unless the backend says it is allowed.")
OTHER_PROSE = "A frontend on another port is an origin of its own, so each one must be named."
FILLER = "This page is about something else, written to fill the ranking."


def test_after_prose_a_how_question_s_second_quote_is_code_naming_a_word_the_prose_did_not():
    cors_code = passage("Add the middleware with the allowed origins:\n\n"
                        "app.add_middleware(CrossOriginMiddleware, allow_origins=[\"http://localhost:8080\"])",
                        "s-code")
    ranked = [passage(BROWSER_PROSE, "s-0"), passage(OTHER_PROSE, "s-1"),
              *(passage(FILLER, f"s-{n}") for n in range(2, 5)), cors_code]
    weights = {"frontend": 4.0, "port": 3.5, "blocked": 3.0, "origin": 3.0, "cross": 4.0}
    quotes = choose_quotes(ranked, weights, asked="my frontend on another port is blocked by cross origin rules, "
                                                  "how do i allow it")
    assert quotes[0].url.endswith("#s-0") and not quotes[0].code, quotes
    assert any(q.code and "CrossOriginMiddleware" in q.text for q in quotes), quotes


def test_code_that_names_only_what_the_prose_quoted_leaves_the_second_quote_to_the_better_match():
    echo_code = passage("The view for it:\n\nport = frontend_port()", "s-code")
    ranked = [passage(BROWSER_PROSE, "s-0"), passage(OTHER_PROSE, "s-1"),
              *(passage(FILLER, f"s-{n}") for n in range(2, 5)), echo_code]
    weights = {"frontend": 4.0, "port": 3.5, "blocked": 3.0, "origin": 3.0}
    quotes = choose_quotes(ranked, weights, asked="my frontend on another port is blocked, how do i name its origin")
    assert any(q.url.endswith("#s-1") for q in quotes), quotes
    assert not any(q.code for q in quotes), quotes


# Quotes are read first, on a phone too: at most MAX_QUOTE_CHARS in all.

LONG_SENTENCE = ("The shelf keeps every book you add, " + "with its title, its author and the date you read it, " * 12
                 + "so the list grows.")
SHORT_SENTENCE = "The shelf lists the books you add, newest first."


def test_a_second_quote_that_would_overflow_the_room_is_left_out():
    first = passage(SHORT_SENTENCE + " " + "A book you add to the shelf stays there until you remove it. " * 4, "s-0")
    quotes = choose_quotes([first, passage(LONG_SENTENCE, "s-1")], {"shelf": 3.0, "author": 2.0},
                           asked="what does the shelf keep")
    assert len(LONG_SENTENCE) > MAX_QUOTE_CHARS - sum(len(q.text) for q in quotes if q.url.endswith("#s-0"))
    assert not any(q.url.endswith("#s-1") for q in quotes), quotes
    assert sum(len(q.text) for q in quotes) <= MAX_QUOTE_CHARS


def test_a_run_that_fits_wins_over_one_that_overflows_and_an_overflowing_one_is_better_than_none():
    quotes = choose_quotes([passage(LONG_SENTENCE, "s-0"), passage(SHORT_SENTENCE, "s-1")], {"shelf": 3.0},
                           asked="what does the shelf keep")
    assert quotes[0].url.endswith("#s-1") and sum(len(q.text) for q in quotes) <= MAX_QUOTE_CHARS, quotes
    alone = choose_quotes([passage(LONG_SENTENCE, "s-0")], {"shelf": 3.0}, asked="what does the shelf keep")
    assert [q.text for q in alone] == [LONG_SENTENCE]


TIE = """
from types import SimpleNamespace
from kit.tutor.quoting import choose_quotes
text = ("Knots hold the rope. " + "Rope is sold by the metre in the shop. " * 10
        + "\\n\\nAlder, birch and cedar burn well.")
p = SimpleNamespace(text=text, url="/p/pack/doc#s", anchor="s", title="Doc", heading="", speaker="")
weights = {"knots": 0.6, "alder": 0.1, "birch": 0.2, "cedar": 0.3}
print(choose_quotes([p], weights, asked="knots alder birch cedar")[0].text)
"""


def test_two_runs_worth_the_same_are_chosen_alike_in_every_process():
    """A window's worth is a sum over a set of words, whose order changes with PYTHONHASHSEED:
    0.1 + 0.2 + 0.3 is 0.6000000000000001 in one order and 0.6 in another, and the tie broke
    differently from one process to the next (the published eval's '--port' came and went)."""
    import subprocess
    import sys
    firsts = {subprocess.run([sys.executable, "-c", TIE], capture_output=True, text=True, check=True,
                             env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout for seed in range(6)}
    assert firsts == {"Knots hold the rope.\n"}, firsts
