"""A learner's path through the bundled content in a real browser (Debian's Chromium, headless).

Search from the home page, land on the cited passage, walk a workshop with next/previous, do
the same with JavaScript off, check the layout on a small laptop and a phone, ask the tutor on a
chapter page (streamed, and as a whole page without JavaScript) and follow its source — and prove
that no page asked for anything outside the kit's own server.
"""
from __future__ import annotations

import re

import pytest

from tests.engine_state import SHARED_ENGINE_DIR
from kit.settings import load_settings

from tests.chromium import skip_module_without_chromium

skip_module_without_chromium()

from playwright.sync_api import expect  # noqa: E402  (only once Chromium exists)

pytestmark = pytest.mark.browser


@pytest.fixture
def site(serve, bundled_content, tmp_path):
    """The bundled packs on a real server; the index goes to a temp data folder."""
    return serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR,
                          content_dirs=(bundled_content,), data_dir=tmp_path / "data"))


class Visit:
    """A page in its own browser context, with every request it makes recorded."""

    def __init__(self, browser, origin: str, **context_options):
        self.context = browser.new_context(**context_options)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.origin = origin
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))

    def open(self, path: str):
        response = self.page.goto(self.origin + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"

    def search_from_home(self, words: str):
        """Type into the header's search box and press Enter, as a learner would."""
        self.open("/")
        self.page.fill("#site-q", words)
        with self.page.expect_navigation():
            self.page.press("#site-q", "Enter")

    def follow_first_result(self) -> str:
        with self.page.expect_navigation():
            self.page.locator(".results a.result-title").first.click()
        return self.page.url

    def target_id(self) -> str | None:
        return self.page.evaluate("(document.querySelector(':target') || {}).id || null")

    def heading(self) -> str:
        return self.page.locator("article h1").inner_text()

    def horizontal_overflow(self) -> int:
        return self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def visit(browser, site):
    visits = []

    def make(**context_options) -> Visit:
        visits.append(Visit(browser, site.url, **context_options))
        return visits[-1]
    yield make
    for one in visits:
        one.context.close()


def assert_lands_on_cited_passage(visit: Visit, query: str):
    visit.search_from_home(query)
    assert visit.page.url.startswith(f"{visit.origin}/search?q=")
    url = visit.follow_first_result()
    path, _, anchor = url.partition("#")
    assert path.startswith(f"{visit.origin}/p/") and anchor, url
    passage = visit.page.locator(f'[id="{anchor}"]')
    expect(passage).to_be_in_viewport()
    assert visit.target_id() == anchor
    assert visit.page.evaluate("window.scrollY") > 0, "the passage should be further down the page"


def test_search_result_opens_the_cited_passage(visit):
    assert_lands_on_cited_passage(visit(), "sticky notes")


def test_search_result_opens_the_cited_passage_without_javascript(visit):
    no_js = visit(java_script_enabled=False)
    assert_lands_on_cited_passage(no_js, "hotspot")
    assert no_js.page.evaluate("document.title") != ""      # the page rendered without scripts


def test_next_and_previous_walk_the_workshop_in_order(visit):
    learner = visit()
    learner.open("/")
    chapters = learner.page.locator("ol.chapters").first.locator("a")
    titles = chapters.all_inner_texts()
    assert len(titles) >= 3
    with learner.page.expect_navigation():
        chapters.nth(1).click()
    assert learner.heading() == titles[1]
    with learner.page.expect_navigation():
        learner.page.locator("a[rel=next]").click()
    assert learner.heading() == titles[2]
    with learner.page.expect_navigation():
        learner.page.locator("a[rel=prev]").click()
    assert learner.heading() == titles[1]


def test_browsing_never_requests_anything_from_another_origin(visit):
    learner = visit()
    learner.search_from_home("breakpoint")
    learner.follow_first_result()
    learner.open("/")
    first_chapter = learner.page.locator("ol.chapters a").first
    with learner.page.expect_navigation():
        first_chapter.click()
    for _ in range(2):                     # chapters with diagrams, code, exercises
        with learner.page.expect_navigation():
            learner.page.locator("a[rel=next]").click()
    learner.page.wait_for_load_state("networkidle")
    assert any(url.split("?")[0].endswith("/static/style.css") for url in learner.requests)   # ?v=digest
    assert any(url.endswith(".svg") for url in learner.requests), "a chapter diagram was loaded"
    outside = [url for url in learner.requests if not url.startswith(learner.origin + "/")]
    assert outside == []


PAGES = ["/", "/p/first-web-app/flask-workshop/02-hello-web", "/p/talks/running-a-coding-club",
         "/search?q=flask", "/p/first-web-app/"]


@pytest.mark.parametrize("width, height, name", [(1024, 600, "small-laptop"), (390, 844, "phone")])
def test_pages_fit_the_screen_without_sideways_scrolling(visit, tmp_path, width, height, name):
    learner = visit(viewport={"width": width, "height": height})
    overflowing = {}
    for path in PAGES:
        learner.open(path)
        if learner.horizontal_overflow() > 0:
            overflowing[path] = learner.horizontal_overflow()
    learner.open(PAGES[1])
    shot = tmp_path / f"chapter-{name}.png"
    learner.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 0
    assert overflowing == {}, f"pages wider than {width}px (extra px): {overflowing}"


@pytest.mark.parametrize("width, height", [(1024, 600), (1280, 800), (390, 844)])
def test_chapter_text_keeps_a_readable_width_beside_the_other_boxes(visit, width, height):
    learner = visit(viewport={"width": width, "height": height})
    learner.open(PAGES[1])
    article = learner.page.locator("article.chapter").bounding_box()
    assert article["width"] >= 0.45 * width, f"the chapter is squeezed to {article['width']}px"
    for selector in ("aside.toc", "section.ask"):
        box = learner.page.locator(selector).bounding_box()
        if box is None:
            continue
        overlap_x = min(article["x"] + article["width"], box["x"] + box["width"]) - max(article["x"], box["x"])
        overlap_y = min(article["y"] + article["height"], box["y"] + box["height"]) - max(article["y"], box["y"])
        assert overlap_x <= 0 or overlap_y <= 0, f"{selector} covers the chapter text"


# ---------------------------------------------------------------------------------------------
# Asking the tutor from a chapter page (the real embedded SmolLM2, kept to a few tokens)

CHAPTER = "/p/first-web-app/flask-workshop/01-setting-up"
ANSWER_TIMEOUT_MS = 60_000        # a first answer loads the model; two busy cores are slow


@pytest.fixture
def tutor_site(serve, bundled_content, tmp_path):
    site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR,
                          content_dirs=(bundled_content,), data_dir=tmp_path / "data",
                               engine="embedded"))
    site.services.tutor.answer_tokens = 12
    return site


