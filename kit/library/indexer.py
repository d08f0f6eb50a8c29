"""The library index: one SQLite file with packs, documents, passages and an FTS5 table.

Built incrementally: a file whose size, mtime and pack/workshop metadata are unchanged is not
read again. A file that fails to import is reported and its previously indexed version stays,
so a bad edit never makes material disappear from a classroom mid-session.

Two ways in: a pack in Lantern's own format is read file by file (`_index_pack`, the importers);
a pack made from a published source (`format = …` in pack.toml: a HonKit book, a Sphinx build,
a ZIM…) is read through its format (`_index_source`, kit/library/formats/).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from kit.library import fts, languages
from kit.library.documents import Document, ImportProblem, slugify
from kit.library.formats import FORMATS, format_named
from kit.library.importers import Source, importer_for, read_text_file
from kit.library.index_db import connect, prepare
from kit.library.stored_html import pack_html, pack_text
from kit.library.page_roles import page_role
from kit.library.packs import Pack, candidate_pack_roots, document_files, load_pack, workshop_title

SOURCE_BATCH = 200   # documents per transaction when a source format streams them in
_VOCABULARY_WORD = re.compile(r"[a-z][a-z0-9_]{3,30}")
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
    row = conn.execute("SELECT search_table FROM documents WHERE id=?", (doc_id,)).fetchone()
    if row and row[0]:
        conn.execute(fts.delete_statement(row[0]), (doc_id,))
    conn.execute("DELETE FROM passages WHERE doc_id=?", (doc_id,))
    conn.execute("DELETE FROM exercises WHERE doc_id=?", (doc_id,))
    conn.execute("DELETE FROM documents WHERE id=?", (doc_id,))


def _write_document(conn, pack: Pack, relpath: str, doc: Document, signature: str,
                    workshop: tuple[str, str, str], old_id: int | None) -> None:
    with conn:   # one transaction per document: a crash leaves the old or the new, never half
        _insert_document(conn, pack, relpath, doc, signature, workshop, old_id)


def _insert_document(conn, pack: Pack, relpath: str, doc: Document, signature: str,
                     workshop: tuple[str, str, str], old_id: int | None) -> None:
    """The document, its passages, words and exercises, in the caller's transaction."""
    if old_id is not None:
        _delete_document(conn, old_id)
    table = fts.table_for(pack.language)
    role = doc.meta.get("role") or page_role(relpath, doc.title, doc.meta.get("part", ""), doc.kind)
    cursor = conn.execute(
        "INSERT INTO documents(pack, relpath, slug, kind, title, workshop, workshop_title,"
        " workshop_description, position, meta, html, signature, search_table, role)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (pack.id, relpath, _slug(relpath, doc.kind), doc.kind, doc.title, *workshop,
         doc.position, json.dumps(doc.meta, default=str), pack_html(doc.html), signature, table, role))
    doc_id = cursor.lastrowid
    conn.executemany(
        "INSERT INTO passages(doc_id, seq, anchor, heading, speaker, start, text, html)"
        " VALUES(?,?,?,?,?,?,?,?)",
        [(doc_id, seq, passage.anchor, passage.heading, passage.speaker, passage.start,
          pack_text(passage.text), passage.html) for seq, passage in enumerate(doc.passages)])
    conn.execute(fts.insert_statement(table), (doc_id,))   # the text stays in passages alone
    # Words as written, for the tutor's spelling repair (kit/tutor/retrieval.py). Only ever
    # added to: a word left behind by a deleted file just finds nothing.
    words = {w for p in doc.passages for w in _VOCABULARY_WORD.findall(f"{p.heading} {p.text}".lower())}
    conn.executemany("INSERT OR IGNORE INTO vocabulary VALUES(?)", [(w,) for w in words])
    conn.executemany("INSERT INTO exercises(doc_id, anchor, title, prompt, solution)"
                     " VALUES(?,?,?,?,?)",
                     [(doc_id, e.anchor, e.title, e.prompt, e.solution) for e in doc.exercises])


def _record_pack(conn, pack: Pack) -> None:
    with conn:
        conn.execute("INSERT OR REPLACE INTO packs VALUES(?,?,?,?,?,?,?,?,?)",
                     (pack.id, str(pack.root), pack.title, pack.description, pack.language,
                      pack.licence, json.dumps(pack.authors), pack.version, pack.format))


def _index_pack(conn, pack: Pack, settings, report: IndexReport) -> None:
    """A pack in Lantern's own format: each file read by the importer for its kind."""
    _record_pack(conn, pack)
    max_bytes = settings.max_file_bytes
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


