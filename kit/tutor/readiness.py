"""The readiness self-test: before class, ask the tutor what a learner would ask of each chapter —
questions made from its headings, its code and its exercises ("How do I …?", "What does … do?"),
asked on the chapter's page as a learner would — and see which chapters it handles. Retrieval and
quoting only: no model call, so it takes seconds and never competes with learners for the model.

Each question ends one of four ways: answered with a quote holding the chapter's own code or
command; answered from the chapter without its code; answered from another page; refused (not in
the library). A chapter is `ready` when nothing was refused and at most half its answers came
from elsewhere; otherwise it needs a teacher's eye. The report is kept (dated) beside the index.
"""
from __future__ import annotations

import html
import json
import re
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from kit.durable import replace_durably
from kit.errors import KitError
from kit.library import catalog
from kit.library.urls import document_url
from kit.translations import lazy_text
from kit.tutor.answering import quotes_for, retrieve_for
from kit.tutor.question_checks import Question

OUTCOMES = ("own_code", "own_text", "other_page", "refused")
HEADINGS_ASKED, CODE_ASKED, EXERCISES_ASKED = 3, 2, 1     # questions per chapter, at most
REPORT_FILE = "readiness.json"
_CODE_BLOCK = re.compile(r'<pre[^>]*>\s*<code(?: class="language-([\w+-]+)")?[^>]*>(.*?)</code>', re.S)
_OUTPUT_LANGUAGES = {"text", "console", "output", "plaintext"}     # what a program printed, not code
_TAG = re.compile(r"<[^>]+>")


class ReadinessError(KitError):
    """The self-test cannot run as asked (no such pack, nothing to check); says what to do."""


def _code_lines(doc_html: str) -> list[str]:
    """The first line of each code block a learner would type (not a program's output)."""
    lines = []
    for language, body in _CODE_BLOCK.findall(doc_html):
        if language in _OUTPUT_LANGUAGES:
            continue
        text = html.unescape(_TAG.sub("", body))
        first = next((line.strip().lstrip("$ ") for line in text.splitlines()
                      if line.strip() and not line.strip().startswith(("#", "//"))), "")
        if first and first not in lines:
            lines.append(first)
    return lines


_QUESTION_WORDS = {"how", "what", "why", "when", "where", "which", "who", "can", "should", "is", "do"}
_DOING_WORDS = {"add", "build", "change", "check", "connect", "copy", "create", "cut", "debug", "delete",
                "deploy", "draw", "find", "fix", "get", "install", "link", "make", "move", "open", "put",
                "read", "run", "save", "search", "send", "set", "show", "start", "test", "tie", "try",
                "update", "use", "write"}


def heading_question(heading: str) -> str:
    """A learner's question about a section: 'Install Flask' → 'How do I install Flask?',
    'Running the server' → 'How does running the server work?', 'Why templates?' as it is."""
    words = heading.strip().rstrip("?.:").split()
    if not words:
        return ""
    first, lowered = words[0].lower(), heading.strip().rstrip("?.:")
    lowered = lowered[0].lower() + lowered[1:]
    if first in _QUESTION_WORDS:
        return heading.strip().rstrip("?.:") + "?"
    if first in _DOING_WORDS:
        return f"How do I {lowered}?"
    if first.endswith("ing"):
        return f"How does {lowered} work?"
    return f"What is {lowered}?"


def chapter_questions(conn, pack: str, slug: str) -> list[str]:
    """What a learner would ask of this chapter, made from its headings, code and exercises."""
    doc = catalog.get_document(conn, pack, slug)
    if doc is None:
        return []
    exercises = [row["title"] for row in catalog.chapter_exercises(conn, pack, slug)]
    headings = [heading for anchor, heading in catalog.sections(doc) if not anchor.startswith("ex-")]
    asked = [heading_question(heading) for heading in headings[:HEADINGS_ASKED]]
    asked += [f"What does {line} do?" for line in _code_lines(doc["html"])[:CODE_ASKED]]
    asked += [heading_question(title) for title in exercises[:EXERCISES_ASKED]]
    return [question for question in asked if question]


