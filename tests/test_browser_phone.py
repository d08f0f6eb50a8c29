"""A learner's phone as a first-class screen, in a real browser (Debian's Chromium, headless) at
390 px: a chapter opens with its heading, not with the 26-item contents (folded behind one
control above the text; beside the text on a laptop); the contents' numbers are whole, none cut
at an edge; the way to the ask box is always at hand; code scrolls sideways by keyboard, the
page and the tutor's answer never do; no text is under 16 px and every control and stand-alone
link is at least 44 px tall.

The pages are tests/page_kinds.py's; the 26 chapters are tests/long_workshop.py's.
"""
from __future__ import annotations

import pytest

from tests.chromium import skip_module_without_chromium
from tests.long_workshop import CHAPTERS, chapter_path

skip_module_without_chromium()

from playwright.sync_api import expect  # noqa: E402  (only once Chromium exists)

from tests import page_kinds  # noqa: E402
from tests.page_kinds import CHAPTER, PAGE_KINDS, ask_and_get_a_whole_page, ask_and_see_it_streamed  # noqa: E402

site, people, wheel_packages = page_kinds.site, page_kinds.people, page_kinds.wheel_packages   # pytest's fixtures

pytestmark = pytest.mark.browser
PHONE, LAPTOP = 390, 1280
LONG_CHAPTER = chapter_path(11)


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def test_on_a_phone_a_chapter_opens_with_its_heading_and_the_contents_folded_above_it(people):
    someone = people(PHONE)
    page = someone.page_of("visitor")
    page.goto(someone.origin + LONG_CHAPTER)
    screen_height = page.viewport_size["height"]
    heading = box(page, "article h1")
    assert heading["y"] >= 0 and heading["y"] + heading["height"] <= screen_height, \
        f"the heading is at {heading['y']:.0f}-{heading['y'] + heading['height']:.0f}px of a {screen_height}px screen"
    expect(page.locator("aside.toc ol.chapters")).to_be_hidden()
    control = box(page, "aside.toc summary")
    assert control["y"] + control["height"] <= heading["y"], "the contents' control comes before the text"
    prev_next = box(page, "nav.prev-next")
    text = box(page, "article pre")
    assert prev_next["y"] >= text["y"] + text["height"], "previous and next come after the text"
    page.locator("aside.toc summary").click()
    expect(page.locator("aside.toc ol.chapters > li")).to_have_count(CHAPTERS)
    expect(page.locator("aside.toc ol.chapters")).to_be_visible()


def test_on_a_laptop_the_contents_stay_open_in_a_side_column(people):
    someone = people(LAPTOP)
    page = someone.page_of("visitor")
    page.goto(someone.origin + LONG_CHAPTER)
    expect(page.locator("aside.toc ol.chapters")).to_be_visible()
    expect(page.locator("aside.toc summary")).to_be_hidden()
    contents, text = box(page, "aside.toc"), box(page, "article h1")
    assert contents["x"] + contents["width"] <= text["x"], "the contents are a column beside the text"
    assert contents["y"] < text["y"] + text["height"], "the column starts beside the heading"


# The numbers of an ordered list are ::marker boxes, which no DOM API measures: Chrome's DevTools
# protocol lays them out as pseudo-elements of each <li> and gives their boxes.
def marker_boxes(page, list_selector: str) -> list[dict]:
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        items = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": f"{list_selector} > li"})["nodeIds"]
        boxes = []
        for item in items:
            node = cdp.send("DOM.describeNode", {"nodeId": item, "depth": 1})["node"]
            marker = next(p for p in node.get("pseudoElements", []) if p.get("pseudoType") == "marker")
            quad = cdp.send("DOM.getBoxModel", {"backendNodeId": marker["backendNodeId"]})["model"]["border"]
            xs, ys = quad[0::2], quad[1::2]
            boxes.append({"left": min(xs), "right": max(xs), "top": min(ys), "bottom": max(ys)})
        return boxes
    finally:
        cdp.detach()


VISIBLE_AREA = """(selector) => {   // the viewport's width, less what any scrolling or clipping box cuts
  let left = 0, right = document.documentElement.clientWidth;
  for (let el = document.querySelector(selector).parentElement; el; el = el.parentElement) {
    if (getComputedStyle(el).overflowX !== "visible") {
      const r = el.getBoundingClientRect();
      left = Math.max(left, r.left + el.clientLeft);
      right = Math.min(right, r.left + el.clientLeft + el.clientWidth);
    }
  }
  return {left, right};
}"""


