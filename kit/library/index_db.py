"""The library index's database, owned here: its schema and version, `connect()`, and the
pool of read-only connections every reader takes from (pages, search, the tutor). Building the
index is kit/library/indexer.py; the reads are kit/library/catalog.py (pages) and search.py.

Read-only connections are kept between requests: opening one per request cost more than a
search itself, the open and SQLite's page cache starting empty each time. A request takes an
idle connection and gives it back at its end. A connection kept open still sees every change: in
WAL mode each statement outside a transaction reads the latest commit (a re-import while the kit
serves). An index file *replaced* by another (a new inode) is not the same database, so idle
connections to the old file are closed when that happens. At most `max_idle` stay open (each
holds a page cache of up to ~2 MB).
"""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from kit.library import fts
from kit.library.stored_html import SQL_FUNCTION, unpack_text

INDEX_VERSION = "10"   # bump when importers change what they produce: forces a full rebuild
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS packs(
    id TEXT PRIMARY KEY, root TEXT, title TEXT, description TEXT, language TEXT,
    licence TEXT, authors TEXT, version TEXT, format TEXT);
CREATE TABLE IF NOT EXISTS documents(
    id INTEGER PRIMARY KEY, pack TEXT, relpath TEXT, slug TEXT, kind TEXT, title TEXT,
    workshop TEXT, workshop_title TEXT, workshop_description TEXT, position INTEGER,
    meta TEXT, html TEXT, signature TEXT, search_table TEXT, role TEXT,
    UNIQUE(pack, relpath), UNIQUE(pack, slug));
CREATE TABLE IF NOT EXISTS passages(
    id INTEGER PRIMARY KEY, doc_id INTEGER, seq INTEGER, anchor TEXT, heading TEXT,
    speaker TEXT, start TEXT, text TEXT, html TEXT);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages(doc_id, seq);
-- The pack page of a ZIM with 20,000 articles: count pages and find the start page without
-- reading every document row (kit/library/catalog.py pack_contents).
CREATE INDEX IF NOT EXISTS documents_by_kind ON documents(pack, kind, position);
CREATE INDEX IF NOT EXISTS documents_start ON documents(pack)
    WHERE json_extract(meta, '$.start') IS NOT NULL;
-- Which full-text tables hold passages (kit/library/search.py asks only those).
CREATE INDEX IF NOT EXISTS documents_by_table ON documents(search_table);
CREATE TABLE IF NOT EXISTS exercises(
    id INTEGER PRIMARY KEY, doc_id INTEGER, anchor TEXT, title TEXT, prompt TEXT, solution TEXT);
CREATE TABLE IF NOT EXISTS problems(pack TEXT, path TEXT, line INTEGER, message TEXT);
CREATE TABLE IF NOT EXISTS vocabulary(word TEXT PRIMARY KEY) WITHOUT ROWID;
""" + fts.create_statements()
_INCREMENTAL_VACUUM = 2     # PRAGMA auto_vacuum: free pages can be given back on request
# Column weights for BM25: a match in a title counts most, then headings/speakers, then text.
_RANK = "bm25(4.0, 2.0, 1.0)"


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection with rows as mappings. Read-only ones are for requests; WAL lets a
    rebuild run while pages are served. Each can unpack a passage's stored text in SQL, which
    the full-text tables' views need (kit/library/fts.py)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.row_factory = sqlite3.Row
    conn.create_function(SQL_FUNCTION, 1, unpack_text, deterministic=True)
    return conn


def prepare(conn: sqlite3.Connection) -> None:
    """The schema made current for a build: an index of another INDEX_VERSION is emptied and
    made again, so no reader ever sees rows an older importer wrote."""
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != _INCREMENTAL_VACUUM:
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        conn.execute("VACUUM")     # the mode takes effect only through a rewrite: once per file
    version = None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key='index_version'").fetchone()
        version = row[0] if row else None
    except sqlite3.OperationalError:
        pass
    if version != INDEX_VERSION:
        for table in (*map(fts.vocabulary_table, fts.VOCABULARY_TABLES), *fts.TABLES, "meta", "packs",
                      "documents", "passages", "exercises", "problems", "vocabulary"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for table in fts.TABLES:
            conn.execute(f"DROP VIEW IF EXISTS {fts.source_view(table)}")
    conn.executescript(_SCHEMA)
    if version == INDEX_VERSION:
        return
    with conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES('index_version', ?)", (INDEX_VERSION,))
        # Only on new tables: rewriting an FTS5 table's configuration makes statements other
        # connections prepared before fail ("SQL logic error"), and the web server keeps its
        # connections open (ReaderPool below). A new _RANK needs a new INDEX_VERSION.
        for table in fts.TABLES:
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES('rank', ?)", (_RANK,))


MAX_IDLE = 8


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class ReaderPool:
    """Read-only connections to one index, taken for a request (or an answer) and given back."""

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
