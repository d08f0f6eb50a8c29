"""Lantern's web app in one file: `create_app(settings)` and every URL of the kit.

The routes are module-level functions on one blueprint, grouped by area — library, tutor,
learners, teacher, join poster, Python packages — each a few lines calling plain Python from the packages:
library/ (the index, pages, search), tutor/ (answers), classroom/ (the store and what the
teacher sees). Request helpers (who is asking, CSRF, streaming, the server) are in web/.
"""
from __future__ import annotations

import time
from datetime import timedelta

from flask import (Blueprint, Flask, Response, abort, flash, jsonify, redirect,
                   render_template, request, session, url_for)

from kit.classroom import report
from kit.classroom.join_poster import FORMATS as QR_FORMATS, join_qr
from kit.classroom.rules import COMMENT_MAX, NICKNAME_MAX
from kit.library import catalog
from kit.library.search import KINDS, search_passages
from kit.library.urls import document_url, pack_url
from kit.settings import Settings, load_settings
from kit.web import teacher_pages
from kit.web.ask_box import ask_context, queued_answer, whole_answer
from kit.web.code_regions import code_regions
from kit.web.csrf import init_csrf, rotate_csrf_token
from kit.web.document_pages import document_response
from kit.web.errors import init_errors, init_security_headers, show_problem_on
from kit.web.forms import (FORM_TEXT_FIELDS, chapter_from_form, parse_class_settings, rate_own_answer,
                           search_arguments)
from kit.web.local_api import local_answer, local_caller
from kit.web.identity import (TEACHER_SESSION_S, activity, current_learner, index_db, init_identity,
                              learner_required, safe_next, store, teacher_required)
from kit.web.reading import init_reading, workshops
from kit.web.server import kit_urls, loopback_only
from kit.web.services import Services, attach, open_services, services
from kit.web.session_keys import LEARNER_KEY, TEACHER_KEY
from kit.web.locale import (_, in_learners_language, init_locale, language_response, library_language,
                             picked_language)
from kit.web.live import init_live, live_response
from kit.web.pack_files import send_pack_file
from kit.web.fast_lane import FastLane
from kit.web.slots import init_slots
from kit.web.static_files import init_static_files
from kit.web.today import after_join, init_today
from kit.web.sse import event_stream_response
from kit.web.wheels import find_links_response, send_download, setup_context, simple_response


kit = Blueprint("kit", __name__)


def create_app(settings: Settings | None = None, opened: Services | None = None) -> Flask:
    """Settings → services (the data folder opened: web/services.py; `kit serve` opens it
    first) → request set-up → the routes."""
    settings = settings or (opened.settings if opened else load_settings())
    opened = opened or open_services(settings)
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(LANTERN=settings, MAX_CONTENT_LENGTH=settings.max_request_kb * 1024)
    app.secret_key = opened.store.secret_key()
    app.config.update(SESSION_COOKIE_NAME="lantern", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(days=365))
    attach(app, opened)
    app.jinja_env.globals.update(document_url=document_url, pack_url=pack_url)   # the one URL scheme
    app.jinja_env.filters["code_regions"] = code_regions     # the material's code blocks, by keyboard
    init_csrf(app)
    init_identity(app)
    init_reading(app)
    init_security_headers(app)
    init_errors(app)
    init_slots(app)
    init_locale(app)
    init_live(app)
    init_today(app)
    app.wsgi_app = FastLane(app.wsgi_app, app)     # cached pages for no one in particular
    init_static_files(app)
    app.context_processor(ask_context)
    app.register_blueprint(kit)
    return app


# -- library ---------------------------------------------------------------------------------

@kit.get("/")
def home():
    return render_template("library/home.html", packs=catalog.list_packs(index_db()),
                           problems=catalog.import_problems(index_db()))


