"""Document pages rendered once and kept as bytes, in a cache of bounded size.

A cached page is its shared text cut around the per-person slots (kit/web/slots.py), each text
piece kept raw and deflated (kit/web/gzip_parts.py), with an ETag and Last-Modified taken when
it was rendered. Entries are dropped least-recently-used once the cache holds `max_bytes`.

Invalidation: the whole cache is emptied when the index file changes (its size or time, or its
write-ahead log's), which is what re-indexing a pack does — `kit import` or `kit index` in
another process included. The stamp is taken *before* the index is read for a render, so a
page rendered from a half-rebuilt index is dropped on the next request.

The fast lane's look-ups (`peek`) stat the index at most every STAMP_RECHECK_S: a re-imported
pack's pages change within half a second. Two stats on every cached page were, at 50
connections, a sixth of the server's system time (two more syscalls per request, each letting
another thread take the interpreter lock). `get` — renders and a learner's pages — always
stats, and what it sees is what `peek` compares with next.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from kit.web.gzip_parts import deflate_piece

STAMP_RECHECK_S = 0.5       # the longest a re-imported pack's old pages are still served


@dataclass(frozen=True)
class CachedPage:
    texts: list[bytes]              # shared text pieces; slots go between them
    deflated: list[bytes]           # each text piece deflated once (gzip_parts.deflate_piece)
    slots: list[tuple]              # (name, *args) of each slot, in page order
    etag: str                       # of the shared text; per-person parts are added per request
    last_modified: float            # seconds since the epoch
    # The page joined for nobody in particular (no cookie), per class settings: one entry.
    everyone: dict = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        """Bytes held, counting the joined copy in `everyone` (about as much again)."""
        return 2 * (sum(map(len, self.texts)) + sum(map(len, self.deflated))) + 400


def cached_page(parts: list, last_modified: float) -> CachedPage:
    """A CachedPage from split_marked() output: text, slot, text, slot, …, text."""
    texts = [part.encode() for part in parts[0::2]]
    digest = hashlib.blake2b(b"\0".join(texts), digest_size=12).hexdigest()
    return CachedPage(texts, [deflate_piece(text) for text in texts], list(parts[1::2]),
                      digest, last_modified)


def index_stamp(index_path: Path | str) -> tuple:
    """What changes whenever the index is written: size and mtime of the file and its WAL."""
    stamp = []
    for path in (index_path, f"{index_path}-wal"):
        try:
            stat = os.stat(path)
        except OSError:
            stat = None
        # An empty WAL holds no change: the first read-only connection makes one.
        stamp += [stat.st_size, stat.st_mtime_ns] if stat and stat.st_size else [None, None]
    return tuple(stamp)


class PageCache:
    """(pack, slug) → CachedPage, least recently used dropped beyond max_bytes; thread-safe.
    `render` runs at most once at a time per page: fifty learners opening the same chapter
    together cost one render, not fifty."""

    def __init__(self, index_path: Path, max_bytes: int, recheck_s: float = STAMP_RECHECK_S):
        self.index_path, self.max_bytes, self.recheck_s = index_path, max_bytes, recheck_s
        self._index_file = str(index_path)       # os.stat of a str: no Path work per request
        self._seen: tuple | None = None          # (monotonic time, stamp) of the last stat
        self._pages: OrderedDict[tuple, CachedPage] = OrderedDict()
        self._bytes = 0
        self._stamp: tuple | None = None
        self._lock = threading.Lock()
        self._rendering: dict[tuple, threading.Lock] = {}
        self.renders = 0                # pages rendered so far (tests and the bench read it)

    def get(self, key: tuple, render) -> CachedPage | None:
        """The cached page for `key`, or `render(stamp_mtime)`'s result (None: no such page,
        not cached)."""
        stamp = index_stamp(self._index_file)
        self._seen = (time.monotonic(), stamp)
        with self._lock:
            if stamp != self._stamp:
                self._pages.clear()
                self._bytes, self._stamp = 0, stamp
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
            render_lock = self._rendering.setdefault(key, threading.Lock())
        with render_lock:
            with self._lock:
                page = self._pages.get(key) if stamp == self._stamp else None
            if page is not None:
                return page
            page = render((stamp[1] or 0) / 1e9)
            self.renders += 1
            with self._lock:
                self._rendering.pop(key, None)
                if page is not None and stamp == self._stamp and page.size <= self.max_bytes:
                    self._pages[key] = page
                    self._bytes += page.size
                    while self._bytes > self.max_bytes:
                        _, dropped = self._pages.popitem(last=False)
                        self._bytes -= dropped.size
            return page

    def _recent_stamp(self) -> tuple:
        """index_stamp(), taken again only when the last one is recheck_s old."""
        now = time.monotonic()
        seen = self._seen
        if seen is not None and now - seen[0] < self.recheck_s:
            return seen[1]
        stamp = index_stamp(self._index_file)
        self._seen = (now, stamp)
        return stamp

    def peek(self, key: tuple) -> CachedPage | None:
        """The cached page for `key` if it is there and the index had not changed when last
        looked at (at most recheck_s ago); never renders."""
        stamp = self._recent_stamp()
        with self._lock:
            page = self._pages.get(key) if stamp == self._stamp else None
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def stats(self) -> dict:
        with self._lock:
            return {"pages": len(self._pages), "bytes": self._bytes, "max_bytes": self.max_bytes}
