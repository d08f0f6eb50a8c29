"""Reading the index for pages: packs, their documents, one document with its passages."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from babel import Locale, UnknownLocaleError

from kit.library.documents import slugify
from kit.library.formats import format_named
from kit.library.stored_html import unpack_html, unpack_text
from kit.translations import LANGUAGES

# A ZIM can hold millions of pages: the pack page lists the first ones, search finds them all.
PAGES_LISTED = 1000


@dataclass
class Neighbours:
    previous: dict | None
    next: dict | None
    chapters: list[dict]
    tree: list[dict]         # the chapters nested as the source nests them (contents_tree)
    # the same document in the book's other languages ({pack, language, name}; book_key)
    translations: list[dict] = field(default_factory=list)


def list_packs(conn: sqlite3.Connection) -> list[dict]:
    """Every pack by title with its documents grouped: workshops (chapters in order),
    transcripts, pages; and the book's other languages (_with_other_languages)."""
    return _with_other_languages([{**_pack_fields(pack), **pack_contents(conn, pack["id"])}
                                  for pack in conn.execute("SELECT * FROM packs ORDER BY title").fetchall()])


def book_key(pack_id: str, language: str | None) -> str:
    """Which book a pack is, whatever its language: its id without a trailing `-<its language>`.
    Both importers of translated sources name a language's pack that way (a HonKit book with
    LANGS.md: `<book>-<folder>`, the folder being the language; an MkDocs translation:
    `<site>-<lang>`), and the original keeps the bare name; so packs with the same key and
    different languages are one book in several languages. A hand-made pack that does not
    follow the naming is simply a book of its own (nothing is linked wrongly)."""
    suffix = "-" + slugify(language or "")
    return pack_id[:-len(suffix)] if language and pack_id.endswith(suffix) and pack_id != suffix[1:] else pack_id


def language_name(code: str) -> str:
    """A language in its own name ("Français"): the UI's names first, then Babel's, else the code."""
    primary = primary_language(code)
    if code in LANGUAGES or primary in LANGUAGES:
        return LANGUAGES.get(code, LANGUAGES.get(primary))[0]
    try:
        name = Locale.parse(code.replace("-", "_")).display_name
    except (ValueError, TypeError, UnknownLocaleError):
        name = None
    return name[:1].upper() + name[1:] if name else code


def primary_language(code: str | None) -> str:
    """"fr" for "fr-FR" or "fr_FR": what the learner's UI language is compared with."""
    return (code or "").replace("_", "-").split("-")[0].lower()


def _with_other_languages(packs: list[dict]) -> list[dict]:
    """Each pack with `other_languages`: the same book's packs in other languages (book_key),
    as {pack, language, name} by name; and `primary_language`, for the home page to list the
    learner's language first."""
    books: dict[str, list[dict]] = {}
    for pack in packs:
        books.setdefault(book_key(pack["id"], pack["language"]), []).append(pack)
    for pack in packs:
        pack["primary_language"] = primary_language(pack["language"])
        pack["other_languages"] = sorted((
            {"pack": other["id"], "language": other["language"], "name": language_name(other["language"])}
            for other in books[book_key(pack["id"], pack["language"])]
            if other["language"] and other["language"] != pack["language"]), key=lambda other: other["name"])
    return packs


def same_document_elsewhere(conn: sqlite3.Connection, pack_id: str, slug: str) -> list[dict]:
    """The same document (same slug: a translated book keeps its file names) in the book's
    other languages' packs, by language name ({pack, language, name})."""
    rows = conn.execute("SELECT id, language FROM packs").fetchall()
    language = next((row["language"] for row in rows if row["id"] == pack_id), None)
    key = book_key(pack_id, language)
    found = [{"pack": row["id"], "language": row["language"], "name": language_name(row["language"])}
             for row in rows if row["id"] != pack_id and row["language"] and row["language"] != language
             and book_key(row["id"], row["language"]) == key
             and conn.execute("SELECT 1 FROM documents WHERE pack=? AND slug=?", (row["id"], slug)).fetchone()]
    return sorted(found, key=lambda other: other["name"])


def get_pack(conn: sqlite3.Connection, pack_id: str) -> dict | None:
    pack = pack_info(conn, pack_id)
    return {**pack, **pack_contents(conn, pack_id)} if pack else None


def pack_info(conn: sqlite3.Connection, pack_id: str) -> dict | None:
    """The pack's own fields without its contents: what a document page needs (building the
    contents of a 500-page doc set for every page view would be most of its cost)."""
    pack = conn.execute("SELECT * FROM packs WHERE id=?", (pack_id,)).fetchone()
    return _pack_fields(pack) if pack else None


def _pack_fields(pack: sqlite3.Row) -> dict:
    """A packs row as pages use it; `reading_order`: its pages have an order of their own, so
    they are listed as contents and linked previous/next (a book, a Sphinx build, not a ZIM)."""
    source_format = format_named(pack["format"]) if pack["format"] else None
    return {**dict(pack), "authors": json.loads(pack["authors"]),
            "reading_order": source_format is not None and source_format.reading_order}


