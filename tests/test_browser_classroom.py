"""The classroom in a real browser (Debian's Chromium, headless): a learner joins with a nickname,
marks a chapter done and keeps a note; the teacher, in another browser context, logs in with
the PIN and sees it — and sees new questions appear without reloading. A learner asking while
the model is busy sees their place in the queue, then the answer and its sources, and the
teacher sees the question. No request ever leaves the kit's own origin, and the
Content-Security-Policy is never violated.
"""
from __future__ import annotations

import re
import time

import pytest

from tests.engine_state import SHARED_ENGINE_DIR
from kit.settings import load_settings

from tests.chromium import skip_module_without_chromium

skip_module_without_chromium()

from playwright.sync_api import expect  # noqa: E402  (only once Chromium exists)

pytestmark = pytest.mark.browser
PIN = "86420"
CHAPTER = "/p/first-web-app/flask-workshop/02-hello-web"


@pytest.fixture
def site(serve, bundled_content, tmp_path):
    site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR,
                          content_dirs=(bundled_content,), data_dir=tmp_path / "data"))
    site.services.store.set_teacher_pin(PIN)
    return site


class Person:
    """One person's browser context, recording every request and every console complaint."""

    def __init__(self, browser, origin: str):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.origin = origin
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.failed: list[str] = []
        self.page.on("console", lambda message: message.type == "error"
                     and not message.text.startswith("Failed to load resource")   # see `failed`
                     and self.console_errors.append(message.text))
        self.page.on("response", lambda response: response.status >= 400
                     and not response.url.endswith("/favicon.ico")      # the kit has none
                     and self.failed.append(f"{response.status} {response.url}"))

    def open(self, path: str):
        response = self.page.goto(self.origin + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"

    def submit(self, button):
        with self.page.expect_navigation():
            button.click()

    def assert_stayed_home(self):
        outside = [url for url in self.requests if not url.startswith(self.origin + "/")]
        assert outside == []
        assert self.failed == []
        assert self.console_errors == []          # a CSP violation is reported here


def people_on(browser, url):
    """make() opens a new person (their own browser context) on `url`; all closed at the end."""
    made = []

    def make() -> Person:
        made.append(Person(browser, url))
        return made[-1]
    yield make
    for person in made:
        person.context.close()


@pytest.fixture
def people(browser, site):
    yield from people_on(browser, site.url)


def joins_on_the_chapter(learner: Person, nickname: str):
    learner.open(CHAPTER)
    learner.submit(learner.page.get_by_role("link", name="Join the class").first)
    learner.page.fill("#nickname", nickname)
    learner.submit(learner.page.get_by_role("button", name="Join"))
    assert learner.page.url == learner.origin + CHAPTER
    expect(learner.page.locator("header .who")).to_have_text(f"Joined as {nickname}")


def learner_joins_and_works_on_a_chapter(learner: Person, nickname: str):
    joins_on_the_chapter(learner, nickname)
    learner.submit(learner.page.get_by_role("button", name="Mark this chapter done"))
    expect(learner.page.locator(".learner-chapter")).to_contain_text("You marked this chapter done")
    expect(learner.page.locator("aside.toc [aria-current=page] + .done-mark")).to_have_count(1)
    learner.page.fill("#note-text", "Routes map URLs to functions.")
    learner.submit(learner.page.get_by_role("button", name="Save note"))
    expect(learner.page.locator(".flashes")).to_contain_text("Your note is saved")
    expect(learner.page.locator("#note-text")).to_have_value("Routes map URLs to functions.")


def teacher_logs_in(teacher: Person):
    teacher.open("/teacher")
    assert "/teacher/login" in teacher.page.url
    teacher.page.fill("#pin", PIN)
    teacher.submit(teacher.page.get_by_role("button", name="Log in"))
    assert teacher.page.url == teacher.origin + "/teacher"


def test_teacher_sees_the_progress_a_learner_made(people):
    learner, teacher = people(), people()
    learner_joins_and_works_on_a_chapter(learner, "Ana")
    teacher_logs_in(teacher)
    teacher.submit(teacher.page.get_by_role("link", name="Progress table"))
    table = teacher.page.locator("table.progress-table")
    chapter_titles = table.locator("thead th[scope=col]").all_inner_texts()[1:-2]   # less Done, Exercises tried
    done_column = next(i for i, title in enumerate(chapter_titles) if title.endswith("Hello, web"))
    ana = table.locator("tbody tr", has=teacher.page.locator("th", has_text="Ana"))
    cells = ana.locator("td")
    expect(cells.nth(done_column)).to_have_text("✓")
    assert [cells.nth(i).inner_text() for i in range(len(chapter_titles)) if i != done_column] \
        == [""] * (len(chapter_titles) - 1)
    learner.assert_stayed_home()
    teacher.assert_stayed_home()


def test_teacher_list_shows_new_questions_without_a_reload(people, site):
    learner, teacher = people(), people()
    learner_joins_and_works_on_a_chapter(learner, "Bo")
    teacher_logs_in(teacher)
    expect(teacher.page.locator(".live-empty")).to_be_visible()
    store = site.services.store
    bo = next(x["id"] for x in store.learners() if x["nickname"] == "Bo")
    store.record_exchange({"question": "<img src=x onerror=alert(1)> why 404?", "mode": "debug",
                           "passages": [], "answer": "", "grounded": False}, bo)
    expect(teacher.page.locator(".live-questions .question")).to_have_text(
        "<img src=x onerror=alert(1)> why 404?", timeout=12_000)   # the glance redraws every 5 s
    assert teacher.page.locator(".live-questions img").count() == 0
    expect(teacher.page.locator(".live-empty")).to_be_hidden()
    teacher.assert_stayed_home()


# ---------------------------------------------------------------------------------------------
# Asking while the model is busy: the place in the queue, then the answer


@pytest.fixture
def asking_site(serve, bundled_content, tmp_path):
    """The bundled library answering with the embedded SmolLM2, one answer at a time."""
    site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR,
                          content_dirs=(bundled_content,), data_dir=tmp_path / "data",
                               engine="embedded", model_slots=1))
    site.services.store.set_teacher_pin(PIN)
    return site


