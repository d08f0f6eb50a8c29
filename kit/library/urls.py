"""The document URL scheme, /p/<pack>/<slug>[#anchor], owned here: search hits, the tutor's
sources, the teacher's report, the templates (the `document_url` global) and the fast lane all
build or read document URLs through these, so the scheme changes in one place. kit/app.py's
routes serve them (tests/test_layout.py checks both agree)."""
from __future__ import annotations

PREFIX = "/p/"


def pack_url(pack: str) -> str:
    return f"{PREFIX}{pack}/"


def document_url(pack: str, slug: str, anchor: str = "") -> str:
    return f"{PREFIX}{pack}/{slug}" + (f"#{anchor}" if anchor else "")


def document_of(path: str) -> tuple[str, str] | None:
    """(pack, slug) of a document's path (without its #anchor), or None for any other path."""
    if not path.startswith(PREFIX):
        return None
    pack, _, slug = path[len(PREFIX):].partition("/")
    return (pack, slug) if pack and slug else None
