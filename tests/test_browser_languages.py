"""The UI in the learner's language in a real browser (Debian's Chromium, headless): a browser
set to French joins, reads a chapter, searches and asks the tutor (the real embedded model), and
the teacher's view is read in French; every string shown — the server's and the scripts' — is
checked against the English catalog. An Arabic page is laid out right to left.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.chromium import skip_module_without_chromium
from tests.conftest import PACK_TOML, write_pack
from tests.engine_state import SHARED_ENGINE_DIR
from tests.test_translations import untranslated

skip_module_without_chromium()

from playwright.sync_api import expect  # noqa: E402  (only once Chromium exists)

pytestmark = pytest.mark.browser

CHAPTERS = {
    "w/workshop.toml": 'title = "Knots for sailors"\n',
    "w/01-reef.md": "---\ntitle: The reef knot\norder: 1\n---\n## Tying it\nRight over left, then left "
                    "over right, and the reef knot lies flat.\n",
    "w/02-bowline.md": "---\ntitle: The bowline\norder: 2\n---\n## A fixed loop\nThe rabbit comes out of "
                       "the hole, round the tree and back down the hole.\n",
}


ANSWER_TIMEOUT_MS = 60_000        # a first answer loads the model; two busy cores are slow


# The same workshop in French (our own words): a French class reads and asks in French.
CHAPITRES = {
    "w/workshop.toml": 'title = "Nœuds pour marins"\n',
    "w/01-plat.md": "---\ntitle: Le nœud plat\norder: 1\n---\n## Le faire\nDroite sur gauche, puis gauche sur "
                    "droite : le nœud plat reste bien à plat.\n",
}


@pytest.fixture
def site(library_dirs, make_settings, serve):
    write_pack(library_dirs[0], "knots", CHAPTERS, title="Knots")
    write_pack(library_dirs[0], "noeuds", CHAPITRES,
               pack_toml=PACK_TOML.format(title="Nœuds").replace('language = "en"', 'language = "fr"'))
    site = serve(make_settings(engine_dir=SHARED_ENGINE_DIR, engine="embedded"))
    site.services.tutor.answer_tokens = 12
    return site


@pytest.fixture
def english_library(library_dirs, make_settings, serve):
    write_pack(library_dirs[0], "knots", CHAPTERS, title="Knots")
    return serve(make_settings(engine_dir=SHARED_ENGINE_DIR, engine="embedded"))


@pytest.fixture
def context(browser):
    contexts = []

    def make(locale: str, **options):
        contexts.append(browser.new_context(locale=locale, **options))
        page = contexts[-1].new_page()
        page.set_default_timeout(10_000)
        return page
    yield make
    for one in contexts:
        one.close()


def french_throughout(page) -> None:
    html = page.content()      # the page as the browser holds it, scripts' words included
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert not untranslated(html, "fr"), (page.url, untranslated(html, "fr"))


def test_a_french_browser_joins_reads_and_searches_in_french(site, context):
    page = context("fr-FR")
    page.goto(site.url + "/")
    french_throughout(page)
    assert page.locator("h1").inner_text() == "Bibliothèque"
    with page.expect_navigation():
        page.get_by_role("link", name="Rejoindre la classe").first.click()
    french_throughout(page)
    page.fill("#nickname", "Awa")
    with page.expect_navigation():
        page.get_by_role("button", name="Rejoindre").click()
    french_throughout(page)
    assert "Bienvenue, Awa !" in page.locator(".flashes").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="The reef knot").first.click()
    french_throughout(page)
    assert page.locator(".toc h2").first.inner_text() == "Chapitres"
    assert page.get_by_role("button", name="Marquer ce chapitre comme terminé").is_visible()
    page.fill("#site-q", "rabbit")
    with page.expect_navigation():
        page.press("#site-q", "Enter")
    french_throughout(page)
    assert page.locator("h1").inner_text() == "Rechercher"
    assert page.locator(".results .result-meta").first.inner_text().startswith("chapitre")
    # the tutor: the script's words (status, labels) in French while the answer streams
    page.goto(site.url + "/p/noeuds/w/01-plat")
    french_throughout(page)
    page.fill("#ask-question", "Comment faire un nœud plat ?")
    page.get_by_role("button", name="Demander").click()
    expect(page.locator(".sources a").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".ask-cancel")).to_be_hidden(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".answer-status")).not_to_have_text(re.compile("…$"), timeout=ANSWER_TIMEOUT_MS)
    french_throughout(page)
    assert page.locator("label[for=ask-question]").inner_text() == "Votre question"
    # the picker, without any script: Spanish for this learner from now on
    page.select_option("#pick-language", "es")
    with page.expect_navigation():
        page.get_by_role("button", name="Changer").click()
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.url.endswith("/p/noeuds/w/01-plat")            # back on the page it was picked on
    assert page.locator(".toc h2").first.inner_text() == "Capítulos"


@pytest.mark.parametrize("width, height", [(1024, 600), (390, 844)])
def test_an_arabic_page_reads_right_to_left(site, context, tmp_path, width, height):
    page = context("ar", viewport={"width": width, "height": height})
    page.goto(site.url + "/p/knots/w/01-reef")
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    brand = page.locator("header.site .brand").bounding_box()
    assert brand["x"] > width / 2, "the header starts on the right"
    # the English chapter itself keeps reading left to right inside the Arabic page
    assert page.evaluate("getComputedStyle(document.querySelector('article')).direction") == "ltr"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot = Path(os.environ.get("LANTERN_SCREENSHOTS", tmp_path)) / f"arabic-chapter-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


def test_the_teacher_reads_the_class_view_in_french(site, context):
    site.services.store.set_teacher_pin("2468")
    learner = context("fr-FR")
    learner.goto(site.url + "/join")
    learner.fill("#nickname", "Awa")
    with learner.expect_navigation():
        learner.get_by_role("button", name="Rejoindre").click()
    teacher = context("fr-FR")
    teacher.goto(site.url + "/teacher/login")
    french_throughout(teacher)
    teacher.fill("#pin", "2468")
    with teacher.expect_navigation():
        teacher.get_by_role("button", name="Se connecter").click()
    french_throughout(teacher)
    assert teacher.locator("h1").inner_text() == "Votre classe"
    # the class default, set here, is what a browser asking for no language of ours gets
    teacher.select_option("#language", "sw")
    with teacher.expect_navigation():
        teacher.get_by_role("button", name="Enregistrer les réglages").click()
    assert "Réglages de la classe enregistrés." in teacher.locator(".flashes").inner_text()
    visitor = context("de-DE")
    visitor.goto(site.url + "/")
    assert visitor.evaluate("document.documentElement.lang") == "sw"
    assert visitor.locator("h1").inner_text() == "Maktaba"


def test_a_french_learner_on_an_english_library_is_refused_in_french(english_library, context):
    site = english_library
    page = context("fr-FR")
    page.goto(site.url + "/join")
    page.fill("#nickname", "Awa")
    with page.expect_navigation():
        page.get_by_role("button", name="Rejoindre").click()
    page.goto(site.url + "/p/knots/w/01-reef")
    page.fill("#ask-question", "Qui a gagné la coupe du monde de football en 1998 ?")
    page.get_by_role("button", name="Demander").click()
    expect(page.locator(".answer-text")).to_have_text(re.compile(r"\S"), timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".answer-status")).not_to_have_text(re.compile("…$"), timeout=ANSWER_TIMEOUT_MS)
    french_throughout(page)
