"""The teacher's pages: the class view (the glance on top, then notices, packages and the class
settings) and the long lists behind its links — every question, the answers to check, the
progress table — one page at a time, so no page grows with the class."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from kit.classroom import report
from kit.web.forms import settings_form_choices
from kit.library import catalog
from kit.tutor.model_hosts import helpers_of
from kit.web.identity import index_db, store
from kit.web.reading import workshops
from kit.web.live import glance_view, readiness_view
from kit.web.locale import _
from kit.web.services import services

QUESTIONS_PER_PAGE = 50
LEARNERS_PER_PAGE = 25


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdecimal() and len(raw) < 7 else 1


def _title(pack: str, slug: str) -> str | None:
    return catalog.document_title(index_db(), pack, slug)


def _nicknames() -> dict:
    return {learner["id"]: learner["nickname"] for learner in store().learners()}


def class_view(form_values=None, errors=None) -> str:
    view = report.notices(store())
    view["notices"] += services().notices
    return render_template("teacher/teacher.html", **view, **glance_view(), **readiness_view(),
                           **settings_form_choices(),
                           package_fetches=services().wheel_fetches.counts(),
                           model_hosts=helpers_of(services().tutor),
                           settings=form_values or store().class_settings(), errors=errors or {})


def questions_page() -> str:
    """Today's questions, newest first, and the most-asked chapters."""
    exchanges = store().exchanges(limit=report.TOPIC_WINDOW)
    questions = report.live_questions(exchanges, _nicknames(), limit=None)
    listing = report.page_of(questions, _page_number(), QUESTIONS_PER_PAGE)
    return render_template("teacher/questions.html", listing=listing,
                           topics=report.most_asked_topics(exchanges, _title))


def answers_page() -> str:
    return render_template("teacher/answers.html",
                           **report.answers_to_check(store().exchanges(limit=report.TOPIC_WINDOW), _nicknames()))


def progress_page() -> str:
    table = report.progress_table(store().learners(), store().all_progress(), workshops())
    return render_template("teacher/progress.html", columns=table["columns"],
                           listing=report.page_of(table["rows"], _page_number(), LEARNERS_PER_PAGE))


def start_self_test():
    if not services().readiness.start():
        flash(_("The self-test is already running."))
    return redirect(url_for("kit.teacher_dashboard") + "#readiness", 303)


LISTINGS = {"questions": questions_page, "answers": answers_page, "progress": progress_page}
