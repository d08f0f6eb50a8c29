"""What every tutor engine shares: one error type and one kind of answer stream.

The web app and the CLI only ever see `EngineError` (a message a learner or teacher can act on)
and `ChatStream` (text chunks, then stats). That keeps Ollama's and llama.cpp's many failure
shapes inside their engine modules.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

STAT_KEYS = ("tokens", "ttft_ms", "tokens_per_s", "total_ms", "done_reason")

# Generation options the engines understand; anything else is rejected so typos show up.
OPTION_KEYS = {"repeat_penalty", "num_ctx", "temperature", "seed", "num_predict", "stop", "keep_alive", "think"}


class EngineError(RuntimeError):
    """An engine cannot answer; str(error) says why and what to do, in plain words (a LazyText
    message, for what a learner is told, in their language when the answer stream sends it)."""


class HelperLost(EngineError):
    """A model host stopped in the middle of an answer (kit/tutor/model_hosts.py): it is out,
    and the tutor starts the answer again on another helper."""


def check_options(options: dict | None) -> dict:
    options = dict(options or {})
    unknown = set(options) - OPTION_KEYS
    if unknown:
        raise EngineError(f"unknown generation option(s) {sorted(unknown)}: "
                          f"use {', '.join(sorted(OPTION_KEYS))}.")
    return options


# A generator function: (stats to fill, cancel event) -> text chunks. It raises EngineError.
Producer = Callable[[dict, threading.Event], Iterator[str]]


class ChatStream:
    """An answer being generated: iterate for text chunks; `.stats` is complete afterwards.

    `close()` — also called by leaving a `with` block or by garbage collection — stops the
    generation: it closes the engine's generator, which closes the HTTP response (Ollama) or
    stops llama.cpp's loop and frees the model for the next learner (embedded). When the
    consumer is blocked in another thread, close() sets a flag the producer checks between
    tokens, so it still stops after at most one more token.
    """

    def __init__(self, produce: Producer):
        self.stats: dict = dict.fromkeys(STAT_KEYS)
        self.started = time.perf_counter()
        self._cancel = threading.Event()
        self._chunks = produce(self.stats, self._cancel)
        self._first: list[str] = []
        self._closed = False

    def start(self) -> ChatStream:
        """Wait for the first chunk, so errors (server down, model missing) raise here —
        before the caller has sent anything to the browser."""
        try:
            self._first.append(next(self._chunks))
        except StopIteration:
            self._closed = True
        except BaseException:
            self.close()
            raise
        return self

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> str:
        if self._cancel.is_set():
            self._close_chunks()
            raise StopIteration
        if self._first:
            return self._first.pop()
        if self._closed:
            raise StopIteration
        try:
            return next(self._chunks)
        except StopIteration:
            self._closed = True
            raise
        except ValueError:  # "generator already executing": close() runs in another thread
            if self._cancel.is_set():
                raise StopIteration from None
            raise

    def text(self) -> str:
        """The whole answer (for `kit ask --no-stream`, tests and logs)."""
        return "".join(self)

    def close(self) -> None:
        self._cancel.set()
        self._close_chunks()

    def _close_chunks(self) -> None:
        self._closed = True
        try:
            self._chunks.close()
        except ValueError:
            pass  # running in another thread right now: it sees the cancel flag instead

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def finish_stats(stats: dict, started: float, first_token_at: float | None, tokens: int,
                 done_reason: str | None, tokens_per_s: float | None = None) -> None:
    """Fill the common stats from wall-clock times (perf_counter) measured by the engine.

    Without a rate from the engine, tokens/s is the decode rate: tokens after the first one
    over the time since the first one (prompt reading is what ttft measures)."""
    now = time.perf_counter()
    if tokens_per_s is None and first_token_at and tokens > 1 and now > first_token_at:
        tokens_per_s = (tokens - 1) / (now - first_token_at)
    stats.update(
        tokens=tokens,
        ttft_ms=round((first_token_at - started) * 1000, 1) if first_token_at else None,
        tokens_per_s=round(tokens_per_s, 1) if tokens_per_s else None,
        total_ms=round((now - started) * 1000, 1),
        done_reason=done_reason,
    )


class Engine:
    """The interface: one small subclass per engine, listed in `kit.tutor.engines.ENGINES`."""

    languages: tuple[str, ...] = ()     # what its model writes, from its manifest (choose_engine)

    name = "engine"

    def __init__(self, model: str, default_options: dict | None = None):
        self.model = model
        self.default_options = check_options(default_options)

    def available(self) -> tuple[bool, str]:
        raise NotImplementedError

    def models(self) -> list[str]:
        raise NotImplementedError

    def chat(self, messages: list[dict], options: dict | None = None) -> ChatStream:
        raise NotImplementedError

    def merged_options(self, options: dict | None) -> dict:
        return {**self.default_options, **check_options(options)}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} model={self.model!r}>"
