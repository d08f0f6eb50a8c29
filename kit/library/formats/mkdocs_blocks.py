"""MkDocs block syntax rewritten into what the book parser reads, and terminal blocks made plain.

pymdownx.blocks (`/// tip | Title` … `///`, used by FastAPI's docs hundreds of times) would be
shown raw, and the tutor would quote the `///` lines. Each block becomes: an admonition
(`!!! tip "Title"`, its body indented) for the admonition types, a collapsible section for
`/// details` (open with `open: true`), a labelled tab for `/// tab | Linux`, and its plain body
for `html`, `caption` and the like. An outer block is written with more slashes than the
blocks inside it, as pymdownx requires; options are indented `key: value` lines under the
opening line. Slashes inside fenced code are code, never a block.

Attribute lists (the attr_list extension: `[link](page.md){.internal-link target=_blank}`,
`## Title { #anchor }`) set HTML attributes MkDocs never shows: a link's are dropped, a
heading's anchor is written the way the book parser reads it (`{#anchor}`).

FastAPI's terminal blocks (```console, inside `<div class="termy">`) carry HTML for their
colours (`<font color=…>`, `<span style=…>`, `<u>`): a learner reads, and the tutor quotes,
the plain terminal text, so those tags are taken out and the entities decoded.
"""
from __future__ import annotations

import html
import re

from kit.library.formats.book_markdown import section_block

_OPEN = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<slashes>/{3,})\s*(?P<name>[A-Za-z][\w.-]*)"
                   r"\s*(?:\|\s*(?P<title>.*?))?\s*$")
_FENCE = re.compile(r"^[ \t]*(?P<mark>`{3,}|~{3,})(?P<info>.*)$")
_OPTION = re.compile(r"^[ \t]+(?P<key>[\w-]+)\s*:\s*(?P<value>.*?)\s*$")
_COLONS = re.compile(r"^[ \t]*(:{3,})")
_UNWRAPPED = {"html", "caption", "define", "markdown", "div", "figure-caption", "table-caption"}
_CONSOLE_INFO = {"console", "shell-session", "terminal", "sh-session", "pycon-session"}
_PRESENTATION = re.compile(r"</?(?:font|span|u|b|i|em|strong|small|big|s|mark)\b[^>]*>", re.I)


def _fence_end(lines: list[str], start: int) -> int:
    """The index of the line closing the code fence opened at `start` (or the last line)."""
    mark = _FENCE.match(lines[start])["mark"]
    for position in range(start + 1, len(lines)):
        if lines[position].strip().startswith(mark[0] * len(mark)) and not lines[position].strip().strip(mark[0]):
            return position
    return len(lines) - 1


def _block_end(lines: list[str], start: int, slashes: str) -> int | None:
    """The line closing the block opened at `start`; None when nothing closes it (then the
    line is not a block: a `/// comment` in code shown without a fence stays as written)."""
    position = start + 1
    while position < len(lines):
        if _FENCE.match(lines[position]):
            position = _fence_end(lines, position) + 1
            continue
        if lines[position].strip() == slashes:
            return position
        position += 1
    return None


def _unquote(title: str) -> str:
    title = title.strip()
    if len(title) >= 2 and title[0] == title[-1] and title[0] in "\"'":
        title = title[1:-1]
    return " ".join(title.split())


def rewrite_blocks(text: str) -> str:
    """Every `///` block (and the blocks inside it) as the book parser's own syntax."""
    lines, out, position = text.split("\n"), [], 0
    while position < len(lines):
        line = lines[position]
        if _FENCE.match(line):
            end = _fence_end(lines, position)
            out += lines[position:end + 1]
            position = end + 1
            continue
        match = _OPEN.match(line)
        end = _block_end(lines, position, match["slashes"]) if match else None
        if end is None:
            out.append(line)
            position += 1
            continue
        body_start, options = position + 1, {}
        while body_start < end and _OPTION.match(lines[body_start]):
            option = _OPTION.match(lines[body_start])
            options[option["key"].lower()] = option["value"].strip("\"'")
            body_start += 1
        body = rewrite_blocks("\n".join(lines[body_start:end]))
        out += _as_parser_syntax(match["name"].lower(), _unquote(match["title"] or ""), options, body).split("\n")
        position = end + 1
    return "\n".join(out)


def _as_parser_syntax(name: str, title: str, options: dict, body: str) -> str:
    inner = max((len(found.group(1)) for found in map(_COLONS.match, body.split("\n")) if found), default=3)
    if name == "tab":
        colons = ":" * max(4, inner + 1)
        return f"\n{colons} tab {title or 'Tab'}\n{body}\n{colons}\n"
    if name == "details":
        opened = options.get("open", "").lower() in ("true", "yes", "on", "1")
        return section_block(title or "Details", title or "details", opened, body, max(5, inner + 1))
    if name in _UNWRAPPED or "." in name:
        return f"\n{body}\n"
    kind = options.get("type", "note") if name == "admonition" else name
    kind = re.sub(r"[^\w-]", "", kind) or "note"
    heading = f'!!! {kind} "{title.replace(chr(34), chr(39))}"' if title else f"!!! {kind}"
    indented = "\n".join(f"    {line}" if line.strip() else "" for line in body.split("\n"))
    return f"\n{heading}\n{indented}\n"


_ATTR = r"(?:[.#][\w-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))"
_LINK_ATTRS = re.compile(r"(?<=\))\{:?\s*" + _ATTR + r"(?:\s+" + _ATTR + r")*\s*\}")
_HEADING_ATTRS = re.compile(r"^(?P<heading>#{1,6}\s.*?)\s*\{:?\s*(?P<attrs>" + _ATTR + r"(?:\s+" + _ATTR
                            + r")*)\s*\}\s*$")


def without_attribute_lists(text: str) -> str:
    """Attribute lists out of the text outside code (a heading keeps its `{#anchor}`)."""
    lines, position = text.split("\n"), 0
    while position < len(lines):
        if _FENCE.match(lines[position]):
            position = _fence_end(lines, position) + 1
            continue
        line = _LINK_ATTRS.sub("", lines[position]) if "){" in lines[position] else lines[position]
        heading = _HEADING_ATTRS.match(line)
        if heading:
            anchor = next((item[1:] for item in heading["attrs"].split() if item.startswith("#")), "")
            line = heading["heading"] + (f" {{#{anchor}}}" if anchor else "")
        lines[position] = line
        position += 1
    return "\n".join(lines)


def plain_consoles(text: str) -> str:
    """Terminal blocks (```console, or any code block inside a termy <div>) without the HTML
    that colours them, entities decoded: the text a terminal shows."""
    lines, position, termy = text.split("\n"), 0, 0
    while position < len(lines):
        line = lines[position]
        fence = _FENCE.match(line)
        if not fence:
            lowered = line.lower()
            if "<div" in lowered and "termy" in lowered:
                termy += 1
            elif "</div>" in lowered and termy:
                termy -= 1
            position += 1
            continue
        end = _fence_end(lines, position)
        info = fence["info"].strip().split(" ")[0].strip("{}.").lower()
        body = lines[position + 1:end]
        if (termy or info in _CONSOLE_INFO) and any(_PRESENTATION.search(row) for row in body):
            lines[position + 1:end] = [html.unescape(_PRESENTATION.sub("", row)) for row in body]
        position = end + 1
    return "\n".join(lines)
