"""How a document's HTML, and a passage's text, are kept in the index: zlib-compressed, because
they are most of the index's size and are read a few at a time (a page is rendered once,
kit/web/page_cache.py; a search reads its ten hits). Rows written by an older kit hold plain
text; both read back as text, so no rebuild is forced.

The full-text tables read passages' text through views (kit/library/fts.py), so SQLite itself
must unpack it: every connection to the index gets `unpack_text()` (kit/library/indexer.py
`connect`)."""
from __future__ import annotations

import zlib

LEVEL = 6


def pack_html(html: str) -> bytes:
    return zlib.compress(html.encode("utf-8"), LEVEL)


def unpack_html(stored: bytes | str | None) -> str:
    if isinstance(stored, bytes):
        return zlib.decompress(stored).decode("utf-8")
    return stored or ""


pack_text, unpack_text = pack_html, unpack_html    # the same for a passage's text
SQL_FUNCTION = "unpack_text"
