"""The teacher: PIN login (with the store's lockout), the class view, the CSV export and the
class settings.

The teacher session is a timestamp in the signed session cookie, valid for TEACHER_SESSION_S;
a learner cookie alone never opens these routes. Everything learners typed is shown through
Jinja's autoescaping, and the live list (teacher.js) inserts it with textContent.
"""
from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect,
                   render_template, request, session, url_for)

from kit.classroom import report as class_report
from kit.web.identity import (TEACHER_KEY, TEACHER_SESSION_S, here, index_db, is_teacher,
                           safe_next, store, workshops)
from kit.web.csrf import rotate_csrf_token
from kit.classroom.store import StoreError, TeacherLocked

teacher = Blueprint("teacher", __name__)

LIVE_QUESTIONS = 50         # questions in the live list
TOPIC_WINDOW = 2000         # newest exchanges counted for the most-asked topics


def teacher_required(view):
    """Pages redirect to the login; data (JSON, CSV) and forms get a 403."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_teacher():
            if request.method == "GET" and not request.path.endswith((".json", ".csv")):
                return redirect(url_for("teacher.login") + "?" + urlencode({"next": here()}), 303)
            abort(403, "This is for the teacher: log in with the teacher PIN at /teacher/login.")
        return view(*args, **kwargs)
    return wrapper


@teacher.errorhandler(403)
def forbidden(error):
    if request.path.endswith(".json"):
        return jsonify(error=error.description), 403
    return render_template("error.html", error=error), 403


@teacher.get("/teacher/login")
def login():
    return render_template("teacher_login.html", problem=None, has_pin=store().has_teacher_pin(),
                           next=safe_next(request.args.get("next"), url_for("teacher.dashboard")))


@teacher.post("/teacher/login")
def login_post():
    next_path = safe_next(request.form.get("next"), url_for("teacher.dashboard"))
    try:
        if store().check_teacher_pin(request.form.get("pin", "")):
            session[TEACHER_KEY] = time.time() + TEACHER_SESSION_S
            rotate_csrf_token()     # a token seen before the login is worth nothing after it
            return redirect(next_path, 303)
        problem, status = "That PIN is not right. Try again.", 403
    except TeacherLocked as error:
        problem, status = str(error), 429   # says how long the lock lasts
    return render_template("teacher_login.html", problem=problem, next=next_path,
                           has_pin=store().has_teacher_pin()), status


@teacher.post("/teacher/logout")
def logout():
    session.pop(TEACHER_KEY, None)
    rotate_csrf_token()
    flash("You are logged out of the teacher view.")
    return redirect(url_for("home"), 303)


def _document_title(pack: str, slug: str) -> str | None:
    row = index_db().execute("SELECT title FROM documents WHERE pack=? AND slug=?",
                             (pack, slug)).fetchone()
    return row["title"] if row else None


def _live_questions(exchanges: list[dict], nicknames: dict) -> list[dict]:
    return [{"id": x.get("id"), "at": class_report.when(x.get("at")),
             "nickname": nicknames.get(x.get("learner"), ""), "question": x.get("question", ""),
             "mode": x.get("mode", ""), "grounded": bool(x.get("grounded"))}
            for x in exchanges[:LIVE_QUESTIONS]]


def _dashboard(form_values=None, errors=None, status=200):
    the_store = store()
    learners = the_store.learners()
    nicknames = {learner["id"]: learner["nickname"] for learner in learners}
    exchanges = the_store.exchanges(limit=TOPIC_WINDOW)
    unhelpful = [{**x, "nickname": nicknames.get(x.get("learner"), ""),
                  "comment": class_report.feedback_of(x)[1]}
                 for x in exchanges if class_report.feedback_of(x)[0] is False]
    # Damage is told from the set-aside files (damage_notices), so it survives a restart;
    # this start's own words about them would only repeat it.
    notices = [w for w in the_store.warnings if ".damaged-" not in w] \
        + list(current_app.extensions.get("notices", []))
    return render_template(
        "teacher.html", questions=_live_questions(exchanges, nicknames),
        topics=class_report.most_asked_topics(exchanges, _document_title), unhelpful=unhelpful,
        table=class_report.progress_table(learners, the_store.all_progress(), workshops()),
        notices=notices, damage=the_store.damage_notices(),
        settings=form_values or the_store.class_settings(), errors=errors or {},
        modes=class_report.MODES, announcement_max=class_report.ANNOUNCEMENT_MAX), status


@teacher.get("/teacher")
@teacher_required
def dashboard():
    return _dashboard()


@teacher.get("/teacher/questions.json")
@teacher_required
def questions_json():
    """The live list for teacher.js: newest first, plain text (the script escapes it)."""
    nicknames = {learner["id"]: learner["nickname"] for learner in store().learners()}
    response = jsonify(_live_questions(store().exchanges(limit=LIVE_QUESTIONS), nicknames))
    response.headers["Cache-Control"] = "no-store"
    return response


@teacher.get("/teacher/export.csv")
@teacher_required
def export_csv():
    nicknames = {learner["id"]: learner["nickname"] for learner in store().learners()}
    # The BOM makes spreadsheet programs read the file as UTF-8 (names with accents survive).
    body = "\ufeff" + class_report.export_csv(store().exchanges(earlier=True), nicknames)
    filename = time.strftime("lantern-class-%Y-%m-%d.csv")
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@teacher.post("/teacher/notices/seen")
@teacher_required
def damage_seen():
    store().mark_damage_seen(request.form.getlist("file"))
    flash("Those notices are hidden; the set-aside files are still in the data folder.")
    return redirect(url_for("teacher.dashboard"), 303)


@teacher.post("/teacher/settings")
@teacher_required
def class_settings():
    changes, errors = class_report.parse_class_settings(request.form)
    if not errors:
        try:
            store().update_class_settings(**changes)
        except StoreError as error:
            errors["form"] = str(error)
    if errors:
        typed = {name: request.form.get(name, "") for name in ("think_first_min", "questions_per_minute")}
        return _dashboard(form_values={**store().class_settings(), **changes, **typed},
                          errors=errors, status=400)
    flash("Class settings saved.")
    return redirect(url_for("teacher.dashboard") + "#settings", 303)
