"""The wheelhouse as pip reads it: PEP 503 HTML pages (with `#sha256=` fragments, which pip
checks after every download) and the PEP 691 JSON form of the same pages, plus the flat
listing `--find-links` reads. Pure functions of a Wheelhouse; app.py only picks one.

Links carry `data-requires-python` so a learner's pip skips, say, a Django that needs a newer
Python than theirs, exactly as it does on PyPI. Names and attributes are HTML-escaped.
"""
from __future__ import annotations

import json
from html import escape

from kit.wheels.wheelhouse import Wheelhouse

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
WHEELS_URL = "/wheels/"


def _page(title: str, links: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
            f"<title>{escape(title)}</title></head>\n<body>\n<h1>{escape(title)}</h1>\n"
            + "".join(link + "<br>\n" for link in links) + "</body></html>\n")


def _file_link(wheel, href: str) -> str:
    python = (f' data-requires-python="{escape(wheel.requires_python)}"'
              if wheel.requires_python else "")
    return f'<a href="{escape(href)}#sha256={wheel.sha256}"{python}>{escape(wheel.filename)}</a>'


def root_html(house: Wheelhouse) -> str:
    return _page("Simple index", [f'<a href="{escape(p)}/">{escape(p)}</a>' for p in house.projects()])


def root_json(house: Wheelhouse) -> str:
    return json.dumps({"meta": {"api-version": "1.0"},
                       "projects": [{"name": p} for p in house.projects()]})


def project_html(house: Wheelhouse, project: str) -> str:
    return _page(f"Links for {project}", [_file_link(w, WHEELS_URL + w.filename)
                                          for w in house.project_files(project)])


def project_json(house: Wheelhouse, project: str) -> str:
    files = [{"filename": w.filename, "url": WHEELS_URL + w.filename, "hashes": {"sha256": w.sha256},
              **({"requires-python": w.requires_python} if w.requires_python else {})}
             for w in house.project_files(project)]
    return json.dumps({"meta": {"api-version": "1.0"}, "name": project, "files": files})


def find_links_html(house: Wheelhouse) -> str:
    """Every intact wheel, linked relative to /wheels/ (for `pip install --find-links`)."""
    return _page("Wheels", [_file_link(w, w.filename) for p in house.projects()
                            for w in house.project_files(p)])
