"""Server-Sent Events over waitress: the tutor's events as `text/event-stream`.

waitress sends headers only with the first non-empty chunk, so a comment line goes first: the
browser sees the answer begin at once, before retrieval or the model's first token. When the
tab closes, waitress fails the next write and closes this generator; closing the tutor's event
generator in `finally` closes the engine stream, which stops generation.
"""
from __future__ import annotations

import json

from flask import Response

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def format_event(name: str, data) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def event_stream_response(events) -> Response:
    def generate():
        try:
            yield ": lantern is answering\n\n"
            for name, data in events:
                yield format_event(name, data)
        finally:
            events.close()
    return Response(generate(), mimetype="text/event-stream", headers=SSE_HEADERS)