@pytest.fixture
def tutor_visit(browser, tutor_site):
    visits = []

    def make(**context_options) -> Visit:
        visits.append(Visit(browser, tutor_site.url, **context_options))
        return visits[-1]
    yield make
    for one in visits:
        one.context.close()


def join_and_open_the_chapter(learner: Visit) -> None:
    """Only learners may ask: join the class from the chapter, as its ask box suggests."""
    learner.open(f"/join?next={CHAPTER}")
    learner.page.fill("#nickname", "Ana")
    with learner.page.expect_navigation():
        learner.page.locator("form.stacked-form button[type=submit]").click()
    assert learner.page.url == learner.origin + CHAPTER


def ask(learner: Visit, question: str) -> None:
    learner.page.fill("#ask-question", question)
    learner.page.locator(".ask-form button[type=submit]").click()


def follow_first_source(learner: Visit) -> None:
    """Click the first source card; the URL must carry the passage's anchor, and it must exist."""
    with learner.page.expect_navigation():
        learner.page.locator(".sources a").first.click()
    path, _, anchor = learner.page.url.partition("#")
    assert path.startswith(f"{learner.origin}/p/") and anchor, learner.page.url
    expect(learner.page.locator(f'[id="{anchor}"]')).to_have_count(1)
    assert learner.target_id() == anchor


