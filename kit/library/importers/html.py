"""HTML pages from a documentation set: main text kept, navigation dropped, sections by heading.

A passage's text keeps the page's blocks: each paragraph, list item or cell is one line of prose
(the line breaks a generator wrapped its source at are spaces, as a browser shows them), and a
`<pre>` block keeps its lines, so the tutor quotes a sentence whole and a code sample as code.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from kit.library.documents import Document, ImportProblem, Passage, slugify, split_long_text, unique_anchor
from kit.library.importers.base import Importer, Source
from kit.library.rendering import sanitise_html

MAX_SECTION_WORDS = 250
_SKIP_NAMES = re.compile(r"^(genindex.*|search|py-modindex|modindex)\.html?$", re.I)
# "title": the <head>'s title is the page's title, not text shown above its first heading.
_SKIP_TAGS = {"script", "style", "nav", "header", "footer", "aside", "noscript", "template",
              "form", "button", "select", "textarea", "svg", "iframe", "title"}
_SKIP_CLASSES = {"sphinxsidebar", "related", "footer", "headerlink", "navigation", "nav",
                 "mobile-nav", "breadcrumbs"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "source", "base"}
_BLOCK = {"p", "div", "li", "dt", "dd", "pre", "tr", "table", "section", "blockquote", "br",
          "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "figcaption", "caption", "td", "th"}
_BREAK = "\x1e"        # a block's edge in the collected text (text itself never holds one)
_SPACES = re.compile(r"\s+")


class _PageReader(HTMLParser):
    """Keeps the page's main content as HTML and as plain text split at h1–h3."""

    def __init__(self, main_only: bool):
        super().__init__(convert_charrefs=True)
        self.main_only = main_only
        self.main_depth = 0          # >0 while inside <main> / role="main"
        self.skip_depth = 0          # >0 while inside navigation, scripts…
        self.stack: list[tuple[str, bool, bool]] = []   # (tag, opened main, opened skip)
        self.page_title, self.in_title = "", False
        self.kept_html: list[str] = []
        self.sections: list[dict] = [{"id": "", "heading": "", "text": []}]
        self.heading_tag = ""        # inside a kept h1–h3
        self.pending_section_id = ""
        self.pre_depth = 0           # >0 inside <pre>: line breaks are the code's own

    def keeping(self) -> bool:
        return self.skip_depth == 0 and (self.main_depth > 0 or not self.main_only)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if tag == "title":
            self.in_title = True
        # Sphinx themes mark the text as role="main", some only as <div class="body">
        opens_main = tag == "main" or attributes.get("role") == "main" or (tag == "div" and "body" in classes)
        opens_skip = tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES) \
            or attributes.get("role") == "navigation"
        if tag not in _VOID:
            self.stack.append((tag, opens_main, opens_skip))
        self.main_depth += opens_main
        self.skip_depth += opens_skip
        if not self.keeping():
            return
        if tag == "section" and attributes.get("id"):
            self.pending_section_id = attributes["id"]
        if tag in ("h1", "h2", "h3"):
            self.heading_tag = tag
            section_id = attributes.get("id") or self.pending_section_id
            if not section_id:      # give the heading an id so a link can land on it
                section_id = f"s-{len(self.sections)}"
                attrs = [*attrs, ("id", section_id)]
            self.sections.append({"id": section_id, "heading": "", "text": []})
            self.pending_section_id = ""
        if tag in _BLOCK:
            self.sections[-1]["text"].append(_BREAK)
        self.pre_depth += tag == "pre"
        rendered = "".join(f' {name}="{html.escape(value or "", quote=True)}"'
                           for name, value in attrs)
        self.kept_html.append(f"<{tag}{rendered}>")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in _VOID or not any(open_tag == tag for open_tag, _, _ in self.stack):
            return
        while self.stack:            # close what was left open inside, as browsers do
            open_tag, opened_main, opened_skip = self.stack.pop()
            was_keeping = self.keeping()
            self.main_depth -= opened_main
            self.skip_depth -= opened_skip
            if was_keeping:
                self.kept_html.append(f"</{open_tag}>")
                if open_tag in _BLOCK:
                    self.sections[-1]["text"].append(_BREAK)
                self.pre_depth -= open_tag == "pre" and self.pre_depth > 0
            if open_tag == tag:
                break
        if tag == self.heading_tag:
            self.heading_tag = ""

    def handle_data(self, data):
        if self.in_title:
            self.page_title += data
        if not self.keeping():
            return
        self.kept_html.append(html.escape(data))
        data = data.replace(_BREAK, " ")
        if self.heading_tag:
            self.sections[-1]["heading"] += data
        else:
            self.sections[-1]["text"].append(data if self.pre_depth else _SPACES.sub(" ", data))


def _paragraph(block: str) -> str:
    """A block's text: prose on one line; a <pre> block's lines (its only source of line breaks)
    kept, without blank ones, so the block stays one paragraph of code."""
    if "\n" not in block:
        return " ".join(block.split())
    return "\n".join(line.rstrip() for line in block.split("\n") if line.strip())


class HtmlImporter(Importer):
    suffixes = (".html", ".htm")

    def accepts(self, path: Path) -> bool:
        return not _SKIP_NAMES.match(path.name)

    def read(self, source: Source) -> Document:
        lowered = source.text.lower()
        reader = _PageReader(main_only=re.search(r'role="main"|<main\b|<div class="body"', lowered) is not None)
        reader.feed(source.text)
        reader.close()
        passages, taken = [], set()
        for section in reader.sections:
            heading = " ".join(section["heading"].split())
            paragraphs = [p for p in map(_paragraph, "".join(section["text"]).split(_BREAK)) if p]
            if not paragraphs and not heading:
                continue
            anchor = unique_anchor(section["id"] or "s-" + slugify(heading or "top"), taken)
            for chunk in split_long_text(paragraphs or [heading], MAX_SECTION_WORDS):
                passages.append(Passage(anchor=anchor, heading=heading, text=chunk))
        if not passages:
            raise ImportProblem(source.relpath, "the page has no text to show or search.")
        first_heading = next((p.heading for p in passages if p.heading), "")
        title = first_heading or " ".join(reader.page_title.split()) \
            or source.title_from_pack_or_name()
        return Document(kind="page", title=title, passages=passages,
                        html=sanitise_html("".join(reader.kept_html)))