def pack_contents(conn: sqlite3.Connection, pack_id: str) -> dict:
    """Workshops with their chapters, transcripts, and the first PAGES_LISTED pages in reading
    order (with how many there are, and the page to start at when the source names one)."""
    columns = "id, slug, kind, title, workshop, workshop_title, workshop_description, position, meta"
    docs = conn.execute(f"SELECT {columns} FROM documents WHERE pack=? AND kind != 'page'"
                        " ORDER BY workshop, position, relpath", (pack_id,)).fetchall()
    pages = conn.execute(f"SELECT {columns} FROM documents WHERE pack=? AND kind = 'page'"   # documents_by_kind
                         " ORDER BY position, slug LIMIT ?", (pack_id, PAGES_LISTED)).fetchall()
    pages_total = conn.execute("SELECT count(*) FROM documents WHERE pack=? AND kind = 'page'",
                               (pack_id,)).fetchone()[0]
    start = conn.execute("SELECT slug, title FROM documents WHERE pack=?"      # documents_start
                         " AND json_extract(meta, '$.start') IS NOT NULL LIMIT 1", (pack_id,)).fetchone()
    workshops: dict[str, dict] = {}
    for doc in docs:
        if doc["kind"] == "chapter":
            workshop = workshops.setdefault(doc["workshop"], {
                "title": doc["workshop_title"], "description": doc["workshop_description"],
                "chapters": []})
            workshop["chapters"].append(doc)
    for workshop in workshops.values():
        workshop["tree"] = contents_tree(workshop["chapters"])
    return {"workshops": list(workshops.values()),
            "transcripts": [d for d in docs if d["kind"] == "transcript"],
            "pages": pages, "pages_total": pages_total, "start": start,
            "pages_tree": contents_tree(pages)}


def contents_tree(docs) -> list[dict]:
    """Documents in reading order as nested entries ({title, slug, children}): a page of a
    published source sits under the page before it with a smaller depth (its meta `depth`),
    and pages of a part (a HonKit "## Part" heading, an MkDocs nav section without a page of
    its own) under an entry for the part, whose slug is "" (a label, not a link)."""
    roots: list[dict] = []
    stack: list[tuple[int, dict]] = []
    part = ""
    for doc in docs:
        meta = doc if "depth" in doc.keys() else json.loads(doc["meta"] or "{}")
        depth = int(meta.get("depth", 0) or 0)
        if (meta.get("part") or "") != part:
            part = meta.get("part") or ""
            stack = []
            if part:
                label = {"title": part, "slug": "", "children": []}
                roots.append(label)
                stack = [(-1, label)]
        entry = {"title": doc["title"], "slug": doc["slug"], "children": []}
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1]["children"] if stack else roots).append(entry)
        stack.append((depth, entry))
    return roots


def get_document(conn: sqlite3.Connection, pack_id: str, slug: str) -> dict | None:
    doc = conn.execute("SELECT * FROM documents WHERE pack=? AND slug=?", (pack_id, slug)).fetchone()
    if doc is None:
        return None
    passages = [{**dict(row), "text": unpack_text(row["text"])} for row in conn.execute(
        "SELECT * FROM passages WHERE doc_id=? ORDER BY seq", (doc["id"],))]
    return {**dict(doc), "html": unpack_html(doc["html"]), "meta": json.loads(doc["meta"] or "{}"),
            "passages": passages}


def chapter_neighbours(conn: sqlite3.Connection, doc: dict) -> Neighbours:
    """The documents of the same kind and workshop in order (a workshop's chapters, or a
    published source's pages), and the ones before and after this one."""
    chapters = conn.execute("SELECT slug, title, meta FROM documents WHERE pack=? AND workshop=?"
                            " AND kind=? ORDER BY position, relpath",
                            (doc["pack"], doc["workshop"], doc["kind"])).fetchall()
    chapters = [{"slug": c["slug"], "title": c["title"], "depth": meta.get("depth", 0), "part": meta.get("part", "")}
                for c in chapters for meta in [json.loads(c["meta"] or "{}")]]
    slugs = [c["slug"] for c in chapters]
    at = slugs.index(doc["slug"])
    return Neighbours(previous=chapters[at - 1] if at > 0 else None,
                      next=chapters[at + 1] if at + 1 < len(chapters) else None,
                      chapters=chapters, tree=contents_tree(chapters),
                      translations=same_document_elsewhere(conn, doc["pack"], doc["slug"]))


def reading_nav(conn: sqlite3.Connection, doc: dict, pack: dict) -> Neighbours | None:
    """What sits beside a document: a workshop's chapters, and the pages of a published source
    with a reading order of its own; nothing for a ZIM's pages (20,000 of them, in address order)."""
    if doc["kind"] == "chapter" or pack["reading_order"]:
        return chapter_neighbours(conn, doc)
    return None


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
