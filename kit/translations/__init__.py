"""The languages Lantern's own words are translated into, beside their catalogs
(`<code>/LC_MESSAGES/messages.po`, compiled to `.mo` by `make translations`).

One owner for the list: the web's language picker, the class default's check (classroom/rules.py)
and the catalog tests all read LANGUAGES, so adding a language is a catalog plus one line here.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel import support
from babel.lists import format_list

CATALOG_FOLDER = Path(__file__).parent
SOURCE_LANGUAGE = "en"           # the msgids are English: no catalog needed to show them
# code → (its own name, as a speaker writes it; text direction)
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "ltr"),
    "fr": ("Français", "ltr"),
    "pt": ("Português", "ltr"),
    "es": ("Español", "ltr"),
    "sw": ("Kiswahili", "ltr"),
    "ar": ("العربية", "rtl"),
}


def text_direction(code: str) -> str:
    """"rtl" for a right-to-left language, else "ltr" (also for codes not listed)."""
    return LANGUAGES.get(code, ("", "ltr"))[1]


@lru_cache(maxsize=len(LANGUAGES))
def catalog(code: str) -> support.NullTranslations:
    """The compiled catalog of one language (English, or a code without one: the msgids)."""
    return support.Translations.load(str(CATALOG_FOLDER), [code])


def _source_language() -> str:
    return SOURCE_LANGUAGE


_current_language: Callable[[], str] = _source_language


def set_current_language(source: Callable[[], str]) -> None:
    """Where LazyText asks whose language to speak (the web sets the request's learner's)."""
    global _current_language
    _current_language = source


class LazyText:
    """Words for a learner or teacher made where a rule is (the tutor's queue, the class's rules),
    translated only when shown: in the language of whoever is shown them then. Modules that know
    nothing of the web stay so; `make translations` finds them by `lazy_text`/`lazy_plural`."""

    __slots__ = ("singular", "plural", "params")

    def __init__(self, singular: str, plural: str | None = None, **params):
        self.singular, self.plural, self.params = singular, plural, params

    def in_language(self, code: str) -> str:
        words = catalog(code)
        text = (words.ungettext(self.singular, self.plural, self.params["num"]) if self.plural
                else words.ugettext(self.singular))
        return text % {name: _said_in(value, code) for name, value in self.params.items()} if self.params else text

    def __str__(self) -> str:
        return self.in_language(_current_language())

    def __repr__(self) -> str:
        return f"LazyText({self.in_language(SOURCE_LANGUAGE)!r})"


def _said_in(value, code: str):
    """A parameter as `code` says it: words of the kit's own (a LazyText, e.g. a tutor mode's
    name) in that language, a tuple of them as that language lists things ("Explain et Hint")."""
    if isinstance(value, LazyText):
        return value.in_language(code)
    if isinstance(value, tuple):
        return format_list([str(_said_in(item, code)) for item in value], locale=code)
    return value


def lazy_text(message: str, **params) -> LazyText:
    return LazyText(message, **params)


def lazy_plural(singular: str, plural: str, num: int, **params) -> LazyText:
    """`num` picks the plural form (Arabic has six) and fills `%(num)s`."""
    return LazyText(singular, plural, num=num, **params)


def marked(message: str) -> str:
    """A constant's English text, marked for `make translations` to find; whoever shows it
    translates it then (`gettext(OUT_OF_DATE)`). Tests can compare with the English as it is."""
    return message
