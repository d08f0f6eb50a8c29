"""The published-material eval's own criteria (tests/eval/published/scoring.py) catch what they
must and refuse near misses: an eval that matched `createuser` inside `createsuperuser` would
pass a tutor that tells learners to type the wrong command."""
import pytest

from tests.eval.published import scoring
from tests.eval.published.asking import Shown
from tests.eval.published.material import MaterialMissing, Source
from tests.eval.published.report import judge


def test_a_fact_is_matched_as_whole_tokens():
    assert scoring.states("Run python manage.py createsuperuser to make one.", "createsuperuser")
    assert not scoring.states("Run the command: `sudo createuser`.", "createsuperuser")
    assert not scoring.states("Run python manage.py createsuperuser.", "createuser")
    assert not scoring.states("Run python manage.py createsuperuser.", "superuser")   # a substring
    assert not scoring.states("flask --app flaskr init-db", "init")


def test_port_is_not_found_inside_import():
    assert not scoring.states("import os\nfrom flask import Flask", "port")
    assert scoring.states("use flask run --port 5001 to pick a different port", "port")


def test_a_fact_of_several_tokens_must_appear_as_one_run():
    said = "$ coverage run -m pytest\n$ coverage report"
    assert scoring.states(said, "coverage run -m pytest")
    assert not scoring.states("run pytest with coverage", "coverage run -m pytest")


def test_code_punctuation_stays_inside_a_token():
    assert scoring.tokens("python manage.py runserver --port=8080 init-db") == [
        "python", "manage.py", "runserver", "--port", "8080", "init-db"]
    assert not scoring.states("app.register_blueprint(auth.bp)", "register_blueprint")
    assert scoring.states("Call app.register_blueprint(auth.bp) in the factory.", "app.register_blueprint")
    assert not scoring.states("Start it with --debug", "debug run")


def test_a_flag_is_not_the_bare_word():
    assert scoring.states("flask --app flaskr --debug run", "--debug")
    assert not scoring.states("turn on debug mode", "--debug")


def test_internal_markers_and_control_characters_are_found():
    assert scoring.markers_in("See %%lantern-caption command-line%% below") == ["%%", "lantern-", "%%"]
    assert scoring.markers_in("a bell \x07 here") == ["\\x07"]
    assert scoring.markers_in("/// info\nTo use forms, first install python-multipart.") == ["///"]


def test_ordinary_text_has_no_markers():
    assert scoring.markers_in("Use 100% of the lines.\tTabs and\nnew lines are fine: http://x.org/a//b") == []


def test_quotes_from_two_packs_are_spliced():
    assert scoring.spliced(["/p/fastapi/docs/tutorial/cors#s-top", "/p/fr/docs/tutorial/cors#s-top"])
    assert not scoring.spliced(["/p/fastapi/docs/tutorial/cors#a", "/p/fastapi/docs/tutorial/body#b"])


def test_a_quote_in_another_language_is_a_language_mix():
    languages = {"fastapi": "en", "fr": "fr", "django-3-2": "en-us"}
    assert scoring.other_languages(["/p/fr/docs/tutorial/body#a"], languages, "en") == ["fr (fr)"]
    assert scoring.other_languages(["/p/django-3-2/ref/x.html#a", "/p/fastapi/docs/b#c"], languages, "en") == []


def test_a_short_line_said_twice_is_a_loop():
    assert scoring.loops_in("The answer is:\nrun it.\nThe answer is:\nThe answer is:") == ["the answer is:"]


def test_a_run_of_eight_words_said_twice_is_a_loop():
    text = ("First you open the terminal and type the command here, then you open the terminal and "
            "type the command here again")
    assert scoring.loops_in(text)


def test_different_sentences_are_not_a_loop():
    assert scoring.loops_in("Run the command. It makes the tables. Then start the server. Ok. Ok.") == []


def test_invented_code_is_found_by_whole_tokens():
    sources = "Run python manage.py createsuperuser and answer the questions."
    assert scoring.unsupported_code("Type `sudo createuser` now.", sources) == ["sudo", "createuser"]
    assert scoring.unsupported_code("Type `python manage.py createsuperuser` now.", sources) == []


def test_code_like_tokens_outside_backticks():
    assert scoring.code_like("Call get_db() then app.run(debug=True) and open /auth/login.") == [
        "get_db()", "app.run(debug=True)", "/auth/login"]
    assert scoring.code_like("This is plain prose, done. Really!") == []


def _answer(item, **shown):
    return Shown(dict({"library": "fastapi", "question": "how do I serve static files?"}, **item), **shown)


def test_a_refused_answer_scores_no_page_even_when_its_closest_passage_is_accepted():
    item = {"expect_pages": ["fastapi/docs/tutorial/static-files"], "facts": ["StaticFiles"]}
    sources = [{"url": "/p/fastapi/docs/tutorial/static-files#s-top", "title": "Static Files"}]
    refused = judge(_answer(item, sources=sources, grounded=False), {"fastapi": "en"})
    answered = judge(_answer(item, sources=sources, grounded=True), {"fastapi": "en"})
    assert refused.pages == [("fastapi/docs/tutorial/static-files", True)]
    assert not refused.page_hit and answered.page_hit


def test_judging_finds_a_french_quote_a_splice_and_a_marker_in_a_source_title():
    quotes = [{"text": "Utilisez StaticFiles.", "url": "/p/fr/docs/tutorial/static-files#a"},
              {"text": "Use StaticFiles.", "url": "/p/fastapi/docs/tutorial/static-files#a"}]
    sources = [{"url": "/p/fr/docs/tutorial/static-files#a", "title": "%%lantern-caption%% Fichiers"}]
    verdict = judge(_answer({"facts": ["StaticFiles"]}, quotes=quotes, sources=sources, grounded=True),
                    {"fastapi": "en", "fr": "fr"})
    assert verdict.languages == ["fr (fr)"] and verdict.spliced
    assert "lantern-" in verdict.markers and verdict.stated == ["StaticFiles"]


def test_dropped_sentences_are_read_from_done_or_the_record_whatever_their_shape():
    """The kit's `done` event counts them (`dropped`) and lists them (`dropped_sentences`)."""
    assert _answer({}, done={"dropped": 1, "dropped_sentences": [{"text": "You did it.", "reason": "filler"}]}
                   ).dropped == [{"text": "You did it.", "reason": "filler"}]
    assert _answer({}, record={"dropped": ["Run sudo createuser."]}).dropped == [
        {"text": "Run sudo createuser.", "reason": ""}]
    assert _answer({}, done={"dropped": 3, "dropped_sentences": "not a list"}).dropped == []


def test_a_missing_source_names_what_to_install(tmp_path):
    with pytest.raises(MaterialMissing, match="python-django-doc"):
        Source("django", tmp_path / "nowhere").check()