@pytest.fixture
def asking_people(browser, asking_site):
    yield from people_on(browser, asking_site.url)


@pytest.fixture
def model_held(asking_site):
    """A learner outside the browsers (HTTP, tests/test_queue_http.py) holds the model's one
    slot with a long answer; everyone else's answers are kept short. Hung up at the end."""
    from kit.tutor.engines.embedded import model_busy
    from tests.test_queue_http import (HOLDERS_QUESTION, LONG_ANSWER, SHORT_ANSWER,
                                       Learner as HttpLearner)
    tutor, answers = asking_site.services.tutor, []
    tutor.answer_tokens, tutor.stop_loops = LONG_ANSWER, False   # it loops to the cap, unguarded
    holder = HttpLearner(asking_site, "Holder", answers).ask(HOLDERS_QUESTION)
    assert holder.status == 200, holder.body
    holder.first("token")                 # it has the slot, with its long answer_tokens read
    tutor.answer_tokens, tutor.stop_loops = SHORT_ANSWER, True
    yield holder
    holder.hang_up()
    deadline = time.monotonic() + 30      # the server stops the model once it notices
    while model_busy() and time.monotonic() < deadline:
        time.sleep(0.1)


def asks(learner: Person, question: str):
    learner.page.fill("#ask-question", question)
    learner.page.get_by_role("button", name="Ask", exact=True).click()


def test_a_learner_sees_their_place_in_the_queue_then_the_answer_and_the_teacher_sees_it(
        asking_people, model_held):
    ana, bo, teacher = asking_people(), asking_people(), asking_people()
    joins_on_the_chapter(ana, "Ana")
    joins_on_the_chapter(bo, "Bo")
    teacher_logs_in(teacher)
    question = "What does a route do in Flask?"
    asks(bo, "How do I run my Flask app?")
    expect(bo.page.locator(".answer-status")).to_have_text("You are next.", timeout=30_000)
    asks(ana, question)
    status = ana.page.locator(".answer-status")
    expect(status).to_have_text(re.compile(r"^1 question ahead of you\."), timeout=30_000)
    expect(ana.page.get_by_role("button", name="Cancel my question")).to_be_visible()
    expect(ana.page.locator(".sources .source-card").first).to_be_visible()   # while waiting
    assert model_held.ended_at is None, "the holder's answer ended early: the test proves nothing"
    model_held.hang_up()                   # the model is free: Bo's answer, then Ana's
    expect(ana.page.locator(".answer-stats")).to_contain_text("tokens", timeout=180_000)   # done
    assert ana.page.locator(".answer-text").inner_text().strip() != ""
    expect(status).to_have_text("")
    source = ana.page.locator(".sources .source-card a").first
    expect(source).to_have_attribute("href", re.compile(r"^/p/[^/]+/.+#"))
    asked = teacher.page.locator(".live-questions li", has_text=question)
    expect(asked).to_have_count(1, timeout=15_000)          # pushed by /teacher/live
    expect(asked.locator(".meta")).to_contain_text("Ana")
    for person in (ana, bo, teacher):
        person.assert_stayed_home()
