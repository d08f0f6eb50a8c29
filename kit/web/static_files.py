"""The kit's own CSS and JavaScript (web/static/), kept in memory, plain and gzipped.

They are a few small files that every page loads, so they are read and compressed once, at
start. `url_for("static", ...)` adds `?v=<digest of the file>`: a URL with the current digest
is cached by browsers for a year (`immutable`) — a new kit version has new digests, hence new
URLs; a URL without it (or with an old one) is `no-cache`, answered 304 on a matching ETag.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request
from werkzeug.http import http_date

from kit.web.gzip_parts import accepts_gzip

FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class StaticFile:
    plain: bytes
    gzipped: bytes
    digest: str
    mimetype: str
    modified: int


def load_static(folder: Path) -> dict[str, StaticFile]:
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_file():
            data = path.read_bytes()
            mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            files[path.name] = StaticFile(data, gzip.compress(data, mtime=0),
                                          hashlib.blake2b(data, digest_size=8).hexdigest(),
                                          mimetype, int(path.stat().st_mtime))
    return files


def init_static_files(app: Flask) -> None:
    """Serve web/static/ from memory through Flask's own `static` URL, and version its URLs."""
    files = load_static(Path(app.static_folder))

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values and values.get("filename") in files:
            values["v"] = files[values["filename"]].digest

    def static_file(filename):
        found = files.get(filename) or abort(404)
        gzipped = accepts_gzip(request)
        etag = found.digest + ("-gz" if gzipped else "")
        headers = {"ETag": f'"{etag}"', "Last-Modified": http_date(found.modified),
                   "Vary": "Accept-Encoding",
                   "Cache-Control": FOREVER if request.args.get("v") == found.digest else "no-cache"}
        if request.if_none_match.contains(etag) or (
                not request.if_none_match and request.if_modified_since
                and request.if_modified_since.timestamp() >= found.modified):
            return Response(status=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped if gzipped else found.plain, mimetype=found.mimetype,
                        headers=headers)

    app.view_functions["static"] = static_file
