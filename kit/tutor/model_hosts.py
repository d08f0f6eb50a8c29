"""Model hosts on the LAN: other computers answering the class's questions beside this one.

One laptop's model is a class's bottleneck. A school with a second laptop, or an organiser with
a faster machine, starts a model server there — `ollama serve` with a model, llama.cpp's
`llama-server`, or `python -m llama_cpp.server` — and the teacher gives its address to
`kit serve --model-host URL` (or LANTERN_MODEL_HOSTS). Those speak Ollama's API or the
OpenAI-compatible one; we speak theirs (kit/tutor/engines/), no protocol of our own, and a host
is only ever a URL the teacher typed: the kit never scans the network.

`HostPool` is the engine the tutor sees. The fair queue (kit/tutor/fair_queue.py) lets as many
questions run as the helpers have slots together (`on_capacity`); each running question gets a
free helper — the hosts in the order typed, then this computer's own engine, which is always one
of them and the last resort. A helper that fails is taken out (`out`, with why) and asked again
after RETRY_FIRST_S, doubling up to RETRY_MAX_S (a 429 "full" after BUSY_RETRY_S). A failure
before the first word moves the question to the next helper unseen; in the middle of an answer
it raises HelperLost, and the tutor starts the answer again on another helper with a short
"moving to another helper" line (kit/tutor/answering.py). No question is lost: when every host
is out, this computer answers, or says clearly why it cannot.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from kit.tutor.engines.base import ChatStream, Engine, EngineError, HelperLost
from kit.tutor.engines.ollama import OllamaEngine
from kit.tutor.engines.ollama_launcher import server_version
from kit.tutor.engines.openai_compat import HostBusy, HostUnreachable, OpenAICompatEngine

RETRY_FIRST_S = 15.0
RETRY_MAX_S = 300.0
BUSY_RETRY_S = 10.0
MINUTE_S = 60.0


@dataclass(eq=False)
class ModelHost:
    """One helper: a URL the teacher typed, or this computer's own engine (url "")."""
    url: str
    engine: Engine | None = None
    kind: str = ""                  # "ollama", "openai", or the local engine's name
    slots: int = 1
    in_use: int = 0
    state: str = "new"              # new (not asked yet), up, out
    reason: str = ""
    retry_at: float = 0.0
    backoff: float = RETRY_FIRST_S
    answered: deque = field(default_factory=deque)      # when each answer ended (monotonic)
    # One connection attempt at a time: a second one, while the host is busy answering, could
    # time out (llama_cpp.server lists its models only between answers) and take it out.
    connecting: threading.Lock = field(default_factory=threading.Lock)

    @property
    def label(self) -> str:
        return self.url or "this computer"

    def usable(self, now: float) -> bool:
        return self.state != "out" or now >= self.retry_at

    def public(self, now: float) -> dict:
        """For the teacher view and `kit doctor`."""
        while self.answered and self.answered[0] < now - MINUTE_S:
            self.answered.popleft()
        return {"host": self.label, "kind": self.kind or "?", "model": self.engine.model if self.engine else "",
                "slots": self.slots, "answering": self.in_use, "state": self.state, "reason": self.reason,
                "retry_in_s": max(0, round(self.retry_at - now)) if self.state == "out" else 0,
                "answers_a_minute": len(self.answered)}


def helpers_of(tutor) -> list[dict]:
    """The helpers' states (HostPool.helpers) once the tutor chose its engine; [] without hosts."""
    chosen = getattr(tutor.engine_provider, "chosen", None)
    engine = chosen[0][0] if chosen else None
    return engine.helpers() if isinstance(engine, HostPool) else []


def connect_host(url: str, settings, ollama_tag: str) -> tuple[Engine, str, int]:
    """(engine, kind, parallel slots) for the model server at `url`, or EngineError saying why
    not. Ollama's API is tried first (GET /api/version), then the OpenAI-compatible one."""
    timeout = settings.model_host_timeout_s
    if server_version(url) is not None:
        engine = OllamaEngine(ollama_tag, url, read_timeout=timeout)
        names = engine.models()
        if not names:
            raise EngineError(f"Ollama at {url} has no model: run `ollama pull` there.")
        if not any(name.split(":")[0] == ollama_tag.split(":")[0] for name in names):
            engine.model = names[0]
        return engine, "ollama", 1          # OLLAMA_NUM_PARALLEL is not in its API: one
    engine = OpenAICompatEngine(url, read_timeout=timeout)
    try:
        names = engine.models()
    except HostUnreachable:
        engine.close()
        raise
    except EngineError as error:
        engine.close()
        raise EngineError(f"{url} speaks neither Ollama's API nor the OpenAI-compatible one "
                          f"(llama-server, llama_cpp.server): {error}") from None
    if not names:
        engine.close()
        raise EngineError(f"{url} has no model loaded.")
    engine.model = names[0]
    return engine, "openai", engine.parallel_slots()