def model_answer(tutor, question: Question) -> dict:
    """The model's half (optional): the whole answer as a learner would get it, summed up —
    words written, words not in the material, sentences held back, or the engine's error."""
    done, error = {}, None
    for name, data in tutor.answer(question):
        if name == "done":
            done = data
        elif name == "error":
            error = str(data.get("message"))
    return {"tokens": done.get("tokens", 0), "unsupported": done.get("unsupported", 0),
            "dropped": done.get("dropped", 0), "error": error}


def check_question(conn, pack: str, slug: str, text: str, language: str = "", tutor=None) -> dict:
    """One question asked on the chapter's page: its outcome and where the answer came from;
    with a `tutor`, also what its model wrote (model_answer)."""
    question = Question(text, context={"pack": pack, "doc": slug}, library_language=language)
    retrieval = retrieve_for(conn, question)
    if not retrieval.grounded:
        return {"question": text, "outcome": "refused", "from": None}
    if tutor is not None:
        return {**check_question(conn, pack, slug, text, language), "model": model_answer(tutor, question)}
    quotes = quotes_for(conn, question, retrieval, [])
    own = document_url(pack, slug)
    if any(quote.code and quote.url.split("#")[0] == own for quote in quotes):
        outcome = "own_code"
    elif (quotes[0].url if quotes else retrieval.passages[0].url).split("#")[0] == own:
        outcome = "own_text"
    else:
        outcome = "other_page"
    source = quotes[0].url if quotes else retrieval.passages[0].url
    return {"question": text, "outcome": outcome, "from": source}


def chapters_to_check(conn, pack: str | None = None) -> list[dict]:
    """Every workshop chapter ({pack, slug, title}), of one pack or all; ReadinessError when the
    pack is unknown or has no chapters."""
    packs = catalog.list_packs(conn)
    if pack is not None and pack not in {p["id"] for p in packs}:
        raise ReadinessError(lazy_text("There is no pack “%(pack)s” in the library. Packs: %(packs)s.",
                                       pack=pack, packs=", ".join(p["id"] for p in packs) or "—"))
    chapters = [{"pack": p["id"], "slug": c["slug"], "title": c["title"], "language": p.get("language") or ""}
                for p in packs if pack in (None, p["id"]) for w in p["workshops"] for c in w["chapters"]]
    if not chapters:
        where = lazy_text("Pack “%(pack)s”", pack=pack) if pack else lazy_text("The library")
        raise ReadinessError(lazy_text("%(where)s has no workshop chapters to check. Import a pack with "
                                       "a workshop (kit import), then run the self-test again.", where=where))
    return chapters


def _verdict(counts: Counter, total: int) -> str:
    return "ready" if total and not counts["refused"] and counts["other_page"] * 2 <= total else "check"


def run_check(conn, pack: str | None = None, progress=None, between=None, tutor=None) -> dict:
    """The report: every chapter's questions and outcomes. `progress(done, total)` is told after
    each question; `between()` runs before each (the web's job waits there while learners wait
    for the model); a `tutor` adds the model's answers (`kit check-class --model`)."""
    started = time.perf_counter()
    chapters = chapters_to_check(conn, pack)
    asked = [(chapter, chapter_questions(conn, chapter["pack"], chapter["slug"])) for chapter in chapters]
    total, done, rows = sum(len(questions) for _, questions in asked), 0, []
    for chapter, questions in asked:
        results = []
        for text in questions:
            if between is not None:
                between()
            results.append(check_question(conn, chapter["pack"], chapter["slug"], text, chapter["language"], tutor))
            done += 1
            if progress is not None:
                progress(done, total)
        counts = Counter(result["outcome"] for result in results)
        rows.append({"pack": chapter["pack"], "slug": chapter["slug"], "title": chapter["title"],
                     "url": document_url(chapter["pack"], chapter["slug"]), "questions": results,
                     "counts": {outcome: counts[outcome] for outcome in OUTCOMES},
                     "verdict": _verdict(counts, len(results))})
    return {"checked_at": datetime.now().isoformat(timespec="seconds"), "pack": pack, "model": tutor is not None,
            "seconds": round(time.perf_counter() - started, 2), "chapters": rows}


def save_report(data_dir: Path, report: dict) -> None:
    replace_durably(Path(data_dir) / REPORT_FILE, json.dumps(report, ensure_ascii=False, indent=1).encode())


def load_report(data_dir: Path) -> dict | None:
    """The last report kept, or None (none yet, or unreadable: the next run writes a new one)."""
    try:
        return json.loads((Path(data_dir) / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
