"""The teacher's pictures, drawn on the server as SVG: no chart library, nothing from a CDN, no
script needed, and the same markup for the first page and the live updates. Sizes are in a
viewBox, so a chart fills a 390-px phone or a laptop's column alike; colours and fonts come from
style.css (classes, no inline styles: the kit's Content-Security-Policy forbids them).
Every picture has a text title and a table or list beside it for screen readers and printing.
"""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, BAR_AREA, LABEL = 300, 110, 18     # viewBox units: whole width, tallest bar, number rows


def class_positions(chapters, title: str, chapter_word: str) -> Markup:
    """A column per chapter, as tall as the learners there, with the count above it and the
    chapter's number below. `chapters`: objects with .number, .title and .nicknames."""
    count = max(len(chapters), 1)
    band = WIDTH / count
    bar = max(min(band * 0.7, 40), 2)
    most = max((len(c.nicknames) for c in chapters), default=0) or 1
    height = BAR_AREA + 2 * LABEL + 4
    columns = []
    for i, chapter in enumerate(chapters):
        n = len(chapter.nicknames)
        tall = round(BAR_AREA * n / most, 1)
        x = round(i * band + (band - bar) / 2, 1)
        middle = round(i * band + band / 2, 1)
        top = LABEL + BAR_AREA - tall
        tip = escape(f"{chapter_word} {chapter.number}: {chapter.title} — {n}")
        bar_and_count = (f'<rect class="chart-bar" x="{x}" y="{top}" width="{round(bar, 1)}" height="{tall}"/>'
                         f'<text class="chart-count" x="{middle}" y="{top - 3}" text-anchor="middle">{n}</text>'
                         if n else "")
        columns.append(
            f'<g><title>{tip}</title><rect class="chart-band" x="{round(i * band, 1)}" y="{LABEL}" '
            f'width="{round(band, 1)}" height="{BAR_AREA}"/>{bar_and_count}'
            f'<text class="chart-axis" x="{middle}" y="{height - 4}" text-anchor="middle">{chapter.number}</text></g>')
    return Markup(f'<svg class="chart chart-positions" viewBox="0 0 {WIDTH} {height}" role="img" '
                  f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
                  f'<line class="chart-base" x1="0" x2="{WIDTH}" y1="{LABEL + BAR_AREA}" y2="{LABEL + BAR_AREA}"/>'
                  + "".join(columns) + "</svg>")


def count_bar(count: int, most: int, label: str) -> Markup:
    """One short horizontal bar (a group's share of the largest group), beside its number."""
    wide = round(100 * count / most, 1) if most else 0
    return Markup(f'<svg class="chart chart-count-bar" viewBox="0 0 100 8" role="img" aria-label="{escape(label)}" '
                  f'preserveAspectRatio="none"><rect class="chart-bar" x="0" y="0" width="{wide}" height="8"/></svg>')
