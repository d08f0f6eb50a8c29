"""The learner's language: which of the kit's UI languages a request is answered in, the
picker's data, and the words ask.js and teacher.js show.

The choice, first that applies: a joined learner's own pick (on their record), the picker's
cookie (before joining), the browser's Accept-Language, the teacher's class default. A code
the kit has no catalog for ("xx", garbage) is never an error: the next rule applies.

`pick_locale` is the one rule, used by Flask-Babel's selector and by the fast lane
(kit/web/fast_lane.py), which answers cached pages before Flask sees the request: both must
give the same answer, or one learner's French page would reach another in English.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from flask import Flask, Response, has_request_context, redirect, request
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from babel import Locale
from flask_babel import Babel, format_datetime, get_locale
from flask_babel import gettext as _  # noqa: F401 (the routes' name for it: `from kit.web.locale import _`)
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from kit.translations import (CATALOG_FOLDER, LANGUAGES, SOURCE_LANGUAGE, LazyText, catalog, lazy_text,
                              set_current_language, text_direction)
from kit.library.search import pack_languages
from kit.web.identity import current_learner, index_db, store

COOKIE = "lantern_lang"             # the picker's choice before joining (not the session cookie)
COOKIE_MAX_AGE = 365 * 24 * 3600


@lru_cache(maxsize=256)
def _browser_language(accept_language: str) -> str | None:
    """The best of our languages for an Accept-Language header (browsers send few distinct
    values: each is parsed once). 'fr-CA' finds 'fr'; a header of garbage finds nothing."""
    named = [(value, quality) for value, quality in parse_accept_header(accept_language, LanguageAccept)
             if value != "*"]           # "any language" names none: the class default applies
    return LanguageAccept(named).best_match(LANGUAGES)


@lru_cache(maxsize=16)
def class_default(class_settings_json: str) -> str:
    """The teacher's default language from the class settings (the store keeps them as JSON)."""
    language = json.loads(class_settings_json).get("language")
    return language if language in LANGUAGES else SOURCE_LANGUAGE


def pick_locale(chosen: str | None, accept_language: str | None, default: str) -> str:
    """The language for a request: a picked code we have, else the browser's, else the class's."""
    if chosen in LANGUAGES:
        return chosen
    return (accept_language and _browser_language(accept_language)) or default


def request_locale() -> str:
    """Flask-Babel's locale selector (its result is kept for the request)."""
    if not has_request_context():       # e.g. a LazyText shown by a command in an app context
        return SOURCE_LANGUAGE
    learner = current_learner()
    chosen = learner.get("language") if learner else None
    if chosen not in LANGUAGES:
        chosen = request.cookies.get(COOKIE)
    return pick_locale(chosen, request.headers.get("Accept-Language"),
                       class_default(store().class_settings_json()))


def locale_code() -> str:
    return str(get_locale() or SOURCE_LANGUAGE)


def library_language() -> str | None:
    """The learner's language when the library has packs in it (search and the tutor keep to
    them); else None, and they read every pack, as for a class whose books are all in English."""
    code = locale_code()
    return code if code in pack_languages(index_db()).values() else None


def content_language(language: str | None) -> Markup:
    """` lang=".." dir=".."` for a pack's own text when it is not in the UI's language: the
    kit's words around it follow the learner, the pack's text reads its own way (an English
    chapter stays left to right on an Arabic page)."""
    if not language or language == locale_code():
        return Markup("")
    return Markup(' lang="%s" dir="%s"') % (language, text_direction(language.split("-")[0].lower()))


def language_options() -> Markup:
    """The picker's <option>s, each language in its own name, the current one selected."""
    return _language_options(locale_code())


@lru_cache(maxsize=len(LANGUAGES))
def _language_options(current: str) -> Markup:
    return Markup("").join(
        Markup('<option value="{0}" lang="{0}" dir="{1}"{2}>{3}</option>').format(
            code, direction, Markup(" selected") if code == current else "", name)
        for code, (name, direction) in LANGUAGES.items())


def _plural_forms(code: str, singular: str, plural: str) -> dict[str, str]:
    """A plural message in every CLDR category of a language (one, few, many, …), for the
    script to choose with the browser's Intl.PluralRules: no plural rule in JS."""
    rule, samples = Locale.parse(code).plural_form, {}
    for number in range(0, 200):
        samples.setdefault(rule(number), number)
    return {category: catalog(code).ungettext(singular, plural, number) for category, number in samples.items()}


