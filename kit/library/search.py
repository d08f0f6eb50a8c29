"""Full-text search over passages (SQLite FTS5, BM25), the one function pages, the JSON API and
the tutor's retriever all call: `search_passages`.

Queries are tried as FTS5 syntax first (so "phrases", prefix* and OR work), then as plain words
all required, then as plain words any of which may match. A query FTS5 cannot parse falls
through to the plain-word forms instead of failing; a query of plain words alone skips the
first form (it would find the same as the second, without the widening below).

Plain words are widened per table (kit/library/fts.py): on the other-languages table a word
stands for every indexed word with its Snowball stem ("créer" finds "créez", "créé"), and its
language's stop-words are dropped from a question that has other words ("un", "comment"); on
the CJK table a word of one or two characters stands for the trigrams that begin with it. The
English table stems with Porter itself, and English queries are as they were.

A learner's language (`language=`) is asked first: passages in it, and others only when it has
none — a French learner searching a word the French pages never use sees the English pages
rather than nothing; while the French pages have it, never a mix.
"""
from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass

from kit.library import fts, languages
from kit.library.urls import document_url

_PLAIN = re.compile(r"[\w\s]*")
_OPERATOR = re.compile(r"\b(?:AND|OR|NOT|NEAR)\b")
MAX_TRIGRAMS = 400         # trigrams a one- or two-character CJK word is widened to
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
        every field, which costs more than finding the hit."""
        return {"title": self.title, "pack": self.pack, "kind": self.kind, "url": self.url,
                "snippet": self.snippet, "score": self.score, "heading": self.heading,
                "speaker": self.speaker, "start": self.start}


@dataclass
class SearchResult:
    hits: list[SearchHit]
    relaxed: bool            # True when only "any of the words" found something
    other_languages: bool = False   # the learner's language found nothing: these are in others


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
WHERE {{t}} MATCH :match_{{t}} {{filters}}
ORDER BY rank LIMIT :limit)
"""
# English packs and the others sit in two FTS5 tables (kit/library/fts.py): ask those holding
# passages, keep the best of each, then the best overall. BM25 scores of the two are of the same
# kind. An empty table is left out: asking it too would cost every search a union for nothing.
def _sql(filters: str, tables: tuple[str, ...] = fts.TABLES) -> str:
    return " UNION ALL ".join(_ONE_TABLE.replace("{filters}", filters).replace("{t}", table)
                              for table in tables) + " ORDER BY rank LIMIT :limit"


def _tables_in_use(conn: sqlite3.Connection) -> tuple[str, ...]:
    return tuple(table for table in fts.TABLES if conn.execute(
        "SELECT 1 FROM documents WHERE search_table = ? LIMIT 1", (table,)).fetchone())


def _run(conn: sqlite3.Connection, matches: dict[str, str], limit: int,
         pack: str | None, kind: str | None, packs: tuple[str, ...] | None = None,
         skip_roles: tuple[str, ...] = ()) -> list[SearchHit]:
    tables = tuple(matches)
    filters, values = "", {"limit": limit, "pack": pack, "kind": kind}
    values.update((f"match_{table}", match) for table, match in matches.items())
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


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def same_stem_words(conn: sqlite3.Connection, word: str, stem_languages: tuple[str, ...]) -> list[str]:
    """`word` folded, and the other-languages table's words that share its Snowball stem in one of
    `stem_languages` (the index holds words folded, so stems are compared on folded words)."""
    folded = languages.fold(word)
    found = {folded}
    for language in stem_languages:
        stem = languages.stem(language, folded)
        for prefix in languages.vocabulary_prefixes(language, folded):
            found.update(term for (term,) in conn.execute(
                f"SELECT term FROM {fts.vocabulary_table(fts.OTHER_TABLE)} WHERE term >= ? AND term < ?",
                (prefix, prefix + "\U0010ffff")) if languages.stem(language, term) == stem)
    return sorted(found)


def _cjk_trigrams(conn: sqlite3.Connection, word: str) -> list[str]:
    """The indexed trigrams holding a CJK word too short for the trigram index: those that begin
    with it, else (it only ever ends a text) those that end with it."""
    words = fts.vocabulary_table(fts.CJK_TABLE)
    found = [row[0] for row in conn.execute(f"SELECT term FROM {words} WHERE term >= ? AND term < ? "
                                            f"LIMIT {MAX_TRIGRAMS}", (word, word + "\U0010ffff"))]
    return found or [row[0] for row in conn.execute(
        f"SELECT term FROM {words} WHERE substr(term, -?) = ? LIMIT {MAX_TRIGRAMS}", (len(word), word))]


