"""Learners: join with a nickname, see their own questions and answers, rate answers, mark
chapters done and keep private notes per chapter.

There are no passwords and no personal data: a nickname unique in the class, and a random id
in the signed session cookie. Every form posts and redirects (303), so a reload never sends it
twice and everything works without JavaScript.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from kit.web.identity import (LEARNER_KEY, chapter_exercises, current_learner, is_chapter,
                           learner_required, safe_next, store, workshops)
from kit.library.search import document_url
from kit.classroom.store import NotAllowed, NotFound, StoreError
from kit.classroom.rules import COMMENT_MAX, NICKNAME_MAX

learners = Blueprint("learners", __name__)

HISTORY_LIMIT = 200    # exchanges shown on /me, every day's (the teacher's export has them all)


@learners.get("/join")
def join():
    return render_template("join.html", nickname="", problem=None, nickname_max=NICKNAME_MAX,
                           next=safe_next(request.args.get("next")))


@learners.post("/join")
def join_post():
    """Pick a nickname; the typed value comes back in the form (escaped) when it is refused."""
    next_path = safe_next(request.form.get("next"))
    if current_learner() is not None:
        return redirect(next_path, 303)
    nickname = request.form.get("nickname", "")
    try:
        learner = store().create_learner(nickname)
    except StoreError as error:
        return render_template("join.html", nickname=nickname, problem=str(error),
                               nickname_max=NICKNAME_MAX, next=next_path), 400
    session[LEARNER_KEY] = learner["id"]
    session.permanent = True            # the same device keeps the learner across restarts
    flash(f"Welcome, {learner['nickname']}! Your progress and questions are kept under this name.")
    return redirect(next_path, 303)


@learners.get("/me")
@learner_required
def me():
    learner = current_learner()
    done = {tuple(item) for item in store().progress(learner["id"])["chapters_done"]}
    progress = [{**w, "chapters": [{**c, "done": (w["pack"], c["slug"]) in done,
                                    "url": document_url(w["pack"], c["slug"])}
                                   for c in w["chapters"]]} for w in workshops()]
    return render_template("me.html", learner=learner, progress=progress,
                           exchanges=store().exchanges(learner_id=learner["id"], limit=HISTORY_LIMIT,
                                                       earlier=True),
                           today=store().session, comment_max=COMMENT_MAX)


@learners.post("/me/feedback")
@learner_required
def feedback():
    """Thumbs up or down, with an optional comment, on one of the learner's own answers."""
    helpful = {"yes": True, "no": False}.get(request.form.get("helpful", ""))
    if helpful is None:
        abort(400, "Choose whether the answer helped (thumbs up or thumbs down).")
    exchange_id = request.form.get("exchange", "")
    try:
        store().set_feedback(exchange_id, current_learner()["id"], helpful,
                             request.form.get("comment", ""))
    except (NotFound, NotAllowed):
        abort(404, "That answer is not one of yours, or it is no longer in today's class log.")
    except StoreError as error:
        abort(400, str(error))
    flash("Thank you: your teacher sees this feedback.")
    return redirect(url_for("learners.me") + f"#exchange-{exchange_id}", 303)


def _chapter_from_form() -> tuple[str, str]:
    pack, doc = request.form.get("pack", ""), request.form.get("doc", "")
    if not is_chapter(pack, doc):
        abort(404, "There is no such chapter in the library.")
    return pack, doc


@learners.post("/progress")
@learner_required
def progress():
    """Mark a chapter done (done=1) or not done yet (done=0)."""
    pack, doc = _chapter_from_form()
    done = request.form.get("done")
    if done not in ("0", "1"):
        abort(400, "done must be 1 (done) or 0 (not done yet).")
    store().set_chapter_done(current_learner()["id"], pack, doc, done == "1")
    return redirect(document_url(pack, doc) + "#progress", 303)


@learners.post("/exercise-tried")
@learner_required
def exercise_tried():
    """Record that the learner tried one of the chapter's exercises (shown in their progress
    and the teacher's table)."""
    pack, doc = _chapter_from_form()
    anchor = request.form.get("anchor", "")
    if not any(e["anchor"] == anchor for e in chapter_exercises(pack, doc)):
        abort(400, "That exercise is not in this chapter.")
    store().record_exercise_attempt(current_learner()["id"], pack, doc, anchor)
    return redirect(document_url(pack, doc) + "#" + anchor, 303)


@learners.post("/notes")
@learner_required
def notes():
    """Save the learner's private note on a chapter (an empty note deletes it)."""
    pack, doc = _chapter_from_form()
    text = request.form.get("text", "").replace("\r\n", "\n")
    try:
        store().save_note(current_learner()["id"], pack, doc, text)
    except StoreError as error:
        abort(400, str(error))
    flash("Your note is saved. Only you can see it.")
    return redirect(document_url(pack, doc) + "#notes", 303)
