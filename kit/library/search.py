"""Full-text search over passages (SQLite FTS5, BM25), the one function pages, the JSON API and
the tutor's retriever all call: `search_passages`.

Queries are tried as FTS5 syntax first (so "phrases", prefix* and OR work), then as plain words
all required, then as plain words any of which may match. A query FTS5 cannot parse falls
through to the plain-word forms instead of failing.
"""
from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass

from kit.library import fts

_WORD = re.compile(r"\w+", re.UNICODE)
_OPEN, _CLOSE = "\x02", "\x03"    # snippet markers, turned into <mark> after escaping
KINDS = ("chapter", "transcript", "page")


@dataclass
class SearchHit:
    title: str
    pack: str
    kind: str
    url: str                 # the passage's own anchor: /p/<pack>/<doc>#<anchor>
    snippet: str             # HTML: escaped text with <mark> around matches
    score: float             # higher is better (negated BM25)
    heading: str
    speaker: str
    start: str
    text: str                # the whole passage, for the tutor
    passage_id: int
    doc_slug: str
    anchor: str
    role: str = ""           # what the page is for: tutorial, reference, release-notes, index
    language: str = ""       # its pack's language (BCP 47), as pack.toml gives it

    def public(self) -> dict:
        """The fields the JSON API promises. Named one by one: dataclasses.asdict deep-copies
        every field and took 60 µs a hit, more than finding it."""
        return {"title": self.title, "pack": self.pack, "kind": self.kind, "url": self.url,
                "snippet": self.snippet, "score": self.score, "heading": self.heading,
                "speaker": self.speaker, "start": self.start}


@dataclass
class SearchResult:
    hits: list[SearchHit]
    relaxed: bool            # True when only "any of the words" found something


def document_url(pack: str, slug: str, anchor: str = "") -> str:
    return f"/p/{pack}/{slug}" + (f"#{anchor}" if anchor else "")


def _plain_words(query: str) -> list[str]:
    return [f'"{word}"' for word in _WORD.findall(query)]


def _snippet_html(raw: str) -> str:
    escaped = html.escape(raw)
    return escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


_ONE_TABLE = f"""
SELECT * FROM (
SELECT p.id, p.anchor, p.heading, p.speaker, p.start, {{t}}.body AS text, d.title, d.pack, d.kind, d.slug,
       d.role, k.language, snippet({{t}}, 2, '{_OPEN}', '{_CLOSE}', '…', 24) AS snip, {{t}}.rank AS rank
FROM {{t}}
JOIN passages p ON p.id = {{t}}.rowid
JOIN documents d ON d.id = p.doc_id
LEFT JOIN packs k ON k.id = d.pack
WHERE {{t}} MATCH :match {{filters}}
ORDER BY rank LIMIT :limit)
"""
# English packs and the others sit in two FTS5 tables (kit/library/fts.py): ask those holding
# passages, keep the best of each, then the best overall. BM25 scores of the two are of the same
# kind. Asking an empty table too cost 50–60 µs a search (the union), so it is left out.
def _sql(filters: str, tables: tuple[str, ...] = fts.TABLES) -> str:
    return " UNION ALL ".join(_ONE_TABLE.replace("{filters}", filters).replace("{t}", table)
                              for table in tables) + " ORDER BY rank LIMIT :limit"


def _tables_in_use(conn: sqlite3.Connection) -> tuple[str, ...]:
    return tuple(table for table in fts.TABLES if conn.execute(
        "SELECT 1 FROM documents WHERE search_table = ? LIMIT 1", (table,)).fetchone())


