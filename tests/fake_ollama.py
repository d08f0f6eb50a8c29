"""A stand-in Ollama server on loopback, faithful to the parts of Ollama's API the kit uses.

We cannot run Ollama here, so the Ollama engine is tested against this contract instead,
through the official `ollama` client. The wire format follows Ollama's own documentation,
ollama/ollama `docs/api.md` (sections "Generate a chat completion", "List Local Models",
"Show Model Information", "Version"), `docs/api/errors.mdx` and `docs/api/streaming.mdx`, and
the handlers in `server/routes.go` (`streamResponse`, `handleScheduleError`, `ShowHandler`):

- `GET /api/version` -> `{"version": "…"}`
- `GET /api/tags` -> `{"models": [{"name", "model", "modified_at", "size", "digest",
  "details": {…}}]}`
- `POST /api/show` `{"model"}` -> details, or 404 `{"error": "model 'x' not found"}`
- `POST /api/chat` `{"model", "messages", "stream", "options", "keep_alive", "think"}`:
  streaming (the default) answers 200 `application/x-ndjson`, chunked, one JSON object per
  line `{"model", "created_at", "message": {"role": "assistant", "content"}, "done": false}`;
  the last has `"done": true`, `done_reason`, and `total_duration`, `load_duration`,
  `prompt_eval_count`, `prompt_eval_duration`, `eval_count`, `eval_duration` in nanoseconds.
  `"stream": false` answers one `application/json` object. A missing model is 404
  `{"error": "model \"x\" not found, try pulling it first"}`. An error after the stream has
  started cannot change the status: it arrives as an NDJSON line `{"error": "…"}`.
  Empty `messages` only loads the model (`done_reason: "load"`).

Knobs for tests: `first_token_delay` (seconds before the first chunk), `chunk_delay`,
`fail_after` (send that many chunks, then an error line), `reply` (the text, one chunk per
word). It records every request (`requests`: method, path, JSON body) and notices a client
that went away (`client_gone` is set when a write fails).
"""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "0.12.6"
DIGEST = "9077fe9d2ae1a4a6f1a1f1e1b1c1d1e1f1a1b1c1d1e1f1a1b1c1d1e1f1a1b1c1"


def _full_name(model: str) -> str:
    """Ollama's default tag: 'qwen2.5' means 'qwen2.5:latest'."""
    return model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeOllama:
    def __init__(self, models=("smollm2:135m",), reply="Plants make food from light, water and air.",
                 first_token_delay=0.0, chunk_delay=0.0, fail_after=None,
                 error_message="an error was encountered while running the model"):
        self.models = [_full_name(m) for m in models]
        self.reply = reply
        self.first_token_delay, self.chunk_delay = first_token_delay, chunk_delay
        self.fail_after, self.error_message = fail_after, error_message
        self.requests: list[tuple[str, str, dict | None]] = []
        self.chunks_sent = 0
        self.client_gone = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeOllama:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def chat_requests(self) -> list[dict]:
        return [body for method, path, body in self.requests if path == "/api/chat"]

    # -----------------------------------------------------------------------------------------
    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # Ollama (Go net/http) streams with chunked encoding

            def log_message(self, *args):    # keep test output clean
                pass

            def do_GET(self):
                fake.requests.append(("GET", self.path, None))
                if self.path == "/api/version":
                    return self.send_json(200, {"version": VERSION})
                if self.path == "/api/tags":
                    return self.send_json(200, {"models": [fake.tag_entry(m) for m in fake.models]})
                self.send_json(404, {"error": "404 page not found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return self.send_json(400, {"error": "invalid character in request body"})
                fake.requests.append(("POST", self.path, body))
                if self.path == "/api/show":
                    return fake.show(self, body)
                if self.path == "/api/chat":
                    return fake.chat(self, body)
                self.send_json(404, {"error": "404 page not found"})

            def send_json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def send_chunk(self, payload: dict) -> None:
                data = json.dumps(payload).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

        return Handler

    def tag_entry(self, name: str) -> dict:
        return {"name": name, "model": name, "modified_at": "2025-05-10T08:06:48.639712648-07:00",
                "size": 270_898_672, "digest": DIGEST,
                "details": {"parent_model": "", "format": "gguf", "family": "llama",
                            "families": ["llama"], "parameter_size": "134.52M",
                            "quantization_level": "F16"}}

    def show(self, handler, body: dict) -> None:
        model = body.get("model") or body.get("name")
        if not model:
            return handler.send_json(400, {"error": "model is required"})
        if _full_name(model) not in self.models:
            return handler.send_json(404, {"error": f"model '{model}' not found"})
        handler.send_json(200, {
            "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {model}\n",
            "parameters": 'stop                           "<|im_end|>"',
            "template": "{{ .Prompt }}", "license": "Apache License 2.0",
            "details": self.tag_entry(model)["details"],
            "model_info": {"general.architecture": "llama", "llama.context_length": 8192},
            "capabilities": ["completion"], "modified_at": "2025-05-10T08:06:48.639712648-07:00"})

    def _words(self, body: dict) -> tuple[list[str], str]:
        words = [w + " " for w in self.reply.split(" ")]
        words[-1] = words[-1].rstrip()
        limit = (body.get("options") or {}).get("num_predict")
        if isinstance(limit, int) and 0 <= limit < len(words):
            return words[:limit], "length"
        return words, "stop"

    def _final(self, model: str, content: str, count: int, reason: str) -> dict:
        return {"model": model, "created_at": _now(),
                "message": {"role": "assistant", "content": content}, "done": True,
                "done_reason": reason, "total_duration": 4_883_583_458,
                "load_duration": 1_334_875, "prompt_eval_count": 26,
                "prompt_eval_duration": 342_546_000, "eval_count": count,
                "eval_duration": max(count, 1) * 20_000_000}

    def chat(self, handler, body: dict) -> None:
        model = body.get("model", "")
        if not model:
            return handler.send_json(400, {"error": "model is required"})
        if _full_name(model) not in self.models:
            return handler.send_json(404, {"error": f'model "{model}" not found, try pulling it first'})
        time.sleep(self.first_token_delay)
        words, reason = self._words(body)
        if not body.get("messages"):
            words, reason = [], "load"
        if body.get("stream", True) is False:
            return handler.send_json(200, self._final(model, "".join(words), len(words), reason))
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/x-ndjson")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for index, word in enumerate(words):
                if self.fail_after is not None and index == self.fail_after:
                    handler.send_chunk({"error": self.error_message})
                    break
                if index:
                    time.sleep(self.chunk_delay)
                handler.send_chunk({"model": model, "created_at": _now(),
                                    "message": {"role": "assistant", "content": word},
                                    "done": False})
                self.chunks_sent += 1
            else:
                handler.send_chunk(self._final(model, "", len(words), reason))
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.client_gone.set()
            handler.close_connection = True
