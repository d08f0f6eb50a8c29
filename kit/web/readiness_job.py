"""The readiness self-test from the teacher view: run in a background thread (the teacher's page
shows its progress, pushed by the live stream), paused whenever learners are waiting for the
model — the self-test uses no model, but a laptop's CPU is better spent on their answers — and its
report kept beside the index (kit/tutor/readiness.py)."""
from __future__ import annotations

import threading
from pathlib import Path

from kit.library.index_db import connect
from kit.translations import lazy_text
from kit.tutor.readiness import ReadinessError, run_check, save_report

PAUSE_POLL_S = 0.5


class ReadinessJob:
    """One self-test at a time. `state()` is what the teacher's page shows."""

    def __init__(self, index_path: Path, data_dir: Path, model_queue, activity):
        self.index_path, self.data_dir = index_path, data_dir
        self.model_queue, self.activity = model_queue, activity
        self._lock = threading.Lock()
        self._state = {"running": False, "done": 0, "total": 0, "paused": False, "problem": None}
        self._stop = threading.Event()

    def state(self) -> dict:
        with self._lock:
            return dict(self._state)

    def _update(self, **changes) -> None:
        with self._lock:
            self._state.update(changes)
        self.activity.nudge()       # the teacher's live page shows the progress

    def start(self, pack: str | None = None) -> bool:
        """Start a run in the background; False when one is running already."""
        with self._lock:
            if self._state["running"]:
                return False
            self._state = {"running": True, "done": 0, "total": 0, "paused": False, "problem": None}
        threading.Thread(target=self._run, args=(pack,), name="readiness-self-test", daemon=True).start()
        return True

    def stop(self) -> None:
        """The kit is stopping: a run ends at its next question."""
        self._stop.set()

    def _learners_first(self) -> None:
        """Wait while learners' questions run or wait for the model (the stop ends the wait)."""
        while self.model_queue.running() or self.model_queue.waiting():
            if not self.state()["paused"]:
                self._update(paused=True)
            if self._stop.wait(PAUSE_POLL_S):
                break
        if self._stop.is_set():
            raise ReadinessError(lazy_text("The kit is stopping; the self-test was not finished."))
        if self.state()["paused"]:
            self._update(paused=False)

    def _run(self, pack: str | None) -> None:
        conn = connect(self.index_path, readonly=True)
        try:
            report = run_check(conn, pack, progress=lambda done, total: self._update(done=done, total=total),
                               between=self._learners_first)
            save_report(self.data_dir, report)
            self._update(running=False)
        except ReadinessError as error:
            self._update(running=False, problem=error.args[0])
        except Exception as error:      # a thread's failure must reach the teacher, not vanish
            self._update(running=False, problem=f"{type(error).__name__}: {error}")
            raise
        finally:
            conn.close()
