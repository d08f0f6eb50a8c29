"""The Ollama engine: answers through a local (or classroom) Ollama server.

It uses the official `ollama` client with a `Client` of its own and an explicit
`httpx.Timeout`: the client's default timeout is None (wait forever), and the module-level
`ollama.chat` is built at import time from whatever OLLAMA_HOST was then. The server's failure
shapes (see shared/FIELD_NOTES.md) are turned into one `EngineError` with a message a teacher
can act on:

- server down: a streaming call raises a raw `httpx.ConnectError` on the first `next()` —
  `chat()` pulls the first chunk before returning, so the caller learns before sending anything;
- model missing: `ResponseError` with status 404;
- an error in the middle of a stream: an NDJSON `{"error": …}` line after HTTP 200, which the
  client raises as `ResponseError` with status -1;
- a first token slower than the read timeout (a cold model on a slow CPU): `httpx.ReadTimeout`.
"""
from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

import httpx
import ollama

from kit.translations import lazy_text
from kit.tutor.engines.base import ChatStream, Engine, EngineError, finish_stats
from kit.tutor.engines.ollama_launcher import ensure_kit_ollama, server_version
from kit.tutor.manifests import ollama_store_has

DEFAULT_HOST = "http://127.0.0.1:11434"
# Keys of `options` that belong in Ollama's request body rather than in its `options` object.
TOP_LEVEL_KEYS = ("keep_alive", "think")


def normalise_host(raw: str | None) -> str:
    """An OLLAMA_HOST-style value as a URL, read the way Ollama reads it: no scheme means port
    11434; a scheme without a port means 80/443; the bind-all 0.0.0.0 means this machine."""
    raw = (raw or "").strip() or DEFAULT_HOST
    has_scheme = "://" in raw
    parts = urlsplit(raw if has_scheme else f"http://{raw}")
    try:
        port = parts.port
    except ValueError:
        raise EngineError(f"{raw!r} is not an Ollama address: give host:port, "
                          "e.g. 127.0.0.1:11434.") from None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme, 11434) if has_scheme else 11434
    host = parts.hostname or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port}"


def configured_host(settings) -> str:
    """The Ollama to try first: the kit's setting, else OLLAMA_HOST, else Ollama's default."""
    return normalise_host(settings.ollama_host or os.environ.get("OLLAMA_HOST"))


