"""How a document's HTML is kept in the index: zlib-compressed, because it is read once per
page (kit/web/page_cache.py keeps the rendered page) and is most of the index's size. Rows
written by an older kit hold plain text; both read back as text, so no rebuild is forced."""
from __future__ import annotations

import zlib

LEVEL = 6


def pack_html(html: str) -> bytes:
    return zlib.compress(html.encode("utf-8"), LEVEL)


def unpack_html(stored: bytes | str | None) -> str:
    if isinstance(stored, bytes):
        return zlib.decompress(stored).decode("utf-8")
    return stored or ""
