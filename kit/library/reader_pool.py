"""Read-only connections to the index, kept between requests.

Opening a connection per request cost more than a search itself (README's measured tables): the
open, and SQLite's page cache starting empty each time. So a request takes an idle connection
and gives it back at its end. A connection kept open still sees every change: in WAL mode each
statement outside a transaction reads the latest commit (a re-import while the kit serves). An
index file *replaced* by another (a new inode) is not the same database, so idle connections
to the old file are closed when that happens. At most `max_idle` stay open (each holds a
page cache of up to ~2 MB).
"""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from kit.library.indexer import connect

MAX_IDLE = 8


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class ReaderPool:
    def __init__(self, index_path: Path, max_idle: int = MAX_IDLE):
        self.index_path, self.max_idle = index_path, max_idle
        self._file = str(index_path)
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._file_of: dict[int, tuple | None] = {}    # id(connection) → the file it opened

    def take(self) -> sqlite3.Connection:
        """An open read-only connection to the index as it is on disk now."""
        now = _identity(self._file)
        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if now is not None and self._file_of.get(id(conn)) == now:
                    return conn
                self._forget(conn)
        conn = connect(self.index_path, readonly=True)
        with self._lock:
            self._file_of[id(conn)] = now
        return conn

    def give(self, conn: sqlite3.Connection) -> None:
        """Back for the next request; closed if enough are idle already or it was mid-transaction."""
        with self._lock:
            if not conn.in_transaction and len(self._idle) < self.max_idle:
                self._idle.append(conn)
                return
            self._forget(conn)

    def _forget(self, conn: sqlite3.Connection) -> None:
        self._file_of.pop(id(conn), None)
        conn.close()

    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        with self._lock:
            for conn in self._idle:
                self._forget(conn)
            self._idle = []
