"""Markdown pages of published books (HonKit, MkDocs) as chapters.

Both formats extend Markdown the same few ways, so one parser serves both: `{#id}` after a
heading sets its anchor, admonitions (`!!! note`, collapsible `??? note`), and the blocks the
format modules rewrite their own syntax into before parsing — code captions (`CAPTION_LINE`),
collapsible sections (`::::: section`) and content tabs (`:::: tab`). The chapter itself
(sections as passages, exercises, local links) is made by the Lantern chapter importer.
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.container import container_plugin

from kit.library.documents import Document, slugify
from kit.library.importers.markdown import chapter_from_tokens
from kit.library.rendering import markdown_parser, sanitise_html

_HEADING_ID = re.compile(r"\s*\{#([A-Za-z][\w:.-]*)\}\s*$")
_CAPTION = re.compile(r"^%%lantern-caption (.*)%%$")
_ANY_CAPTION = re.compile(r"%%lantern-caption ([^%\n]*)%%")


def caption_line(caption: str) -> str:
    """The line a format writes where a caption for the next code block stands."""
    return f"%%lantern-caption {' '.join(caption.split())}%%"


def section_block(title: str, anchor: str, open_: bool, body: str, colons: int = 5) -> str:
    """A collapsible section, as the parser reads it (rendered as <details><summary>). An
    outer section needs more colons than the sections inside it."""
    state = "open" if open_ else "closed"
    fence = ":" * colons
    return f"\n{fence} section {state} {slugify(anchor or title)} {' '.join(title.split())}\n{body}\n{fence}\n"


def _render_section(self, tokens, idx, options, env):
    token = tokens[idx]
    if token.nesting != 1:
        return "</details>\n"
    _, state, anchor, *title = token.info.strip().split(" ") + ["", "", ""]
    title_text = " ".join(word for word in title if word) or "Details"
    opened = " open" if state == "open" else ""
    return (f'<details class="section" id="{escapeHtml(anchor)}"{opened}>\n'
            f"<summary>{escapeHtml(title_text)}</summary>\n")


def _render_tab(self, tokens, idx, options, env):
    token = tokens[idx]
    if token.nesting != 1:
        return "</div>\n"
    title = token.info.strip()[len("tab"):].strip().strip('"') or "Tab"
    return f'<div class="tab">\n<p class="tab-label">{escapeHtml(title)}</p>\n'


def _render_fence(self, tokens, idx, options, env):
    code = RendererHTML.fence(self, tokens, idx, options, env)
    caption = tokens[idx].meta.get("caption")
    if not caption:
        return code
    return (f'<figure class="code">\n<figcaption class="filename">{escapeHtml(caption)}'
            f"</figcaption>\n{code}</figure>\n")


def book_parser() -> MarkdownIt:
    """Books mix HTML into their Markdown (images, line breaks, video frames): it is parsed as
    HTML here, and the page is sanitised after (`book_chapter`), unlike Lantern's own chapters."""
    md = markdown_parser()
    md.options["html"] = True
    md.use(admon_plugin)
    container_plugin(md, "section", render=_render_section)
    container_plugin(md, "tab", render=_render_tab)
    md.add_render_rule("fence", _render_fence)
    return md


_PARSER = book_parser()


def _heading_ids(tokens) -> None:
    """`## Install {#install}`: the heading's anchor is `install`; `{#…}` leaves the text."""
    for position, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[position + 1]
        match = _HEADING_ID.search(inline.content)
        if not match:
            continue
        token.attrSet("id", match.group(1))
        inline.content = inline.content[:match.start()]
        for child in reversed(inline.children or []):
            if child.type == "text":
                child.content = _HEADING_ID.sub("", child.content)
                break


