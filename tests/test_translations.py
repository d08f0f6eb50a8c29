"""The UI in the learner's language: complete catalogs, no English left in the templates, and the
language chosen from the picker, the learner's record, the browser and the class default —
through the real app on a real server.

The catalogs are read with Babel's own reader and the words to translate are extracted afresh
from the code and templates (babel.cfg), so a new English string nobody translated fails here.
"""
from __future__ import annotations

import http.cookiejar
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from kit.translations import CATALOG_FOLDER, LANGUAGES, SOURCE_LANGUAGE
from kit.web.locale import pick_locale, script_text, when
from tests.conftest import write_pack
from tests.web_client import WebClient

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [code for code in LANGUAGES if code != SOURCE_LANGUAGE]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_plural_forms": (2, 3), "lazy_text": None,
            "lazy_plural": (1, 2), "marked": None}   # as `make translations` extracts them
PLACEHOLDER = re.compile(r"%\((\w+)\)s")

CHAPTERS = {
    "w/workshop.toml": 'title = "Knots for sailors"\n',
    "w/01-reef.md": "---\ntitle: The reef knot\norder: 1\n---\n## Tying it\nRight over left, then left over right.\n",
    "w/02-bowline.md": "---\ntitle: The bowline\norder: 2\n---\n## A fixed loop\nThe rabbit comes out of the hole.\n",
}
REEF = "/p/knots/w/01-reef"


