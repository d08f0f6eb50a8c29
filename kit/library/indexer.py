"""The library index: one SQLite file with packs, documents, passages and an FTS5 table.

Built incrementally: a file whose size, mtime and pack/workshop metadata are unchanged is not
read again. A file that fails to import is reported and its previously indexed version stays,
so a bad edit never makes material disappear from a classroom mid-session.
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.documents import Document, ImportProblem, slugify
from kit.library.importers import Source, importer_for, read_text_file
from kit.library.stored_html import pack_html
from kit.library.packs import Pack, candidate_pack_roots, document_files, load_pack, workshop_title

INDEX_VERSION = "2"   # bump when importers change what they produce: forces a full rebuild
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS packs(
    id TEXT PRIMARY KEY, root TEXT, title TEXT, description TEXT, language TEXT,
    licence TEXT, authors TEXT, version TEXT);
CREATE TABLE IF NOT EXISTS documents(
    id INTEGER PRIMARY KEY, pack TEXT, relpath TEXT, slug TEXT, kind TEXT, title TEXT,
    workshop TEXT, workshop_title TEXT, workshop_description TEXT, position INTEGER,
    meta TEXT, html TEXT, signature TEXT,
    UNIQUE(pack, relpath), UNIQUE(pack, slug));
CREATE TABLE IF NOT EXISTS passages(
    id INTEGER PRIMARY KEY, doc_id INTEGER, seq INTEGER, anchor TEXT, heading TEXT,
    speaker TEXT, start TEXT, text TEXT, html TEXT);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages(doc_id, seq);
CREATE TABLE IF NOT EXISTS exercises(
    id INTEGER PRIMARY KEY, doc_id INTEGER, anchor TEXT, title TEXT, prompt TEXT, solution TEXT);
CREATE TABLE IF NOT EXISTS problems(pack TEXT, path TEXT, line INTEGER, message TEXT);
CREATE TABLE IF NOT EXISTS vocabulary(word TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    title, heading, body, pack UNINDEXED, kind UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2');
"""
_VOCABULARY_WORD = re.compile(r"[a-z][a-z0-9_]{3,30}")
# Column weights for BM25: a match in a title counts most, then headings/speakers, then text.
_RANK = "bm25(4.0, 2.0, 1.0)"


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: list[tuple[str, ImportProblem]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.removed} removed, "
                f"{self.unchanged} unchanged, {len(self.problems)} problem(s) "
                f"in {self.seconds:.1f} s")


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection with rows as mappings. Read-only ones are for requests; WAL lets a
    rebuild run while pages are served."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.row_factory = sqlite3.Row
    return conn


