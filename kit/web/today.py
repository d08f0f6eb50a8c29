"""Today's chapters: the ones the teacher pinned (a class setting), for the learners' home, the
join page and the teacher's form. A pinned chapter a re-import removed is shown as gone — to
the teacher, to untick — and never linked for learners."""
from __future__ import annotations

from flask import Flask

from kit.library import catalog
from kit.library.urls import document_url
from kit.web.identity import index_db, store


def todays_chapters() -> list[dict]:
    """[{pack, slug, title, url, gone}] in the order the teacher pinned them."""
    chapters = []
    for pack, slug in store().class_settings().get("pinned", []):
        title = catalog.document_title(index_db(), pack, slug)
        chapters.append({"pack": pack, "slug": slug, "title": title or f"{pack}/{slug}",
                         "url": document_url(pack, slug), "gone": title is None})
    return chapters


def after_join(next_path: str) -> str:
    """Where a new learner goes: where they were going, or today's first chapter from the home."""
    if next_path != "/":
        return next_path
    return next((chapter["url"] for chapter in todays_chapters() if not chapter["gone"]), next_path)


def init_today(app: Flask) -> None:
    app.jinja_env.globals["todays_chapters"] = todays_chapters
