"""The one base for errors a person can act on: each carries the HTTP status a web request
answers it with (and Retry-After where waiting helps), so the packages that raise them stay
Flask-free and kit/app.py's views need no try/except: kit/web/errors.py turns any of them into
JSON for /api/ and data URLs, the form again with the problem shown, or the error page."""
from __future__ import annotations

from types import MappingProxyType


class KitError(Exception):
    """str() is the message for the person (a LazyText is translated when shown); `status` the
    HTTP status; `retry_after` the seconds to wait before trying again, when that helps."""

    status = 400
    retry_after: int | None = None
    # More for a JSON reply beside "error" (e.g. the think-first timer's seconds_left).
    details = MappingProxyType({})