def _tree_signature(root: Path) -> str:
    """Size and time of every file of a published source: any change re-reads the whole source,
    since one edit (SUMMARY.md, an included file, a variable) can change many pages."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            stat = os.stat(os.path.join(folder, name))
            where = os.path.relpath(os.path.join(folder, name), root)   # the stick may move
            digest.update(f"{where}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _index_source(conn, pack: Pack, settings, report: IndexReport, on_document=None) -> None:
    """A pack in a published-source format: its format yields the documents in reading order,
    one at a time, written SOURCE_BATCH to a transaction, so memory stays bounded however big
    the source is (a 90 GB ZIM). Unchanged files on disk: nothing is read. A page that fails
    keeps its previous version; so does the whole pack when the source cannot be read at all
    (or stops being readable part way). `on_document(pack_id)` is called per document (the
    progress line)."""
    _record_pack(conn, pack)
    source_format = format_named(pack.format)
    if source_format is None:
        names = ", ".join(f.name for f in FORMATS)
        report.problems.append((pack.id, ImportProblem(
            "pack.toml", f"format '{pack.format}' is not one Lantern reads ({names}). Fix the "
                         "line, or remove it for a pack in Lantern's own format.")))
        return
    signature = _tree_signature(pack.root)
    if _source_unchanged(conn, pack, signature, report):
        return
    settled = _signature(pack.root / "pack.toml")   # its language picks the search table
    # The relpaths written or kept this time, in SQLite rather than in memory (millions for a
    # big ZIM): what is not among them afterwards has gone from the source.
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS source_seen(relpath TEXT PRIMARY KEY)")
    with conn:
        conn.execute("DELETE FROM source_seen")

    def indexed(relpath: str):
        return conn.execute("SELECT id, signature FROM documents WHERE pack=? AND relpath=?",
                            (pack.id, relpath)).fetchone()

    def unchanged(relpath: str, page_signature: str) -> bool:
        """For an incremental format: is this page in the index as it is on disk?"""
        old = indexed(relpath)
        if old is None or old["signature"] != f"{page_signature}|{settled}":
            return False
        conn.execute("INSERT OR IGNORE INTO source_seen VALUES(?)", (relpath,))  # the next batch commits it
        report.unchanged += 1
        return True
    problems: list[ImportProblem] = []
    complete = False
    try:
        documents = source_format.documents(pack, settings, problems, unchanged=unchanged) \
            if source_format.incremental else source_format.documents(pack, settings, problems)
        while batch := list(itertools.islice(documents, SOURCE_BATCH)):
            with conn:    # one transaction per batch: a crash keeps whole documents only
                for doc in batch:
                    _write_source_document(conn, pack, doc, indexed(doc.relpath), signature,
                                           settled, problems, report)
                    if on_document:
                        on_document(pack.id)
        complete = True
    except ImportProblem as problem:        # the source as a whole could not be read
        problems.append(problem)
    except Exception as error:              # a format bug must not stop the other packs
        problems.append(ImportProblem(pack.format, f"could not be read ({type(error).__name__}: "
                                                   f"{error}). Please report this with the source."))
    report.problems.extend((pack.id, problem) for problem in problems)
    failed = {problem.path for problem in problems}
    with conn:
        if complete:     # what was not written again is gone from the source, unless it failed now
            for row in conn.execute("SELECT id, relpath FROM documents WHERE pack=? AND relpath NOT IN"
                                    " (SELECT relpath FROM source_seen)", (pack.id,)).fetchall():
                if row["relpath"] not in failed:
                    _delete_document(conn, row["id"])
                    report.removed += 1
            # the whole source as read: next time, unchanged files mean nothing to do
            conn.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (f"source:{pack.id}", signature))
        conn.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (f"problems:{pack.id}", json.dumps(
            [(p.path, p.line, p.message) for p in problems])))
        conn.execute("DELETE FROM source_seen")


def _source_unchanged(conn, pack: Pack, signature: str, report: IndexReport) -> bool:
    """True when the source's files are as they were when it was last read whole: its
    documents are counted unchanged and the problems found then still stand."""
    last = conn.execute("SELECT value FROM meta WHERE key=?", (f"source:{pack.id}",)).fetchone()
    count = conn.execute("SELECT count(*) FROM documents WHERE pack=?", (pack.id,)).fetchone()[0]
    if not count or last is None or last["value"] != signature:
        return False
    report.unchanged += count
    row = conn.execute("SELECT value FROM meta WHERE key=?", (f"problems:{pack.id}",)).fetchone()
    for path, line, message in json.loads(row["value"]) if row else []:
        report.problems.append((pack.id, ImportProblem(path, message, line)))
    return True


def _write_source_document(conn, pack: Pack, doc: Document, old, signature: str, settled: str,
                           problems: list[ImportProblem], report: IndexReport) -> None:
    """One document of a source, in the batch's transaction. An incremental format's page is
    signed by its own file (and pack.toml), so only it is read again when it changes."""
    page_signature = doc.meta.pop("signature", None)
    slug = _slug(doc.relpath, doc.kind)
    if conn.execute("SELECT 1 FROM documents WHERE pack=? AND slug=? AND relpath != ?",
                    (pack.id, slug, doc.relpath)).fetchone():
        problems.append(ImportProblem(doc.relpath, "another page of the source has the same "
                                                   "address. Rename one of them."))
        return
    workshop = (".", "Contents", "") if doc.kind == "chapter" else ("", "", "")
    _insert_document(conn, pack, doc.relpath, doc,
                     f"{page_signature}|{settled}" if page_signature else signature,
                     workshop, old["id"] if old else None)
    conn.execute("INSERT OR IGNORE INTO source_seen VALUES(?)", (doc.relpath,))
    report.added += old is None
    report.updated += old is not None


def build_index(settings, on_document=None) -> IndexReport:
    """Bring the index up to date with the packs on disk; returns what changed.
    `on_document(pack_id)` is called per document a source format writes (a progress line)."""
    started = time.perf_counter()
    report = IndexReport()
    conn = connect(settings.index_path)
    try:
        prepare(conn)
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
            if not languages.is_known(pack.language):
                report.problems.append((pack.id, ImportProblem("pack.toml", languages.unknown(pack.language))))
            if pack.format:     # a HonKit book, a Sphinx build, a ZIM…: kit/library/formats/
                _index_source(conn, pack, settings, report, on_document)
            else:
                _index_pack(conn, pack, settings, report)
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
        if report.added or report.updated or report.removed:
            fts.merge_word_index(conn)
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report