def _captions(tokens) -> None:
    """A caption line right before a code block becomes that block's caption; one standing
    alone stays as a caption paragraph. Either way the passage's text (read from the inline
    token's content) carries the caption as plain words ("Windows", "mysite/settings.py"),
    never the marker: the tutor quotes passage text, and a caption often says which system a
    command is for. A marker anywhere else in a line is turned into its words too."""
    for position, token in enumerate(tokens):
        if token.type == "paragraph_open" and position + 2 < len(tokens):
            inline = tokens[position + 1]
            match = _CAPTION.match(inline.content.strip())
            if match:
                following = tokens[position + 3] if position + 3 < len(tokens) else None
                if following is not None and following.type == "fence":
                    following.meta["caption"] = match.group(1)
                    token.hidden = tokens[position + 2].hidden = True   # shown as the figcaption
                    inline.children = []
                else:
                    token.attrSet("class", "filename")
        if token.type == "inline" and "%%lantern-caption " in token.content:
            token.content = _ANY_CAPTION.sub(r"\1", token.content)
            for child in token.children or []:
                if child.type == "text":
                    child.content = _ANY_CAPTION.sub(r"\1", child.content)


def _tab_titles(tokens) -> list:
    """A content tab's title ("Windows", "macOS, Linux") says which system its commands are
    for: it goes into the passage's text as plain words (a paragraph the page does not show
    twice: the tab's label shows it), so the tutor can quote each command with its system."""
    kept = []
    for token in tokens:
        kept.append(token)
        if token.type == "container_tab_open":
            title = token.info.strip()[len("tab"):].strip().strip('"')
            if title:
                kept += [Token("paragraph_open", "p", 1, hidden=True),
                         Token("inline", "", 0, content=title, children=[]),
                         Token("paragraph_close", "p", -1, hidden=True)]
    return kept


def _collapsible_admonitions(tokens) -> None:
    """`??? note` (closed) and `???+ note` (open) become <details> with a <summary> title."""
    stack = []
    for token in tokens:
        if token.type == "admonition_open":
            collapsible = "is-collapsible" in (token.attrGet("class") or "")
            stack.append(collapsible)
            if collapsible:
                token.tag = "details"
                if "collapsible-open" in (token.attrGet("class") or ""):
                    token.attrSet("open", "open")
        elif token.type in ("admonition_title_open", "admonition_title_close") and stack and stack[-1]:
            token.tag = "summary"
        elif token.type == "admonition_close" and stack:
            if stack.pop():
                token.tag = "details"


def _tags_out_of_search_text(tokens) -> None:
    """HTML tags inside a paragraph are shown (sanitised), but they are not words to search."""
    for token in tokens:
        if token.type == "inline":
            for child in token.children or []:
                if child.type == "html_inline":
                    token.content = token.content.replace(child.content, " ", 1)


def _take_leading_title(tokens) -> tuple[list, str]:
    """The page's first H1, taken out of the body: the page shows its title once, above it."""
    for position, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            title = " ".join(tokens[position + 1].content.split())
            return tokens[:position] + tokens[position + 3:], title
        if token.type not in ("front_matter",):
            break
    return tokens, ""


def book_chapter(text: str, relpath: str, title: str = "") -> Document:
    """A book page's Markdown (already rewritten by its format) as a chapter. `title` is what
    the book's contents call it; the page's own H1, taken out of the body, is shown once as
    the page's heading (`meta["heading"]` when it differs from the title)."""
    tokens = _PARSER.parse(text)
    _heading_ids(tokens)
    _captions(tokens)
    tokens = _tab_titles(tokens)
    _collapsible_admonitions(tokens)
    _tags_out_of_search_text(tokens)
    tokens, heading = _take_leading_title(tokens)
    doc = chapter_from_tokens(_PARSER, tokens, title or heading or relpath, relpath)
    doc.html = sanitise_html(doc.html)
    if heading and heading != doc.title:    # the page's own H1 heads the page; the contents
        doc.meta["heading"] = heading       # keep the book's label (SUMMARY.md, nav)
    return doc