@lru_cache(maxsize=len(LANGUAGES))
def _script_text_json(code: str) -> Markup:
    """The words ask.js and teacher.js show, in one language, as JSON for the page to embed
    (`%(num)s` and `%(message)s` are filled in by the script). Made once per language: the
    catalogs do not change while the kit runs, and a page costs nothing for them."""
    say = {
        "answering": lazy_text("Answering…"),
        "looking": lazy_text("Looking in the library…"),
        "next": lazy_text("You are next."),
        "could_not_answer": lazy_text("The tutor could not answer: %(message)s"),
        "could_not_answer_plain": lazy_text("The tutor could not answer."),
        "not_in_library": lazy_text("Not in the library. The closest passages are below."),
        "stats": lazy_text("%(engine)s · %(model)s · %(tokens)s tokens · first word after %(ttft)s ms · "
                           "%(speed)s tokens/s"),
        "tutorial_step": lazy_text("The tutorial step that covers this: "),
        "unsupported": lazy_text("not in the material — check it"),
        "connection_lost": lazy_text("The connection to the kit was lost."),
        "not_in_library_short": lazy_text("not in the library"),
        "opens_in": lazy_text("Think first: the tutor opens on this step in %(time)s."),
    }
    words = {name: text.in_language(code) for name, text in say.items()}
    words["ahead"] = _plural_forms(
        code, "%(num)s question ahead of you. The search results below may already help.",
        "%(num)s questions ahead of you. The search results below may already help.")
    modes = {"explain": lazy_text("explain"), "hint": lazy_text("hint"), "debug": lazy_text("debug")}
    words["modes"] = {mode: text.in_language(code) for mode, text in modes.items()}
    return htmlsafe_json_dumps(words)


def script_text() -> Markup:
    return _script_text_json(locale_code())


@lru_cache(maxsize=4096)
def _translated(code: str, message: str) -> Markup:
    return Markup(catalog(code).ugettext(message))      # our own catalogs: trusted text


def ui_gettext(message: str, /, **variables) -> Markup:
    """Templates' `_()`, as Jinja's new-style gettext does it (variables escaped, `%%` is `%`),
    from the catalog of the request's language: ~3 µs a call where Flask-Babel's took ~15, and a
    search page says twenty-odd things."""
    text = _translated(locale_code(), message)
    return text % variables if variables or "%" in text else text


def ui_ngettext(singular: str, plural: str, count: int, /, **variables) -> Markup:
    """Templates' `ngettext()`: `count` picks the form and is `%(num)s` unless `num=` is given
    (a formatted number, "1 234")."""
    variables.setdefault("num", count)
    return Markup(catalog(locale_code()).ungettext(singular, plural, count)) % variables


def when(value) -> str:
    """A record's time (epoch seconds or ISO text) as the learner's language writes a date."""
    try:
        moment = (datetime.fromtimestamp(value) if isinstance(value, (int, float))
                  else datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return value if isinstance(value, str) else ""
    return format_datetime(moment.replace(tzinfo=None), "short")


def init_locale(app: Flask) -> None:
    """Flask-Babel with our catalogs and selector; what every template needs to say which
    language it is in (`<html lang dir>`), offer the picker and give the scripts their words."""
    Babel(app, locale_selector=request_locale, default_translation_directories=str(CATALOG_FOLDER),
          default_locale=SOURCE_LANGUAGE, default_timezone="UTC")
    app.jinja_env.globals.update(_=ui_gettext, gettext=ui_gettext, ngettext=ui_ngettext)
    app.jinja_env.globals.update(locale_code=locale_code, text_direction=text_direction,
                                 content_language=content_language,
                                 language_options=language_options, script_text=script_text)
    app.jinja_env.filters["when"] = when
    set_current_language(locale_code)     # LazyText from the tutor's queue and the class rules


def in_learners_language(events):
    """The tutor's events with their LazyText words in this request's language: the stream is
    sent after the request's context is gone, so the language is taken now."""
    code = locale_code()
    try:
        for name, data in events:
            if isinstance(data, dict):
                data = {key: value.in_language(code) if isinstance(value, LazyText) else value
                        for key, value in data.items()}
            yield name, data
    finally:
        events.close()


def picked_language() -> str | None:
    """The picker's choice, if it is one of ours: the `lang` field, else the cookie; None for
    anything else ("xx", garbage), so the next rule of pick_locale applies."""
    for code in (request.values.get("lang"), request.cookies.get(COOKIE)):
        code = (code or "").strip().lower()
        if code in LANGUAGES:
            return code
    return None


def language_response(next_path: str) -> Response:
    """The picker's answer: back to `next_path` with the choice in a cookie; a joined learner's
    POST (the CSRF check has passed) also keeps it on their record, so it follows them."""
    response = redirect(next_path, 303)
    code = (request.values.get("lang") or "").strip().lower()
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax")
        learner = current_learner()
        if request.method == "POST" and learner is not None:
            store().set_learner_language(learner["id"], code)
    return response
