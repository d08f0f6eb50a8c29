"""The OpenAI-compatible engine: a model host on the LAN running llama.cpp's `llama-server` or
llama-cpp-python's `python -m llama_cpp.server` (kit/tutor/model_hosts.py chooses it).

Both speak `POST /v1/chat/completions` with `stream: true` as Server-Sent Events — `data: {json}`
lines, each with `choices[0].delta.content`, then `data: [DONE]` — and list their model at
`GET /v1/models`; llama-server also says how many answers it decodes at once (`GET /props`,
`total_slots`). We speak that API and nothing of our own.

Every way a host can fail becomes one EngineError saying what happened, and `HostBusy` for
HTTP 429 (it is full: the question goes to another helper and this one is asked again soon):
an address that does not answer, an HTTP error, an answer that is not this API (an HTML page,
garbage), nothing received for `read_timeout` seconds (before the first word or in the
middle), an answer that stops without `[DONE]`.
"""
from __future__ import annotations

import json
import time

import httpx

from kit.tutor.engines.base import ChatStream, Engine, EngineError, finish_stats


class HostBusy(EngineError):
    """The host answered 429: it is full for now."""


class HostUnreachable(EngineError):
    """Nothing answers at the address (refused, no route, no reply in time)."""


class OpenAICompatEngine(Engine):
    name = "openai"

    def __init__(self, base_url: str, model: str = "", *, default_options: dict | None = None,
                 read_timeout: float = 30.0, connect_timeout: float = 3.0):
        super().__init__(model, default_options)
        self.base = base_url.rstrip("/")
        self.read_timeout = read_timeout
        timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=10.0, pool=read_timeout)
        self._client = httpx.Client(timeout=timeout, trust_env=False)   # a LAN host: no proxy

    def _get_json(self, path: str):
        try:
            response = self._client.get(self.base + path, timeout=5.0)
        except httpx.HTTPError as error:
            raise HostUnreachable(f"{self.base} does not answer ({type(error).__name__}): check that its "
                                  "model server runs and that this computer can reach it.") from None
        if response.status_code != 200:
            raise EngineError(f"{self.base}{path} answered HTTP {response.status_code}.")
        try:
            return response.json()
        except ValueError:
            raise EngineError(f"{self.base}{path} did not answer JSON: it is not an "
                              "OpenAI-compatible model server (llama-server, llama_cpp.server).") from None

    def models(self) -> list[str]:
        listing = self._get_json("/v1/models")
        data = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(data, list):
            raise EngineError(f"{self.base}/v1/models is not a list of models: it is not an "
                              "OpenAI-compatible model server.")
        return [str(entry["id"]) for entry in data if isinstance(entry, dict) and entry.get("id")]

    def parallel_slots(self) -> int:
        """Answers it decodes at once: llama-server's /props total_slots, else 1."""
        try:
            props = self._get_json("/props")
            slots = props.get("total_slots") if isinstance(props, dict) else None
            return slots if isinstance(slots, int) and 0 < slots <= 64 else 1
        except EngineError:
            return 1

    def available(self) -> tuple[bool, str]:
        try:
            names = self.models()
        except EngineError as error:
            return False, str(error)
        if not names:
            return False, f"{self.base} has no model loaded"
        self.model = self.model if self.model in names else names[0]
        return True, f"{self.base} serves {self.model}"

    def _body(self, messages: list[dict], options: dict | None) -> dict:
        merged = self.merged_options(options)
        body = {"model": self.model, "messages": messages, "stream": True}
        for ours, theirs in (("num_predict", "max_tokens"), ("temperature", "temperature"),
                             ("seed", "seed"), ("stop", "stop"), ("repeat_penalty", "repeat_penalty")):
            if merged.get(ours) is not None:
                body[theirs] = merged[ours]
        return body

    def chat(self, messages: list[dict], options: dict | None = None) -> ChatStream:
        body, started = self._body(messages, options), time.perf_counter()

        def produce(stats, cancel):
            first_at, count, reason = None, 0, "cancelled"
            try:
                with self._client.stream("POST", self.base + "/v1/chat/completions", json=body) as response:
                    self._check_response(response)
                    finished = False
                    for line in response.iter_lines():
                        if cancel.is_set():
                            break
                        text, done = self._read_line(line)
                        if done is not None:
                            reason, finished = done, True
                        if text:
                            count += 1
                            first_at = first_at or time.perf_counter()
                            yield text
                        if finished:
                            break
                    if not finished and not cancel.is_set():
                        raise EngineError(f"{self.base} ended the answer without finishing it.")
            except httpx.TimeoutException:
                where = "in the middle of the answer" if first_at else "before its first word"
                raise EngineError(f"{self.base} sent nothing for {self.read_timeout:g} s {where}.") from None
            except httpx.HTTPError as error:
                raise EngineError(f"{self.base} stopped answering ({type(error).__name__}).") from None
            finally:
                finish_stats(stats, started, first_at, count, reason)

        return ChatStream(produce).start()

    def _check_response(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            raise HostBusy(f"{self.base} is full (HTTP 429).")
        if response.status_code != 200:
            response.read()
            raise EngineError(f"{self.base} refused the question (HTTP {response.status_code}: "
                              f"{response.text[:120].strip()}).")
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/event-stream"):
            raise EngineError(f"{self.base} answered {kind or 'something'} instead of a stream of "
                              "events: it is not an OpenAI-compatible model server.")

    def _read_line(self, line: str) -> tuple[str, str | None]:
        """(text, "stop" at the last line [DONE], else None) of one line of the event stream."""
        if not line or line.startswith(":"):
            return "", None
        if not line.startswith("data:"):
            raise EngineError(f"{self.base} sent a line that is not an event ({line[:60]!r}).")
        data = line[5:].strip()
        if data == "[DONE]":
            return "", "stop"
        try:
            event = json.loads(data)
            choice = event["choices"][0] if event.get("choices") else {}
            text = (choice.get("delta") or {}).get("content") or ""
        except (ValueError, AttributeError, KeyError, IndexError, TypeError):
            raise EngineError(f"{self.base} sent an event that is not a chat completion "
                              f"({data[:60]!r}).") from None
        if event.get("error"):
            raise EngineError(f"{self.base} failed in the middle of the answer: {event['error']}.")
        return str(text), None

    def close(self) -> None:
        self._client.close()
