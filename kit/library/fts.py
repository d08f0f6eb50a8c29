"""Which full-text table, and so which tokenizer, holds a pack's passages: one owner of that fact.

Porter stemming ("running" finds "run") is English-only: applied to French or Portuguese it
makes wrong stems. So English packs go to one FTS5 table with Porter, every other language to
a second one with `unicode61 remove_diacritics 2` alone (accents folded: "evaluer" finds
"évaluer"). Search asks both tables (kit/library/search.py).
"""
from __future__ import annotations

ENGLISH_TABLE = "passages_fts"
OTHER_TABLE = "passages_intl"
TOKENIZERS = {
    ENGLISH_TABLE: "porter unicode61 remove_diacritics 2",
    OTHER_TABLE: "unicode61 remove_diacritics 2",
}
TABLES = tuple(TOKENIZERS)


def table_for(language: str) -> str:
    """The table for a pack in `language` (a BCP 47 code; "" is taken as English)."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return ENGLISH_TABLE if primary in ("", "en") else OTHER_TABLE


def create_statements() -> str:
    return "\n".join(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(\n"
        f"    title, heading, body, pack UNINDEXED, kind UNINDEXED,\n"
        f"    tokenize = '{tokenizer}');" for table, tokenizer in TOKENIZERS.items())