def test_asking_on_a_chapter_streams_an_answer_with_a_source_to_follow(tutor_visit):
    learner = tutor_visit()
    join_and_open_the_chapter(learner)
    ask(learner, "How do I make a virtual environment?")
    assert learner.page.url == learner.origin + CHAPTER, "the answer streams into the same page"
    expect(learner.page.locator(".answer-text")).to_have_text(re.compile(r"\S"), timeout=ANSWER_TIMEOUT_MS)
    expect(learner.page.locator(".answer-stats")).to_contain_text("embedded", timeout=ANSWER_TIMEOUT_MS)
    expect(learner.page.locator(".sources a").first).to_have_attribute("href", re.compile(r"^/p/.+#.+"))
    follow_first_source(learner)
    outside = [url for url in learner.requests if not url.startswith(learner.origin + "/")]
    assert outside == []


def test_asking_without_javascript_gets_the_answer_as_a_whole_page(tutor_visit):
    learner = tutor_visit(java_script_enabled=False)
    join_and_open_the_chapter(learner)
    with learner.page.expect_navigation(timeout=ANSWER_TIMEOUT_MS):
        ask(learner, "How do I make a virtual environment?")
    assert learner.page.url == learner.origin + "/ask"
    expect(learner.page.locator(".answer-box .answer-text").first).to_have_text(re.compile(r"\S"))
    source = learner.page.locator(".answer-box .sources a").first
    expect(source).to_have_attribute("href", re.compile(r"^/p/.+#.+"))
    follow_first_source(learner)


# ---------------------------------------------------------------------------------------------
# What an answer looks like: the material's quote first, then the tutor's words — and a sentence
# with code the material does not have is never shown (kit/tutor/guards/sentences.py). The words
# come from tests/fake_ollama.py (faithful to Ollama's API) so that the answer surely uses an
# invented name; the quote is the kit's own.

INVENTED = "app.run_extra()"


@pytest.fixture
def marked_site(serve, bundled_content, tmp_path):
    from tests.fake_ollama import FakeOllama
    with FakeOllama(reply=f"Activate it in each terminal, then call {INVENTED} to start. ") as ollama:
        yield serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR, content_dirs=(bundled_content,),
                                  data_dir=tmp_path / "data", engine="ollama", ollama_host=ollama.url,
                                  ollama_bin=str(tmp_path / "no-such-ollama")))


def assert_quote_above_and_no_invented_code(learner: Visit) -> None:
    """The quote, linked; below it the plain line in place of the dropped sentence; the invented
    code nowhere on the page, marked or not."""
    from kit.tutor.answering import ONLY_QUOTES
    answer = learner.page.locator(".answer-box:not([hidden])")      # not the ask box's empty one
    quote = answer.locator(".answer-quotes blockquote.quote").first
    expect(quote).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(quote.locator("cite a")).to_have_attribute("href", re.compile(r"^/p/.+#.+"))
    words = answer.locator(".answer-text")
    expect(words).to_have_text(ONLY_QUOTES, timeout=ANSWER_TIMEOUT_MS)
    assert "run_extra" not in learner.page.content()
    expect(answer.locator(".answer-text mark.unsupported")).to_have_count(0)
    quote_box = answer.locator(".answer-quotes").bounding_box()
    words_box = words.bounding_box()
    assert quote_box["y"] + quote_box["height"] <= words_box["y"], "the quote comes first"


@pytest.mark.parametrize("javascript", [True, False], ids=["streamed", "whole-page"])
def test_the_answer_shows_the_linked_quote_and_never_the_tutor_s_invented_code(browser, marked_site, javascript):
    learner = Visit(browser, marked_site.url, java_script_enabled=javascript)
    try:
        join_and_open_the_chapter(learner)
        if javascript:
            ask(learner, "How do I make a virtual environment?")
        else:
            with learner.page.expect_navigation(timeout=ANSWER_TIMEOUT_MS):
                ask(learner, "How do I make a virtual environment?")
        assert_quote_above_and_no_invented_code(learner)
        with learner.page.expect_navigation():
            learner.page.locator(".answer-quotes cite a").first.click()
        path, _, anchor = learner.page.url.partition("#")
        assert anchor and learner.target_id() == anchor
    finally:
        learner.context.close()
