"""The library's words as the tutor's retrieval weighs a question's words (kit/tutor/retrieval.py):
which passages hold a word and how many (its IDF), how many passages there are, which words the
library uses as written (spelling candidates). A word is matched as search matches it (its stem,
kit/library/search.py), so the tutor and the search box agree on what a word finds."""
from __future__ import annotations

import sqlite3

from kit.library import fts, languages
from kit.library.search import languages_to_stem, word_match


def _word_matches(conn: sqlite3.Connection, word: str, language: str | None):
    stem_languages = languages_to_stem(conn, language and languages.primary(language))
    for table in fts.TABLES:
        match = word_match(conn, table, word, stem_languages)
        if match:
            yield table, match


def passages_matching(conn: sqlite3.Connection, word: str, limit_to: list[int] | None = None,
                      language: str | None = None) -> set[int]:
    """Passage ids containing `word` as search finds it (by its stem), optionally among
    `limit_to`; `language` is the question's (its stemmer)."""
    found: set[int] = set()
    for table, match in _word_matches(conn, word, language):
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ?"
        args: list = [match]
        if limit_to is not None:
            sql += f" AND rowid IN ({','.join('?' * len(limit_to))})"
            args += limit_to
        found |= {row[0] for row in conn.execute(sql, args)}
    return found


def passages_with(conn: sqlite3.Connection, word: str, language: str | None = None) -> int:
    """How many passages contain `word` (for its IDF weight), matched as passages_matching does."""
    return sum(conn.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (match,)).fetchone()[0]
               for table, match in _word_matches(conn, word, language))


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
