"""The sentence filter: a sentence of the model reaches the learner only when the material
supports it. First rule by rule with our own small material (a made-up notes app tutorial),
fed the way a model streams; then through the real Tutor over the bundled workshop with a
scripted engine (what the learner sees when nothing survives)."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kit.library.index_db import ReaderPool, connect

from kit.tutor.answering import ONLY_QUOTES, Question, Tutor
from kit.tutor.guards import GuardChain
from kit.tutor.guards.faithfulness import KnownTokens
from kit.tutor.guards.loops import LoopGuard
from kit.tutor.guards.sentences import SentenceFilter, SentenceJudge
from tests.conftest import write_pack
from tests.scripted import ScriptedEngine
from tests.scripted import released as fed

QUESTION = "How do I make an admin account for my notes app?"
QUOTE = "(venv) ~/notes$ notes-admin addsuperuser --name ada"
SOURCE = ("Every notes app needs one admin account. In the terminal, type notes-admin addsuperuser "
          "--name ada and choose a password when asked. The admin account can delete any note. "
          "Then start the server with notes serve and open the admin page at port 8080.")


def judge() -> SentenceJudge:
    return SentenceJudge(QUESTION, [QUOTE], [SOURCE])


def judge_without_quotes() -> SentenceJudge:
    """The model had the sources and no quote was chosen: the sources are what the learner reads."""
    return SentenceJudge(QUESTION, [], [SOURCE])


def streamed(guard, answer: str, size: int = 3) -> list[str]:
    return fed(guard, answer, size)


# ---------------------------------------------------------------------------------------------
# Whole tokens, not substrings

def test_a_name_inside_a_longer_name_is_not_in_the_material():
    known = KnownTokens(SOURCE)
    assert "adduser" not in known and "superuser" not in known and "admin" in known
    assert "notes-admin addsuperuser" in known and "addsuperuser notes-admin" not in known


def test_a_command_that_is_only_a_substring_of_the_tutorial_s_command_is_dropped():
    reason = judge().reason("To make one, run the command: `sudo adduser`.")
    assert reason == "unsupported: sudo adduser"


def test_the_tutorial_s_own_command_after_its_prompt_is_kept():
    assert judge().reason("Type `notes-admin addsuperuser --name ada` in the terminal.") is None
    assert judge().reason("In the terminal, type notes-admin addsuperuser --name ada.") is None


def test_a_command_line_with_a_word_the_material_lacks_is_dropped_whatever_its_words_look_like():
    """'createuser' has no `_`, `.` or `(`: it is a plain word, but after a program's name it is
    a command a learner would type. The material's own command, and prose that starts with a
    capital 'Python', are not taken for invented commands."""
    material = ["(venv) ~/club$ python manage.py createsuperuser\nSuperuser created successfully."]
    said = SentenceJudge("How do I create a superuser?", material, material)
    for invented in ("> python manage.py createuser", "python manage.py createuser",
                     "> (venv) C:\\Users\\Ana\\club> python manage.py createuser",
                     "Then run `python manage.py createuser` in the terminal."):
        assert said.reason(invented).startswith("unsupported: python manage.py createuser"), invented
    assert said.reason("Run `python manage.py createsuperuser` to create a superuser.") is None
    assert not (said.reason("Python is a language.") or "").startswith("unsupported: Python")


def test_a_sentence_pointing_back_to_a_dropped_one_is_dropped_too():
    """'This will start…' after an invented command would read as being about the quote."""
    material = ["python manage.py runserver 8080 starts the development server on port 8080."]
    question = "how to run the development server on a different port"
    after_a_drop = SentenceFilter(SentenceJudge(question, material, material))
    shown = streamed(after_a_drop, "Use python manage.py runserver -v 8080. "
                                   "This will start the development server on port 8080. ")
    assert "".join(shown) == ""
    assert after_a_drop.dropped[-1] == {"text": "This will start the development server on port 8080.",
                                        "reason": "points back to a dropped sentence"}
    alone = SentenceFilter(SentenceJudge(question, material, material))
    assert "".join(streamed(alone, "This will start the development server on port 8080. ")).strip() == \
        "This will start the development server on port 8080."


def test_a_code_like_name_the_material_does_not_have_is_dropped():
    assert judge().reason("Call notes.make_admin() to create the admin account.") == \
        "unsupported: notes.make_admin()"


def test_a_number_the_material_does_not_have_is_dropped():
    assert judge_without_quotes().reason("The admin page is at port 8000.") == "unsupported: 8000"
    assert judge_without_quotes().reason("The admin page is at port 8080.") is None


def test_code_the_sources_have_but_the_quote_does_not_show_is_dropped():
    """A sentence under a quote reads as being about it: a name or number from another passage
    is true there and false here ('the negative sign in -created_at' under a quote about
    caching). With a quote, code must be in the quote (or the learner's words)."""
    assert judge().reason("The admin page is at port 8080.") == "unsupported: 8080"
    quote = "Caching keeps a page for a while, so the next visit does not build it again."
    other_page = "notes.order('-created_at') lists the newest note first: the sign reverses the order."
    under_a_quote = SentenceJudge("how do i show the newest notes first", [quote], [quote, other_page])
    assert under_a_quote.reason("The sign in '-created_at' lists the newest note first.") == \
        "unsupported: -created_at"
    quoting_it = SentenceJudge("how do i show the newest notes first", [other_page], [quote, other_page])
    assert quoting_it.reason("The sign in '-created_at' lists the newest note first.") is None


def test_a_code_block_is_kept_only_when_every_line_is_in_the_material():
    assert judge_without_quotes().reason("```\nnotes serve\n```") is None
    assert judge_without_quotes().reason("```\nnotes serve\nnotes reset --all\n```") == \
        "unsupported: notes reset --all"
    assert judge().reason("```\nnotes serve\n```") == "unsupported: notes serve"     # not in the quote


# ---------------------------------------------------------------------------------------------
# Filler and unsupported prose

@pytest.mark.parametrize("sentence", [
    "You've already done it.", "Great question!", "The answer is:", "I hope this helps.",
    "Try to avoid using short sentences.", "Let me know if you need anything else.",
])
def test_a_sentence_that_says_nothing_about_the_question_is_filler(sentence):
    assert judge().reason(sentence) == "filler"


def test_a_sentence_in_the_material_s_words_about_the_question_is_kept():
    assert judge().reason("The admin account can delete any note in the app.") is None


def test_a_sentence_whose_words_are_mostly_not_in_the_material_is_unsupported():
    reason = judge().reason("The admin account is stored in an encrypted cloud keychain backup.")
    assert reason.startswith("unsupported: ") and "encrypted" in reason and "cloud" in reason


# ---------------------------------------------------------------------------------------------
# Streaming: whole sentences, early; repeats stop the model

def test_sentences_are_released_whole_and_the_first_before_the_answer_ends():
    answer = ("Type `notes-admin addsuperuser --name ada` in the terminal. Great question! "
              "The admin account can delete any note.")
    guard = SentenceFilter(judge())
    released = streamed(guard, answer)
    shown = [piece for piece in released if piece]
    assert shown == ["Type `notes-admin addsuperuser --name ada` in the terminal. ",    # space and all
                     "The admin account can delete any note."]
    first_at = next(i for i, piece in enumerate(released) if piece)      # chunks of 3 characters
    assert 3 * first_at <= len(shown[0]) + 3, "the first sentence waits only for its own end"
    assert guard.dropped == [{"text": "Great question!", "reason": "filler"}]


def test_a_short_line_said_again_is_a_repeat_and_stops_the_model():
    guard = SentenceFilter(judge())
    answer = "The answer is:\nStart the server with notes serve.\nThe answer is:\nThe answer is:\nThe"
    released = streamed(guard, answer)
    assert "".join(released) == "Start the server with notes serve.\n"
    assert guard.stopped
    assert [d["reason"] for d in guard.dropped] == ["filler", "repeat"]


def test_a_line_that_introduces_something_is_shown_only_with_what_it_introduces():
    guard = SentenceFilter(judge_without_quotes())
    shown = "".join(streamed(guard, "Then start the notes server:\n```\nnotes serve\n```\n"))
    assert shown == "Then start the notes server:\n```\nnotes serve\n```\n"
    guard = SentenceFilter(judge_without_quotes())
    assert "".join(streamed(guard, "Then start the notes server:\n```\nsudo adduser\n```\n")) == ""
    assert [d["reason"] for d in guard.dropped] == ["filler", "unsupported: sudo adduser"]


def test_a_line_the_model_copies_from_the_quote_is_a_repeat():
    assert judge().reason("> notes-admin addsuperuser --name ada") == "repeat"


def test_a_sentence_that_says_the_same_words_twice_is_a_repeat():
    assert judge().reason("The admin account is an account, which is an admin account is an account.") == "repeat"


def test_code_the_learner_already_has_on_screen_is_a_repeat():
    judge_ = SentenceJudge("I get KeyError: 'name' from notes-admin addsuperuser", [QUOTE], [SOURCE])
    assert judge_.reason("```\nKeyError: 'name'\n```") == "repeat"


def test_a_numbered_step_is_one_sentence_with_its_number():
    guard = SentenceFilter(judge_without_quotes())
    assert "".join(streamed(guard, "1. Start the server with notes serve.\n2. Open the admin page at port 8080.")) == \
        "1. Start the server with notes serve.\n2. Open the admin page at port 8080."


def test_a_sentence_cut_off_by_the_token_cap_is_not_shown():
    guard = SentenceFilter(judge())
    released = streamed(guard, "Start the server with notes serve. The admin account can delete")
    assert "".join(released) == "Start the server with notes serve. "
    assert guard.dropped == [{"text": "The admin account can delete", "reason": "unfinished"}]


def test_the_filter_stops_the_model_after_the_sentences_the_prompt_asked_for():
    guard = SentenceFilter(judge(), max_kept=1)
    released = streamed(guard, "Start the server with notes serve. The admin account can delete any note. And more")
    assert "".join(released) == "Start the server with notes serve. " and guard.stopped


def test_three_sentences_dropped_in_a_row_stop_the_model():
    guard = SentenceFilter(judge())
    released = streamed(guard, "Great question! I hope this helps. You've already done it. "
                               "Start the server with notes serve. ")
    assert "".join(released) == "" and guard.stopped and len(guard.dropped) == 3


def test_in_the_chain_a_long_loop_is_still_cut_by_the_loop_guard():
    chain = GuardChain(LoopGuard(), SentenceFilter(judge(), max_kept=5))
    sentence = "The admin account can delete any note in the notes app."
    shown = "".join(streamed(chain, f"{sentence} {sentence} {sentence}"))
    assert shown.strip() == sentence and chain.stopped


# ---------------------------------------------------------------------------------------------
# Through the Tutor: never an empty box, and every dropped sentence recorded

def ask(index_path, answer: str, question: str = "How do I make a virtual environment?"):
    records = []
    tutor = Tutor(ReaderPool(index_path), lambda: (ScriptedEngine(answer), "scripted"),
                  lambda record, learner: records.append(record))
    return list(tutor.answer(Question(question))), records[0]


def test_when_nothing_the_model_said_survives_the_learner_sees_the_quotes_and_a_plain_line(index_path):
    events, record = ask(index_path, "Great question! You've already done it. Run `sudo mkvenv --fast`.")
    names = [name for name, _ in events]
    assert "quote" in names
    words = [data["text"] for name, data in events if name == "token"]
    assert words == [ONLY_QUOTES]
    done = events[-1][1]
    assert done["dropped"] == 3
    assert [d["reason"] for d in done["dropped_sentences"]] == ["filler", "filler", "unsupported: sudo mkvenv --fast"]
    assert record["dropped"] == done["dropped_sentences"] and record["answer"] == ONLY_QUOTES


# ---------------------------------------------------------------------------------------------
# The teacher's page lists what was held back, and why

@pytest.fixture
def club(library_dirs, make_settings, serve):
    from tests.test_classroom import CHAPTERS
    write_pack(library_dirs[0], "club", CHAPTERS, title="Coding club")
    return serve(make_settings())


def test_the_teacher_sees_the_sentences_learners_did_not_see_and_why(club):
    from tests.test_classroom import assert_escaped, join, learner_id, store_of, teacher
    join(club, "Ana")
    dropped = [{"text": "Run `sudo adduser`.", "reason": "unsupported: sudo adduser"},
               {"text": "<b>Great</b> question!", "reason": "filler"}]
    store_of(club).record_exchange({"question": "How do I add an admin?", "mode": "explain",
                                    "answer": ONLY_QUOTES, "grounded": True, "dropped": dropped},
                                   learner_id(club, "Ana"))
    store_of(club).record_exchange({"question": "And routes?", "mode": "explain", "answer": "A route.",
                                    "grounded": True, "dropped": []}, learner_id(club, "Ana"))
    page = teacher(club).get("/teacher/answers").text
    listed = page.split('id="dropped"')[1].split("</section>")[0]
    assert "How do I add an admin?" in listed and "And routes?" not in listed
    assert "Run `sudo adduser`." in listed and "(unsupported: sudo adduser)" in listed and "(filler)" in listed
    assert_escaped(listed, "<b>Great</b> question!")


# ---------------------------------------------------------------------------------------------
# Against the hand audit: a person labelled every sentence the real model wrote in 30+ answers
# (tests/eval/sentence_labels.toml: supported / filler / false), reading the quotes and sources.

LABELS = Path(__file__).parent / "eval" / "sentence_labels.toml"
# Measured: 2 of the 13 supported sentences shown (the others are true but not in the material,
# or put the material's words together in a way it does not); a floor, not a target.
SUPPORTED_KEPT_FLOOR = 2 / 13


def passage_texts(index_path, urls: list[str]) -> list[str]:
    """The text of the passages at these /p/<pack>/<slug>#<anchor> URLs, from the built index."""
    conn = connect(index_path, readonly=True)
    try:
        texts = []
        for url in urls:
            path, _, anchor = url.partition("#")
            pack, _, slug = path.removeprefix("/p/").partition("/")
            texts += [text for (text,) in conn.execute(
                "SELECT unpack_text(p.text) FROM passages p JOIN documents d ON d.id = p.doc_id "
                "WHERE d.pack = ? AND d.slug = ? AND p.anchor = ? ORDER BY p.seq", (pack, slug, anchor))]
        return texts
    finally:
        conn.close()


def shown_by_the_filter(answer: dict, sources: list[str]) -> list[bool]:
    """For each labelled sentence of one answer: is any of it shown? The answer is fed to the
    filter whole, a sentence a line, as the model streamed it (a code block the labels split
    into lines is one block to the filter)."""
    sentences = [s["text"] for s in answer["sentence"]]
    guard = SentenceFilter(SentenceJudge(f"{answer['question']}\n{answer.get('tried', '')}",
                                         answer["quotes"], sources))
    streamed(guard, "\n".join(sentences), size=5)
    lines = {line.strip() for kept in guard.kept for line in kept.splitlines()}   # a code block's lines
    return [any(kept in sentence for kept in guard.kept) or sentence.strip() in lines for sentence in sentences]


def test_the_filter_shows_no_false_sentence_little_filler_and_most_supported_ones(index_path):
    answers = tomllib.loads(LABELS.read_text(encoding="utf-8"))["answer"]
    counts = {label: [0, 0] for label in ("supported", "filler", "false")}    # [shown, all]
    false_shown = []
    for answer in answers:
        sources = passage_texts(index_path, answer["sources"])
        assert sources, f"no passage for {answer['sources']}: the labels need the bundled content"
        for sentence, shown in zip(answer["sentence"], shown_by_the_filter(answer, sources), strict=True):
            counts[sentence["label"]][0] += shown
            counts[sentence["label"]][1] += 1
            if shown and sentence["label"] == "false":
                false_shown.append((answer["question"], sentence["text"]))
    print({label: f"{shown}/{total} shown" for label, (shown, total) in counts.items()})
    assert len(answers) >= 30 and all(total for _, total in counts.values())
    assert false_shown == [], "false sentences shown"
    assert counts["filler"][0] <= 0.10 * counts["filler"][1]
    assert counts["supported"][0] >= SUPPORTED_KEPT_FLOOR * counts["supported"][1]
