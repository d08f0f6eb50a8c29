"""Turning content into safe HTML: Markdown (markdown-it-py), code highlighting (Pygments),
front matter (YAML) and sanitising HTML that arrives with a pack (nh3)."""
from __future__ import annotations

import re

import nh3
import yaml
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.container import container_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from kit.library.documents import ImportProblem

_FORMATTER = HtmlFormatter(nowrap=True)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def highlight_code(code: str, language: str, attrs=None) -> str:
    """Pygments spans for a fenced block; markdown-it wraps them in <pre><code>."""
    try:
        lexer = get_lexer_by_name(language.strip()) if language.strip() else None
    except ClassNotFound:
        lexer = None
    return highlight(code, lexer, _FORMATTER) if lexer else ""


def _render_exercise(self, tokens, idx, options, env):
    token = tokens[idx]
    if token.nesting == 1:
        title = escapeHtml(token.meta.get("title", "Exercise"))
        anchor = token.attrGet("id") or ""
        return (f'<section class="exercise" id="{anchor}">\n'
                f'<h3 class="exercise-title">Exercise: {title}</h3>\n')
    return "</section>\n"


def _render_solution(self, tokens, idx, options, env):
    if tokens[idx].nesting == 1:
        return '<details class="solution">\n<summary>Show solution</summary>\n'
    return "</details>\n"


def markdown_parser() -> MarkdownIt:
    """CommonMark with tables, raw HTML shown as text, and ::: exercise / ::: solution blocks."""
    md = MarkdownIt("commonmark", {"html": False, "highlight": highlight_code}).enable("table")
    container_plugin(md, "exercise", render=_render_exercise)
    container_plugin(md, "solution", render=_render_solution)
    return md


def split_front_matter(text: str, relpath: str) -> tuple[dict, str, int]:
    """(metadata, body, number of lines the front matter took). Bad YAML names the line."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 0
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise ImportProblem(relpath, f"the front matter (between the --- lines) is not valid "
                                     f"YAML: {getattr(error, 'problem', error)}. Fix it.", line)
    if not isinstance(meta, dict):
        raise ImportProblem(relpath, "the front matter must be 'key: value' lines.", 2)
    return meta, text[match.end():], match.group(0).count("\n")


_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "kbd", "li", "mark", "ol", "p", "pre", "s", "samp", "section", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "var",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang"},
    "a": {"href"},
    "details": {"open"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def _keep_local_sources(tag: str, attribute: str, value: str) -> str | None:
    """Images must come from the pack: anything that would load from off the machine goes."""
    if tag == "img" and attribute == "src" and re.match(r"^\s*([a-z][a-z0-9+.-]*:|//)", value, re.I):
        return None
    return value


def sanitise_html(html: str) -> str:
    """Pack HTML without scripts, styles, forms, frames or remote images."""
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                     attribute_filter=_keep_local_sources, link_rel="noopener noreferrer",
                     url_schemes={"http", "https", "mailto"})
