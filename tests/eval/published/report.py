"""Judging each answer with scoring.py's criteria and writing the Markdown report: a summary
table (halves side by side, never merged), then one row per question with what the learner saw.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from kit.tutor import voice
from tests.eval.published import scoring
from tests.eval.published.asking import Shown
from tests.eval.published.material import DATA_SET, LIBRARY_LANGUAGE

SHOWN_PAGES = 3
# The kit's own fixed lines after the quotes (the plain line when no model sentence survived, the
# hint's stop note, the model-language note) are not the model's sentences: counted apart.
KIT_LINES = {" ".join(line.split()) for line in (voice.ONLY_QUOTES, voice.ONLY_SOURCES, voice.LEAK_NOTE)}
QUOTE_CHARS = 200
_MARK_TAGS = re.compile(r"</?mark>")


@dataclass
class Verdict:
    """One answer judged."""
    shown: Shown
    set_name: str                                   # tutorials | library
    in_scope: bool
    pages: list[tuple[str, bool]] = field(default_factory=list)   # first three: page, accepted
    stated: list[str] = field(default_factory=list)
    in_quotes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    spliced: bool = False
    loops: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)   # unsupported code shown unmarked
    kept: list[str] = field(default_factory=list)       # model sentences shown

    @property
    def refused(self) -> bool:
        return not self.shown.grounded

    @property
    def page_hit(self) -> bool:
        """An accepted page among the first three sources of an answer the tutor gave."""
        return self.in_scope and not self.refused and any(ok for _, ok in self.pages)


def judge(shown: Shown, pack_languages: dict[str, str]) -> Verdict:
    item = shown.item
    library = item["library"]
    verdict = Verdict(shown, DATA_SET[library], item.get("kind", "answerable") == "answerable")
    accepted = set(item.get("expect_pages", []))
    verdict.pages = [(scoring.page_of(s.get("url", "")), scoring.page_of(s.get("url", "")) in accepted)
                     for s in shown.sources[:SHOWN_PAGES]]
    facts = item.get("facts", [])
    verdict.stated = scoring.facts_stated(shown.seen, facts)
    verdict.in_quotes = scoring.facts_stated(shown.quote_text, facts)
    verdict.missing = [fact for fact in facts if fact not in verdict.stated]
    visible = [shown.seen] + [_MARK_TAGS.sub("", str(s.get(key, ""))) for s in shown.sources
                              for key in ("title", "heading", "snippet")]
    verdict.markers = scoring.markers_in("\n".join(visible))
    urls = [quote.get("url", "") for quote in shown.quotes]
    verdict.languages = scoring.other_languages(urls, pack_languages, LIBRARY_LANGUAGE[library])
    verdict.spliced = scoring.spliced(urls)
    # an answer the model did not write (tokens 0: its language is not the model's) holds only
    # the kit's lines, in the learner's language: nothing of the model's to judge
    if shown.grounded and shown.done.get("tokens") != 0:
        verdict.loops = scoring.loops_in(shown.words)
        known = "\n".join((shown.sources_text, shown.quote_text, item["question"], item.get("tried", "")))
        verdict.invented = scoring.unsupported_code(shown.unmarked, known)
        verdict.kept = [s for s in scoring.sentences(shown.words) if s not in KIT_LINES]
    return verdict


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.2f})" if whole else "–"


def _median(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    return f"{statistics.median(values):.0f} ms (n={len(values)})" if values else "–"


def summary(verdicts: list[Verdict]) -> dict[str, str]:
    """The measures of one half, named as in issue 20's targets table."""
    rows = {}
    in_scope = [v for v in verdicts if v.in_scope]
    out = [v for v in verdicts if not v.in_scope]
    for set_name, label in (("tutorials", "tutorials"), ("library", "reference library")):
        mine = [v for v in in_scope if v.set_name == set_name]
        rows[f"first three sources hold an accepted page — {label}"] = _share(sum(v.page_hit for v in mine), len(mine))
        rows[f"… counting a refused answer's closest passages too — {label}"] = _share(
            sum(any(ok for _, ok in v.pages) for v in mine), len(mine))
    for set_name, label in (("tutorials", "tutorials"), ("library", "reference library")):
        mine = [v for v in out if v.set_name == set_name]
        rows[f"out-of-scope refused — {label}"] = _share(sum(v.refused for v in mine), len(mine))
    rows["in-scope refused (all answerable questions)"] = _share(sum(v.refused for v in in_scope), len(in_scope))
    facts = sum(len(v.shown.item.get("facts", [])) for v in in_scope)
    rows["key facts in what the learner sees (whole tokens)"] = _share(sum(len(v.stated) for v in in_scope), facts)
    rows["… in the quotes alone"] = _share(sum(len(v.in_quotes) for v in in_scope), facts)
    rows["questions with every key fact shown"] = _share(sum(not v.missing for v in in_scope), len(in_scope))
    rows["answers showing an internal marker"] = str(sum(bool(v.markers) for v in verdicts))
    rows["answers quoting another language"] = str(sum(bool(v.languages) for v in verdicts))
    rows["answers quoting two packs (spliced)"] = str(sum(v.spliced for v in verdicts))
    rows["answers where the model loops"] = str(sum(bool(v.loops) for v in verdicts))
    rows["answers showing invented code unmarked"] = str(sum(bool(v.invented) for v in verdicts))
    rows["model sentences shown / dropped by the kit"] = (f"{sum(len(v.kept) for v in verdicts)} / "
                                                          f"{sum(len(v.shown.dropped) for v in verdicts)}")
    rows["answered with the quotes and the kit's plain line only"] = str(sum(
        1 for v in verdicts if v.shown.grounded and not v.kept and v.shown.words.strip()))
    rows["answers that ended in an error"] = str(sum(bool(v.shown.error) for v in verdicts))
    for set_name, label in (("tutorials", "tutorials"), ("library", "reference library")):
        rows[f"first quote shown, p50 — {label}"] = _median(
            [v.shown.first_quote_ms for v in verdicts if v.set_name == set_name])
    rows["first model word, median"] = _median([v.shown.first_token_ms for v in verdicts])
    return rows


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _short(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def question_rows(verdicts: list[Verdict]) -> list[str]:
    lines = ["| # | library | question | first three pages | quote | facts stated / missing | "
             "model sentences shown | dropped by the kit (reason) | problems |",
             "|---|---|---|---|---|---|---|---|---|"]
    for number, v in enumerate(verdicts, 1):
        item = v.shown.item
        kind = "" if v.in_scope else (" (out of scope, near)" if item.get("near") else " (out of scope)")
        question = item["question"] + (f" — tried: {item['tried']}" if item.get("tried") else "")
        pages = "<br>".join(f"{'✓' if ok else '✗'} {page}" for page, ok in v.pages) or "–"
        if v.refused:
            pages = "refused<br>" + pages
        facts = "<br>".join(mark + " " + ", ".join(f"`{f}`" for f in found)
                            for mark, found in (("✓", v.stated), ("✗", v.missing)) if found)
        kept = "<br>".join(f"“{_short(s, 160)}”" for s in v.kept) or "–"
        dropped = "<br>".join(f"“{_short(str(d.get('text', '')), 160)}” ({d.get('reason', '')})"
                              for d in v.shown.dropped) or "–"
        problems = [f"marker {v.markers}" if v.markers else "", f"language {v.languages}" if v.languages else "",
                    "spliced" if v.spliced else "", f"loop “{_short(v.loops[0], 60)}”" if v.loops else "",
                    f"invented unmarked {v.invented}" if v.invented else "",
                    f"error: {v.shown.error}" if v.shown.error else ""]
        lines.append("| " + " | ".join(_cell(c) for c in (
            number, item["library"] + kind, question, pages, _short(v.shown.quote_text) or "–",
            facts or "–", kept, dropped, "; ".join(p for p in problems if p) or "–")) + " |")
    return lines


def markdown(halves: dict[str, list[Verdict]], title: str, notes: list[str]) -> str:
    """The report: the summary (each half its own column) then each half's questions."""
    names = list(halves)
    tables = {name: summary(verdicts) for name, verdicts in halves.items()}
    lines = [f"# {title}", "", *notes, "",
             "| measure | " + " | ".join(f"{name} half ({len(halves[name])} questions)" for name in names) + " |",
             "|---|" + "---|" * len(names)]
    for measure in tables[names[0]]:
        lines.append(f"| {measure} | " + " | ".join(tables[name][measure] for name in names) + " |")
    for name in names:
        lines += ["", f"## {name} half, question by question", "", *question_rows(halves[name])]
    return "\n".join(lines) + "\n"
