"""Joined learners' document pages, kept composed so the fast lane answers them like anyone's.

A joined learner's chapter is the cached page (kit/web/page_cache.py) with their own slots
filled in (kit/web/slots.py): nickname, CSRF token, ticks, note, the ask box. Filling them
through Flask — the session, TinyDB reads, twenty Jinja macros — cost a class of 50 readers
a quarter of kiwix-serve's speed at 50 connections (issue 22). But those pieces change only
when something is written to the classroom store, the teacher changes the class, the tutor's
state changes or the pack is re-imported. So the page Flask composes for a learner is kept,
keyed by everything it was made from, and the fast lane (kit/web/fast_lane.py) serves the same
learner's next request for it from here without Flask.

The key (`reply_key`) is: the page (pack, slug), the learner id and CSRF token from the signed
session cookie, the language cookie and Accept-Language (the locale), whether gzip is accepted,
the class state (document_pages.class_state) and two of the store's write generations
(Store.generations): the class-wide one, which moves after a write every learner's page may
show (a class setting), and this learner's own, which moves after their tick, note, exercise
or language. In a class of 30 ticking chapters one learner's tick must not throw away the 29
others' kept pages: no page shows another learner's data, so it does not. The entry holds
the locale and the cached page it was joined from: a re-imported pack's page is a new object,
and an entry made from the old one is not used. No key can be built for one learner that
matches another's entry: the learner id and token come only from a cookie signed by the kit.

Only sessions Flask would leave unchanged are served here: a learner with a CSRF token
already, no flashed message waiting, no teacher session. Flask refreshes the session cookie's
expiry (a year) on every reply it makes; replies from here do not, which any other page does.
Whatever a slot shows must come from the session, the store, the class settings, the tutor's
state or the index. The one that depends on the clock, the ask box's think-first countdown
(kit/classroom/activity.py), is handled apart: a page showing a countdown is not kept, and
before serving a kept page with an ask box the fast lane tells the class's activity the
learner has the step open (the teacher's glance) and goes to Flask if the timer runs again
(after a question).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import NamedTuple

from flask import Flask
from itsdangerous import BadSignature

from kit.web.session_keys import CSRF_KEY, FLASHES_KEY, LEARNER_KEY, TEACHER_KEY
_SEEN_COOKIES_MAX = 4096


class SessionFacts:
    """(learner id, CSRF token) from a session cookie's value, or None when the fast lane must
    leave the request to Flask (not signed by this kit, expired, no learner or token yet,
    messages waiting to be shown, a teacher). Each cookie value is checked once: browsers send
    the same one until Flask replies with a fresh one."""

    def __init__(self, app: Flask):
        self._serializer = app.session_interface.get_signing_serializer(app)
        self._max_age = int(app.permanent_session_lifetime.total_seconds())
        self._seen: dict[str, tuple] = {}      # cookie value -> (facts or None, valid until)

    def __call__(self, cookie_value: str | None) -> tuple[str, str] | None:
        if not cookie_value or self._serializer is None:
            return None
        seen = self._seen.get(cookie_value)
        if seen is None:
            seen = self._read(cookie_value)
            if len(self._seen) >= _SEEN_COOKIES_MAX:
                self._seen.clear()
            self._seen[cookie_value] = seen
        return seen[0] if time.time() < seen[1] else None

    def _read(self, cookie_value: str) -> tuple:
        try:
            data, signed_at = self._serializer.loads(cookie_value, max_age=self._max_age,
                                                     return_timestamp=True)
        except BadSignature:            # also an expired signature (SignatureExpired)
            return None, 0.0
        valid_until = signed_at.timestamp() + self._max_age
        if not isinstance(data, dict) or FLASHES_KEY in data or TEACHER_KEY in data:
            return None, valid_until
        learner, token = data.get(LEARNER_KEY), data.get(CSRF_KEY)
        if not isinstance(learner, str) or not isinstance(token, str) or not token:
            return None, valid_until
        return (learner, token), valid_until


def reply_key(pack_id: str, slug: str, facts: tuple, language_cookie: str | None,
              accept_language: str | None, gzip_ok: bool, class_state: tuple, generations: dict) -> tuple:
    """Everything a joined learner's composed page depends on (see the module's docstring).
    `generations` is Store.generations: only ever raised, so read here without its lock (a page
    is kept under the values read before the store was read to make it)."""
    return (pack_id, slug, *facts, language_cookie, accept_language, gzip_ok, class_state,
            generations.get(None, 0), generations.get(facts[0], 0))


class LearnerPage(NamedTuple):
    locale: str
    page: object            # the CachedPage it was joined from (still the cache's, or stale)
    composed: object        # document_pages.Composed
    ask: tuple | None       # ((pack, doc), think-first minutes) when it has an ask box


class LearnerPages:
    """reply_key → LearnerPage, least recently used dropped beyond max_bytes; thread-safe."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _size(entry: LearnerPage) -> int:
        return len(entry.composed.plain) + len(entry.composed.gzip or b"") + 300

    def get(self, key: tuple) -> LearnerPage | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: LearnerPage) -> None:
        size = self._size(entry)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= self._size(old)
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= self._size(dropped)

    def stats(self) -> dict:
        with self._lock:
            return {"pages": len(self._entries), "bytes": self._bytes, "max_bytes": self.max_bytes}
