"""Cached pages for browsers with no session cookie, answered before Flask sees the request.

Profiling at 50 connections (py-spy, see README) put about half of a cached page's time in
Flask's own request machinery — context, session, URL matching, response object — for a reply
that is already bytes. This WSGI middleware answers only what Flask has already composed:
a GET or HEAD of `/p/<pack>/<slug>` with no session cookie, whose page is in the page cache
and joined for the class's current settings (`page.everyone`). Anything else — a miss, a
learner, another URL — goes to Flask unchanged, and the reply comes from the same
`page_reply()` with the same security headers, so both ways give the same response.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import Accept
from werkzeug.http import parse_accept_header, parse_cookie, parse_date, parse_etags

from kit.web.document_pages import class_state, page_reply
from kit.web.errors import SECURITY_HEADERS

_STATUS = {200: "200 OK", 304: "304 Not Modified"}


class FastLane:
    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self.served = 0         # replies made here, not by Flask (tests read it)

    def __call__(self, environ, start_response):
        reply = self._cached_reply(environ)
        if reply is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = reply
        self.served += 1
        headers = {**headers, **SECURITY_HEADERS}
        if status == 200:
            headers.update({"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))})
        start_response(_STATUS[status], list(headers.items()))
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]

    def _cached_reply(self, environ):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/p/"):
            return None
        cookie = environ.get("HTTP_COOKIE")
        if cookie and self.cookie_name in parse_cookie(cookie):
            return None
        try:    # WSGI gives the path as latin-1; Flask's router decodes it as UTF-8
            pack_id, _, slug = path[3:].encode("latin-1").decode("utf-8").partition("/")
        except UnicodeError:
            return None
        if not pack_id or not slug:
            return None
        page = self.app.extensions["page_cache"].peek((pack_id, slug))
        composed = page.everyone.get(class_state(self.app)) if page is not None else None
        if composed is None:
            return None
        gzip_ok = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"), Accept)["gzip"] > 0
        return page_reply(page, composed, gzip_ok, parse_etags(environ.get("HTTP_IF_NONE_MATCH")),
                          parse_date(environ.get("HTTP_IF_MODIFIED_SINCE")))
