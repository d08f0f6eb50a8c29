"""The classroom store: the ONE place that owns learner and classroom state.

Learners, class settings, the teacher PIN and lockout, the cookie-signing secret, the tutor's
exchange log (per class session), progress and private notes -- all here, so the rules about
how this data is kept safe live in one module:

- TinyDB on `AtomicJSONStorage` (kit/classroom/atomic_storage.py): every write is atomic and durable
  before the method returns, so an HTTP 2xx sent after it means the data survives a SIGKILL or a
  power cut. A damaged file is moved aside on open and `warnings` says so.
- TinyDB is not thread-safe: ONE `threading.RLock` is held around every TinyDB call, reads too
  (`self._lock`; writes use `self._writing()`, which waits for the disk after releasing it --
  see kit/classroom/durable_folder.py), and one TinyDB instance per file per process.
- Each concern has its own small file, because TinyDB rewrites a whole file on every write:
  learners.json, class.json (settings, PIN hash, lockout, secret), progress.json (progress and
  notes) and questions-<session>.json (one exchange log per class session, so it stays short).

Input rules and error types are in kit/classroom/rules.py; they are re-exported here.
"""
from __future__ import annotations

import json
import math
import secrets
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from tinydb import Query
from tinydb.table import Document

from kit.classroom import damage_notices
from kit.classroom.atomic_storage import BACKUP_SUFFIX, read_state
from kit.classroom.durable_folder import DurableFolder
from kit.classroom.rules import (COMMENT_MAX, DEFAULT_CLASS_SETTINGS, NOTE_MAX, NicknameTaken,
                             NotAllowed, NotFound, StoreError, TeacherLocked, after_pin_attempt,
                             check_language, check_name, check_pin_format, check_session, check_text,
                             checked_settings, clean_nickname, hash_pin, nickname_key,
                             pin_matches)
from kit.translations import lazy_text

__all__ = ["Store", "StoreError", "NicknameTaken", "NotFound", "NotAllowed", "TeacherLocked"]

NOT_IN_CLASS = lazy_text("This learner is not in the class (any more). Join again with a nickname.")
_ONE = 1          # doc id of the single document in class.json's settings/teacher/secret tables


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _plain(doc) -> dict:
    return dict(doc) if doc is not None else None


def _detached(value):
    """A deep copy of JSON data: the storage keeps values nested in documents shared with what
    TinyDB returns, so records with lists or dicts inside go to callers only as copies."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _newest_first(item: tuple[str, dict]) -> int:
    """Sort key for a TinyDB table's (doc id, doc) items: the latest insert first."""
    return -int(item[0]) if item[0].isdecimal() else 0


def _chapter(learner_id: str, pack: str, doc: str, **more: str):
    """The TinyDB query for one learner's rows about one chapter (and e.g. one anchor)."""
    query = (Query().learner == learner_id) & (Query().pack == pack) & (Query().doc == doc)
    for field, value in more.items():
        query &= Query()[field] == value
    return query


