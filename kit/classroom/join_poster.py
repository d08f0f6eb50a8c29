"""The join poster's QR codes, made here by `segno` (pure Python): nothing leaves the machine."""
from __future__ import annotations

import io

import segno

FORMATS = {"svg": ("image/svg+xml", {"scale": 8, "title": "Join Lantern"}),
           "png": ("image/png", {"scale": 10})}


def join_qr(url: str, kind: str) -> tuple[bytes, str]:
    """(image bytes, MIME type) of a QR code for `url` in `kind` ("svg" or "png")."""
    mimetype, options = FORMATS[kind]
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind=kind, border=4, **options)
    return out.getvalue(), mimetype
