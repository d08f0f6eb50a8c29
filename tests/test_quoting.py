"""The quotes that open an answer, chosen over the bundled library (no model involved): word for
word from a passage, linked to it, and per mode — Hint never quotes code, an exercise or a
solution; Debug quotes the tutorial step's fix, not the learner's own error back."""
from __future__ import annotations

import pytest

from kit.library.indexer import build_index, connect
from kit.library.stored_html import unpack_text
from kit.settings import load_settings
from kit.tutor.answering import Question, parse_question, quotes_for, related_solutions, retrieve_for
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


def test_a_quote_is_word_for_word_from_the_passage_it_links_to(conn):
    _, quotes = quoted(conn, Question("how do i install flask with no internet? the teacher gave "
                                      "us a usb stick with .whl files on it"))
    assert quotes
    for quote in quotes:
        assert any(quote.text in text for text in passage_texts(conn, quote.url)), quote


def test_the_quote_carries_the_key_fact_of_the_material(conn):
    _, quotes = quoted(conn, Question("how do i stop flask running so i can type in the terminal again"))
    assert any("Ctrl+C" in quote.text for quote in quotes), quotes


def test_an_uncovered_question_gets_no_quote(conn):
    retrieval, quotes = quoted(conn, Question("What is the capital of Peru?"))
    assert not retrieval.grounded and quotes == []


def test_debug_quotes_the_fix_not_the_learner_s_error(conn):
    question = Question("AssertionError: View function mapping is overwriting an existing endpoint "
                        "function: home", "debug", "I changed the path in @app.route to /about")
    _, quotes = quoted(conn, question)
    assert quotes
    assert not any("View function mapping is overwriting" in q.text for q in quotes)


@pytest.mark.parametrize("item", load_eval()["hint"], ids=lambda item: item["exercise"])
def test_hint_quotes_are_chapter_prose_and_never_a_solution_line(conn, item):
    question = parse_question({"question": item["question"], "mode": "hint", "tried": item["tried"],
                               "context": page_context(item["page"])})
    _, quotes = quoted(conn, question)
    solution, = [s for (s,) in conn.execute("SELECT solution FROM exercises WHERE anchor = ?",
                                            (item["exercise"].lstrip("#"),))]
    lines = [" ".join(line.split()) for line in solution.splitlines() if len(line.strip()) >= 12]
    for quote in quotes:
        assert not quote.code and "#ex-" not in quote.url, quote
        assert not any(line in " ".join(quote.text.split()) for line in lines), quote


QUOTED_FACTS_FLOORS = {"A": 0.78, "B": 0.47}   # measured 16/19 = 0.842 and 9/17 = 0.529


def test_the_quotes_alone_state_the_facts_on_both_halves_of_the_eval(conn):
    """The chooser without the model (tests/eval/quotes.py): a change that loses a fact on
    either half fails here in seconds, before the real-model eval."""
    halves, misses = quoted_facts(conn)
    print("\n".join(misses))
    for name, half in halves.items():
        assert half.share >= QUOTED_FACTS_FLOORS[name], (name, half, misses)
