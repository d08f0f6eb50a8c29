"""Reading the index for pages: packs, their documents, one document with its passages."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from kit.library.stored_html import unpack_html


@dataclass
class Neighbours:
    previous: sqlite3.Row | None
    next: sqlite3.Row | None
    chapters: list[sqlite3.Row]


def list_packs(conn: sqlite3.Connection) -> list[dict]:
    """Every pack with its documents grouped: workshops (chapters in order), transcripts, pages."""
    packs = []
    for pack in conn.execute("SELECT * FROM packs ORDER BY title"):
        packs.append({**dict(pack), "authors": json.loads(pack["authors"]),
                      **pack_contents(conn, pack["id"])})
    return packs


def get_pack(conn: sqlite3.Connection, pack_id: str) -> dict | None:
    pack = conn.execute("SELECT * FROM packs WHERE id=?", (pack_id,)).fetchone()
    if pack is None:
        return None
    return {**dict(pack), "authors": json.loads(pack["authors"]), **pack_contents(conn, pack_id)}


def pack_contents(conn: sqlite3.Connection, pack_id: str) -> dict:
    docs = conn.execute("SELECT id, slug, kind, title, workshop, workshop_title,"
                        " workshop_description, position, meta FROM documents WHERE pack=?"
                        " ORDER BY workshop, position, relpath", (pack_id,)).fetchall()
    workshops: dict[str, dict] = {}
    for doc in docs:
        if doc["kind"] == "chapter":
            workshop = workshops.setdefault(doc["workshop"], {
                "title": doc["workshop_title"], "description": doc["workshop_description"],
                "chapters": []})
            workshop["chapters"].append(doc)
    return {"workshops": list(workshops.values()),
            "transcripts": [d for d in docs if d["kind"] == "transcript"],
            "pages": sorted((d for d in docs if d["kind"] == "page"), key=lambda d: d["slug"])}


def get_document(conn: sqlite3.Connection, pack_id: str, slug: str) -> dict | None:
    doc = conn.execute("SELECT * FROM documents WHERE pack=? AND slug=?", (pack_id, slug)).fetchone()
    if doc is None:
        return None
    passages = conn.execute("SELECT * FROM passages WHERE doc_id=? ORDER BY seq", (doc["id"],)).fetchall()
    return {**dict(doc), "html": unpack_html(doc["html"]), "meta": json.loads(doc["meta"] or "{}"),
            "passages": passages}


def chapter_neighbours(conn: sqlite3.Connection, doc: dict) -> Neighbours:
    """The chapters of the same workshop in order, and the ones before and after this one."""
    chapters = conn.execute("SELECT slug, title FROM documents WHERE pack=? AND workshop=?"
                            " AND kind='chapter' ORDER BY position, relpath",
                            (doc["pack"], doc["workshop"])).fetchall()
    slugs = [c["slug"] for c in chapters]
    at = slugs.index(doc["slug"])
    return Neighbours(previous=chapters[at - 1] if at > 0 else None,
                      next=chapters[at + 1] if at + 1 < len(chapters) else None,
                      chapters=chapters)


def sections(doc: dict) -> list[tuple[str, str]]:
    """(anchor, heading) of each section, once, in order: the chapter's table of contents."""
    seen, toc = set(), []
    for passage in doc["passages"]:
        if passage["heading"] and passage["anchor"] not in seen and passage["anchor"] != "s-top":
            seen.add(passage["anchor"])
            toc.append((passage["anchor"], passage["heading"]))
    return toc


def import_problems(conn: sqlite3.Connection, pack_id: str | None = None) -> list[sqlite3.Row]:
    if pack_id is None:
        return conn.execute("SELECT * FROM problems ORDER BY pack, path").fetchall()
    return conn.execute("SELECT * FROM problems WHERE pack=? ORDER BY path", (pack_id,)).fetchall()


def counts(conn: sqlite3.Connection) -> dict:
    return {"documents": conn.execute("SELECT count(*) FROM documents").fetchone()[0],
            "passages": conn.execute("SELECT count(*) FROM passages").fetchone()[0]}


def pack_root(conn: sqlite3.Connection, pack_id: str) -> str | None:
    """The folder a pack's own files (images, media) are served from."""
    row = conn.execute("SELECT root FROM packs WHERE id=?", (pack_id,)).fetchone()
    return row["root"] if row else None


def pack_titles(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """(id, title) of every pack, by title: the search page's pack filter."""
    return conn.execute("SELECT id, title FROM packs ORDER BY title").fetchall()


def pack_summaries(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Each pack with its version, licence, folder and number of documents (`kit packs`)."""
    return conn.execute("SELECT p.id, p.title, p.version, p.licence, count(d.id) AS docs,"
                        " p.root FROM packs p LEFT JOIN documents d ON d.pack = p.id"
                        " GROUP BY p.id ORDER BY p.id").fetchall()


def document_title(conn: sqlite3.Connection, pack: str, slug: str) -> str | None:
    row = conn.execute("SELECT title FROM documents WHERE pack=? AND slug=?", (pack, slug)).fetchone()
    return row["title"] if row else None


def is_chapter(conn: sqlite3.Connection, pack: str, slug: str) -> bool:
    return conn.execute("SELECT 1 FROM documents WHERE pack=? AND slug=? AND kind='chapter'",
                        (pack, slug)).fetchone() is not None


def chapter_exercises(conn: sqlite3.Connection, pack: str, slug: str) -> list[sqlite3.Row]:
    """(anchor, title) of a chapter's exercises, in the chapter's order."""
    return conn.execute("SELECT e.anchor, e.title FROM exercises e JOIN documents d"
                        " ON d.id = e.doc_id WHERE d.pack=? AND d.slug=? ORDER BY e.id",
                        (pack, slug)).fetchall()


def exercise_solutions(conn: sqlite3.Connection, pages: set[tuple[str, str]]) -> list[str]:
    """The solutions of every exercise on these (pack, slug) pages (for the hint leak guard)."""
    solutions = []
    for pack, slug in pages:
        solutions += [row[0] for row in conn.execute(
            "SELECT e.solution FROM exercises e JOIN documents d ON d.id = e.doc_id"
            " WHERE d.pack=? AND d.slug=?", (pack, slug))]
    return solutions
