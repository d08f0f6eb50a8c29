"""Document pages (chapters, transcripts, HTML pages): rendered once, served as bytes.

The first request for a page renders it in a clean request context — no cookies, so no
learner, teacher or token can be in it — with markers where the per-person slots go
(kit/web/slots.py), and caches the result (kit/web/page_cache.py). Every request then fills the
slots for the person asking and joins bytes: no SQLite query, no render of the document.

HTTP caching: a strong ETag of what this person receives (the shared text's digest plus a
digest of their slots, "-gz" when gzipped), 304 on a matching If-None-Match (or, for pages
with nothing personal, If-Modified-Since). `Cache-Control: no-cache` makes the browser ask
again each time — a 304 is cheap — and pages with someone's nickname, ticks, notes or CSRF
token are `private`, so no shared cache keeps them. `Vary: Cookie, Accept-Encoding,
Accept-Language`: the page is cached once per UI language (kit/web/locale.py).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, Response, current_app, g, render_template, request, session
from flask_babel import force_locale
from werkzeug.datastructures import ETags
from werkzeug.http import http_date

from kit.library import catalog
from kit.web.gzip_parts import accepts_gzip, deflate_piece, gzip_join
from kit.web.identity import current_learner, index_db, is_teacher
from kit.web.learner_pages import LearnerPage, reply_key
from kit.web.locale import COOKIE as LANGUAGE_COOKIE
from kit.web.locale import locale_code
from kit.web.page_cache import CachedPage, cached_page
from kit.web.services import services, services_of
from kit.web.slots import fill_slots, marking_slots, split_marked


def document_response(pack_id: str, slug: str) -> Response | None:
    """The page of document `slug` in pack `pack_id` for the person asking; None when the pack
    has no such document (it may be one of the pack's images)."""
    locale = locale_code()      # the kit's words around the document are in the learner's language
    page = services().page_cache.get(
        (pack_id, slug, locale), lambda modified: _render(pack_id, slug, locale, modified))
    return None if page is None else _compose(page, pack_id, slug, locale)


def _render(pack_id: str, slug: str, locale: str, modified: float) -> CachedPage | None:
    app = current_app._get_current_object()
    # A new app context too: `g` (the learner, their progress) must not be shared with it.
    with app.app_context(), app.test_request_context(request.path), force_locale(locale):
        doc = catalog.get_document(index_db(), pack_id, slug)
        if doc is None:
            return None
        pack = catalog.pack_info(index_db(), pack_id)
        nav = catalog.reading_nav(index_db(), doc, pack)
        with marking_slots():
            html = render_template(f"library/{doc['kind']}.html", doc=doc, pack=pack, nav=nav,
                                   toc=catalog.sections(doc))
    return cached_page(split_marked(html), modified)


@dataclass(frozen=True)
class Composed:
    """One person's page: its ETag (before the "-gz" of the gzip form) and both bodies."""
    etag: str
    personal: bool
    plain: bytes
    gzip: bytes | None
    # The fast lane's whole replies (kit/web/fast_lane.py), per gzipped or not: made once.
    replies: dict = field(default_factory=dict, compare=False, repr=False)


def _compose(page: CachedPage, pack_id: str, slug: str, locale: str) -> Response:
    """The page for the person asking. A browser with no session cookie is nobody in
    particular: its page depends only on the class's settings, so it is joined once per
    settings and kept with the page; everyone else's slots are filled for them, and a joined
    learner's page is kept for their next request (_keep_for_learner)."""
    cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        state = class_state(current_app)
        composed = page.everyone.get(state)
        if composed is None:
            composed = _join(page, fill_slots(page.slots, lazy_csrf=True), personal=False, gzip=True)
            page.everyone.clear()
            page.everyone[state] = composed
    else:
        key = _learner_key(pack_id, slug, cookie)      # before the store is read for the slots
        filled = fill_slots(page.slots, lazy_csrf=True)
        flashed = any(name == "flashes" and html for (name, *_), html in zip(page.slots, filled, strict=True))
        learner = current_learner()
        personal = learner is not None or is_teacher() or flashed
        composed = _join(page, filled, personal, gzip=accepts_gzip(request))
        # Kept only when the session is the one the key was read from, left as it was: the
        # learner it names (still in the class), no message shown, no token made or changed;
        # and no think-first countdown on it (the fast lane checks the timer is still open).
        if (key is not None and learner is not None and learner["id"] == key[2] and not flashed
                and not session.modified and not is_teacher() and not g.get("think_seconds_left")):
            services().learner_pages.put(key, LearnerPage(locale, page, composed, _ask_step(page)))
    return _respond(page, composed)


def _ask_step(page: CachedPage) -> tuple | None:
    """((pack, doc), think-first minutes) when the page has an ask box: the fast lane tells the
    class's activity the learner has the step open and checks its timer is still open."""
    for name, *args in page.slots:
        if name == "ask":
            return tuple(args[:2]), services().store.class_settings()["think_first_minutes"]
    return None


def _learner_key(pack_id: str, slug: str, cookie: str) -> tuple | None:
    """learner_pages.reply_key for this request, as the fast lane builds it from the WSGI
    environ; None when the session is not one the fast lane serves."""
    facts = services().session_facts(cookie)
    if facts is None:
        return None
    return reply_key(pack_id, slug, facts, request.cookies.get(LANGUAGE_COOKIE),
                     request.headers.get("Accept-Language"), accepts_gzip(request),
                     class_state(current_app), services().store.generations)


def _join(page: CachedPage, filled: list[str], personal: bool, gzip: bool) -> Composed:
    slots = [html.encode() for html in filled]
    etag = page.etag + "-" + hashlib.blake2b(b"\0".join(slots), digest_size=8).hexdigest()
    plain = b"".join(part for pair in zip(page.texts, [*slots, b""], strict=True) for part in pair)
    gzipped = None
    if gzip:
        pieces = [(page.texts[0], page.deflated[0])]
        for html, text, deflated in zip(slots, page.texts[1:], page.deflated[1:], strict=True):
            pieces += [(html, deflate_piece(html)), (text, deflated)]
        gzipped = gzip_join(pieces)
    return Composed(etag, personal, plain, gzipped)


def _respond(page: CachedPage, composed: Composed) -> Response:
    status, headers, body = page_reply(page, composed, accepts_gzip(request),
                                       request.if_none_match, request.if_modified_since)
    return Response(body, status=status, headers=headers, mimetype="text/html")


def page_reply(page: CachedPage, composed: Composed, gzip_ok: bool, if_none_match: ETags,
               if_modified_since: datetime | None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a composed page: 304 when the browser has it already."""
    gzipped = composed.gzip is not None and gzip_ok
    etag = composed.etag
    headers = {"Cache-Control": "private, no-cache" if composed.personal else "no-cache",
               "Vary": "Cookie, Accept-Encoding, Accept-Language",
               "ETag": f'"{etag}-gz"' if gzipped else f'"{etag}"'}
    if not composed.personal:
        headers["Last-Modified"] = http_date(int(page.last_modified))
    if if_none_match:
        not_modified = if_none_match.contains(etag) or if_none_match.contains(etag + "-gz")
    else:
        not_modified = (not composed.personal and if_modified_since is not None
                        and if_modified_since.timestamp() >= int(page.last_modified))
    if not_modified:
        return 304, headers, b""
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return 200, headers, composed.gzip if gzipped else composed.plain


def class_state(app: Flask) -> tuple:
    """What a page for nobody in particular depends on besides the document: the teacher's
    class settings (announcement, tutor on or off, modes) and whether the tutor can answer."""
    opened = services_of(app)
    return opened.store.class_settings_json(), opened.tutor.problem()
