"""What the kit's Python says to a learner or teacher when their input is refused — the question
checks, the class store's rules, the teacher's settings form, bad search and package addresses —
in their language, through the real app on waitress.

Each check finds the message by its English msgid in the French catalog and looks for that
French text (placeholders filled by anything) in what the browser got: a message not marked for
translation, one translated outside the request (English), or one missing from the catalog fails.
"""
from __future__ import annotations

import html
import json
import re
import threading

import pytest

from tests.conftest import write_pack
from tests.test_translations import CHAPTERS, browser, catalog, untranslated

FRENCH = catalog("fr")


def french_pattern(english: str) -> re.Pattern:
    """The French text of one English message as a pattern (placeholders match anything);
    fails when the message is not in the catalog or has no French yet."""
    message = FRENCH.get(english)
    assert message is not None, f"not in the catalog (not marked for translation?): {english!r}"
    text = message.string if isinstance(message.string, str) else message.string[-1]
    assert text and not message.fuzzy, f"no French for {english!r}"
    pieces = re.split(r"%\(\w+\)s", text)
    return re.compile(".+?".join(re.escape(piece) for piece in pieces))


def says_in_french(text: str, english: str) -> bool:
    return bool(french_pattern(english).search(html.unescape(text)))


@pytest.fixture
def site(library_dirs, make_settings, serve):
    write_pack(library_dirs[0], "knots", CHAPTERS, title="Knots")
    return serve(make_settings())


def joined(site, name="Awa", language="fr"):
    learner = browser(site, language)
    assert learner.post("/join", {"nickname": name, "next": "/"}).status == 303
    return learner


def ask(learner, payload) -> tuple[int, str]:
    response = learner.request("POST", "/api/ask", json.dumps(payload).encode(),
                               {"Content-Type": "application/json", "X-CSRF-Token": learner.csrf_token()})
    return response.status, response.json()["error"]


# -- the question checks (kit/tutor/answering.py) ----------------------------------------------

QUESTION_CHECKS = {
    "empty": ({"question": "  "}, "Write a question first."),
    "too long": ({"question": "a" * 4001},
                 "The question is too long (%(num)s character); keep it under %(limit)s."),
    "unknown mode": ({"question": "reef knot", "mode": "solve"}, "'mode' must be one of %(modes)s."),
    "think first": ({"question": "reef knot", "mode": "hint"},
                    "Think first: before asking in %(mode)s mode, write what you tried or what you "
                    "expect (at least %(num)s character)."),
    "context": ({"question": "reef knot", "context": "chapter 3"},
                "'context' must be an object like {\"pack\": …, \"doc\": …}."),
    "not an object": (["reef knot"], "Send a JSON object with a 'question' field."),
}


@pytest.mark.parametrize("payload, english", QUESTION_CHECKS.values(), ids=QUESTION_CHECKS.keys())
def test_the_question_checks_answer_a_french_learner_in_french(site, payload, english):
    status, error = ask(joined(site), payload)
    assert status == 400
    assert says_in_french(error, english), error


def test_the_french_words_are_the_learners_own_not_the_first_askers(site):
    """The same check, the same moment: French for one learner, English and Arabic for others."""
    french, english, arabic = joined(site, "Awa"), joined(site, "Ben", "en"), joined(site, "Said", "ar")
    assert ask(french, {"question": ""})[1] == "Écrivez d’abord une question."
    assert ask(english, {"question": ""})[1] == "Write a question first."
    assert ask(arabic, {"question": ""})[1] == "اكتب سؤالًا أولًا."
    assert "4001 caractères" in ask(french, {"question": "é" * 4001})[1]


def test_a_mode_the_teacher_has_not_allowed_is_named_in_french_and_listed_the_french_way(site):
    site.services.store.update_class_settings(modes=["explain", "debug"])
    status, error = ask(joined(site), {"question": "reef knot", "mode": "hint", "tried": "x" * 30})
    assert status == 400
    assert error == ("Votre enseignant a réglé le tuteur sur Expliquer et Déboguer pour l’instant ; "
                     "Indice n’est pas disponible.")


def test_the_ask_page_without_javascript_says_it_in_french(site):
    page = joined(site).post("/ask", {"question": "reef knot", "mode": "debug"})
    assert page.status == 400
    assert says_in_french(page.text, "Think first: before asking in %(mode)s mode, write what you tried or "
                                     "what you expect (at least %(num)s character).")
    assert "mode Déboguer" in html.unescape(page.text)


# -- the class store's rules (kit/classroom/rules.py, store.py) ----------------------------------

NICKNAMES = {
    "too short": ("a", "Nickname must be %(low)s to %(high)s characters long (this one has %(length)s). "
                       "Pick another one."),
    "a symbol": ("Ana<3", "Nickname can only use letters, digits, spaces and - _ . (not “%(char)s”). "
                          "Pick another one."),
    "no letter": ("___", "Nickname needs at least one letter or digit. Pick another one."),
    "taken": ("ANA", "The nickname “%(nickname)s” is already taken in this class. Pick another one "
                     "(add a number or an initial)."),
}


@pytest.mark.parametrize("nickname, english", NICKNAMES.values(), ids=NICKNAMES.keys())
def test_a_refused_nickname_is_explained_in_french(site, nickname, english):
    joined(site, "Ana", "en")
    page = browser(site, "fr").post("/join", {"nickname": nickname, "next": "/"})
    assert page.status == 400
    assert says_in_french(page.text, english), page.text
    assert not untranslated(page.text, "fr")