class HostPool(Engine):
    """The tutor's engine when the class has model hosts: each question to a free helper."""
    name = "hosts"

    def __init__(self, local: Engine, urls: tuple[str, ...], settings, ollama_tag: str = "",
                 on_capacity=None, clock=time.monotonic):
        super().__init__(local.model)
        self.local, self.languages = local, local.languages
        self.settings, self.ollama_tag = settings, ollama_tag or settings.model
        self.on_capacity, self.clock = on_capacity, clock
        self.hosts = [ModelHost(url) for url in urls]
        self.own = ModelHost("", local, local.name, slots=settings.model_slots, state="up")
        self._lock = threading.Lock()

    # -- what the class sees ----------------------------------------------------------------
    def available(self) -> tuple[bool, str]:
        up = [h.url for h in self.hosts if h.state == "up"]
        ok, reason = self.local.available()
        if up:
            return True, f"model hosts answering: {', '.join(up)}; this computer: {reason}"
        return ok, reason

    def models(self) -> list[str]:
        return self.local.models()

    def helpers(self) -> list[dict]:
        now = self.clock()
        with self._lock:
            return [host.public(now) for host in [*self.hosts, self.own]]

    def capacity(self) -> int:
        """Answers at once on every helper not out: the fair queue's slots."""
        now = self.clock()
        return self.own.slots + sum(h.slots for h in self.hosts if h.usable(now))

    def connect_all(self) -> None:
        """Ask each new host what it is (at the start, in the background)."""
        for host in self.hosts:
            if host.engine is None and host.in_use == 0 and host.usable(self.clock()):
                try:
                    self._connect(host)
                except EngineError as error:
                    self._out(host, error)

    # -- answering --------------------------------------------------------------------------
    def chat(self, messages: list[dict], options: dict | None = None) -> ChatStream:
        def produce(stats, cancel):
            tried, last_error = [], None
            while not cancel.is_set():
                host = self._take(tried)
                if host is None:
                    raise last_error or EngineError("No helper can answer now.")
                tried.append(host)
                stream, started, failed = None, False, False
                try:
                    if host.engine is None:
                        self._connect(host)
                    stream = host.engine.chat(messages, options)
                    for chunk in stream:
                        started = True
                        yield chunk
                    return
                except EngineError as error:
                    last_error, failed = error, True
                    if host is self.own:
                        raise               # this computer's own error, as without hosts
                    self._out(host, error)
                    if started:
                        raise HelperLost(f"{host.url} stopped in the middle of the answer: {error}") from None
                finally:     # also when the tutor stops reading (a guard, a closed tab)
                    if stream is not None:
                        stream.close()      # which completes its stats
                        stats.update(stream.stats, helper=host.label)
                        if not failed:
                            self._answered(host)
                    self._give_back(host)
        return ChatStream(produce).start()

    def _take(self, tried: list[ModelHost]) -> ModelHost | None:
        """A free helper not tried for this answer: hosts first, then this computer (also when
        it is busy: its engine queues)."""
        now = self.clock()
        with self._lock:
            for host in self.hosts:
                if host not in tried and host.usable(now) and host.in_use < host.slots:
                    host.in_use += 1
                    return host
            if self.own not in tried:
                self.own.in_use += 1
                return self.own
        return None

    def _give_back(self, host: ModelHost) -> None:
        with self._lock:
            host.in_use -= 1

    def _connect(self, host: ModelHost) -> None:
        with host.connecting:
            if host.engine is not None:
                return              # connected meanwhile, by another question or connect_all
            engine, kind, slots = connect_host(host.url, self.settings, self.ollama_tag)
            with self._lock:
                host.engine, host.kind, host.slots, host.state, host.reason = engine, kind, slots, "up", ""
        self._tell_capacity()

    def _answered(self, host: ModelHost) -> None:
        with self._lock:
            host.answered.append(self.clock())
            if host is not self.own:
                host.state, host.reason, host.backoff = "up", "", RETRY_FIRST_S
        self._tell_capacity()

    def _out(self, host: ModelHost, error: EngineError) -> None:
        with self._lock:
            wait = BUSY_RETRY_S if isinstance(error, HostBusy) else host.backoff
            host.state, host.reason, host.retry_at = "out", str(error), self.clock() + wait
            if not isinstance(error, HostBusy):
                host.backoff = min(RETRY_MAX_S, host.backoff * 2)
            if not isinstance(error, HostBusy):
                host.engine = None          # asked again from the start: it may have changed
        self._tell_capacity()

    def _tell_capacity(self) -> None:
        if self.on_capacity is not None:
            self.on_capacity(self.capacity())
