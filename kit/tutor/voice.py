"""The tutor's own lines — the refusal, the plain line under quotes, the hint's stop note — and
which languages the model writes: what a learner is told in the kit's voice, in their language.

The lines are English here (`marked`, so `make translations` finds them) and translated when
said (`said`), with the learner's language known per question rather than per request: `kit ask`
and the web both answer through kit/tutor/answering.py.
"""
from __future__ import annotations

from babel import Locale

from kit.translations import LANGUAGES, SOURCE_LANGUAGE, catalog, marked

NOT_COVERED = marked("The library does not cover this question, so I will not guess. "
                     "The closest passages are listed below; a teacher can help with the rest.")
# When no sentence of the model survived the filter: never an empty box, and no doubt about
# where the words above came from.
ONLY_QUOTES = marked("The lines above are from the material.")
ONLY_SOURCES = marked("The sources below are from the material.")
# A model host stopped in the middle of an answer (kit/tutor/model_hosts.py): the answer starts
# again on another helper, and the learner is told why the words so far went away.
MOVED = marked("That helper stopped; moving to another helper…")
LEAK_NOTE = marked("(I stopped here so the solution stays yours to find. "
                   "Try the next small step, then ask again.)")
# A model writes only the languages its manifest lists: below a French quote SmolLM2 writes
# English nonsense. So in another language the learner gets the quotes and this line.
MODEL_LANGUAGE_NOTE = marked("The lines above are from the material. The tutor's model on this "
                             "computer writes only %(languages)s, so it does not explain them in "
                             "your language; a teacher can add a model that does (kit models add "
                             "--languages).")


def said(message: str, language: str, **params) -> str:
    """One of the tutor's own lines in the learner's language (English for a code without one)."""
    code = (language or "").split("-")[0].lower()
    text = catalog(code if code in LANGUAGES else SOURCE_LANGUAGE).gettext(message)
    return text % params if params else text


def model_speaks(engine, language: str) -> bool:
    """Whether the engine's model writes `language` (its manifest's `languages`; a model with none
    listed is taken to write English, as every model the kit knows does)."""
    spoken = tuple(getattr(engine, "languages", ()) or ()) or (SOURCE_LANGUAGE,)
    return not language or language.split("-")[0].lower() in spoken


def model_languages(engine, language: str = SOURCE_LANGUAGE) -> str:
    """The languages the engine's model writes, named in the learner's language ("anglais" in
    a French sentence), by Babel's locale data."""
    code = (language or SOURCE_LANGUAGE).split("-")[0].lower()
    names = Locale.parse(code if code in LANGUAGES else SOURCE_LANGUAGE).languages
    return ", ".join(names.get(written, written) for written in
                     (tuple(getattr(engine, "languages", ()) or ()) or (SOURCE_LANGUAGE,)))
