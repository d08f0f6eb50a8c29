"""Cached pages answered before Flask sees the request: for browsers with no session cookie,
and for joined learners whose page Flask composed before (kit/web/learner_pages.py).

Under load, profiling (py-spy, README's measured tables) puts much of a cached page's time in
Flask's own request machinery — context, session, URL matching, response object — for a reply
that is already bytes. This WSGI middleware answers only what Flask has already composed:
a GET or HEAD of `/p/<pack>/<slug>` with no session cookie, whose page is in the page cache
in the language Flask would choose (kit/web/locale.pick_locale: the picker's cookie, then
Accept-Language, then the class default) and joined for the class's current settings
(`page.everyone`); a joined learner's when their composed page is kept under the same key
Flask would keep it (learner_pages.reply_key). Anything else — a miss, a teacher, a session
with a message to show, another URL — goes to Flask unchanged, and the reply comes from the same
`page_reply()` with the same security headers, so both ways give the same response.

A request without If-None-Match or If-Modified-Since (most of them) gets a reply made once per
composed page and kept with it: status, header list and body, nothing formatted again.
"""
from __future__ import annotations

from functools import lru_cache

from flask import Flask
from werkzeug.datastructures import Accept
from werkzeug.http import parse_accept_header, parse_cookie, parse_date, parse_etags

from kit.library.urls import PREFIX as DOCUMENTS
from kit.library.urls import document_of
from kit.web.document_pages import Composed, class_state, page_reply
from kit.web.errors import SECURITY_HEADERS
from kit.web.learner_pages import reply_key
from kit.web.locale import COOKIE as LANGUAGE_COOKIE
from kit.web.locale import class_default, pick_locale
from kit.web.page_cache import CachedPage
from kit.web.services import services_of

_STATUS = {200: "200 OK", 304: "304 Not Modified"}


class FastLane:
    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app, self.services = wsgi_app, app, services_of(app)
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self.served = 0         # replies made here, not by Flask (tests read it)

    def __call__(self, environ, start_response):
        reply = self._cached_reply(environ)
        if reply is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = reply
        self.served += 1
        start_response(status, list(headers))     # a copy: the kept reply stays as it is
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]

    def _cached_reply(self, environ):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        path = environ.get("PATH_INFO", "")
        if not path.startswith(DOCUMENTS):
            return None
        try:    # WSGI gives the path as latin-1; Flask's router decodes it as UTF-8
            document = document_of(path.encode("latin-1").decode("utf-8"))
        except UnicodeError:
            return None
        if document is None:
            return None
        pack_id, slug = document
        cookie = environ.get("HTTP_COOKIE")
        cookies = parse_cookie(cookie) if cookie else {}
        gzip_ok = _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
        if self.cookie_name in cookies:
            found = self._learners_page(environ, pack_id, slug, cookies, gzip_ok)
        else:
            found = self._everyones_page(environ, pack_id, slug, cookies)
        if found is None:
            return None
        page, composed = found
        if_none_match, if_modified_since = environ.get("HTTP_IF_NONE_MATCH"), environ.get("HTTP_IF_MODIFIED_SINCE")
        if if_none_match is None and if_modified_since is None:
            reply = composed.replies.get(gzip_ok)
            if reply is None:
                reply = composed.replies[gzip_ok] = _wsgi_reply(page, composed, gzip_ok, None, None)
            return reply
        return _wsgi_reply(page, composed, gzip_ok, parse_etags(if_none_match), parse_date(if_modified_since))

    def _everyones_page(self, environ, pack_id: str, slug: str, cookies) -> tuple | None:
        locale = pick_locale(cookies.get(LANGUAGE_COOKIE), environ.get("HTTP_ACCEPT_LANGUAGE"),
                             class_default(self.services.store.class_settings_json()))
        page = self.services.page_cache.peek((pack_id, slug, locale))
        composed = page.everyone.get(class_state(self.app)) if page is not None else None
        return None if composed is None else (page, composed)

    def _learners_page(self, environ, pack_id: str, slug: str, cookies, gzip_ok: bool) -> tuple | None:
        """A joined learner's page as Flask composed it for them last time, if nothing it was
        made from has changed since (kit/web/learner_pages.py)."""
        facts = self.services.session_facts(cookies[self.cookie_name])
        if facts is None:
            return None
        key = reply_key(pack_id, slug, facts, cookies.get(LANGUAGE_COOKIE), environ.get("HTTP_ACCEPT_LANGUAGE"),
                        gzip_ok, class_state(self.app), self.services.store.generations)
        entry = self.services.learner_pages.get(key)
        if entry is None:
            return None
        if self.services.page_cache.peek((pack_id, slug, entry.locale)) is not entry.page:
            return None         # the pack was re-imported (or the page dropped): Flask again
        if entry.ask is not None:       # as the ask box does when shown (kit/web/ask_box.py)
            (step, minutes), activity = entry.ask, self.services.activity
            activity.opened(facts[0], step)
            if activity.seconds_left(facts[0], step, minutes):
                return None     # the think-first timer runs: Flask shows the countdown
        return entry.page, entry.composed


def _wsgi_reply(page: CachedPage, composed: Composed, gzip_ok: bool, if_none_match, if_modified_since):
    """(status line, header list, body) for start_response: page_reply's, with what Flask adds."""
    status, headers, body = page_reply(page, composed, gzip_ok, if_none_match, if_modified_since)
    headers = {**headers, **SECURITY_HEADERS}
    if status == 200:
        headers.update({"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))})
    return _STATUS[status], tuple(headers.items()), body


@lru_cache(maxsize=256)
def _accepts_gzip(accept_encoding: str | None) -> bool:
    """Browsers send a handful of different Accept-Encoding values: each is parsed once."""
    return parse_accept_header(accept_encoding, Accept)["gzip"] > 0
