"""Reading and checking what a request asks for, shared by several views of app.py: a bad
value is a 400 (or 404) that says what to send instead."""
from __future__ import annotations

from flask import abort, request
from flask_babel import gettext

from kit.classroom.rules import ANNOUNCEMENT_MAX, settings_with_errors
from kit.classroom.store import NotAllowed, NotFound
from kit.library import catalog
from kit.library.search import KINDS
from kit.translations import LANGUAGES
from kit.tutor.question_checks import MODES
from kit.web.identity import index_db, store


def search_arguments():
    query = request.args.get("q", "").strip()[:500]
    pack, kind = request.args.get("pack") or None, request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        abort(400, gettext("kind must be one of %(kinds)s", kinds=", ".join(KINDS)))
    return query, pack, kind


def chapter_from_form() -> tuple[str, str]:
    pack, doc = request.form.get("pack", ""), request.form.get("doc", "")
    if not catalog.is_chapter(index_db(), pack, doc):
        abort(404, gettext("There is no such chapter in the library."))
    return pack, doc


def rate_own_answer(exchange_id: str, learner_id: str, helpful: bool, comment: str) -> None:
    """Save a learner's feedback on one of their answers. Another learner's answer and one
    that is not there get the same 404: a learner is never told which answers exist."""
    try:
        store().set_feedback(exchange_id, learner_id, helpful, comment)
    except (NotFound, NotAllowed):
        abort(404, gettext("That answer is not one of yours, or it is no longer in today's class log."))


# The settings form's fields: text boxes (sent as typed) and checkboxes (absent when unticked).
FORM_TEXT_FIELDS = ("think_first_min", "think_first_minutes", "questions_per_minute", "announcement")
FORM_SWITCHES = ("think_first", "tutor_enabled")


def parse_class_settings(form) -> tuple[dict, dict[str, str]]:
    """(changes for Store.update_class_settings, error message by field) from the settings form,
    checked by the class settings' one validator (classroom/rules.py). Unticked checkboxes are
    not sent at all, so a missing box means off; older forms without a field leave it as it is."""
    raw = {name: form.get(name) or "" for name in FORM_TEXT_FIELDS if name in form}
    raw.update({name: form.get(name) == "on" for name in FORM_SWITCHES})
    raw["modes"] = [mode for mode in form.getlist("modes") if mode]
    if "pinned_shown" in form:   # today's chapters: ticked boxes only, so the form says it has them
        raw["pinned"] = form.getlist("pinned")
    if "language" in form:       # the class's default UI language (a select: absent from older forms)
        raw["language"] = form.get("language")
    changes, errors = settings_with_errors(raw)
    return changes, {name: str(error) for name, error in errors.items()}


def settings_form_choices() -> dict:
    return {"modes": MODES, "announcement_max": ANNOUNCEMENT_MAX, "languages": LANGUAGES}