@kit.get("/p/<pack_id>/")
def pack_page(pack_id):
    pack = catalog.get_pack(index_db(), pack_id) or abort(404)
    return render_template("library/pack.html", pack=pack, problems=catalog.import_problems(index_db(), pack_id))


# merge_slashes=False: "/p/x//etc/passwd" is a 404 like any path outside the pack, not a
# redirect that turns an absolute path into one inside it.
@kit.get("/p/<pack_id>/<path:slug>", merge_slashes=False)
def document_page(pack_id, slug):
    """Rendered once, then served as bytes with this person's parts filled in (web/document_pages.py);
    else one of the pack's images or media, or for a ZIM pack an item of the ZIM."""
    return document_response(pack_id, slug) or send_pack_file(
        catalog.pack_root(index_db(), pack_id) or abort(404), pack_id, slug)


@kit.get("/search")
def search_page():
    query, pack, kind = search_arguments()
    result = search_passages(index_db(), query, limit=30, pack=pack, kind=kind,
                             language=library_language()) if query else None
    return render_template("library/search.html", query=query, pack=pack, kind=kind, result=result,
                           packs=catalog.pack_titles(index_db()), kinds=KINDS)


@kit.get("/api/search")
def search_api():
    query, pack, kind = search_arguments()
    limit = request.args.get("limit", "10")
    if not limit.isdecimal() or not 1 <= int(limit) <= 100:   # isdigit() passes "²", int() fails
        abort(400, _("limit must be a whole number from 1 to 100"))
    result = search_passages(index_db(), query, limit=int(limit), pack=pack, kind=kind,
                             language=library_language())
    return jsonify([hit.public() for hit in result.hits])


# -- tutor -----------------------------------------------------------------------------------

@kit.post("/api/ask")
def ask_api():
    """The answer as Server-Sent Events: sources at once, `queue` places while waiting for
    the model, tokens, done (or error). Refusals (AskRefused) are JSON with their status.
    `kit ask` while the kit serves asks here too, with the data folder's token (web/local_api.py)."""
    payload = request.get_json(silent=True)
    events = local_answer(payload) if local_caller() else queued_answer(payload)
    return event_stream_response(in_learners_language(events))


@kit.post("/api/ask/cancel")
def ask_cancel():
    """The Cancel button: leave the queue (the waiting stream ends with a message)."""
    learner = current_learner()
    return jsonify(cancelled=bool(learner) and services().model_queue.cancel(learner["id"]))


@kit.get("/ask")
def ask_page():
    return render_template("tutor/ask.html", form={})


@kit.post("/ask")
def ask_full_page():
    """The same answer as a whole page, for browsers without JavaScript."""
    form = request.form.to_dict()
    show_problem_on(lambda problem: render_template("tutor/ask.html", form=form, problem=problem))
    events = queued_answer({**form, "context": {"pack": form.get("pack"), "doc": form.get("doc")}})
    return render_template("tutor/ask.html", form=form, answer=whole_answer(events))


# -- learners: a nickname, their own answers, progress and notes -----------------------------

@kit.get("/join")
def join():
    return render_template("learners/join.html", nickname="", problem=None, nickname_max=NICKNAME_MAX,
                           next=safe_next(request.args.get("next")))


@kit.post("/join")
def join_post():
    """Pick a nickname; the typed value comes back in the form (escaped) when it is refused."""
    next_path = safe_next(request.form.get("next"))
    if current_learner() is not None:
        return redirect(next_path, 303)
    nickname = request.form.get("nickname", "")
    show_problem_on(lambda problem: render_template("learners/join.html", nickname=nickname, problem=problem,
                                                    nickname_max=NICKNAME_MAX, next=next_path))
    learner = store().create_learner(nickname, language=picked_language())
    session[LEARNER_KEY] = learner["id"]
    session.permanent = True            # the same device keeps the learner across restarts
    flash(_("Welcome, %(name)s! Your progress and questions are kept under this name.", name=learner["nickname"]))
    return redirect(after_join(next_path), 303)      # from the home: today's first chapter


