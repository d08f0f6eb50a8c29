"""The languages Lantern's own words are translated into, beside their catalogs
(`<code>/LC_MESSAGES/messages.po`, compiled to `.mo` by `make translations`).

One owner for the list: the web's language picker, the class default's check (classroom/rules.py)
and the catalog tests all read LANGUAGES, so adding a language is a catalog plus one line here.
"""
from __future__ import annotations

from pathlib import Path

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
