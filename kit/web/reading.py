"""What the pages show about a learner's reading: the workshops and chapters of the library,
which chapters this learner marked done, the exercises they tried, their private note on a
chapter. Read once per request (`g`), for the templates (the globals init_reading sets) and the
teacher's views."""
from __future__ import annotations

from flask import Flask, g

from kit.classroom.rules import NOTE_MAX
from kit.library import catalog
from kit.web.identity import current_learner, index_db, store


def workshops() -> list[dict]:
    """Every workshop of every pack: {pack, pack_title, title, chapters: [{slug, title}]}."""
    return [{"pack": pack["id"], "pack_title": pack["title"], "title": workshop["title"],
             "chapters": [{"slug": c["slug"], "title": c["title"]} for c in workshop["chapters"]]}
            for pack in catalog.list_packs(index_db()) for workshop in pack["workshops"]]


def _progress() -> dict:
    if "progress" not in g:
        learner = current_learner()
        g.progress = store().progress(learner["id"]) if learner else {"chapters_done": [], "exercises": []}
    return g.progress


def chapter_done(pack: str, slug: str) -> bool:
    """For templates: has the current learner marked this chapter done?"""
    return [pack, slug] in [list(item) for item in _progress()["chapters_done"]]


def chapter_exercises(pack: str, slug: str) -> list[dict]:
    """For templates: the chapter's exercises, each with whether this learner has tried it."""
    tried = {tuple(item) for item in _progress()["exercises"]}
    return [{"anchor": r["anchor"], "title": r["title"], "tried": (pack, slug, r["anchor"]) in tried}
            for r in catalog.chapter_exercises(index_db(), pack, slug)]


def learner_note(pack: str, slug: str) -> str:
    learner = current_learner()
    return store().note(learner["id"], pack, slug) if learner else ""


def init_reading(app: Flask) -> None:
    app.jinja_env.globals.update(chapter_done=chapter_done, learner_note=learner_note,
                                 chapter_exercises=chapter_exercises, note_max=NOTE_MAX)
