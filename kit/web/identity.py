"""Who is asking, for the routes in kit/app.py: the current learner, the teacher session, safe
`next` links, the request's store and read-only index connection, and what every template may
show about the person looking (their reading: kit/web/reading.py).

Identity is a random learner id in Flask's signed session cookie: no passwords and no personal
data, and a learner who comes back on the same device is still themselves. The teacher session
is a timestamp in the same cookie, valid for TEACHER_SESSION_S; a learner cookie alone never
opens the teacher's routes.
"""
from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_babel import gettext

from kit.classroom.report import when
from kit.web.services import services
from kit.web.session_keys import LEARNER_KEY, TEACHER_KEY

TEACHER_SESSION_S = 4 * 3600      # a lesson or two; a laptop left open does not stay a teacher's


def store():
    return services().store


def activity():
    """What learners are doing now (kit/classroom/activity.py): the timer and the glance."""
    return services().activity


def index_db():
    """The read-only connection to the library index for this request (given back to the pool
    at its end: kit/library/index_db.py)."""
    if "index_db" not in g:
        g.index_db = services().index_readers.take()
    return g.index_db


def current_learner() -> dict | None:
    """The learner this browser joined as, or None (also when the store no longer knows them)."""
    if "learner" not in g:
        learner_id = session.get(LEARNER_KEY)
        g.learner = store().learner(learner_id) if isinstance(learner_id, str) else None
    return g.learner


def is_teacher() -> bool:
    until = session.get(TEACHER_KEY)
    return isinstance(until, (int, float)) and until > time.time()


def safe_next(value: str | None, default: str = "/") -> str:
    """`value` when it is a path on this kit, else `default`: a `next` link must never send a
    learner to another site ("//evil", "/\\evil" and "http://evil" all do in browsers)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 32 for ch in value):
        return default
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else default


def here() -> str:
    """The current page as a local path with its query, for `next` links."""
    return request.full_path.rstrip("?") if request.query_string else request.path


def learner_required(view):
    """Pages (and forms) that need a learner send the others to /join, then back here."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_learner() is None:
            back = safe_next(request.form.get("next") if request.method == "POST" else here())
            return redirect(url_for("kit.join") + "?" + urlencode({"next": back}), 303)
        return view(*args, **kwargs)
    return wrapper


def teacher_required(view):
    """Teacher pages redirect to the login; data (JSON, CSV, event streams) and forms get a 403."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_teacher():
            if (request.method == "GET" and not request.path.endswith((".json", ".csv"))
                    and "text/event-stream" not in request.headers.get("Accept", "")):
                return redirect(url_for("kit.teacher_login") + "?" + urlencode({"next": here()}), 303)
            abort(403, gettext("This is for the teacher: log in with the teacher PIN at /teacher/login."))
        return view(*args, **kwargs)
    return wrapper


def init_identity(app: Flask) -> None:
    """Who is looking, for every template, and the request's index connection, taken from the
    pool and given back at the request's end."""
    app.jinja_env.filters["when"] = when

    @app.context_processor
    def identity_context():
        return {"current_learner": current_learner(), "is_teacher": is_teacher(),
                "class_announcement": store().class_settings().get("announcement", "")}

    @app.teardown_appcontext
    def close_index_db(_error):
        conn = g.pop("index_db", None)
        if conn is not None:
            services().index_readers.give(conn)
