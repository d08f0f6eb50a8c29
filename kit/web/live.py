"""The teacher's glance, live: the three answers (kit/classroom/glance.py) rendered as one HTML
fragment, and a Server-Sent Events stream that pushes it again whenever the class changes.

Each stream holds one waitress thread, so it is bounded: it wakes on a change (a page opened, a
question, a tick, an answer) or every TICK_S (time passing makes learners look stuck), sends the
fragment only when it changed, and ends after STREAM_S; the browser's EventSource reconnects after
`retry`. At most MAX_STREAMS run at once (a teacher's laptop and phone, a projector); another
gets 503 and its page tries again later, keeping the last picture.
"""
from __future__ import annotations

import threading
import time

from flask import Response, abort, render_template, stream_with_context

from kit.classroom import glance
from kit.library import catalog
from kit.tutor.readiness import load_report
from kit.web import charts
from kit.web.identity import activity, index_db, store
from kit.web.reading import workshops
from kit.web.locale import _
from kit.web.readiness_job import ReadinessJob
from kit.web.services import services, services_of
from kit.web.sse import SSE_HEADERS, format_event

STREAM_S = 50          # one stream's life; EventSource reconnects after RETRY_MS
RETRY_MS = 1000
TICK_S = 5             # render again at least this often, changed or not
GAP_S = 0.3            # and at most this often (38 learners opening pages wake it all the time)
MAX_STREAMS = 3
LATEST_QUESTIONS = 5   # on the glance; the full list is /teacher/questions


def init_live(app) -> None:
    """The app's count of open live streams (each holds a waitress thread), and the self-test
    whose progress they show."""
    opened = services_of(app)
    opened.live_streams = threading.BoundedSemaphore(MAX_STREAMS)
    opened.readiness = ReadinessJob(opened.settings.index_path, opened.settings.data_dir,
                                    opened.model_queue, opened.activity)
    app.jinja_env.globals["charts"] = charts


def _title(pack: str, slug: str) -> str | None:
    return catalog.document_title(index_db(), pack, slug)


def glance_view() -> dict:
    """What the glance shows, now."""
    the_store, now = store(), activity().now()
    learners = the_store.learners()
    nicknames = {learner["id"]: learner["nickname"] for learner in learners}
    doings = activity().learners()
    exchanges = the_store.exchanges(limit=2000)
    asks = activity().recent_asks()
    latest = ([{**ask, "nickname": nicknames.get(ask["learner"], ""),
                "step_title": _title(*ask["step"]) if ask["step"] else ""} for ask in asks[:LATEST_QUESTIONS]]
              or [{"nickname": nicknames.get(x.get("learner"), ""), "question": x.get("question", ""),
                   "mode": x.get("mode", ""), "step_title": ""} for x in exchanges[:LATEST_QUESTIONS]])
    stuck = glance.who_may_be_stuck(learners, doings, asks, exchanges, now, _title)
    unanswered = glance.could_not_answer(exchanges, nicknames, _title)
    return {"where": glance.where_is_the_class(workshops(), learners, the_store.all_progress(), doings),
            "stuck": stuck[:glance.CARDS_SHOWN], "more_stuck": max(0, len(stuck) - glance.CARDS_SHOWN),
            "unanswered": unanswered[:glance.GROUPS_SHOWN],
            "more_unanswered": sum(g["count"] for g in unanswered[glance.GROUPS_SHOWN:]),
            "latest": latest, "learner_count": len(learners),
            "most_unanswered": max((g["count"] for g in unanswered), default=0)}


def readiness_view() -> dict:
    """The self-test's state now and its last report (kit/web/readiness_job.py)."""
    job = services().readiness
    return {"readiness": job.state(), "readiness_report": load_report(job.data_dir)}


def glance_html() -> str:
    return render_template("teacher/_glance.html", **glance_view())


def live_fragments() -> dict:
    """What the live stream swaps in, by element id: the glance and the self-test."""
    return {"html": glance_html(), "readiness": render_template("teacher/_readiness.html", **readiness_view())}


def live_response() -> Response:
    """The glance as `event: glance` with {"html": …} each time it changes, for STREAM_S."""
    streams = services().live_streams
    if not streams.acquire(blocking=False):
        abort(503, _("Too many live teacher pages are open; this one will try again shortly."))
    the_activity = activity()

    @stream_with_context
    def stream():
        yield f"retry: {RETRY_MS}\n\n"
        sent, ends = None, time.monotonic() + STREAM_S
        while True:
            seen = the_activity.version
            fragments = live_fragments()
            yield format_event("glance", fragments) if fragments != sent else ": unchanged\n\n"
            sent = fragments
            left = ends - time.monotonic()
            if left <= 0 or the_activity.closed:
                return
            the_activity.wait_for_change(seen, timeout=min(TICK_S, left))
            the_activity.rest(GAP_S)        # a busy class: one render per GAP_S at most
    response = Response(stream(), mimetype="text/event-stream", headers=SSE_HEADERS)
    response.call_on_close(streams.release)    # also when the stream never started
    return response