class Store:
    """Learner and classroom state in `folder` (<data>/classroom/). Thread-safe; close() it."""

    def __init__(self, folder: Path, session: str | None = None, defaults: dict | None = None):
        """`defaults`: class settings to start from instead of DEFAULT_CLASS_SETTINGS' (the
        kit passes LANTERN_THINK_FIRST_MIN); checked like a teacher's change."""
        self.folder = Path(folder)
        self._defaults = {**DEFAULT_CLASS_SETTINGS, **checked_settings(defaults or {})}
        self.session = check_session(time.strftime("%Y-%m-%d") if session is None else session)
        self._files = DurableFolder(self.folder)
        self._lock = self._files.lock
        # learner id (None: class-wide) -> write generation: kit/web/learner_pages.py's keys
        self.generations: dict[str | None, int] = {}
        self._pin_lock = threading.Lock()     # one PIN check at a time: no lost failure counts
        try:
            self._learners = self._files.open("learners.json").table("learners")
            klass = self._files.open("class.json")
            self._settings, self._teacher = klass.table("settings"), klass.table("teacher")
            self._secret = klass.table("secret")
            progress = self._files.open("progress.json")
            self._chapters, self._notes = progress.table("chapters"), progress.table("notes")
            self._exercises = progress.table("exercises")
            self._exchanges = self._files.open(f"questions-{self.session}.json").table("exchanges")
        except BaseException:
            self.close()
            raise
        self.warnings: list[str] = self._files.warnings
        self._settings_json: str | None = None      # class_settings_json(), until a change
        self._earlier_cache: dict[tuple, list[dict]] = {}   # (name, size, mtime) -> exchanges

    @contextmanager
    def _writing(self, shown: bool = True, learner: str | None = None):
        """DurableFolder.writing(); then, for a write a page may show (`shown`: not the questions
        log or PIN lockout), a new generation (learner_pages.reply_key): `learner`'s alone when
        only their pages show it (ticks, notes, language), else the class-wide one (None)."""
        try:
            with self._files.writing():
                yield
        finally:
            if shown:
                with self._lock:
                    self.generations[learner] = self.generations.get(learner, 0) + 1

    def close(self) -> None:
        """Flush and close every file."""
        self._files.close()

    def damage_notices(self) -> list[dict]:
        """Damaged files set aside here (by this start or an earlier one) the teacher has not
        marked as seen: [{"file", "text"}] (kit/classroom/damage_notices.py)."""
        return damage_notices.unseen_notices(self.folder)

    def mark_damage_seen(self, files: list[str]) -> None:
        with self._lock:
            damage_notices.mark_seen(self.folder, files)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- learners ---------------------------------------------------------------------------

    def create_learner(self, nickname: str, language: str | None = None) -> dict:
        """A new learner: {"id", "nickname", "created"} and the UI language they had picked
        before joining, if any. The id goes in the signed cookie."""
        nickname = clean_nickname(nickname)
        key = nickname_key(nickname)
        learner_id = secrets.token_urlsafe(16)
        with self._writing(learner=learner_id):     # no page shows the other learners
            if any(nickname_key(other["nickname"]) == key for other in self._learners.all()):
                raise NicknameTaken(lazy_text("The nickname “%(nickname)s” is already taken in this class. "
                                              "Pick another one (add a number or an initial).",
                                              nickname=nickname), "nickname")
            learner = {"id": learner_id, "nickname": nickname,
                       "created": _now_iso(), **({"language": check_language(language)} if language else {})}
            self._learners.insert(learner)
        return learner

    def learner(self, learner_id: str) -> dict | None:
        if not isinstance(learner_id, str):
            return None
        with self._lock:
            return _plain(self._learners.get(Query().id == learner_id))

    def learners(self) -> list[dict]:
        """Every learner, in the order they joined."""
        with self._lock:
            return [dict(doc) for doc in self._learners.all()]

    def set_learner_language(self, learner_id: str, language: str) -> None:
        """The UI language this learner picked (kit/translations); older records have none and
        follow their browser and the class default."""
        language = check_language(language)
        with self._writing(learner=learner_id):
            if not self._learners.update({"language": language}, Query().id == learner_id):
                raise NotFound(NOT_IN_CLASS, "learner")

    def _require_learner(self, learner_id: str) -> None:
        if self.learner(learner_id) is None:
            raise NotFound(NOT_IN_CLASS, "learner")

    # -- class settings ---------------------------------------------------------------------

    def class_settings(self) -> dict:
        """The teacher's settings; a setting never changed has its default."""
        return json.loads(self.class_settings_json())

    def class_settings_json(self) -> str:
        """The teacher's settings as JSON with sorted keys. Every page for nobody in particular
        depends on them (kit/web/document_pages.class_state), so the text is kept until a
        setting changes: only update_class_settings writes them."""
        kept = self._settings_json          # one read of one attribute: no lock needed
        if kept is not None:
            return kept
        with self._lock:
            if self._settings_json is None:
                stored = _plain(self._settings.get(doc_id=_ONE)) or {}
                self._settings_json = json.dumps({**self._defaults, **stored}, sort_keys=True,
                                                  ensure_ascii=False)
            return self._settings_json

    def update_class_settings(self, **changes) -> dict:
        """Validate every change (StoreError naming the first bad one), then save them together.
        Form-style values are accepted: 'on'/'off' for switches, digit strings for numbers."""
        checked = checked_settings(changes)
        with self._writing():
            merged = {**self.class_settings(), **checked}
            try:
                self._settings.upsert(Document(merged, doc_id=_ONE))
            finally:
                self._settings_json = None
        return _detached(merged)

    # -- teacher PIN ------------------------------------------------------------------------

    def _teacher_state(self) -> dict:
        with self._lock:
            return _plain(self._teacher.get(doc_id=_ONE)) or {}

    def _save_teacher_state(self, state: dict) -> None:
        with self._writing(shown=False):
            self._teacher.upsert(Document(state, doc_id=_ONE))

    def has_teacher_pin(self) -> bool:
        return "pin" in self._teacher_state()

    def set_teacher_pin(self, pin: str) -> None:
        """Store a salted scrypt hash of the PIN (never the PIN) and clear any lockout."""
        hashed = hash_pin(check_pin_format(pin))
        with self._pin_lock:
            self._save_teacher_state({"pin": hashed, "failures": 0, "locked_until": 0})

    def check_teacher_pin(self, pin: str, now: float | None = None) -> bool:
        """True for the right PIN. After 5 wrong ones in a row the login is locked for 5 minutes
        (kept in class.json, so restarting the kit does not reset it); while locked this raises
        TeacherLocked without looking at the PIN. False when no PIN is set yet."""
        now = time.time() if now is None else now
        with self._pin_lock:
            state = self._teacher_state()
            if "pin" not in state:
                return False
            if now < state.get("locked_until", 0):
                raise TeacherLocked(math.ceil(state["locked_until"] - now))
            right = isinstance(pin, str) and pin_matches(pin.strip(), state["pin"])
            after = after_pin_attempt(state, right, now)
            if after != state:
                self._save_teacher_state(after)
            return right

    # -- cookie secret ----------------------------------------------------------------------

    def secret_key(self) -> str:
        """The key that signs learner and teacher cookies: made once, then kept, so cookies
        stay valid across restarts."""
        with self._writing(shown=False):
            doc = self._secret.get(doc_id=_ONE)
            if doc is None:
                doc = {"key": secrets.token_urlsafe(32), "created": _now_iso()}
                self._secret.upsert(Document(doc, doc_id=_ONE))
            return doc["key"]

    # -- the tutor's exchange log -----------------------------------------------------------

    def record_exchange(self, record: dict, learner_id: str | None) -> str:
        """Log one tutor exchange in this session's file; returns its id. Adds "id", "at",
        "learner" and "feedback" (None until rated). Values JSON cannot hold are stored as text."""
        if not isinstance(record, dict):
            raise StoreError("An exchange record must be a dict.", "record")
        if learner_id is not None:
            self._require_learner(learner_id)
        exchange = json.loads(json.dumps(record, ensure_ascii=False, default=str))
        exchange.update(id=secrets.token_urlsafe(12), at=_now_iso(), learner=learner_id,
                        feedback=None)
        with self._writing(shown=False):
            self._exchanges.insert(exchange)
        return exchange["id"]

    def exchanges(self, learner_id: str | None = None, limit: int | None = None,
                  earlier: bool = False) -> list[dict]:
        """This session's exchanges, newest first; only `learner_id`'s when given. With
        `earlier`, the exchanges of earlier sessions follow. Each has its "session"."""
        with self._lock:
            if learner_id is None:
                found = self._exchanges.all()
            else:
                found = self._exchanges.search(Query().learner == learner_id)
        found = [{**doc, "session": self.session}
                 for doc in sorted(found, key=lambda doc: doc.doc_id, reverse=True)]
        if earlier:
            found += [exchange for exchange in self._earlier_exchanges()
                      if learner_id is None or exchange.get("learner") == learner_id]
        return _detached(found[:limit])

    def _earlier_exchanges(self) -> list[dict]:
        """Earlier sessions' exchanges, newest first. Their files are never written again, so
        they are read as plain JSON (no TinyDB, no lock) and kept in memory while unchanged."""
        exchanges = []
        for path in sorted(self.folder.glob("questions-*.json"), reverse=True):
            session = path.name[len("questions-"):-len(".json")]
            if session != self.session:
                exchanges += self._earlier_file(path, session)
        return exchanges

    def _earlier_file(self, path: Path, session: str) -> list[dict]:
        try:
            stat = path.stat()
        except OSError:
            return []
        key = (path.name, stat.st_size, stat.st_mtime_ns)
        if key not in self._earlier_cache:
            for candidate in (path, path.with_name(path.name + BACKUP_SUFFIX)):
                state, text = read_state(candidate)
                if state == "good":
                    table = json.loads(text).get("exchanges", {})
                    break
            else:
                table = {}
                self.warnings.append(f"{path.name} could not be read, so the questions of "
                                     f"{session} are not shown; the file was left as it is.")
            self._earlier_cache[key] = [
                {**doc, "session": session}
                for _, doc in sorted(table.items(), key=_newest_first)]
        return self._earlier_cache[key]

    def set_feedback(self, exchange_id: str, learner_id: str, helpful: bool,
                     comment: str = "") -> None:
        """Thumbs up/down (and an optional comment) on an answer, by the learner who asked."""
        if not isinstance(helpful, bool):
            raise StoreError(lazy_text("helpful must be true or false."), "helpful")
        comment = check_text("comment", comment, COMMENT_MAX).strip()
        with self._writing(shown=False):
            exchange = self._exchanges.get(Query().id == exchange_id)
            if exchange is None:
                raise NotFound(lazy_text("This answer is not in today's class log; it cannot be rated."),
                               "exchange")
            if learner_id is None or exchange.get("learner") != learner_id:
                raise NotAllowed(lazy_text("Only the learner who asked can rate this answer."), "learner")
            feedback = {"helpful": helpful, "comment": comment, "at": _now_iso()}
            self._exchanges.update({"feedback": feedback}, doc_ids=[exchange.doc_id])

    # -- progress and notes -----------------------------------------------------------------

    def set_chapter_done(self, learner_id: str, pack: str, doc: str, done: bool) -> None:
        pack, doc = check_name("pack", pack), check_name("doc", doc)
        if not isinstance(done, bool):
            raise StoreError(lazy_text("done must be true or false."), "done")
        self._require_learner(learner_id)
        where = _chapter(learner_id, pack, doc)
        with self._writing(learner=learner_id):
            present = self._chapters.contains(where)
            if done and not present:
                self._chapters.insert({"learner": learner_id, "pack": pack, "doc": doc,
                                       "at": _now_iso()})
            elif present and not done:
                self._chapters.remove(where)

    def record_exercise_attempt(self, learner_id: str, pack: str, doc: str, anchor: str) -> None:
        """Remember that the learner tried this exercise (once is enough to count)."""
        pack, doc = check_name("pack", pack), check_name("doc", doc)
        anchor = check_name("anchor", anchor)
        self._require_learner(learner_id)
        where = _chapter(learner_id, pack, doc, anchor=anchor)
        with self._writing(learner=learner_id):
            if not self._exercises.contains(where):
                self._exercises.insert({"learner": learner_id, "pack": pack, "doc": doc,
                                        "anchor": anchor, "at": _now_iso()})

    def progress(self, learner_id: str) -> dict:
        """{"chapters_done": [[pack, doc], ...], "exercises": [[pack, doc, anchor], ...]}"""
        return self.all_progress().get(learner_id, {"chapters_done": [], "exercises": []})

    def all_progress(self) -> dict[str, dict]:
        """learner id -> progress, for every learner (those with none too)."""
        with self._lock:
            learners, chapters = self._learners.all(), self._chapters.all()
            exercises = self._exercises.all()
        result = {learner["id"]: {"chapters_done": [], "exercises": []} for learner in learners}
        for row in chapters:
            mine = result.setdefault(row["learner"], {"chapters_done": [], "exercises": []})
            mine["chapters_done"].append([row["pack"], row["doc"]])
        for row in exercises:
            mine = result.setdefault(row["learner"], {"chapters_done": [], "exercises": []})
            mine["exercises"].append([row["pack"], row["doc"], row["anchor"]])
        return result

    def save_note(self, learner_id: str, pack: str, doc: str, text: str) -> None:
        """The learner's private note on a chapter (up to 5,000 characters); blank deletes it."""
        pack, doc = check_name("pack", pack), check_name("doc", doc)
        text = check_text("note", text, NOTE_MAX)
        self._require_learner(learner_id)
        where = _chapter(learner_id, pack, doc)
        with self._writing(learner=learner_id):
            if not text.strip():
                if self._notes.contains(where):
                    self._notes.remove(where)
            else:
                self._notes.upsert({"learner": learner_id, "pack": pack, "doc": doc,
                                    "text": text, "at": _now_iso()}, where)

    def note(self, learner_id: str, pack: str, doc: str) -> str:
        with self._lock:
            found = self._notes.get(_chapter(learner_id, pack, doc))
        return found["text"] if found else ""
