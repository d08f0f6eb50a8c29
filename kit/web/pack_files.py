"""The files a pack serves as they are, beside its pages: images and media shipped in a pack
folder, or items inside a pack's ZIM file.

Only media types are ever served raw: a page's HTML is shown sanitised through its document
route, and a script or stylesheet served from the kit's own address would run as the kit.
"""
from __future__ import annotations

from pathlib import Path

from flask import Response, abort, redirect, send_from_directory, url_for

from kit.library.formats.zim_archive import zim_item
from kit.library.packs import ASSET_SUFFIXES   # files a pack folder may serve as-is; else 404

MAX_AGE = 3600


def send_pack_file(root: str, pack_id: str, relpath: str):
    """The pack's file at `relpath`: for a ZIM pack streamed from the ZIM (its redirects
    followed, looked up inside the ZIM so '..' cannot leave it); otherwise from the pack folder,
    where send_from_directory refuses any path that leaves it."""
    if item := zim_item(Path(root), relpath):
        if item.redirect_to:
            return redirect(url_for("kit.document_page", pack_id=pack_id, slug=item.redirect_to))
        return Response(item.chunks(), mimetype=item.mimetype, headers={"Cache-Control": f"max-age={MAX_AGE}"})
    if Path(relpath).suffix.lower() not in ASSET_SUFFIXES:
        abort(404)
    return send_from_directory(root, relpath, max_age=MAX_AGE)
