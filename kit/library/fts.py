"""Which full-text table, and so which tokenizer, holds a pack's passages: one owner of that fact.

Porter stemming ("running" finds "run") is English-only: applied to French or Portuguese it
makes wrong stems. So English packs go to one FTS5 table with Porter, every other language to
a second one with `unicode61 remove_diacritics 2` alone (accents folded: "evaluer" finds
"évaluer"); its words are matched by their Snowball stem at query time, through the table's
list of words (`vocabulary_table`, FTS5's fts5vocab; kit/library/languages.py). Chinese,
Japanese and Korean write no spaces between words, so unicode61 takes a whole sentence for one
word: their packs go to a third table with the `trigram` tokenizer, which finds any substring
of three characters or more (a shorter word is widened to the trigrams that begin with it).
Search asks the tables holding passages (kit/library/search.py).

Both are *external-content* tables, each over a view of `passages` and `documents`: the text is
stored once, in `passages`, and the tables hold only the word index (a copy of every passage's
text and its document's title was a third of the index). snippet() and the pack/kind columns
read the view. The price: a passage must leave its table while its rows still exist, with the
same values it was indexed with (`delete_statement`), so both statements read the same view.
A document remembers its table (documents.search_table), and each view holds only its table's
passages, so FTS5's 'integrity-check' and 'rebuild' see exactly what the table indexes.

The indexer writes one document per transaction, and FTS5 keeps each transaction's words as a
segment of its own until it merges them; a query reads every segment. After a build that changed
anything, `merge_word_index` runs FTS5's 'optimize' (one segment per table), so a search reads
one segment instead of hundreds; the merge is cheap beside the build (README's measured tables).
"""
from __future__ import annotations

from kit.library import languages

ENGLISH_TABLE = "passages_fts"
OTHER_TABLE = "passages_intl"
CJK_TABLE = "passages_cjk"
TOKENIZERS = {
    ENGLISH_TABLE: "porter unicode61 remove_diacritics 2",
    OTHER_TABLE: "unicode61 remove_diacritics 2",
    CJK_TABLE: "trigram",
}
TABLES = tuple(TOKENIZERS)
_COLUMNS = "title, heading, body, pack, kind"
# A passage's heading column is its heading, or on a transcript its speaker; its text is stored
# compressed (kit/library/stored_html.py).
_VIEW = """
CREATE VIEW IF NOT EXISTS {view} AS
SELECT p.id AS id, d.title AS title,
       CASE WHEN coalesce(p.heading, '') = '' THEN p.speaker ELSE p.heading END AS heading,
       unpack_text(p.text) AS body, d.pack AS pack, d.kind AS kind
FROM passages p JOIN documents d ON d.id = p.doc_id WHERE d.search_table = '{table}';"""


def source_view(table: str) -> str:
    """The view a full-text table reads its text from."""
    return f"{table}_source"


def vocabulary_table(table: str) -> str:
    """The fts5vocab table listing the words (or trigrams) a full-text table holds."""
    return f"{_checked(table)}_words"


VOCABULARY_TABLES = (OTHER_TABLE, CJK_TABLE)     # the English table's words are Porter's stems


def table_for(language: str) -> str:
    """The table for a pack in `language` (a BCP 47 code; "" is taken as English)."""
    primary = languages.primary(language)
    if primary == languages.ENGLISH:
        return ENGLISH_TABLE
    return CJK_TABLE if primary in languages.CJK else OTHER_TABLE


def create_statements() -> str:
    return "\n".join(
        _VIEW.format(view=source_view(table), table=table) + "\n"
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(\n"
        f"    title, heading, body, pack UNINDEXED, kind UNINDEXED,\n"
        f"    content = '{source_view(table)}', content_rowid = 'id',\n"
        f"    tokenize = '{tokenizer}');" for table, tokenizer in TOKENIZERS.items()) + "\n" + "\n".join(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocabulary_table(table)} USING fts5vocab({table}, 'row');"
        for table in VOCABULARY_TABLES)


def _checked(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"not a full-text table: {table!r}")
    return table


def insert_statement(table: str) -> str:
    """Index the passages of one document (parameter: its id), read from the view."""
    return (f"INSERT INTO {_checked(table)}(rowid, {_COLUMNS}) SELECT id, {_COLUMNS} "
            f"FROM {source_view(table)} WHERE id IN (SELECT id FROM passages WHERE doc_id = ?)")


def merge_word_index(conn) -> None:
    """One segment per table (FTS5 'optimize'), then the pages that freed handed back to the
    file system (the index is auto_vacuum=INCREMENTAL), so the index is no bigger for it."""
    with conn:
        for table in TABLES:
            conn.execute(f"INSERT INTO {table}({table}) VALUES('optimize')")
    conn.executescript("PRAGMA incremental_vacuum;")   # execute() would free one page per call


def delete_statement(table: str) -> str:
    """Take one document's passages (parameter: its id) out of the word index; to be run
    before the rows themselves are deleted."""
    return (f"INSERT INTO {table}({_checked(table)}, rowid, {_COLUMNS}) SELECT 'delete', id, "
            f"{_COLUMNS} FROM {source_view(table)} WHERE id IN (SELECT id FROM passages WHERE doc_id = ?)")
