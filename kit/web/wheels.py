"""Flask helpers for the stick's Python package index: the responses app.py's /simple/,
/wheels/ and /setup views return (the index's content itself is kit/wheels/, Flask-free).

Wheels are sent with `send_file(conditional=True)`: Range and If-None-Match/If-Modified-Since
are answered by werkzeug, and the file goes to waitress as a `wsgi.file_wrapper`, which
waitress streams from its own loop — a learner downloading 10 MB does not hold a worker
thread that pages and search need.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, abort, redirect, request, send_file, url_for
from flask_babel import gettext
from packaging.utils import canonicalize_name

from kit.wheels import simple_index
from kit.web.services import services
from kit.wheels.wheelhouse import Wheelhouse

EXAMPLE_PACKAGE = "django"
WHEEL_MAX_AGE = 24 * 3600            # a wheel's name fixes its content (PyPI never reuses one)


def wheelhouse() -> Wheelhouse:
    return services().wheelhouse


def simple_response(project: str | None) -> Response:
    """PEP 691 JSON when pip asks for it, else PEP 503 HTML; 404 for a package not carried
    (pip then says "No matching distribution found" — there is no other index to fall back to)."""
    house = wheelhouse()
    if project is not None:
        normal = canonicalize_name(project)
        if normal != project:
            return redirect(url_for("kit.simple_project", project=normal), 301)
        if not house.project_files(normal):
            abort(404, gettext("The kit carries no package called %(name)s.", name=repr(project)))
    best = request.accept_mimetypes.best_match(
        ["text/html", simple_index.HTML_TYPE, simple_index.JSON_TYPE], default="text/html")
    if best == simple_index.JSON_TYPE:
        body = simple_index.root_json(house) if project is None else simple_index.project_json(house, project)
    else:
        body = simple_index.root_html(house) if project is None else simple_index.project_html(house, project)
    response = Response(body, mimetype=best)
    response.vary.add("Accept")
    response.cache_control.no_cache = True
    return response


def find_links_response() -> Response:
    return Response(simple_index.find_links_html(wheelhouse()), mimetype="text/html")


def send_download(folder: str, filename: str) -> Response:
    """A wheel (folder "wheels") or an installer the organiser put beside them."""
    if folder == "installers":
        path = services().installers.path(filename) or abort(404, gettext("No such installer in the kit."))
        return send_file(path, mimetype="application/octet-stream", conditional=True, etag=True,
                         as_attachment=True, download_name=filename)
    return send_wheel(filename)


def send_wheel(filename: str) -> Response:
    """The wheel, if the wheelhouse records it under exactly this name and its sha256 still
    matches; never a path built from the URL. Each computer's first fetch is counted."""
    house = wheelhouse()
    path = house.wheel_path(filename) or abort(404, gettext("No such wheel in the kit, or it is damaged."))
    response = send_file(path, mimetype="application/octet-stream", conditional=True, etag=True,
                         max_age=WHEEL_MAX_AGE, download_name=filename)
    if request.method == "GET" and response.status_code in (200, 206):
        services().wheel_fetches.record(house.project_of(filename), request.remote_addr or "?")
    return response


def setup_context(kit_urls: list[str]) -> dict:
    """What the "Set up your laptop" page fills in: for each address of the kit, the index URL
    and the host pip must be told to trust (plain HTTP on the LAN), and the packages carried."""
    house = wheelhouse()
    projects = house.projects()
    example = EXAMPLE_PACKAGE if EXAMPLE_PACKAGE in projects else (projects[0] if projects else "PACKAGE")
    addresses = []
    for url in kit_urls:
        parts = urlsplit(url)
        addresses.append({"index_url": f"{parts.scheme}://{parts.netloc}/simple/",
                          "host": parts.hostname, "find_links": f"{parts.scheme}://{parts.netloc}/wheels/"})
    return {"addresses": addresses, "example": example, "carried": house.carried(),
            "missing": _grouped(house.missing), "targets": house.targets,
            "installers": services().installers.listing()}


def _grouped(missing: list[dict]) -> list[dict]:
    """One line per requirement that has no wheel somewhere, naming every target it lacks."""
    grouped: dict[tuple, dict] = {}
    for item in missing:
        key = (item.get("requirement", "?"), item.get("needed_by", "?"))
        grouped.setdefault(key, {"requirement": key[0], "needed_by": key[1], "targets": []})["targets"].append(
            item.get("target", "?"))
    return list(grouped.values())