@kit.get("/me")
@learner_required
def me():
    learner = current_learner()
    progress = report.learner_progress(workshops(), store().progress(learner["id"])["chapters_done"],
                                       document_url)
    exchanges = store().exchanges(learner_id=learner["id"], limit=report.HISTORY_LIMIT, earlier=True)
    return render_template("learners/me.html", learner=learner, progress=progress, exchanges=exchanges,
                           today=store().session, comment_max=COMMENT_MAX)


@kit.post("/me/feedback")
@learner_required
def feedback():
    """Thumbs up or down, with an optional comment, on one of the learner's own answers."""
    helpful = {"yes": True, "no": False}.get(request.form.get("helpful", ""))
    if helpful is None:
        abort(400, _("Choose whether the answer helped (thumbs up or thumbs down)."))
    exchange_id = request.form.get("exchange", "")
    rate_own_answer(exchange_id, current_learner()["id"], helpful, request.form.get("comment", ""))
    activity().nudge()
    flash(_("Thank you: your teacher sees this feedback."))
    return redirect(url_for("kit.me") + f"#exchange-{exchange_id}", 303)


@kit.post("/progress")
@learner_required
def progress():
    """Mark a chapter done (done=1) or not done yet (done=0)."""
    pack, doc = chapter_from_form()
    done = request.form.get("done")
    if done not in ("0", "1"):
        abort(400, _("done must be 1 (done) or 0 (not done yet)."))
    store().set_chapter_done(current_learner()["id"], pack, doc, done == "1")
    activity().progressed(current_learner()["id"], (pack, doc))
    return redirect(document_url(pack, doc) + "#progress", 303)


@kit.post("/exercise-tried")
@learner_required
def exercise_tried():
    """Record that the learner tried one of the chapter's exercises."""
    pack, doc = chapter_from_form()
    anchor = request.form.get("anchor", "")
    if not any(e["anchor"] == anchor for e in catalog.chapter_exercises(index_db(), pack, doc)):
        abort(400, _("That exercise is not in this chapter."))
    store().record_exercise_attempt(current_learner()["id"], pack, doc, anchor)
    activity().progressed(current_learner()["id"], (pack, doc))
    return redirect(document_url(pack, doc) + "#" + anchor, 303)


@kit.post("/notes")
@learner_required
def notes():
    """Save the learner's private note on a chapter (an empty note deletes it)."""
    pack, doc = chapter_from_form()
    store().save_note(current_learner()["id"], pack, doc, request.form.get("text", "").replace("\r\n", "\n"))
    flash(_("Your note is saved. Only you can see it."))
    return redirect(document_url(pack, doc) + "#notes", 303)


@kit.route("/language", methods=["GET", "POST"])
def choose_language():
    """The language picker, JavaScript or not (web/locale.py: the cookie, a learner's record)."""
    return language_response(safe_next(request.values.get("next")))


# -- teacher: PIN login, the class view, export, settings ------------------------------------

def login_page(next_path: str, problem: str | None = None) -> str:
    return render_template("teacher/teacher_login.html", problem=problem, has_pin=store().has_teacher_pin(),
                           next=next_path)


@kit.get("/teacher/login")
def teacher_login():
    return login_page(safe_next(request.args.get("next"), url_for("kit.teacher_dashboard")))


@kit.post("/teacher/login")
def teacher_login_post():
    next_path = safe_next(request.form.get("next"), url_for("kit.teacher_dashboard"))
    show_problem_on(lambda problem: login_page(next_path, problem))   # TeacherLocked: 429, how long
    if store().check_teacher_pin(request.form.get("pin", "")):
        session[TEACHER_KEY] = time.time() + TEACHER_SESSION_S
        rotate_csrf_token()     # a token seen before the login is worth nothing after it
        return redirect(next_path, 303)
    return login_page(next_path, _("That PIN is not right. Try again.")), 403