def test_a_note_too_long_and_a_comment_too_long_are_refused_in_french(site):
    learner = joined(site)
    page = learner.post("/notes", {"pack": "knots", "doc": "w/01-reef", "text": "n" * 5001})
    assert page.status == 400
    assert says_in_french(page.text, "%(field)s is %(length)s characters long; keep it to %(limit)s."), page.text
    assert "5001 caractères" in html.unescape(page.text)


def test_a_locked_teacher_login_says_how_long_in_french(site):
    site.services.store.set_teacher_pin("4321")
    teacher = browser(site, "fr")
    for _ in range(5):
        teacher.post("/teacher/login", {"pin": "0000", "next": "/teacher"})
    page = teacher.post("/teacher/login", {"pin": "4321", "next": "/teacher"})
    assert page.status == 429
    assert says_in_french(page.text, "Too many wrong PINs: teacher login is locked for another %(wait)s. "
                                     "Wait, then try again. Forgot the PIN? On the kit computer run "
                                     "`kit teacher set-pin` to set a new one."), page.text
    assert re.search(r"encore \d+ min \d+ s\.", html.unescape(page.text))


def test_the_teachers_settings_form_is_refused_in_french(site):
    store = site.services.store
    store.set_teacher_pin("4321")
    teacher = browser(site, "fr")
    assert teacher.post("/teacher/login", {"pin": "4321", "next": "/teacher"}).status == 303
    page = teacher.post("/teacher/settings", {"think_first_min": "-1", "questions_per_minute": "0",
                                              "announcement": "a" * 301, "language": "xx"})
    assert page.status == 400
    for english in ("Allow at least one tutor mode (%(modes)s), or turn the tutor off.",
                    "%(field)s must be a whole number from %(low)s to %(high)s. You gave %(value)s; "
                    "the setting was not changed.",
                    "The announcement is %(length)s characters long; keep it to %(limit)s.",
                    "language must be one of %(codes)s, not %(value)s."):
        assert says_in_french(page.text, english), english
    text = html.unescape(page.text)
    assert "(Expliquer, Indice et Déboguer)" in text and "Questions par minute : donnez" in text
    assert not untranslated(page.text, "fr")


# -- addresses a learner can mistype ------------------------------------------------------------

@pytest.mark.parametrize("path, english", [
    ("/search?q=knot&kind=video", "kind must be one of %(kinds)s"),
    ("/simple/no-such-package/", "The kit carries no package called %(name)s."),
    ("/wheels/nothing-1.0-py3-none-any.whl", "No such wheel in the kit, or it is damaged."),
    ("/installers/nothing.exe", "No such installer in the kit."),
])
def test_a_bad_address_is_explained_in_french(site, path, english):
    page = browser(site, "fr").get(path)
    assert page.status in (400, 404)
    assert says_in_french(page.text, english), page.text


def test_the_check_fails_on_english_or_a_missing_translation():
    assert says_in_french("<p>Écrivez d’abord une question.</p>", "Write a question first.")
    assert not says_in_french("<p>Write a question first.</p>", "Write a question first.")
    with pytest.raises(AssertionError, match="not in the catalog"):
        french_pattern("A sentence nobody marked.")



# -- the engines' words to a learner whose answer failed ------------------------------------------

def test_a_busy_built_in_model_is_said_to_a_french_learner_in_french(site, tmp_path):
    """The real worker pool, its one answer slot taken: the refusal is a LazyText, English for
    the class log and `kit ask`, French in a French learner's answer stream."""
    from kit.tutor.engines.base import EngineError
    from kit.tutor.engines.worker_client import WorkerPool
    from kit.web.locale import in_learners_language

    pool = WorkerPool(tmp_path / "no-model.gguf", n_ctx=512, state_folder=tmp_path, fast_folder=None)
    with pool.answer_lock, pytest.raises(EngineError) as raised:
        next(pool.answer([], {}, threading.Event(), wait_s=0))
    assert str(raised.value) == "The built-in model is busy with other questions; ask again in a minute."

    def events():
        yield "error", {"message": raised.value.args[0]}
    with site.app.test_request_context("/api/ask", headers={"Accept-Language": "fr"}):
        [(name, data)] = list(in_learners_language(events()))
    assert name == "error"
    assert says_in_french(data["message"], "The built-in model is busy with other questions; ask again in a minute.")


def test_a_damaged_class_file_is_told_to_a_french_teacher_in_french(site):
    """A file set aside after a power cut (as kit/durable.py names it), told on the teacher's page."""
    store = site.services.store
    (store.folder / "progress.json.bak.damaged-20261207-101010").write_text("{broken", encoding="utf-8")
    store.set_teacher_pin("4321")
    teacher = browser(site, "fr")
    assert teacher.post("/teacher/login", {"pin": "4321", "next": "/teacher"}).status == 303
    page = teacher.get("/teacher")
    assert says_in_french(page.text, "%(file)s was found damaged on %(when)s (a crash, a power cut or a pulled "
                                     "stick) and set aside as %(aside)s in %(folder)s; the kit went on from the "
                                     "last good copy where there was one. Nothing was deleted."), page.text
    assert "le 2026-12-07 10:10 sur la copie de secours de progress.json" in html.unescape(page.text)
