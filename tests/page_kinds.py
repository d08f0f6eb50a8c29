"""Every kind of page the kit shows, with the person who sees it and what they do first: the
list the accessibility audit (tests/test_browser_a11y.py) and the phone checks
(tests/test_browser_phone.py) walk. A new page kind is one more entry in PAGE_KINDS.

The site is the bundled packs, the 26-chapter workshop (tests/long_workshop.py) and two wheels
for the setup page's commands; the tutor answers through tests/fake_ollama.py (faithful to
Ollama's API), so an answer is on the page in seconds. The people are real browser contexts: a
visitor, a learner who joined (with JavaScript and without) and the teacher, logged in.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from kit.settings import load_settings
from tests.engine_state import SHARED_ENGINE_DIR
from tests.long_workshop import chapter_path, write_long_workshop

PIN = "86420"
CHAPTER = "/p/first-web-app/flask-workshop/02-hello-web"
ANSWER_TIMEOUT_MS = 30_000
QUESTION = "How do I start the Flask app?"
NO_JAVASCRIPT = "learner without JS"


def ask_and_see_it_streamed(page) -> None:
    """With JavaScript the answer streams into the chapter page."""
    page.fill("#ask-question", QUESTION)
    page.locator(".ask-form button[type=submit]").click()
    expect(page.locator(".answer-stats")).not_to_be_empty(timeout=ANSWER_TIMEOUT_MS)


def ask_and_get_a_whole_page(page) -> None:
    """Without JavaScript the form posts to /ask, and the answer is a whole page."""
    page.fill("#ask-question", QUESTION)
    with page.expect_navigation(timeout=ANSWER_TIMEOUT_MS):
        page.locator(".ask-form button[type=submit]").click()
    expect(page.locator(".answer-box .answer-text").first).to_have_text(re.compile(r"\S"))


def open_the_contents(page) -> None:
    """On a phone the chapter list is folded away: look at it open too."""
    summary = page.locator("aside.toc summary")
    if summary.is_visible():
        summary.click()


def pin_today_set_the_timer_and_run_the_self_test(page) -> None:
    """The teacher prepares the class: two chapters pinned for today, five minutes on a step before
    the tutor opens, the readiness self-test run (its report, kept, is on the page after)."""
    for slug in ("flask-workshop/03-routes-and-variables", "flask-workshop/04-templates"):
        page.locator(f'input[name=pinned][value="first-web-app/{slug}"]').check()
    page.fill("#think_first_minutes", "5")
    with page.expect_navigation():
        page.locator(".settings-form button[type=submit]").click()
    if page.locator("table.readiness-table").count() == 0:
        with page.expect_navigation():
            page.locator("#readiness form button[type=submit]").click()
        expect(page.locator("table.readiness-table")).to_be_visible(timeout=120_000)
    page.locator("details.readiness-details summary").click()
    page.locator("details.glance-details summary").click()


@dataclass(frozen=True)
class PageKind:
    kind: str
    path: str
    who: str = "visitor"            # visitor | learner | learner without JS | teacher (People)
    then: Callable | None = None    # what the person does on the page before it is checked
    status: int = 200


# In an order that fills the pages after it: the learners ask before the teacher looks, so the
# teacher's view has questions in it. Add a page kind here.
PAGE_KINDS = [
    PageKind("home", "/"),
    PageKind("pack", "/p/first-web-app/"),
    PageKind("chapter", CHAPTER),
    PageKind("chapter of 26, contents open", chapter_path(11), then=open_the_contents),
    PageKind("transcript", "/p/talks/running-a-coding-club"),
    PageKind("search", "/search?q=flask"),
    PageKind("not found", "/p/no-such-pack/", status=404),
    PageKind("join", "/join"),
    PageKind("teacher login", "/teacher/login"),
    PageKind("setup", "/setup"),
    PageKind("chapter, joined, answer streamed", CHAPTER, who="learner", then=ask_and_see_it_streamed),
    PageKind("ask, answer as a whole page", CHAPTER, who=NO_JAVASCRIPT, then=ask_and_get_a_whole_page),
    PageKind("me", "/me", who="learner"),
    PageKind("teacher view", "/teacher", who="teacher"),
    PageKind("teacher: all questions", "/teacher/questions", who="teacher"),
    PageKind("teacher: answers to check", "/teacher/answers", who="teacher"),
    PageKind("teacher: progress table", "/teacher/progress", who="teacher"),
    PageKind("poster", "/join-poster", who="teacher"),
    # The teacher's preparation changes the class for the pages after it: today's chapters on the
    # home, the think-first countdown on a learner's chapter.
    PageKind("teacher view, class prepared (today's chapters, timer, self-test report)", "/teacher",
             who="teacher", then=pin_today_set_the_timer_and_run_the_self_test),
    PageKind("home, today's chapters", "/"),
    PageKind("chapter, think-first countdown", "/p/first-web-app/flask-workshop/05-forms", who="learner"),
]


@pytest.fixture(scope="module")
def wheel_packages(tmp_path_factory):
    """The setup page shows its commands only when the kit carries packages: a wheel we build."""
    from tests.test_wheels import fill, make_wheel
    folder = tmp_path_factory.mktemp("wheels")
    make_wheel(folder / "built", "lantern-demo-app", "1.0")
    fill(folder / "built", folder / "wheelhouse")
    return folder / "wheelhouse"


@pytest.fixture
def site(serve, bundled_content, tmp_path, wheel_packages):
    from tests.fake_ollama import FakeOllama
    long_content = tmp_path / "long"
    write_long_workshop(long_content)
    reply = "Run flask run in the folder of your app, then open the address it prints in a browser. "
    with FakeOllama(reply=reply) as ollama:
        site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR,
                                   content_dirs=(bundled_content, long_content), data_dir=tmp_path / "data",
                                   wheels_dir=wheel_packages, engine="ollama", ollama_host=ollama.url,
                                   ollama_bin=str(tmp_path / "no-such-ollama")))
        site.services.store.set_teacher_pin(PIN)
        yield site


class People:
    """One browser context per kind of person, made when first needed, at one size and language."""

    def __init__(self, browser, origin: str, width: int, locale: str = "en"):
        self.browser, self.origin = browser, origin
        self.options = {"viewport": {"width": width, "height": 844 if width < 600 else 800}, "locale": locale}
        self.pages: dict[str, object] = {}

    def page_of(self, who: str):
        if who not in self.pages:
            context = self.browser.new_context(java_script_enabled=who != NO_JAVASCRIPT, **self.options)
            page = context.new_page()
            page.set_default_timeout(10_000)
            self.pages[who] = page
            if who.startswith("learner"):
                self._join(page, "Ana" if who == "learner" else "Bo")
            elif who == "teacher":
                self._log_in(page)
        return self.pages[who]

    def visit(self, page_kind: PageKind):
        """The person's page, opened and with their first steps done."""
        page = self.page_of(page_kind.who)
        response = page.goto(self.origin + page_kind.path)
        assert response.status == page_kind.status, f"{page_kind.path}: {response.status}"
        if page_kind.then:
            page_kind.then(page)
        return page

    def _join(self, page, nickname: str) -> None:
        page.goto(f"{self.origin}/join")
        page.fill("#nickname", nickname)
        with page.expect_navigation():
            page.locator("form.stacked-form button[type=submit]").click()

    def _log_in(self, page) -> None:
        page.goto(f"{self.origin}/teacher/login")
        page.fill("#pin", PIN)
        with page.expect_navigation():
            page.locator("form.stacked-form button[type=submit]").click()
        assert page.url == f"{self.origin}/teacher", "the teacher could not log in"

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def people(browser, site):
    """make(width, locale) → People on the site; all closed at the end."""
    made = []

    def make(width: int, locale: str = "en") -> People:
        made.append(People(browser, site.url, width, locale))
        return made[-1]
    yield make
    for one in made:
        one.close()