def extracted_messages() -> dict:
    """msgid (a str, or (singular, plural)) → where it was found, from the sources as they are now."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.setdefault(message, filename)
    return found


def catalog(code: str):
    with open(CATALOG_FOLDER / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=code)


# -- the catalogs ---------------------------------------------------------------------------------

def test_the_sources_have_words_to_translate():
    """The extraction itself works (else every catalog would be trivially complete)."""
    messages = extracted_messages()
    assert len(messages) > 100
    assert "Join the class" in messages and ("%(num)s page", "%(num)s pages") in messages


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_has_a_translation(code):
    """Fuzzy or empty counts as missing; every plural form must be there."""
    translations = catalog(code)
    missing = []
    for msgid, where in extracted_messages().items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = translations.get(key)
        strings = message.string if message is not None else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if message is None or message.fuzzy or not all(strings):
            missing.append(f"{where}: {msgid!r}")
        elif isinstance(msgid, tuple) and len(strings) != translations.num_plurals:
            missing.append(f"{where}: {msgid!r} has {len(strings)} of {translations.num_plurals} plural forms")
    assert not missing, f"{code}: {len(missing)} untranslated:\n" + "\n".join(missing)


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_the_placeholders(code):
    """`%(name)s` filled in by the code must survive translation (a renamed one would crash the
    page); a plural form may leave the number out ("صفحتان" is "two pages")."""
    wrong = []
    for message in catalog(code):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            used = set(PLACEHOLDER.findall(text or ""))
            if not used <= wanted or (len(ids) == 1 and used != wanted):
                wrong.append(f"{message.id!r} → {text!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalog_matches_its_source(code):
    """The kit reads the .mo files: one compiled from an older .po would show old words."""
    folder = CATALOG_FOLDER / code / "LC_MESSAGES"
    with open(folder / "messages.mo", "rb") as mo:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(mo) if m.id}
    source = {_key(m.id): _key(m.string) for m in catalog(code) if m.id and not m.fuzzy}
    assert compiled == source, f"run `make translations` to compile {folder}"


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


# -- no English left in the templates -----------------------------------------------------------

class _TemplateText(HTMLParser):
    """Words written straight into a template, outside Jinja and outside code."""
    SKIP = {"code", "pre", "script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.words = 0, []

    def handle_starttag(self, tag, attrs):
        self.depth += tag in self.SKIP
        for name, value in attrs:
            if name in ("title", "alt", "placeholder", "aria-label") and value:
                self.words.append(value)

    def handle_endtag(self, tag):
        self.depth -= tag in self.SKIP

    def handle_data(self, data):
        if not self.depth:
            self.words.append(data)


JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
NOT_WORDS = re.compile(r"\b(Lantern|sha256)\b")     # the kit's name, a checksum's name


def bare_words(source: str) -> list[str]:
    parser = _TemplateText()
    parser.feed(JINJA.sub(" ", source))
    return [text.strip() for text in parser.words if re.search(r"[A-Za-z]{2}", NOT_WORDS.sub("", text))
            and not re.fullmatch(r"\s*[a-z]+(-[a-z]+)+\s*", text)]      # a CSS class (body_class)


def test_no_template_has_bare_english():
    found = {str(path.relative_to(ROOT)): bare_words(path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / "kit" / "web" / "templates").rglob("*.html"))}
    assert not {path: words for path, words in found.items() if words}


def test_the_template_check_sees_bare_words():
    assert bare_words('<p>Join the class</p><a title="Help me">{{ _("Ok") }}</a>') == ["Join the class", "Help me"]
    assert bare_words('<p>{{ _("Ok") }}</p><pre><code>pip install x</code></pre>') == []


class _VisibleText(HTMLParser):
    """Text a reader sees (and the titles and labels a screen reader says), outside code and
    outside a pack's own text (marked with another `lang`: the kit does not translate packs)."""
    SKIP = {"code", "pre", "script", "style", "option"}
    VOID = {"meta", "link", "input", "img", "br", "hr", "source", "wbr"}

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language, self.depth, self.texts, self.open = language, 0, [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            if not self.depth:
                self._attributes(attrs)
            return
        foreign = dict(attrs).get("lang", self.language).split("-")[0] != self.language
        skipping = tag in self.SKIP or foreign
        self.open.append(skipping)
        self.depth += skipping
        if not self.depth:
            self._attributes(attrs)

    def _attributes(self, attrs):
        self.texts += [value.strip() for name, value in attrs
                       if name in ("title", "alt", "placeholder", "aria-label") and value]

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.depth -= self.open.pop()

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.texts.append(data.strip())


def untranslated(html: str, code: str) -> list[str]:
    """Visible texts that are one of the English messages, whole (placeholders match anything),
    where the language's catalog says something else."""
    translations = catalog(code)
    patterns = []
    for message in translations:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in english:
            if text not in strings:
                pattern = re.escape(text).replace(r"%\(", "%(").replace(r"\)s", ")s")
                pattern = PLACEHOLDER.sub(lambda m: r"[\d\s.,\u00a0\u202f]+" if m.group(1) == "num" else ".+", pattern)
                patterns.append(re.compile(pattern.strip() + r"\Z"))
    parser = _VisibleText(code)
    parser.feed(html)
    return [text for text in parser.texts if any(p.match(text) for p in patterns)]


def test_the_page_check_sees_english():
    assert untranslated("<p>Join the class</p><p>Rejoindre la classe</p>", "fr") == ["Join the class"]
    assert untranslated('<article lang="en"><p>Join the class</p></article><p>Search</p>', "fr") == ["Search"]
    assert untranslated('<p>Welcome, Ana! Your progress and questions are kept under this name.</p>', "fr")


# -- through the real app -----------------------------------------------------------------------

@pytest.fixture
def site(library_dirs, make_settings, serve):
    write_pack(library_dirs[0], "knots", CHAPTERS, title="Knots")
    return serve(make_settings())


def browser(site, language: str | None = None) -> WebClient:
    client = WebClient(site.url)
    if language:
        original = client.request
        client.request = lambda method, path, body=None, headers=None: original(
            method, path, body, {"Accept-Language": language, **(headers or {})})
    return client


def html_lang(text: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]*)" dir="([^"]*)">', text)
    assert found, text[:200]
    return found.groups()


PAGES = ["/", "/p/knots/", REEF, "/search?q=knot", "/search?q=nothing-like-this", "/join", "/me",
         "/ask", "/setup", "/join-poster", "/teacher/login", "/no-such-page"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_page_is_in_the_browsers_language(site, code):
    """A learner who has joined sees every page (and its titles and labels) in their language."""
    learner = browser(site, code)
    assert learner.post("/join", {"nickname": "Ana", "next": "/"}).status == 303
    for path in PAGES:
        page = learner.get(path)
        assert page.status in (200, 404), (path, page.status)
        assert html_lang(page.text) == (code, LANGUAGES[code][1])
        assert not untranslated(page.text, code), (path, untranslated(page.text, code))


def test_a_french_browser_gets_french_and_arabic_right_to_left(site):
    french = browser(site, "fr-FR,fr;q=0.9,en;q=0.5").get("/")
    assert html_lang(french.text) == ("fr", "ltr") and "Bibliothèque" in french.text
    arabic = browser(site, "ar-EG,ar;q=0.9").get(REEF)
    assert html_lang(arabic.text) == ("ar", "rtl")
    # the pack is English: its text says so inside the Arabic page
    assert '<article class="document chapter" lang="en" dir="ltr">' in arabic.text
    assert html_lang(browser(site).get("/").text) == ("en", "ltr")


@pytest.mark.parametrize("header, language", [
    ("fr-CA", "fr"), ("pt-BR,pt;q=0.9", "pt"), ("es-419", "es"), ("sw-KE", "sw"), ("AR-eg", "ar"),
    ("de-DE,fr;q=0.5", "fr"), ("en-US,en;q=0.9,fr;q=0.8", "en"), ("de", "sw"), ("zh-CN", "sw"), ("", "sw")])
def test_a_browsers_languages_find_ours_by_their_first_part(header, language):
    assert pick_locale(None, header, "sw") == language


@pytest.mark.parametrize("header", ["xx", "xx-YY,zz;q=0.8", "garbage;;q=é,,", "*", ";q=0.5"])
def test_an_unknown_language_falls_back_to_the_class_default(site, header):
    site.services.store.update_class_settings(language="sw")
    page = browser(site, header).get("/")
    assert page.status == 200 and html_lang(page.text) == ("sw", "ltr")
    assert pick_locale("xx", header, "sw") == "sw"


def test_the_picker_remembers_a_choice_in_a_cookie_before_joining(site):
    visitor = browser(site, "fr")
    picked = visitor.get("/language?lang=es&next=/p/knots/")
    assert picked.status == 303 and picked.location.endswith("/p/knots/")
    assert "lantern_lang=es" in picked.headers["set-cookie"]
    assert html_lang(visitor.get("/").text) == ("es", "ltr")          # over Accept-Language fr
    assert html_lang(visitor.get(REEF).text) == ("es", "ltr")
    assert html_lang(browser(site, "fr").get(REEF).text) == ("fr", "ltr")   # others keep theirs


@pytest.mark.parametrize("code", ["xx", "", "fr<script>", "../../etc"])
def test_an_unknown_code_in_the_picker_changes_nothing_and_is_no_error(site, code):
    visitor = browser(site, "pt")
    picked = visitor.get(f"/language?lang={code}&next=/")
    assert picked.status == 303 and "lantern_lang" not in picked.headers.get("set-cookie", "")
    assert html_lang(visitor.get("/").text) == ("pt", "ltr")


def test_the_picker_is_on_every_page_and_works_without_javascript(site):
    page = browser(site, "fr").get(REEF).text
    form = re.search(r'<form class="language-picker" method="get" action="/language">.*?</form>', page, re.S)
    assert form and 'name="next" value="/p/knots/w/01-reef"' in form.group(0)
    assert '<option value="ar" lang="ar" dir="rtl">العربية</option>' in form.group(0)
    assert '<option value="fr" lang="fr" dir="ltr" selected>Français</option>' in form.group(0)


def test_a_joined_learners_choice_is_kept_on_their_record(site):
    store = site.services.store
    learner = browser(site, "fr")
    assert learner.post("/join", {"nickname": "Ana", "next": "/"}).status == 303
    for path in ("/", REEF):        # REEF: a cached page, its picker a per-person slot
        picker = re.search(r'<form class="language-picker" method="post" action="/language">.*?</form>',
                           learner.get(path).text, re.S)
        assert picker and 'name="csrf_token" value="' in picker.group(0)
    assert learner.post("/language", {"lang": "pt", "next": "/me"}).status == 303
    (ana,) = store.learners()
    assert ana["language"] == "pt"
    # the same learner on a browser without the language cookie, asking for French
    session_only = http.cookiejar.CookieJar()
    for cookie in learner.cookies:
        if cookie.name != "lantern_lang":
            session_only.set_cookie(cookie)
    again = WebClient(site.url, session_only)
    page = again.request("GET", "/me", headers={"Accept-Language": "fr"})
    assert html_lang(page.text) == ("pt", "ltr")
    # without the CSRF token the record does not change
    assert learner.post("/language", {"lang": "ar", "next": "/"}, token=False).status == 400
    assert store.learners()[0]["language"] == "pt"


def test_a_language_picked_before_joining_goes_onto_the_record(site):
    visitor = browser(site)
    visitor.get("/language?lang=sw&next=/")
    assert visitor.post("/join", {"nickname": "Juma", "next": "/"}).status == 303
    assert site.services.store.learners()[0]["language"] == "sw"


def test_the_teacher_sets_the_class_default(site):
    store = site.services.store
    store.set_teacher_pin("4321")
    teacher = browser(site)
    assert teacher.post("/teacher/login", {"pin": "4321", "next": "/teacher"}).status == 303
    settings = store.class_settings()
    form = {"modes": settings["modes"], "think_first_min": settings["think_first_min"],
            "questions_per_minute": settings["questions_per_minute"], "tutor_enabled": "on",
            "language": "ar"}
    assert teacher.post("/teacher/settings", form).status == 303
    assert store.class_settings()["language"] == "ar"
    assert html_lang(browser(site).get("/").text) == ("ar", "rtl")      # no Accept-Language
    assert html_lang(browser(site, "es").get("/").text) == ("es", "ltr")  # the browser's still wins
    assert teacher.post("/teacher/settings", {**form, "language": "xx"}).status == 400
    assert store.class_settings()["language"] == "ar"


# -- the page cache and the fast lane keep languages apart ---------------------------------------

def test_cached_pages_are_kept_per_language_and_never_served_across(site):
    lane = site.app.wsgi_app
    french, english = browser(site, "fr"), browser(site, "en")
    for _ in range(2):                  # the second round comes from the fast lane
        assert html_lang(french.get(REEF).text)[0] == "fr"
        assert html_lang(english.get(REEF).text)[0] == "en"
        assert html_lang(browser(site).get(REEF).text)[0] == "en"
    served = lane.served
    assert served >= 3
    page = french.get(REEF)
    assert lane.served == served + 1 and "Chapitres" in page.text and "Accept-Language" in page.headers["vary"]
    cookie = browser(site, "fr")
    cookie.get("/language?lang=ar&next=/")
    assert html_lang(cookie.get(REEF).text)[0] == "ar"
    served = lane.served
    assert html_lang(cookie.get(REEF).text)[0] == "ar"      # and again from the fast lane
    assert lane.served == served + 1


def test_a_new_class_default_reaches_cached_pages(site):
    anonymous = browser(site)
    assert html_lang(anonymous.get(REEF).text)[0] == "en"
    site.services.store.update_class_settings(language="fr")
    assert html_lang(anonymous.get(REEF).text)[0] == "fr"


# -- plurals, dates and the scripts' words -------------------------------------------------------

def test_plurals_and_dates_follow_the_language(site):
    app = site.app
    with app.test_request_context("/"):
        from flask_babel import ngettext
        with force_locale("ar"):
            assert ngettext("%(num)s page", "%(num)s pages", 2) == "صفحتان"
            assert ngettext("%(num)s page", "%(num)s pages", 11) == "11 صفحة"
            ahead = json.loads(script_text())["ahead"]
            assert set(ahead) == {"zero", "one", "two", "few", "many", "other"}
            assert ahead["few"].startswith("%(num)s أسئلة") and ahead["two"].startswith("سؤالان")
        with force_locale("fr"):
            assert ngettext("%(num)s page", "%(num)s pages", 1) == "1 page"
            assert when("2026-12-07T20:31:17+0000") == "07/12/2026 20:31"
        with force_locale("en"):
            assert when("2026-12-07T20:31:17+0000") == "12/7/26, 8:31\u202fPM"


def test_the_tutors_refusals_and_queue_words_are_in_the_learners_language(site):
    """Words made in the tutor's queue and admission rules (LazyText) are translated when shown,
    for whoever is shown them: the same refusal in French for one learner, English for another."""
    store = site.services.store
    french, english = browser(site, "fr"), browser(site, "en")
    for learner, name in ((french, "Awa"), (english, "Ben")):
        assert learner.post("/join", {"nickname": name, "next": "/"}).status == 303
    store.update_class_settings(tutor_enabled=False)
    asked = {"question": "How do I tie a reef knot?", "mode": "explain"}
    refused = french.post_json("/api/ask", asked, token=french.csrf_token())
    assert refused.status == 403
    assert refused.json()["error"].startswith("L’enseignant a désactivé le tuteur")
    refused = english.post_json("/api/ask", asked, token=english.csrf_token())
    assert refused.json()["error"].startswith("The teacher has turned the tutor off")
