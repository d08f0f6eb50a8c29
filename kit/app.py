"""The Flask app: `create_app(settings)` and the routes. Everything else lives in sibling modules:
settings.py (configuration), index.py (building the library index), library.py (reading it for
pages), search.py (full-text search), importers/ (one module per file format), tutor.py
(answering questions: retrieval.py, hints.py, engines/), streaming.py (Server-Sent Events),
classroom.py (learners, the teacher, the join poster; data in store.py), csrf.py."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, abort, g, jsonify, render_template, request, send_from_directory

from kit.library import catalog as library
from kit.web.identity import init_classroom
from kit.web.csrf import init_csrf
from kit.library.indexer import build_index, connect
from kit.library.search import KINDS, search_passages
from kit.settings import PAGE_THREADS, Settings, load_settings
from kit.classroom.store import Store
from kit.web.sse import event_stream_response
from kit.tutor.admission import AskRefused, answer_in_turn, question_for_class, take_a_place
from kit.web.identity import current_learner
from kit.tutor.fair_queue import ModelQueue
from kit.tutor.answering import MODES, Tutor, engine_chooser

# Files a pack may serve as-is (images in chapters, media); anything else is not served.
ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".pdf", ".mp3",
                  ".ogg", ".mp4", ".webm"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app for these settings; brings the library index up to date first."""
    settings = settings or load_settings()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_kb * 1024
    app.config["LANTERN"] = settings
    app.config["INDEX_REPORT"] = build_index(settings)
    # The classroom (kit/classroom.py): learners, the teacher, the join poster. The store keeps
    # the cookie-signing key, so learners stay joined across restarts of the kit, and every
    # tutor exchange, per learner (kit/store.py).
    store = Store(settings.data_dir / "classroom")
    app.extensions["store"] = store
    tutor = Tutor(settings.index_path, engine_chooser(settings), store.record_exchange,
                  think_first_min=settings.think_first_min)
    app.extensions["tutor"] = tutor
    # One model, shared fairly (kit/fair_queue.py): FIFO across learners, one question each.
    model_queue = ModelQueue(slots=settings.model_slots,
                             # running answers hold a thread each too; pages keep PAGE_THREADS
                             max_waiting=max(1, settings.threads - PAGE_THREADS - settings.model_slots))
    app.extensions["model_queue"] = model_queue
    app.secret_key = store.secret_key()
    app.config.update(SESSION_COOKIE_NAME="lantern", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(days=365))
    init_csrf(app)
    init_classroom(app)

    def db():
        if "db" not in g:
            g.db = connect(settings.index_path, readonly=True)
        return g.db

    @app.teardown_appcontext
    def close_db(_error):
        conn = g.pop("db", None)
        if conn is not None:
            conn.close()

    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/")
    def home():
        return render_template("home.html", packs=library.list_packs(db()),
                               problems=library.import_problems(db()))

    @app.get("/p/<pack_id>/")
    def pack_page(pack_id):
        pack = library.get_pack(db(), pack_id) or abort(404)
        return render_template("pack.html", pack=pack,
                               problems=library.import_problems(db(), pack_id))

    # merge_slashes=False: "/p/x//etc/passwd" is a 404 like any path outside the pack, not a
    # redirect that turns an absolute path into one inside it.
    @app.get("/p/<pack_id>/<path:slug>", merge_slashes=False)
    def document_page(pack_id, slug):
        doc = library.get_document(db(), pack_id, slug)
        if doc is None:
            return pack_asset(pack_id, slug)
        pack = library.get_pack(db(), pack_id)
        if doc["kind"] == "chapter":
            return render_template("chapter.html", doc=doc, pack=pack,
                                   nav=library.chapter_neighbours(db(), doc),
                                   toc=library.sections(doc))
        return render_template(f"{doc['kind']}.html", doc=doc, pack=pack,
                               toc=library.sections(doc))

    def pack_asset(pack_id, relpath):
        """An image or media file shipped in the pack; send_from_directory refuses any path
        that leaves the pack folder."""
        row = db().execute("SELECT root FROM packs WHERE id=?", (pack_id,)).fetchone()
        if row is None or Path(relpath).suffix.lower() not in ASSET_SUFFIXES:
            abort(404)
        return send_from_directory(row["root"], relpath, max_age=3600)

    def search_arguments():
        query = request.args.get("q", "").strip()[:500]
        pack = request.args.get("pack") or None
        kind = request.args.get("kind") or None
        if kind is not None and kind not in KINDS:
            abort(400, f"kind must be one of {', '.join(KINDS)}")
        return query, pack, kind

    @app.get("/search")
    def search_page():
        query, pack, kind = search_arguments()
        result = search_passages(db(), query, limit=30, pack=pack, kind=kind) if query else None
        return render_template("search.html", query=query, pack=pack, kind=kind, result=result,
                               packs=db().execute("SELECT id, title FROM packs ORDER BY title").fetchall(),
                               kinds=KINDS)

    @app.get("/api/search")
    def search_api():
        query, pack, kind = search_arguments()
        limit = request.args.get("limit", "10")
        if not limit.isdecimal() or not 1 <= int(limit) <= 100:   # isdigit() passes "²", int() fails
            return jsonify(error="limit must be a whole number from 1 to 100"), 400
        result = search_passages(db(), query, limit=int(limit), pack=pack, kind=kind)
        return jsonify([hit.public() for hit in result.hits])

    def ask_context():
        """What the ask box offers right now: the modes and think-first rule the teacher set."""
        class_settings = store.class_settings()
        return {"modes": [m for m in MODES if m in class_settings["modes"]],
                "think_first_min": class_settings["think_first_min"] if class_settings["think_first"] else 0,
                "tutor_enabled": class_settings["tutor_enabled"], "tutor_problem": tutor.problem()}

    def queued_answer(payload):
        """The answer's events for a question the class allows, with a place in the model's
        queue taken; or AskRefused saying why not (kit/asking.py)."""
        learner, class_settings = current_learner(), store.class_settings()
        question = question_for_class(payload, class_settings, learner)
        ticket = take_a_place(model_queue, learner["id"], class_settings["questions_per_minute"])
        return answer_in_turn(tutor, question, learner["id"], ticket)

    @app.post("/api/ask")
    def ask_api():
        """The tutor's answer as Server-Sent Events: sources at once, `queue` places while
        waiting for the model, tokens, done (or error). Refusals are JSON with a status."""
        try:
            events = queued_answer(request.get_json(silent=True))
        except AskRefused as refused:
            headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
            return jsonify(error=str(refused)), refused.status, headers
        return event_stream_response(events)

    @app.post("/api/ask/cancel")
    def ask_cancel():
        """The Cancel button: leave the queue (the waiting stream ends with a message)."""
        learner = current_learner()
        cancelled = bool(learner) and model_queue.cancel(learner["id"])
        return jsonify(cancelled=cancelled)

    @app.get("/ask")
    def ask_page():
        return render_template("ask.html", form={}, **ask_context())

    @app.post("/ask")
    def ask_full_page():
        """The same answer as a whole page, for browsers without JavaScript."""
        form = request.form.to_dict()
        payload = {**form, "context": {"pack": form.get("pack"), "doc": form.get("doc")}}
        try:
            events = queued_answer(payload)
        except AskRefused as refused:
            return render_template("ask.html", form=form, problem=str(refused), **ask_context()), refused.status
        answer = {"text": "", "sources": [], "done": None, "error": None}
        for name, data in events:
            if name == "token":
                answer["text"] += data["text"]
            elif name == "sources":
                answer["sources"] = data
            else:
                answer[name] = data
        return render_template("ask.html", form=form, answer=answer, **ask_context())

    @app.context_processor
    def tutor_form_defaults():
        return ask_context()

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(413)
    def http_error(error):
        if error.code == 413:      # werkzeug's own text does not say what to do
            error.description = (f"What was sent is larger than this kit accepts "
                                 f"({settings.max_request_kb} KB). Make it shorter and try again.")
        if request.path.startswith("/api/"):
            return jsonify(error=error.description), error.code
        return render_template("error.html", error=error), error.code

    return app