class OllamaEngine(Engine):
    name = "ollama"

    def __init__(self, model: str, host: str | None = None, *, default_options: dict | None = None,
                 read_timeout: float = 120.0, connect_timeout: float = 3.0):
        super().__init__(model, default_options)
        self.host = normalise_host(host)
        self.read_timeout = read_timeout
        timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=30.0,
                                pool=read_timeout)
        # Proxy variables must not send loopback traffic to a classroom proxy.
        loopback = urlsplit(self.host).hostname in ("127.0.0.1", "::1", "localhost")
        self._client = ollama.Client(host=self.host, timeout=timeout, trust_env=not loopback)

    @classmethod
    def from_settings(cls, settings, manifest, start: bool = True) -> tuple[OllamaEngine, bool, str]:
        """(engine, usable?, why). Tries the configured Ollama, then the kit's own one on its
        port — started from the stick when the model is in the kit's store (or Ollama was
        asked for by name) and `start` is true."""
        tag = manifest.ollama_tag if manifest and manifest.ollama_tag else settings.model
        options = manifest.options if manifest else {}

        def make(host):
            return cls(tag, host, default_options=options, read_timeout=settings.ollama_timeout_s)

        if manifest is not None and "ollama" not in manifest.engines:
            return make(configured_host(settings)), False, f"{manifest.id} is not an Ollama model"
        engine = make(configured_host(settings))
        ok, reason = engine.available()
        if ok:
            return engine, True, reason
        wanted = settings.engine == "ollama" or ollama_store_has(tag, settings.models_folder)
        try:
            url, why = ensure_kit_ollama(settings, start=start and wanted)
        except EngineError as error:
            return engine, False, f"{reason}; {error}"
        if url is None and not wanted:
            why = f"'{tag}' is not in the kit's Ollama store ({settings.models_folder / 'ollama'})"
        if url is None or url == engine.host:
            return engine, False, f"{reason}; {why}"
        engine.close()
        kit_engine = make(url)
        ok, kit_reason = kit_engine.available()
        return kit_engine, ok, f"{reason}; {why}; {kit_reason}"

    def available(self) -> tuple[bool, str]:
        version = server_version(self.host)
        if version is None:
            return False, f"Ollama is not answering at {self.host}"
        try:
            present = self.has_model(self.model)
        except EngineError as error:
            return False, str(error)
        if not present:
            return False, (f"Ollama {version} at {self.host} does not have '{self.model}' "
                           f"(run `ollama pull {self.model}`)")
        return True, f"Ollama {version} at {self.host} has '{self.model}'"

    def models(self) -> list[str]:
        try:
            return [entry.model for entry in self._client.list().models if entry.model]
        except Exception as error:
            raise self._explain(error, got_first=False) from None

    def has_model(self, tag: str) -> bool:
        """Asks `/api/show`, which resolves `name` to `name:latest` the way `chat` does."""
        try:
            self._client.show(tag)
            return True
        except ollama.ResponseError as error:
            if error.status_code == 404:
                return False
            raise self._explain(error, got_first=False) from None
        except Exception as error:
            raise self._explain(error, got_first=False) from None

    def chat(self, messages: list[dict], options: dict | None = None) -> ChatStream:
        model_options = self.merged_options(options)
        top_level = {key: model_options.pop(key) for key in TOP_LEVEL_KEYS if key in model_options}
        started = time.perf_counter()

        def produce(stats, cancel):
            first_at, count, final = None, 0, None
            parts = self._client.chat(model=self.model, messages=messages, stream=True,
                                      options=model_options or None, **top_level)
            try:
                for part in parts:
                    if cancel.is_set():
                        break
                    if part.done:
                        final = part
                    text = part.message.content or ""
                    if text:
                        count += 1
                        first_at = first_at or time.perf_counter()
                        yield text
            except (ollama.ResponseError, httpx.HTTPError, ConnectionError) as error:
                raise self._explain(error, got_first=first_at is not None) from None
            finally:
                parts.close()  # closes the HTTP response, so Ollama stops generating
                reason = final.done_reason if final else "cancelled"
                self._fill_stats(stats, started, first_at, count, final, reason)
            if final is None and not cancel.is_set():
                raise EngineError(f"Ollama at {self.host} ended the answer without finishing it. "
                                  "Check that it is still running, then ask again.")

        return ChatStream(produce).start()

    @staticmethod
    def _fill_stats(stats, started, first_at, count, final, reason) -> None:
        rate = None
        if final is not None and final.eval_count and final.eval_duration:
            rate = final.eval_count / (final.eval_duration / 1e9)
        tokens = final.eval_count if final is not None and final.eval_count else count
        finish_stats(stats, started, first_at, tokens, reason, tokens_per_s=rate)
        if final is not None:
            stats["load_ms"] = round((final.load_duration or 0) / 1e6, 1)
            stats["prompt_tokens"] = final.prompt_eval_count

    def _explain(self, error: BaseException, got_first: bool) -> EngineError:
        """Ollama's and httpx's errors as one sentence saying what happened and what to do."""
        host, model = self.host, self.model
        if isinstance(error, ollama.ResponseError):
            if error.status_code == 404:
                return EngineError(f"The model '{model}' is not installed in Ollama at {host}: "
                                   f"run `ollama pull {model}`, or pick another model with "
                                   "LANTERN_MODEL (see `kit models`).")
            if error.status_code == -1:
                return EngineError(lazy_text("Ollama failed in the middle of the answer: %(why)s. Ask again; if "
                                             "it keeps happening, restart Ollama or pick a smaller model.",
                                             why=error.error))
            if error.status_code == 503:
                return EngineError(lazy_text("Ollama is busy: too many questions are waiting. "
                                             "Wait a moment and ask again."))
            return EngineError(f"Ollama at {host} refused the request "
                               f"(HTTP {error.status_code}): {error.error}.")
        if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)):
            return EngineError(f"Ollama is not running at {host}: start it (`ollama serve`), "
                               "or set LANTERN_ENGINE=embedded to use the built-in model.")
        if isinstance(error, httpx.ReadTimeout) and not got_first:
            return EngineError(f"Ollama at {host} did not start answering within "
                               f"{self.read_timeout:g} s (the model may still be loading, or "
                               f"'{model}' is too big for this machine). Ask again, pick a "
                               "smaller model, or raise LANTERN_OLLAMA_TIMEOUT.")
        if isinstance(error, httpx.TimeoutException):
            return EngineError(f"Ollama stopped answering: nothing came from {host} for "
                               f"{self.read_timeout:g} s in the middle of the answer. "
                               "Ask again, or restart Ollama.")
        return EngineError(f"Ollama stopped answering (the connection to {host} broke: "
                           f"{type(error).__name__}). Check that it is still running, "
                           "then ask again.")

    def close(self) -> None:
        self._client.close()
