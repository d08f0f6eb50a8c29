"""Code blocks a keyboard can reach: each `<pre>` of a page's material becomes a focusable,
named region (tabindex="0", role="region", aria-label "Code 1", "Code 2", …).

A code line longer than the screen scrolls sideways inside its block (style.css); without a
tab stop, someone on a keyboard cannot scroll it (axe-core: scrollable-region-focusable). The
names are numbered because landmarks on a page must differ (axe: landmark-unique), and they are
added when the page is rendered, in the learner's language, not when the material is imported.

The HTML is the kit's own: Markdown rendered by kit/library/rendering.py or a pack's HTML
sanitised there (nh3 leaves `<pre>` only id, class, title and lang), so a `<pre` that opens a
tag is always an element and never already has these attributes.
"""
from __future__ import annotations

import itertools
import re

from flask_babel import gettext as _
from markupsafe import Markup, escape

_PRE_TAG = re.compile(r"<pre(?=[\s>])", re.I)


def code_regions(html: str) -> Markup:
    """The template filter: `html` with every <pre> focusable and named by its number."""
    numbers = itertools.count(1)

    def named(_match) -> str:
        label = escape(_("Code %(num)s", num=next(numbers)))
        return f'<pre tabindex="0" role="region" aria-label="{label}"'
    return Markup(_PRE_TAG.sub(named, str(html)))
