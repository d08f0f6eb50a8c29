"""A model host on loopback that speaks the OpenAI-compatible API of llama-server and
llama-cpp-python's server — `GET /v1/models`, `POST /v1/chat/completions` streaming
`data: {"choices": [{"delta": {"content": …}}]}` lines and `data: [DONE]` — well or badly, to
test what the kit does with hosts that fail (kit/tutor/model_hosts.py). The real servers are
tested in tests/test_model_hosts.py; these are the failures one cannot make them show on cue.

`behaviour`: "good" (the reply, one event a word), "html" (an HTML page for every address, as a
router's login page would), "busy" (429 on chat), "hang" (two words, then silence),
"die" (two words, then the connection closes), "garbage" (an event stream of lines that are not
JSON). `asked` counts chat requests.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "Worms turn peelings into compost over the winter."


class MisbehavingHost:
    def __init__(self, behaviour: str, reply: str = REPLY, model: str = "fake-model"):
        self.behaviour, self.reply, self.model, self.asked = behaviour, reply, model, 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, kind, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if host.behaviour == "html":
                    return self._send(200, "text/html", b"<html><body>Router login</body></html>")
                if self.path == "/v1/models":
                    return self._send(200, "application/json", json.dumps(
                        {"object": "list", "data": [{"id": host.model, "object": "model"}]}).encode())
                self._send(404, "application/json", b'{"detail": "Not Found"}')

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                host.asked += 1
                if host.behaviour == "html":
                    return self._send(200, "text/html", b"<html><body>Router login</body></html>")
                if host.behaviour == "busy":
                    return self._send(429, "application/json", b'{"error": "too many requests"}')
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                words = host.reply.split(" ")
                for n, word in enumerate(words):
                    if host.behaviour in ("hang", "die") and n == 2:
                        if host.behaviour == "hang":
                            time.sleep(30)
                        return          # the connection closes: no [DONE]
                    piece = word if n == 0 else " " + word
                    line = ("data: not json at all" if host.behaviour == "garbage" else
                            "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": piece}}]}))
                    self.wfile.write(line.encode() + b"\n\n")
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