def _prepare(conn: sqlite3.Connection) -> None:
    version = None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key='index_version'").fetchone()
        version = row[0] if row else None
    except sqlite3.OperationalError:
        pass
    if version != INDEX_VERSION:
        for table in ("meta", "packs", "documents", "passages", "exercises", "problems",
                      "vocabulary", "passages_fts"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.executescript(_SCHEMA)
    with conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES('index_version', ?)", (INDEX_VERSION,))
        conn.execute("INSERT INTO passages_fts(passages_fts, rank) VALUES('rank', ?)", (_RANK,))


def _signature(*paths: Path) -> str:
    parts = []
    for path in paths:
        stat = path.stat() if path.exists() else None
        parts.append(f"{stat.st_size}:{stat.st_mtime_ns}" if stat else "-")
    return "|".join(parts)


def _slug(relpath: str, kind: str) -> str:
    """Page address inside the pack: HTML keeps its name so a doc set's own links still work."""
    return relpath if kind == "page" else relpath.rsplit(".", 1)[0]


def _delete_document(conn: sqlite3.Connection, doc_id: int) -> None:
    conn.execute("DELETE FROM passages_fts WHERE rowid IN "
                 "(SELECT id FROM passages WHERE doc_id=?)", (doc_id,))
    conn.execute("DELETE FROM passages WHERE doc_id=?", (doc_id,))
    conn.execute("DELETE FROM exercises WHERE doc_id=?", (doc_id,))
    conn.execute("DELETE FROM documents WHERE id=?", (doc_id,))


def _write_document(conn, pack: Pack, relpath: str, doc: Document, signature: str,
                    workshop: tuple[str, str, str], old_id: int | None) -> None:
    with conn:   # one transaction per document: a crash leaves the old or the new, never half
        if old_id is not None:
            _delete_document(conn, old_id)
        cursor = conn.execute(
            "INSERT INTO documents(pack, relpath, slug, kind, title, workshop, workshop_title,"
            " workshop_description, position, meta, html, signature)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
            (pack.id, relpath, _slug(relpath, doc.kind), doc.kind, doc.title, *workshop,
             doc.position, json.dumps(doc.meta, default=str), pack_html(doc.html), signature))
        doc_id = cursor.lastrowid
        for seq, passage in enumerate(doc.passages):
            row = conn.execute(
                "INSERT INTO passages(doc_id, seq, anchor, heading, speaker, start, text, html)"
                " VALUES(?,?,?,?,?,?,?,?)",
                (doc_id, seq, passage.anchor, passage.heading, passage.speaker, passage.start,
                 passage.text, passage.html)).lastrowid
            conn.execute("INSERT INTO passages_fts(rowid, title, heading, body, pack, kind)"
                         " VALUES(?,?,?,?,?,?)",
                         (row, doc.title, passage.heading or passage.speaker, passage.text,
                          pack.id, doc.kind))
        # Words as written, for the tutor's spelling repair (kit/tutor/retrieval.py). Only ever
        # added to: a word left behind by a deleted file just finds nothing.
        words = {w for p in doc.passages for w in _VOCABULARY_WORD.findall(f"{p.heading} {p.text}".lower())}
        conn.executemany("INSERT OR IGNORE INTO vocabulary VALUES(?)", [(w,) for w in words])
        conn.executemany("INSERT INTO exercises(doc_id, anchor, title, prompt, solution)"
                         " VALUES(?,?,?,?,?)",
                         [(doc_id, e.anchor, e.title, e.prompt, e.solution) for e in doc.exercises])


def _index_pack(conn, pack: Pack, max_bytes: int, report: IndexReport) -> None:
    with conn:
        conn.execute("INSERT OR REPLACE INTO packs VALUES(?,?,?,?,?,?,?,?)",
                     (pack.id, str(pack.root), pack.title, pack.description, pack.language,
                      pack.licence, json.dumps(pack.authors), pack.version))
    indexed = {row["relpath"]: (row["id"], row["signature"]) for row in
               conn.execute("SELECT id, relpath, signature FROM documents WHERE pack=?", (pack.id,))}
    workshops: dict[str, tuple[str, str]] = {}
    files = document_files(pack)
    for path, relpath in files:
        folder = relpath.rpartition("/")[0]
        signature = _signature(path, pack.root / "pack.toml", pack.root / folder / "workshop.toml")
        old_id, old_signature = indexed.get(relpath, (None, None))
        if old_signature == signature:
            report.unchanged += 1
            continue
        try:
            if folder not in workshops:
                workshops[folder] = workshop_title(pack, folder)
            text = read_text_file(path, relpath, max_bytes)
            source = Source(pack.id, pack.root, path, relpath, text, pack.titles)
            doc = importer_for(path).read(source)
            workshop = (folder or ".", *workshops[folder]) if doc.kind == "chapter" else ("", "", "")
            _write_document(conn, pack, relpath, doc, signature, workshop, old_id)
        except ImportProblem as problem:
            report.problems.append((pack.id, problem))
            continue
        except sqlite3.IntegrityError:
            report.problems.append((pack.id, ImportProblem(
                relpath, "another file in the pack has the same name with a different ending, "
                         "so both would get the same page address. Rename one of them.")))
            continue
        except Exception as error:   # an importer bug must not stop the rest of the import
            report.problems.append((pack.id, ImportProblem(
                relpath, f"could not be imported ({type(error).__name__}: {error}). "
                         "Please report this with the file.")))
            continue
        if old_id is None:
            report.added += 1
        else:
            report.updated += 1
    on_disk = {relpath for _, relpath in files}
    for relpath, (doc_id, _) in indexed.items():
        if relpath not in on_disk:
            with conn:
                _delete_document(conn, doc_id)
            report.removed += 1


def build_index(settings) -> IndexReport:
    """Bring the index up to date with the packs on disk; returns what changed."""
    started = time.perf_counter()
    report = IndexReport()
    conn = connect(settings.index_path)
    try:
        _prepare(conn)
        present: set[str] = set()
        for root in candidate_pack_roots(settings.pack_dirs):
            try:
                pack = load_pack(root)
            except ImportProblem as problem:   # keep what was indexed from it before
                present.add(slugify(root.name))
                report.problems.append((slugify(root.name), problem))
                continue
            if pack.id in present:
                report.problems.append((pack.id, ImportProblem(
                    str(root), f"another pack is already called '{pack.id}'. Rename the folder.")))
                continue
            present.add(pack.id)
            _index_pack(conn, pack, settings.max_file_bytes, report)
        for row in conn.execute("SELECT id FROM packs").fetchall():
            if row["id"] not in present:
                with conn:
                    for doc in conn.execute("SELECT id FROM documents WHERE pack=?", (row["id"],)).fetchall():
                        _delete_document(conn, doc["id"])
                        report.removed += 1
                    conn.execute("DELETE FROM packs WHERE id=?", (row["id"],))
        with conn:
            conn.execute("DELETE FROM problems")
            conn.executemany("INSERT INTO problems VALUES(?,?,?,?)",
                             [(pack_id, p.path, p.line, p.message) for pack_id, p in report.problems])
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report
