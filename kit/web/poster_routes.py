"""The join poster: the kit's LAN address(es) in large type and as QR codes, for the wall or the
projector. The QR codes are made here by `segno` (pure Python): nothing leaves the machine.

/join-qr.svg and /join-qr.png encode only this kit's own addresses, so the kit cannot be used
to make QR codes that send learners elsewhere.
"""
from __future__ import annotations

import io

import segno
from flask import Blueprint, abort, current_app, render_template, request, send_file

from kit.web.server import lan_addresses

poster = Blueprint("poster", __name__)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def kit_urls() -> list[str]:
    """http://<address>:<port>/ for each LAN address, on the port this request came in on;
    with no network at all, the address this browser used."""
    port = request.environ.get("SERVER_PORT") or str(request.host.rpartition(":")[2] or 80)
    return [f"http://{address}:{port}/" for address in lan_addresses()] or [request.host_url]


@poster.get("/join-poster")
def join_poster():
    listening_on_loopback = current_app.config["LANTERN"].host in LOOPBACK_HOSTS
    return render_template("join_poster.html", urls=kit_urls(),
                           loopback_only=listening_on_loopback)


def _qr_for_requested_url():
    url = request.args.get("url", "")
    if url not in {*kit_urls(), request.host_url}:
        abort(400, "A join QR code can only show this kit's own address.")
    return segno.make(url, error="m", micro=False)


def _send(qr, kind: str, mimetype: str, **options):
    out = io.BytesIO()
    qr.save(out, kind=kind, border=4, **options)
    out.seek(0)
    return send_file(out, mimetype=mimetype, max_age=60)


@poster.get("/join-qr.svg")
def join_qr_svg():
    return _send(_qr_for_requested_url(), "svg", "image/svg+xml", scale=8, title="Join Lantern")


@poster.get("/join-qr.png")
def join_qr_png():
    return _send(_qr_for_requested_url(), "png", "image/png", scale=10)
