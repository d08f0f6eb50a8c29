"""What every response gets: security headers (and `private` for HTML that says nothing about
caching), and one error handler that answers JSON to /api/ and data URLs and a page that says
what to do to everyone else — for werkzeug's errors and for the kit's own (kit/errors.py), which
carry their status, so views in kit/app.py raise and never map."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from kit.errors import KitError
from kit.translations import marked

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        # A page that says nothing about caching may hold a learner's nickname, notes or token
        # (/me, the teacher's view, forms): only this browser keeps it, and asks again.
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "private, no-cache")
        return response


# werkzeug's own words when a route gave none (a mistyped address, a wrong method), said plainly
# and in the learner's language.
PLAIN_WORDS = {
    400: marked("The kit could not understand what was sent. Go back and try again."),
    404: marked("There is nothing at this address. Check it, or start again from the library."),
    405: marked("This address does not take that kind of request. Go back and use the page's own links and buttons."),
    500: marked("Something went wrong inside the kit. Try again; if it happens again, tell the teacher."),
}


def show_problem_on(page: Callable[[str], str]) -> None:
    """A form's view names the page a KitError raised after this is shown on: `page(problem)`,
    the form again with what was typed kept and the problem above it, not the error page."""
    g.problem_page = page


def init_errors(app: Flask) -> None:
    """One handler for every HTTP error: JSON for /api/ and data URLs, a page otherwise."""
    @app.errorhandler(KitError)
    def kit_error(error: KitError):
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
        page = g.pop("problem_page", None)
        if page is not None and not _wants_json():
            return page(str(error)), error.status, headers
        if error.details and _wants_json():
            return jsonify(error=str(error), **error.details), error.status, headers
        as_http = default_exceptions.get(error.status, InternalServerError)(description=str(error))
        body, status = http_error(as_http)
        return body, status, headers

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code == 413:      # werkzeug's own text does not say what to do
            error.description = gettext("What was sent is larger than this kit accepts (%(kb)s KB). "
                                        "Make it shorter and try again.",
                                        kb=current_app.config["LANTERN"].max_request_kb)
        if error.description == type(error).description and error.code in PLAIN_WORDS:
            error.description = gettext(PLAIN_WORDS[error.code])
        if _wants_json():
            return jsonify(error=error.description), error.code
        return render_template("error.html", error=error), error.code


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")
