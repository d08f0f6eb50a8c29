"""The per-person parts of a page ("slots"): nickname, CSRF token, announcement, flashed
messages, done ticks, the learner's own chapter box and the ask box.

Templates write `{{ slot("who") }}` where such a part goes. On an ordinary page the slot is
rendered at once by the macro of the same name in templates/slots/slots.html. While a document
page is rendered for the page cache (`marking_slots()`), a slot becomes a marker instead, and
`split_marked()` cuts the page into shared text and slot markers. Each request then fills the
markers for the person asking (`fill_slots`): the document is never rendered again, and nothing
of one learner can be in the cached text another learner receives.
"""
from __future__ import annotations

import json
import re
import secrets
from contextlib import contextmanager

from flask import current_app, g
from markupsafe import Markup

SLOTS_TEMPLATE = "slots/slots.html"
# A per-process nonce: text in a document can never forge a marker.
_NONCE = secrets.token_hex(8)
_MARKER = re.compile(rf"<!--slot:{_NONCE}:(.*?)-->")


def slot(name: str, *args) -> Markup:
    """The Jinja global: the slot's HTML now, or its marker while rendering for the cache."""
    if g.get("marking_slots"):
        return Markup(f"<!--slot:{_NONCE}:{json.dumps([name, *args])}-->")
    return _macros()[name](*args)


@contextmanager
def marking_slots():
    g.marking_slots = True
    try:
        yield
    finally:
        g.marking_slots = False


def split_marked(html: str) -> list[str | tuple]:
    """Shared text and (name, *args) slot markers, in page order: odd items are the slots."""
    parts = _MARKER.split(html)
    return [part if i % 2 == 0 else tuple(json.loads(part)) for i, part in enumerate(parts)]


def fill_slots(slots: list[tuple], **context) -> list[str]:
    """The HTML of each slot for the person asking, in the request's own context."""
    macros = _macros(**context)
    return [str(macros[name](*args)) for name, *args in slots]


def _macros(**extra):
    """The slot macros bound to this request's template context (made once per request)."""
    if "slot_macros" not in g or extra:
        context = dict(extra)
        current_app.update_template_context(context)
        module = current_app.jinja_env.get_template(SLOTS_TEMPLATE).make_module(context)
        macros = {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}
        if extra:
            return macros
        g.slot_macros = macros
    return g.slot_macros


def init_slots(app) -> None:
    app.jinja_env.globals["slot"] = slot
