"""The teacher's tools in a real browser (Debian's Chromium, headless, the real app on waitress):
the think-first timer's countdown on a step, the glance at the top of the teacher view updating
while learners work (no reload), and the readiness self-test. Time in the kit is the class
activity's clock, which the tests move (nothing sleeps for minutes).
"""
from __future__ import annotations

import re

import pytest

from tests.chromium import skip_module_without_chromium
from tests.class_clock import class_on_a_clock

skip_module_without_chromium()

from playwright.sync_api import expect  # noqa: E402  (only once Chromium exists)

from tests.test_browser_classroom import joins_on_the_chapter, people_on, teacher_logs_in  # noqa: E402

pytestmark = pytest.mark.browser
PIN = "86420"            # the PIN teacher_logs_in types
CHAPTER = "/p/first-web-app/flask-workshop/02-hello-web"



@pytest.fixture
def site(serve, bundled_content, tmp_path):
    return class_on_a_clock(serve, bundled_content, tmp_path, PIN, {"LANTERN_THINK_FIRST_MINUTES": "5"})


@pytest.fixture
def people(browser, site):
    yield from people_on(browser, site.url)


def test_the_step_shows_the_countdown_and_the_server_refuses_an_early_question(people, site):
    ana = people()
    joins_on_the_chapter(ana, "Ana")
    countdown = ana.page.locator(".think-timer-text")
    expect(countdown).to_have_text(re.compile(r"opens on this step in [45]:\d\d\."))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=5_000)        # it counts down by itself
    expect(ana.page.get_by_role("button", name="Ask", exact=True)).to_be_disabled()
    expect(ana.page.get_by_label("What have you tried?")).to_be_visible()
    refused = ana.page.evaluate("""async () => {
        const token = document.querySelector("meta[name=csrf-token]").content;
        const response = await fetch("/api/ask", {method: "POST", headers: {
            "Content-Type": "application/json", "X-CSRF-Token": token}, body: JSON.stringify({
            question: "What is a route?", mode: "explain",
            context: {pack: "first-web-app", doc: "flask-workshop/02-hello-web"}})});
        return {status: response.status, body: await response.json()};
    }""")
    assert refused["status"] == 403 and 0 < refused["body"]["seconds_left"] <= 300
    assert ana.failed == [f"403 {site.url}/api/ask"]
    ana.failed.clear()
    site.clock.t += 5 * 60
    ana.page.reload()
    expect(ana.page.locator(".think-timer-open")).to_be_visible()
    expect(ana.page.get_by_role("button", name="Ask", exact=True)).to_be_enabled()
    ana.assert_stayed_home()


# ---------------------------------------------------------------------------------------------
# The glance, live


@pytest.fixture
def class_site(serve, bundled_content, tmp_path):
    """No think-first timer: learners ask at once."""
    return class_on_a_clock(serve, bundled_content, tmp_path, PIN)


@pytest.fixture
def class_people(browser, class_site):
    yield from people_on(browser, class_site.url)


def stays_on_the_page(person):
    """A mark only this page load has: still there after an update means no reload happened."""
    person.page.evaluate("window.sameLoad = 'yes'")
    return lambda: person.page.evaluate("window.sameLoad") == "yes"


def test_the_teacher_view_updates_while_a_learner_asks(class_people):
    ana, teacher = class_people(), class_people()
    joins_on_the_chapter(ana, "Ana")
    teacher_logs_in(teacher)
    same_load = stays_on_the_page(teacher)
    latest = teacher.page.locator("#glance .live-questions .question")
    expect(latest).to_have_count(0)
    ana.page.fill("#ask-question", "What is the capital of <b>Peru</b>?")
    ana.page.get_by_role("button", name="Ask", exact=True).click()
    expect(latest.first).to_have_text("What is the capital of <b>Peru</b>?")
    expect(teacher.page.locator("#glance .live-questions .meta").first).to_contain_text("Ana")
    # the answer (not in the library) reaches the third card as well
    expect(teacher.page.locator("#glance .unanswered-groups")).to_contain_text("Hello, web")
    assert same_load()
    for person in (ana, teacher):
        person.assert_stayed_home()


def test_the_stuck_card_appears_for_a_learner_who_made_no_progress_while_others_did(class_people, class_site):
    ana, bo, cy, teacher = class_people(), class_people(), class_people(), class_people()
    for learner, nickname in ((ana, "Ana"), (bo, "Bo"), (cy, "Cy")):
        joins_on_the_chapter(learner, nickname)
    teacher_logs_in(teacher)
    same_load = stays_on_the_page(teacher)
    cards = teacher.page.locator("#glance .stuck-card")
    expect(cards).to_have_count(0)
    class_site.clock.t += 12 * 60                      # twelve minutes pass, in the kit's clock
    for learner in (bo, cy):
        learner.submit(learner.page.locator("a[rel=next]").first)
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Ana")
    expect(cards.first).to_contain_text("Hello, web")
    expect(cards.first).to_contain_text("No progress for 12 minutes")
    positions = teacher.page.locator("#glance svg.chart-positions title")
    expect(positions.filter(has_text="Hello, web")).to_have_text(re.compile(r"— 1$"))
    expect(positions.filter(has_text="Routes and variables")).to_have_text(re.compile(r"— 2$"))
    assert same_load()
    teacher.assert_stayed_home()


def test_the_self_test_report_on_the_bundled_workshop_lists_every_chapter(class_people, bundled_content):
    from tests.test_readiness import bundled_chapter_titles
    teacher = class_people()
    teacher_logs_in(teacher)
    expect(teacher.page.locator("#readiness")).to_contain_text("No self-test yet.")
    teacher.submit(teacher.page.get_by_role("button", name="Run the self-test"))
    rows = teacher.page.locator("#readiness table.readiness-table tbody th[scope=row]")
    expect(rows).to_have_text(bundled_chapter_titles(bundled_content), timeout=60_000)
    expect(teacher.page.locator("#readiness")).to_contain_text("Last self-test:")
    teacher.assert_stayed_home()


@pytest.mark.parametrize("typed", ["-1", "10000"])
def test_a_timer_out_of_range_is_refused_beside_its_field_and_nothing_is_lost(class_people, class_site, typed):
    teacher = class_people()
    teacher_logs_in(teacher)
    field = teacher.page.get_by_label("Minutes on a step before the tutor opens")
    field.fill(typed)
    teacher.submit(teacher.page.get_by_role("button", name="Save settings"))
    expect(teacher.page.locator("#think_first_minutes-error")).to_have_text(re.compile(
        r"^Minutes on a step before the tutor opens must be a whole number from 0 to 120\."))
    expect(field).to_have_value(typed)                       # what was typed, back to fix
    expect(field).to_have_attribute("aria-invalid", "true")
    assert class_site.services.store.class_settings()["think_first_minutes"] == 0
    teacher.failed.clear()                                   # the 400 is the answer under test