def word_match(conn: sqlite3.Connection, table: str, word: str, stem_languages: tuple[str, ...]) -> str | None:
    """The FTS5 expression that finds `word` in `table` (None: it cannot be found there)."""
    if table == fts.OTHER_TABLE and stem_languages:
        variants = same_stem_words(conn, word, stem_languages)
        return _quoted(variants[0]) if len(variants) == 1 else \
            "(" + " OR ".join(map(_quoted, variants)) + ")"
    if table == fts.CJK_TABLE and len(word) < 3:
        trigrams = _cjk_trigrams(conn, word.lower()) if languages.has_cjk(word) else []
        return "(" + " OR ".join(map(_quoted, trigrams)) + ")" if trigrams else None
    return _quoted(word)


def _words_match(conn, tables, words: list[str], stem_languages, any_word: bool) -> dict[str, str]:
    """Per table, the expression for `words`, all of them required or any one; a table where a
    required word cannot be found is left out."""
    matches = {}
    for table in tables:
        terms = [word_match(conn, table, word, stem_languages) for word in words]
        if not any_word and None in terms:
            continue
        terms = [term for term in terms if term]
        if terms:
            matches[table] = (" OR " if any_word else " AND ").join(terms)
    return matches


def languages_to_stem(conn: sqlite3.Connection, language: str | None) -> tuple[str, ...]:
    """The languages whose stems widen a word: the query's, else every stemmed one the library's
    other-languages table holds."""
    if language:
        return (language,) if language in languages.STEMMED else ()
    return tuple(sorted(set(pack_languages(conn).values()) & languages.STEMMED))


def _forms(conn, query: str, tables, words: list[str], stem_languages, any_word: bool):
    """The query's forms to try in turn, made when asked for: (per-table expressions, relaxed)."""
    if not any_word:
        if not _PLAIN.fullmatch(query) or _OPERATOR.search(query):
            yield {table: query for table in tables}, False        # FTS5 syntax, as typed
        yield _words_match(conn, tables, words, stem_languages, False), False
    yield _words_match(conn, tables, words, stem_languages, True), True


def _find(conn, query: str, tables, limit, pack, kind, packs, skip_roles, language: str | None,
          any_word: bool) -> SearchResult:
    words = languages.words(query)
    if language and language != languages.ENGLISH:
        words = [w for w in words if w.lower() not in languages.stop_words(language)] or words
    for matches, relaxed in _forms(conn, query, tables, words, languages_to_stem(conn, language), any_word):
        if not matches:
            continue
        try:
            hits = _run(conn, matches, limit, pack, kind, packs, skip_roles)
        except sqlite3.OperationalError as error:
            if not _is_query_error(error):
                raise
            continue
        if hits:
            return SearchResult(hits, relaxed)
    return SearchResult([], False)


def search_passages(conn: sqlite3.Connection, query: str, limit: int = 10,
                    pack: str | None = None, kind: str | None = None, *,
                    packs: tuple[str, ...] | None = None,
                    skip_roles: tuple[str, ...] = (), language: str | None = None,
                    any_word: bool = False) -> SearchResult:
    """Ranked passages for `query`; never raises for a malformed query. `packs` keeps only those
    packs' passages (the tutor's language), `skip_roles` leaves out pages of those roles (the
    tutor never answers from an index page). `language` (BCP 47; the learner's) is asked first,
    the others only when it finds nothing; without it the query's words tell its language.
    `any_word`: the plain words, any of which may match (the tutor's candidates)."""
    if packs is not None and not packs:
        return SearchResult([], False)
    query = query.strip()
    tables = _tables_in_use(conn)
    if not query or not tables:
        return SearchResult([], False)
    library = pack_languages(conn)
    if language:
        language = languages.primary(language)
        preferred = tuple(p for p, lang in library.items() if lang == language
                          and (packs is None or p in packs))
        if preferred and (found := _find(conn, query, tables, limit, pack, kind, preferred, skip_roles,
                                         language, any_word)).hits:
            return found
        found = _find(conn, query, tables, limit, pack, kind, packs, skip_roles, language, any_word)
        found.other_languages = any(library.get(hit.pack) != language for hit in found.hits)
        return found
    return _find(conn, query, tables, limit, pack, kind, packs, skip_roles,
                 languages.guess(query, set(library.values())), any_word)


def pack_languages(conn: sqlite3.Connection) -> dict[str, str]:
    """Each pack's language as its primary subtag, lower case ("pt-BR" → "pt"; "" → "en", as
    kit/library/fts.py takes it)."""
    return {row[0]: languages.primary(row[1]) for row in conn.execute("SELECT id, language FROM packs")}