@kit.post("/teacher/logout")
def teacher_logout():
    session.pop(TEACHER_KEY, None)
    rotate_csrf_token()
    flash(_("You are logged out of the teacher view."))
    return redirect(url_for("kit.home"), 303)


@kit.get("/teacher")
@teacher_required
def teacher_dashboard():
    return teacher_pages.class_view()


@kit.get("/teacher/live")
@teacher_required
def teacher_live():     # the glance, pushed as Server-Sent Events when the class changes
    return live_response()


@kit.post("/teacher/check-class")
@teacher_required
def teacher_check_class():       # the readiness self-test, in the background
    return teacher_pages.start_self_test()


@kit.get("/teacher/<any(questions, answers, progress):listing>")
@teacher_required
def teacher_listing(listing):
    """The long lists behind the class view's links, a page at a time (?page=N)."""
    return teacher_pages.LISTINGS[listing]()


@kit.get("/teacher/export.csv")
@teacher_required
def teacher_export_csv():
    nicknames = {learner["id"]: learner["nickname"] for learner in store().learners()}
    # The BOM makes spreadsheet programs read the file as UTF-8 (names with accents survive).
    body = "\ufeff" + report.export_csv(store().exchanges(earlier=True), nicknames)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{time.strftime("lantern-class-%Y-%m-%d.csv")}"',
        "Cache-Control": "no-store"})


@kit.post("/teacher/notices/seen")
@teacher_required
def teacher_damage_seen():
    store().mark_damage_seen(request.form.getlist("file"))
    flash(_("Those notices are hidden; the set-aside files are still in the data folder."))
    return redirect(url_for("kit.teacher_dashboard"), 303)


@kit.post("/teacher/settings")
@teacher_required
def teacher_class_settings():
    changes, errors = parse_class_settings(request.form)

    def settings_form_again(errors):
        typed = {name: request.form.get(name, "") for name in FORM_TEXT_FIELDS}
        return teacher_pages.class_view(form_values={**store().class_settings(), **changes, **typed}, errors=errors)
    if errors:
        return settings_form_again(errors), 400
    show_problem_on(lambda problem: settings_form_again({"form": problem}))
    store().update_class_settings(**changes)
    flash(_("Class settings saved."))
    return redirect(url_for("kit.teacher_dashboard") + "#settings", 303)


# -- join poster: the kit's LAN address in large type and as QR codes ------------------------

@kit.get("/join-poster")
def join_poster():
    return render_template("poster/join_poster.html", urls=kit_urls(), loopback_only=loopback_only())


@kit.get("/join-qr.<kind>")
def join_qr_image(kind):
    """A QR code of this kit's own address only: the kit cannot be used to send learners elsewhere."""
    url = request.args.get("url", "")
    if kind not in QR_FORMATS:
        abort(404)
    if url not in {*kit_urls(), request.host_url}:
        abort(400, _("A join QR code can only show this kit's own address."))
    image, mimetype = join_qr(url, kind)
    response = Response(image, mimetype=mimetype)
    response.cache_control.max_age = 60
    return response


# -- Python packages: the stick's PEP 503/691 index for learners' pip (kit/wheels/) ----------

@kit.get("/simple/", defaults={"project": None})
@kit.get("/simple/<project>/")
def simple_project(project):
    return simple_response(project)


@kit.get("/wheels/")
def wheels_listing():
    return find_links_response()


@kit.get("/wheels/<filename>", defaults={"folder": "wheels"})
@kit.get("/installers/<filename>", defaults={"folder": "installers"})
def download_file(folder, filename):
    """A wheel for pip, or an installer the organiser put on the stick: listed names only."""
    return send_download(folder, filename)


@kit.get("/setup")
def setup_laptop():
    urls = [request.host_url] if loopback_only() else kit_urls()
    return render_template("learners/setup.html", loopback_only=loopback_only(), **setup_context(urls))