@pytest.mark.parametrize("width, locale", [(PHONE, "en"), (PHONE, "ar"), (LAPTOP, "en"), (LAPTOP, "ar")])
def test_the_numbers_of_a_26_chapter_contents_list_are_whole(people, width, locale):
    someone = people(width, locale)
    page = someone.page_of("visitor")
    page.goto(someone.origin + LONG_CHAPTER)
    if page.locator("aside.toc summary").is_visible():
        page.locator("aside.toc summary").click()
    markers = marker_boxes(page, "aside.toc ol.chapters")
    assert len(markers) == CHAPTERS
    area = page.evaluate(VISIBLE_AREA, "aside.toc ol.chapters")
    cut = [f"{n}. at {m['left']:.1f}-{m['right']:.1f}px" for n, m in enumerate(markers, start=1)
           if m["left"] < area["left"] or m["right"] > area["right"] or m["right"] - m["left"] <= 0]
    assert cut == [], f"numbers outside {area['left']:.1f}-{area['right']:.1f}px: {cut}"


def test_the_ask_link_at_the_top_stays_in_view_on_a_phone_and_leads_to_the_ask_box(people):
    someone = people(PHONE)
    page = someone.page_of("visitor")
    page.goto(someone.origin + CHAPTER)
    link = page.locator("a.ask-link")
    expect(link).to_be_in_viewport()
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    expect(link).to_be_in_viewport()
    link.click()
    expect(page.locator("section.ask h2")).to_be_in_viewport()
    assert page.evaluate("location.hash") == "#ask"


def test_code_blocks_are_reached_and_scrolled_sideways_by_keyboard(people):
    someone = people(PHONE)
    page = someone.page_of("visitor")
    page.goto(someone.origin + LONG_CHAPTER)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "PRE":
            break
    code = page.locator("pre:focus")
    expect(code).to_have_attribute("role", "region")
    expect(code).to_have_attribute("aria-label", "Code 1")
    assert code.evaluate("el => el.scrollWidth > el.clientWidth"), "the fixture's code line should be too long"
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")     # keyboard scrolling is animated
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


@pytest.mark.parametrize("asks", [ask_and_see_it_streamed, ask_and_get_a_whole_page], ids=["streamed", "whole-page"])
def test_an_answer_on_a_phone_needs_no_sideways_scrolling(people, asks):
    someone = people(PHONE)
    page = someone.page_of("learner" if asks is ask_and_see_it_streamed else "learner without JS")
    page.goto(someone.origin + CHAPTER)
    asks(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    answer = page.locator(".answer-box:not([hidden])").first
    assert answer.evaluate("el => el.getBoundingClientRect().right") <= PHONE
    wide = answer.evaluate("""el => [...el.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1
                                      && getComputedStyle(e).overflowX !== 'visible' && e.tagName !== 'PRE')
                                      .map(e => e.tagName + '.' + e.className)""")
    assert wide == [], f"parts of the answer that scroll sideways: {wide}"


SMALL_TEXT = """() => {     // text shown in a font under 16 px: "<size>px <tag.class>: <text>"
  const found = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement, text = node.textContent.trim();
    if (!text || !el.getClientRects().length || el.closest('.hidden-label, .skip, [hidden]')) continue;
    // An SVG's text is drawn at its font size times the picture's scale (its viewBox to the screen)
    const scale = el instanceof SVGGraphicsElement ? el.getScreenCTM().a : 1;
    const size = parseFloat(getComputedStyle(el).fontSize) * scale;
    if (size < 15.95)
      found.push(`${size}px ${el.tagName.toLowerCase()}.${el.getAttribute('class')}: ${text.slice(0, 30)}`);
  }
  return [...new Set(found)];
}"""

# Tap targets: every control, and every link that is not inside a sentence (WCAG exempts links
# in running text; the material's own links are its text). A checkbox or radio is tapped by its label.
SMALL_TARGETS = """() => {
  const found = [];
  const targets = document.querySelectorAll('button, select, textarea, summary, input:not([type=hidden]), a[href]');
  for (const el of targets) {
    if (el.tagName === 'A' && (el.closest('p, td, .snippet, .answer-text')
                               || (el.closest('article.document') && !el.closest('nav')))) continue;
    const target = el.matches('input[type=checkbox], input[type=radio]') ? (el.closest('label') || el) : el;
    const r = target.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(target).visibility === 'hidden') continue;
    if (r.height < 43.5 || r.width < 43.5)      // 44 px, less sub-pixel rounding
      found.push(`${Math.round(r.width)}x${Math.round(r.height)} ${target.tagName.toLowerCase()}.${target.className}: `
                 + (target.textContent || target.name || '').trim().slice(0, 30));
  }
  return [...new Set(found)];
}"""


def test_on_a_phone_no_text_is_under_16px_and_every_tap_target_is_44px(people):
    someone = people(PHONE)
    small_text, small_targets = {}, {}
    for page_kind in PAGE_KINDS:
        page = someone.visit(page_kind)
        if page.evaluate(SMALL_TEXT):
            small_text[page_kind.kind] = page.evaluate(SMALL_TEXT)
        if page.evaluate(SMALL_TARGETS):
            small_targets[page_kind.kind] = page.evaluate(SMALL_TARGETS)
    assert small_text == {}, f"text under 16px: {small_text}"
    assert small_targets == {}, f"tap targets under 44px: {small_targets}"
