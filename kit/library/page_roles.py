"""What a page is for in its source — a tutorial, reference, release notes, an index — read from
the source's own structure: its path, its title and the part of the contents it sits in.

Why: on a whole library the words of a beginner's question are everywhere. A changelog line
("Fixed reading a whole file into a string") or a list of links (a contents page, a glossary)
matches them as well as the page that teaches it. The tutor prefers pages that teach, ranks
release notes far down and never answers from index pages (kit/tutor/retrieval.py).

The rules are the conventions documentation tools and projects share (Sphinx's `whatsnew/`,
`genindex`, `glossary`; `changelog`, `releases/`, `NEWS`, `HISTORY`; `tutorial/`, `howto/`,
`intro/`; `reference/`, `api`), never a list of one library's pages. A format that knows more
from its source (a Sphinx page made of links) sets `meta["role"]` itself.
"""
from __future__ import annotations

import re

TUTORIAL, REFERENCE, RELEASE_NOTES, INDEX = "tutorial", "reference", "release-notes", "index"
ROLES = (TUTORIAL, REFERENCE, RELEASE_NOTES, INDEX, "")   # "" = nothing says

# Path parts (folders, or the file's name without its suffix), lower case, '_' read as '-'.
_INDEX_NAMES = re.compile(r"^(genindex(-.*)?|py-modindex|modindex|search|glossary|sitemap|tags)$")
_RELEASE_NAMES = re.compile(r"^(whatsnew|whats-new|changelog|changes|change-log|news|history|"
                            r"releases?|release-notes|releasenotes|release-history)$")
_TUTORIAL_NAMES = re.compile(r"^(tutorials?|intro|introduction|getting-started|get-started|"
                             r"quickstart|quick-start|start|howto|how-to|howtos|guides?|"
                             r"user-guide|learn|lessons?|episodes|faq|topics)$")
_REFERENCE_NAMES = re.compile(r"^(reference|ref|api|api-reference|library|c-api|modules)$")
# Titles and contents parts ("Release notes", "What's New In Python 3.11", "Tutorial - User Guide").
_INDEX_TITLE = re.compile(r"^\s*(index|glossary|module index|search|general index)\s*$", re.I)
_RELEASE_TITLE = re.compile(r"^\s*(what[’']?s new\b|changelog|change log|release notes|"
                            r"changes\b|version history|release history|news\b)", re.I)
_TUTORIAL_PART = re.compile(r"\b(tutorials?|how-?tos?|guides?|getting started|first steps|learn|"
                            r"faqs?|frequently asked questions)\b", re.I)
_REFERENCE_PART = re.compile(r"\b(reference|api)\b", re.I)


def _parts(relpath: str) -> list[str]:
    """The path's folders and the file's stem, lower case, '_' as '-' ("whatsnew/3.11.html" →
    ["whatsnew", "3.11"]). A folder's front page (index.html, README.md) matches no rule, so
    its folder decides."""
    pieces = [p for p in relpath.lower().replace("_", "-").replace("\\", "/").split("/") if p]
    if pieces:
        pieces[-1] = re.sub(r"\.(html?|md|markdown|rst|txt)(\.gz)?$", "", pieces[-1])
    return pieces


def page_role(relpath: str, title: str = "", part: str = "", kind: str = "") -> str:
    """The role of a page from where it sits and what it is called. `part` is the section of the
    source's contents it belongs to (a toctree caption, a SUMMARY.md part, a breadcrumb), `kind`
    the document's kind ("chapter" pages of a workshop or a book teach)."""
    parts = _parts(relpath)
    stem = parts[-1] if parts else ""
    if _INDEX_NAMES.match(stem) or _INDEX_TITLE.match(title):
        return INDEX
    if any(_RELEASE_NAMES.match(p) for p in parts) or _RELEASE_TITLE.match(title) \
            or _RELEASE_TITLE.match(part):
        return RELEASE_NOTES
    if any(_TUTORIAL_NAMES.match(p) for p in parts[:-1]) or _TUTORIAL_NAMES.match(stem) \
            or _TUTORIAL_PART.search(part):
        return TUTORIAL
    if any(_REFERENCE_NAMES.match(p) for p in parts) or _REFERENCE_PART.search(part):
        return REFERENCE
    return TUTORIAL if kind == "chapter" else ""
