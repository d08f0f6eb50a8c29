"""What the teacher view computes from the store: most-asked topics, unhelpful answers, the
progress table and the CSV export. Plain functions over plain data, so
the teacher routes stay short and these are easy to read (and test) on their own.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime

from kit.library.urls import document_of, document_url

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection); a learner
# could type "=HYPERLINK(...)" as a question. A leading ' makes the cell plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def feedback_of(exchange: dict) -> tuple[bool | None, str]:
    """(helpful: True/False, or None when not rated; comment) of one exchange record."""
    feedback = exchange.get("feedback") or {}
    return feedback.get("helpful"), feedback.get("comment") or ""


def when(value) -> str:
    """A record's time as 'YYYY-MM-DD HH:MM' (records keep epoch seconds or ISO text)."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return ""


def most_asked_topics(exchanges: list[dict], titles, limit: int = 10) -> list[dict]:
    """The chapters and pages the questions' retrieved passages came from, most often first.

    Each question counts once per document, however many of its passages came from it.
    `titles(pack, slug)` names a document (None when it left the library)."""
    counts: Counter = Counter()
    for exchange in exchanges:
        docs = {document_of(p.get("url", "").partition("#")[0]) for p in exchange.get("passages") or []}
        counts.update(doc for doc in docs if doc)
    return [{"pack": pack, "slug": slug, "title": titles(pack, slug) or f"{pack}/{slug}",
             "url": document_url(pack, slug), "questions": n}
            for (pack, slug), n in counts.most_common(limit)]


def progress_table(learners: list[dict], all_progress: dict, workshops: list[dict]) -> dict:
    """Learners × chapters: {columns: [{pack, slug, title, workshop}], rows: [{nickname,
    done: [bool per column], count}]}, learners by nickname."""
    columns = [{"pack": w["pack"], "slug": c["slug"], "title": c["title"], "workshop": w["title"]}
               for w in workshops for c in w["chapters"]]
    rows = []
    for learner in sorted(learners, key=lambda item: item["nickname"].casefold()):
        progress = all_progress.get(learner["id"]) or {}
        done = {tuple(item) for item in progress.get("chapters_done", [])}
        marks = [(col["pack"], col["slug"]) in done for col in columns]
        rows.append({"nickname": learner["nickname"], "done": marks, "count": sum(marks),
                     "exercises": len(progress.get("exercises", []))})
    return {"columns": columns, "rows": rows}


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_HEADER = ["time", "nickname", "mode", "question", "answer", "grounded", "helpful", "comment"]


def export_csv(exchanges: list[dict], nicknames: dict) -> str:
    """One row per exchange, oldest first; quoting by the csv module, formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for exchange in reversed(exchanges):
        helpful, comment = feedback_of(exchange)
        writer.writerow([_cell(v) for v in (
            when(exchange.get("at")), nicknames.get(exchange.get("learner"), ""),
            exchange.get("mode", ""), exchange.get("question", ""), exchange.get("answer", ""),
            "yes" if exchange.get("grounded") else "no",
            {True: "yes", False: "no"}.get(helpful, ""), comment)])
    return out.getvalue()


LIVE_QUESTIONS = 50         # answers of each kind on the teacher's "answers to check" page
TOPIC_WINDOW = 2000         # newest exchanges counted for the most-asked topics
HISTORY_LIMIT = 200         # exchanges shown on a learner's /me (the export has them all)


def live_questions(exchanges: list[dict], nicknames: dict, limit: int | None = None) -> list[dict]:
    """The teacher's list of questions: newest first, plain text (templates escape it)."""
    return [{"id": x.get("id"), "at": when(x.get("at")),
             "nickname": nicknames.get(x.get("learner"), ""), "question": x.get("question", ""),
             "mode": x.get("mode", ""), "grounded": bool(x.get("grounded"))}
            for x in exchanges[:limit]]


def answers_to_check(exchanges: list[dict], nicknames: dict) -> dict:
    """The answers a teacher should read: marked unhelpful (with the comment), with code not in
    the material, with sentences the kit held back; newest first."""
    named = [{**x, "nickname": nicknames.get(x.get("learner"), "")} for x in exchanges]
    return {"unhelpful": [{**x, "comment": feedback_of(x)[1]} for x in named if feedback_of(x)[0] is False],
            "unsupported": [x for x in named if x.get("unsupported")][:LIVE_QUESTIONS],
            "dropped": [x for x in named if x.get("dropped")][:LIVE_QUESTIONS]}


def notices(store) -> dict:
    """What the teacher must know about the data files."""
    # Damage is told from the set-aside files (damage_notices.py), so it survives a restart;
    # this start's own words about them would only repeat it.
    return {"notices": [w for w in store.warnings if ".damaged-" not in w], "damage": store.damage_notices()}


def page_of(items: list, page: int, per_page: int) -> dict:
    """One page of a long list: {items, page, pages, total} (a page past the end is the last)."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 1), pages)
    return {"items": items[(page - 1) * per_page:page * per_page], "page": page, "pages": pages,
            "total": len(items)}


def learner_progress(workshops: list[dict], chapters_done, url_of) -> list[dict]:
    """A learner's workshops with each chapter marked done or not (their /me page)."""
    done = {tuple(item) for item in chapters_done}
    return [{**w, "chapters": [{**c, "done": (w["pack"], c["slug"]) in done,
                                "url": url_of(w["pack"], c["slug"])} for c in w["chapters"]]}
            for w in workshops]
