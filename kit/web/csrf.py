"""Cross-site request forgery protection: one random token per browser session.

On a classroom LAN any page a learner opens (or any site on the internet, when a laptop has
both) could make their browser post to the kit. Every state-changing request must therefore
carry the token the kit put in its own pages: a hidden `csrf_token` field in forms, or the
`X-CSRF-Token` header (ask.js reads it from `<meta name="csrf-token">`). Another origin cannot
read our pages, so it cannot know the token.
"""
from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session
from flask_babel import gettext

from kit.translations import marked
from kit.web.local_api import local_caller
from kit.web.session_keys import CSRF_KEY

FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
OUT_OF_DATE = marked("This page was out of date; reload it and try again.")


def csrf_token() -> str:
    """This session's token, made on first use (so every page that shows a form sets it)."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def rotate_csrf_token() -> str:
    """A fresh token, e.g. when the teacher logs in, so a token seen before is worth nothing."""
    session.pop(CSRF_KEY, None)
    return csrf_token()


def _sent_token() -> str:
    # The header first: reading request.form parses the body, which JSON callers do not need.
    return request.headers.get(HEADER) or request.form.get(FORM_FIELD, "")


def init_csrf(app: Flask) -> None:
    """Reject every unsafe request whose token does not match the session's (400, with a page
    for forms and JSON for /api/); offer `csrf_token()` to the templates."""
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def check_csrf_token():
        if request.method not in UNSAFE_METHODS or local_caller():   # a command, not a browser
            return None
        expected = session.get(CSRF_KEY)
        sent = _sent_token()          # a body over the size limit raises 413 here, as it should
        # bytes: compare_digest refuses str with non-ASCII characters (a 500, not a 400)
        if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
            abort(400, gettext(OUT_OF_DATE))
        return None
