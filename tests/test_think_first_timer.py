"""The think-first timer over HTTP (the real app on waitress, the bundled workshop, real TinyDB
files): with "minutes on a step before the tutor opens" set, a learner's question on a step is
refused with 403 and the seconds left until that many minutes have passed since they opened the
step or last asked there; reading and search are never blocked; Hint and Debug still need a
written attempt. Time is the class activity's clock, moved by the test (never slept).
"""
from __future__ import annotations

import pytest

from kit.settings import SettingsError, load_settings
from tests.class_clock import class_on_a_clock, joined
from tests.web_client import WebClient, logged_in_teacher

PIN = "24680"
PACK, STEP = "first-web-app", "flask-workshop/02-hello-web"
CHAPTER = f"/p/{PACK}/{STEP}"
NOT_IN_LIBRARY = "What is the capital of Peru?"      # answered without the model: not covered



@pytest.fixture
def site(serve, bundled_content, tmp_path):
    return class_on_a_clock(serve, bundled_content, tmp_path, PIN, {"LANTERN_THINK_FIRST_MINUTES": "5"})


def ask(learner: WebClient, question: str = NOT_IN_LIBRARY, mode: str = "explain", tried: str = ""):
    return learner.post_json("/api/ask", {"question": question, "mode": mode, "tried": tried,
                                          "context": {"pack": PACK, "doc": STEP}},
                             token=learner.csrf_token())


def test_the_class_starts_from_lantern_think_first_minutes(site):
    assert site.services.store.class_settings()["think_first_minutes"] == 5


def test_an_early_question_is_refused_with_the_seconds_left_then_taken_when_the_time_is_up(site):
    ana = joined(site, "Ana")
    assert ana.get(CHAPTER).status == 200                 # she opens the step: its clock starts
    site.clock.t += 60
    refused = ask(ana)
    assert refused.status == 403
    assert refused.json()["seconds_left"] == 4 * 60
    assert "4:00" in refused.json()["error"]
    site.clock.t += 4 * 60
    taken = ask(ana)
    assert taken.status == 200 and taken.headers["content-type"].startswith("text/event-stream")
    assert "event: done" in taken.text


def test_asking_starts_the_steps_clock_again(site):
    ana = joined(site, "Ana")
    ana.get(CHAPTER)
    site.clock.t += 5 * 60
    assert ask(ana).status == 200
    site.clock.t += 30
    again = ask(ana)
    assert (again.status, again.json()["seconds_left"]) == (403, 5 * 60 - 30)


def test_each_learner_has_their_own_clock(site):
    ana, bo = joined(site, "Ana"), joined(site, "Bo")
    ana.get(CHAPTER)
    site.clock.t += 5 * 60
    bo.get(CHAPTER)
    assert ask(ana).status == 200
    assert ask(bo).json()["seconds_left"] == 5 * 60


def test_the_page_shows_the_countdown_of_that_learner_on_that_step(site):
    ana = joined(site, "Ana")
    ana.get(CHAPTER)
    site.clock.t += 2 * 60 + 5
    page = ana.get(CHAPTER).text
    assert 'data-seconds="175"' in page and "opens on this step in 2:55" in page
    assert "What have you tried?" in page


def test_reading_and_search_are_never_blocked_while_the_timer_runs(site):
    ana = joined(site, "Ana")
    ana.get(CHAPTER)
    assert ask(ana).status == 403
    assert ana.get(CHAPTER).status == 200
    assert ana.get("/search?q=route").status == 200
    assert ana.get("/api/search?q=route").status == 200


def test_hint_still_needs_a_written_attempt_once_the_time_is_up(site):
    ana = joined(site, "Ana")
    ana.get(CHAPTER)
    site.clock.t += 5 * 60
    refused = ask(ana, "How do I run my app?", mode="hint", tried="")
    assert refused.status == 400 and "seconds_left" not in refused.json()


def test_without_javascript_an_early_question_gets_the_page_with_the_time_left(site):
    ana = joined(site, "Ana")
    ana.get(CHAPTER)
    response = ana.post("/ask", {"question": NOT_IN_LIBRARY, "mode": "explain", "pack": PACK, "doc": STEP})
    assert response.status == 403 and "opens on this step in 5:00" in response.text


def test_zero_minutes_turns_the_timer_off(site):
    teacher = logged_in_teacher(site.url, PIN)
    form = {"modes": "explain", "think_first_min": "20", "think_first_minutes": "0",
            "questions_per_minute": "3", "tutor_enabled": "on"}
    assert teacher.post("/teacher/settings", form).status == 303
    ana = joined(site, "Ana")
    assert "think-timer" not in ana.get(CHAPTER).text
    assert ask(ana).status == 200


@pytest.mark.parametrize("typed", ["-1", "10000", "ten"])
def test_a_timer_out_of_range_is_refused_naming_the_field_and_nothing_is_lost(site, typed):
    teacher = logged_in_teacher(site.url, PIN)
    form = {"modes": "explain", "think_first_min": "20", "think_first_minutes": typed,
            "questions_per_minute": "3", "tutor_enabled": "on", "announcement": "Break at 3"}
    response = teacher.post("/teacher/settings", form)
    assert response.status == 400
    assert "Minutes on a step before the tutor opens must be a whole number from 0 to 120" in response.text
    assert f'value="{typed}"' in response.text           # what was typed comes back to fix
    settings = site.services.store.class_settings()
    assert (settings["think_first_minutes"], settings["announcement"]) == (5, "")


@pytest.mark.parametrize("raw", ["-1", "10000"])
def test_lantern_think_first_minutes_out_of_range_names_the_variable(raw):
    with pytest.raises(SettingsError, match="LANTERN_THINK_FIRST_MINUTES.*0 to 120"):
        load_settings(environ={"LANTERN_THINK_FIRST_MINUTES": raw})
