"""The kit's side of the model worker (kit/tutor/engines/worker.py): start it, talk to it, outlive it.

One worker per model file. Questions go to it one at a time (it has one llama.cpp context);
its answer comes back as JSON lines that a reader thread puts on a queue. When the worker
dies mid-answer, the learner gets an EngineError ("the tutor stopped; it is restarting…"),
the kit starts a new worker in the background — after an illegal instruction, with the next
safer CPU variant (kit/tutor/engines/cpu_variants.py) — and the next question is answered.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import shlex
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from kit.translations import lazy_text, marked
from kit.tutor.engines.base import EngineError
from kit.tutor.engines.cpu_variants import (ILLEGAL_INSTRUCTION, VariantChoice, VariantMemory,
                                      choose_variant, describe_exit, llama_lib_folder, mark_failed)

log = logging.getLogger(__name__)
# What a learner is told when an answer fails here: LazyText, said in their language (the web's
# answer stream), in English for the class log and the CLI.
RESTARTING = marked("The tutor stopped (%(why)s); it is restarting — ask again in a moment.")


def worker_command(prefix: str = "") -> list[str]:
    """How to start `kit _engine-worker`: the frozen program runs itself; a source install
    runs `python -m kit`. `prefix` (LANTERN_WORKER_PREFIX) runs it under another program,
    e.g. `nice -n 10`, or `qemu-x86_64 -cpu Nehalem` to try the tutor on a 2008 CPU."""
    own = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "kit"]
    return [*shlex.split(prefix), *own, "_engine-worker"]


def _no_core_dumps() -> None:     # runs in the child before exec (POSIX): a crash leaves no core file
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass


def spawn(args: list[str], prefix: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*worker_command(prefix), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", bufsize=1,
        preexec_fn=_no_core_dumps if os.name == "posix" else None,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def run_probe(model: Path, prefix: str, timeout_s: float):
    """A `run_probe` for choose_variant: one probe child; (events, exit code)."""
    def probe(excluded: list[str], forced: str):
        args = ["probe", "--model", str(model), "--exclude", ",".join(excluded)]
        if forced:
            args += ["--force", forced]
        child = spawn(args, prefix)
        try:
            out, err = child.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            return _events(out) + [{"error": f"no answer within {timeout_s:.0f} s"}], -9
        events = _events(out)
        if child.returncode not in (0, None) and err.strip():
            log.info("engine probe: %s", err.strip().splitlines()[-1])
        return events, child.returncode
    return probe


def _events(text: str) -> list[dict]:
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    return events


class Worker:
    """A running worker process, its event queue and the end of what it wrote to stderr."""

    def __init__(self, process: subprocess.Popen, variant: str):
        self.process = process
        self.variant = variant
        self.events: queue.Queue = queue.Queue()
        self.stderr_tail: deque[str] = deque(maxlen=20)
        threading.Thread(target=self._read_out, daemon=True, name="worker-out").start()
        threading.Thread(target=self._read_err, daemon=True, name="worker-err").start()

    def _read_out(self):
        for line in self.process.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue
        self.events.put({"event": "exit"})

    def _read_err(self):
        for line in self.process.stderr:
            if line.strip():
                self.stderr_tail.append(line.rstrip())

    def send(self, request: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (OSError, ValueError):
            pass     # it died: the reader thread reports that as an `exit` event

    def exit_reason(self) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return describe_exit(code)

    def stop(self, timeout: float = 5.0) -> None:
        """Close its stdin (it exits at once), then make sure it is gone."""
        try:
            self.process.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WorkerPool:
    """The one worker of one model file: started on demand, restarted after a crash."""

    def __init__(self, model: Path, *, n_ctx: int, state_folder: Path, fast_folder: Path | None,
                 prefix: str = "", forced_variant: str = "", start_timeout_s: float = 120.0):
        self.model = Path(model)
        self.n_ctx = n_ctx
        self.fast_folder = fast_folder
        self.prefix = prefix
        self.forced_variant = forced_variant
        self.start_timeout_s = start_timeout_s
        self.lib_folder = llama_lib_folder()
        self.memory = VariantMemory(state_folder, self.lib_folder)
        self.answer_lock = threading.Lock()     # one answer at a time
        self._start_lock = threading.Lock()
        self.worker: Worker | None = None
        self.choice: VariantChoice | None = None
        self.ready: dict = {}
        self.crashes: list[str] = []
        self.last_finish: str | None = None     # how the worker said the last answer ended
        self._next_id = 0
        atexit.register(self.stop)

    # -- starting -------------------------------------------------------------------------
    def variant(self) -> VariantChoice:
        """The CPU variant to run (probing on first use; remembered in the data folder)."""
        if self.choice is None or not self.choice.usable:
            probe = run_probe(self.model, self.prefix, self.start_timeout_s)
            self.choice = choose_variant(self.memory, probe, self.forced_variant)
        return self.choice

    def ensure_started(self) -> Worker:
        with self._start_lock:
            if self.worker is not None and self.worker.process.poll() is None:
                return self.worker
            choice = self.variant()
            if not choice.usable:
                tried = "; ".join(f"{name}: {why}" for name, why in choice.failed.items())
                raise EngineError("The built-in model cannot run on this computer: no build of "
                                  f"llama.cpp's CPU code passed its test here ({tried or 'none found'}). "
                                  "Pages and search work; see `kit doctor`.")
            args = ["serve", "--model", str(self.model), "--variant", choice.chosen,
                    "--n-ctx", str(self.n_ctx)]
            if self.fast_folder:
                args += ["--fast-folder", str(self.fast_folder)]
            worker = Worker(spawn(args, self.prefix), choice.chosen)
            try:
                event = worker.events.get(timeout=self.start_timeout_s)
            except queue.Empty:
                worker.stop(0)
                raise EngineError(f"The built-in model did not start within {self.start_timeout_s:.0f} s.")
            if event.get("event") != "ready":
                why = event.get("error") or worker.exit_reason()
                self._after_death(worker, why)
                raise EngineError(f"Could not load the model file {self.model}: {why}. It may be "
                                  "damaged: run `kit models verify`, or copy it again.")
            self.worker, self.ready = worker, event
            return worker

    def _after_death(self, worker: Worker, why: str) -> None:
        """Remember a crash; an illegal instruction retires the variant for this CPU + build."""
        code = worker.process.poll()
        self.crashes.append(why)
        log.warning("model worker (variant %s) stopped: %s; last words: %s", worker.variant, why,
                    " | ".join(list(worker.stderr_tail)[-3:]))
        if code in ILLEGAL_INSTRUCTION:
            self.choice = mark_failed(self.memory, worker.variant, f"worker died: {why}")
        if self.worker is worker:
            self.worker = None

    def restart_in_background(self) -> None:
        def restart():
            try:
                self.ensure_started()
            except EngineError as error:
                log.warning("model worker could not restart: %s", error)
        threading.Thread(target=restart, daemon=True, name="worker-restart").start()

    # -- answering ------------------------------------------------------------------------
    def answer(self, messages: list[dict], options: dict, cancel: threading.Event, wait_s: float):
        """Generator of ("turn", None) once the model is this question's, ("token", text)…
        and finally ("done", done_reason). Raises EngineError."""
        if not self.answer_lock.acquire(timeout=wait_s):
            raise EngineError(lazy_text("The built-in model is busy with other questions; ask again in a minute."))
        try:
            yield "turn", None                  # the model is ours now (waited behind others until here)
            worker = self.ensure_started()
            self._next_id += 1
            request_id = self._next_id
            worker.send({"op": "chat", "id": request_id, "messages": messages, "options": options})
            finished = False
            try:
                while True:
                    if cancel.is_set():
                        return
                    try:
                        event = worker.events.get(timeout=0.1)
                    except queue.Empty:
                        continue
                    kind = event.get("event")
                    if kind == "token":
                        yield "token", event["text"]
                    elif kind == "done":
                        finished = True
                        self.last_finish = event.get("done_reason")
                        yield "done", event.get("done_reason")
                        return
                    elif kind == "error":
                        finished = True
                        raise EngineError(lazy_text("The built-in model could not answer: %(why)s. Ask a "
                                                    "shorter question.", why=event.get("message")))
                    elif kind == "exit":
                        finished = True
                        why = worker.exit_reason()
                        self._after_death(worker, why)
                        self.restart_in_background()
                        raise EngineError(lazy_text(RESTARTING, why=why))
            finally:
                if not finished:
                    self._cancel(worker, request_id)
        finally:
            self.answer_lock.release()

    def _cancel(self, worker: Worker, request_id: int) -> None:
        """Stop the answer in the worker and wait until it says so (it checks between tokens),
        so the next question never reads this one's tokens."""
        worker.send({"op": "cancel", "id": request_id})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                event = worker.events.get(timeout=0.5)
            except queue.Empty:
                continue
            if event.get("event") in ("done", "error") and event.get("id") == request_id:
                self.last_finish = event.get("done_reason", "error")
                return
            if event.get("event") == "exit":
                self._after_death(worker, worker.exit_reason())
                return
        worker.stop(0)              # it did not stop: a new one starts with the next question
        if self.worker is worker:
            self.worker = None

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()

    def pid(self) -> int | None:
        return self.worker.process.pid if self.worker and self.worker.process.poll() is None else None
