"""What every response gets: security headers (and `private` for HTML that says nothing about
caching), and one error handler that answers JSON to /api/ and data URLs and a page that says
what to do to everyone else."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext

from kit.translations import marked
from werkzeug.exceptions import HTTPException

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


def init_errors(app: Flask) -> None:
    """One handler for every HTTP error: JSON for /api/ and data URLs, a page otherwise."""
    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code == 413:      # werkzeug's own text does not say what to do
            error.description = gettext("What was sent is larger than this kit accepts (%(kb)s KB). "
                                        "Make it shorter and try again.",
                                        kb=current_app.config["LANTERN"].max_request_kb)
        if error.description == type(error).description and error.code in PLAIN_WORDS:
            error.description = gettext(PLAIN_WORDS[error.code])
        if request.path.startswith("/api/") or request.path.endswith(".json"):
            return jsonify(error=error.description), error.code
        return render_template("error.html", error=error), error.code