def _run(conn: sqlite3.Connection, tables: tuple[str, ...], match: str, limit: int,
         pack: str | None, kind: str | None, packs: tuple[str, ...] | None = None,
         skip_roles: tuple[str, ...] = ()) -> list[SearchHit]:
    filters, values = "", {"match": match, "limit": limit, "pack": pack, "kind": kind}
    if pack:
        filters += " AND {t}.pack = :pack"
    if kind:
        filters += " AND {t}.kind = :kind"
    if packs is not None:
        values.update((f"pack{n}", name) for n, name in enumerate(packs))
        filters += f" AND d.pack IN ({', '.join(f':pack{n}' for n in range(len(packs)))})"
    if skip_roles:
        values.update((f"role{n}", role) for n, role in enumerate(skip_roles))
        filters += f" AND d.role NOT IN ({', '.join(f':role{n}' for n in range(len(skip_roles)))})"
    rows = conn.execute(_sql(filters, tables), values).fetchall()
    return [SearchHit(title=r["title"], pack=r["pack"], kind=r["kind"],
                      url=document_url(r["pack"], r["slug"], r["anchor"]),
                      snippet=_snippet_html(r["snip"]), score=round(-r["rank"], 4),
                      heading=r["heading"], speaker=r["speaker"], start=r["start"],
                      text=r["text"], passage_id=r["id"], doc_slug=r["slug"], anchor=r["anchor"],
                      role=r["role"] or "", language=r["language"] or "")
            for r in rows]


def _is_query_error(error: sqlite3.OperationalError) -> bool:
    """FTS5 rejected the query text itself (syntax, unknown column), not the database."""
    message = str(error)
    return message.startswith(("fts5:", "no such column", "unknown special query",
                               "unterminated string")) \
        or "syntax error" in message


def search_passages(conn: sqlite3.Connection, query: str, limit: int = 10,
                    pack: str | None = None, kind: str | None = None, *,
                    packs: tuple[str, ...] | None = None,
                    skip_roles: tuple[str, ...] = ()) -> SearchResult:
    """Ranked passages for `query`; never raises for a malformed query. `packs` keeps only those
    packs' passages (the tutor's language), `skip_roles` leaves out pages of those roles (the
    tutor never answers from an index page)."""
    if packs is not None and not packs:
        return SearchResult([], False)
    query = query.strip()
    words = _plain_words(query)
    attempts = [(query, False), (" ".join(words), False), (" OR ".join(words), True)]
    tables = _tables_in_use(conn)
    for match, relaxed in attempts:
        if not match or not tables:
            continue
        try:
            hits = _run(conn, tables, match, limit, pack, kind, packs, skip_roles)
        except sqlite3.OperationalError as error:
            if not _is_query_error(error):
                raise
            continue
        if hits:
            return SearchResult(hits, relaxed)
    return SearchResult([], False)


# -- word look-ups for the tutor's retrieval (kit/tutor/retrieval.py) ---------------------------

def passages_matching(conn: sqlite3.Connection, word: str, limit_to: list[int] | None = None) -> set[int]:
    """Passage ids containing `word` as FTS5 sees it (stemmed), optionally among `limit_to`."""
    found: set[int] = set()
    for table in fts.TABLES:
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ?"
        args: list = [f'"{word}"']
        if limit_to is not None:
            sql += f" AND rowid IN ({','.join('?' * len(limit_to))})"
            args += limit_to
        found |= {row[0] for row in conn.execute(sql, args)}
    return found


def passages_with(conn: sqlite3.Connection, word: str) -> int:
    """How many passages contain `word` (for its IDF weight)."""
    return sum(conn.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?",
                            (f'"{word}"',)).fetchone()[0] for table in fts.TABLES)


def passage_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM passages").fetchone()[0]


def vocabulary_among(conn: sqlite3.Connection, words: list[str]) -> list[str]:
    """Those of `words` the library uses as written (spelling candidates)."""
    found: list[str] = []
    for start in range(0, len(words), 500):         # SQLite's limit on parameters
        chunk = words[start:start + 500]
        found += [row[0] for row in conn.execute(
            f"SELECT word FROM vocabulary WHERE word IN ({','.join('?' * len(chunk))})", chunk)]
    return found


def pack_languages(conn: sqlite3.Connection) -> dict[str, str]:
    """Each pack's language as its primary subtag, lower case ("pt-BR" → "pt"; "" → "en", as
    kit/library/fts.py takes it)."""
    return {row[0]: (row[1] or "en").strip().lower().replace("_", "-").split("-")[0] or "en"
            for row in conn.execute("SELECT id, language FROM packs")}
