"""How a document's HTML, and a passage's text, are kept in the index: zlib-compressed, because
they are most of the index's size and are read a few at a time (a page is rendered once,
kit/web/page_cache.py; a search reads its ten hits). An index from a kit that stored plain text
has an older INDEX_VERSION and is rebuilt (kit/library/index_db.py), so every row read here is
compressed, or empty (a transcript has no whole-page HTML).

The full-text tables read passages' text through views (kit/library/fts.py), so SQLite itself
must unpack it: every connection to the index gets `unpack_text()` (kit/library/index_db.py
`connect`). Unpacking is most of what a search hit costs beyond plain text, and a class
searches for the same words and the tutor quotes the same passages, so the last
`PASSAGE_CACHE` passages unpacked are kept, keyed by their stored bytes: a re-imported passage
has other bytes, so nothing stale is ever served."""
from __future__ import annotations

import zlib
from functools import lru_cache

LEVEL = 6
PASSAGE_CACHE = 2048     # passages are split by word count (median ~1.4 KB): a few MB in all


def pack_html(html: str) -> bytes:
    return zlib.compress(html.encode("utf-8"), LEVEL)


def unpack_html(stored: bytes | None) -> str:
    return zlib.decompress(stored).decode("utf-8") if stored else ""


pack_text = pack_html      # a passage's text is packed the same way
unpack_text = lru_cache(maxsize=PASSAGE_CACHE)(unpack_html)
SQL_FUNCTION = "unpack_text"
