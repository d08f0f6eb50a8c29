"""What each learner is doing now: the step (chapter) they opened last, when they last moved on,
when they opened or last asked on each step, and the questions asked. The think-first timer and
the teacher's glance read it; the teacher's live page waits on it for changes.

Kept in memory, not in the store: it changes on every page a learner opens, and it is about the
last minutes, not the class's record (the store keeps questions, ticks and notes). After a restart
a learner's timer starts again from the next page they open.

`now` is the clock (seconds): tests set it to move time without sleeping.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

Step = tuple[str, str]      # (pack, doc slug)
RECENT_ASKS = 500           # questions kept for the glance (the store keeps them all)


@dataclass
class LearnerActivity:
    step: Step | None = None           # the step they opened last
    moved_at: float | None = None      # last progress: a step opened for the first time, or a tick
    opened: dict[Step, float] = field(default_factory=dict)     # first opened, per step
    asked: dict[Step, float] = field(default_factory=dict)      # last asked, per step


class ClassActivity:
    """Thread-safe; every change bumps `version` and wakes whoever waits for one."""

    def __init__(self, now=time.time):
        self.now = now
        self._changed = threading.Condition()
        self.version = 0
        self._learners: dict[str, LearnerActivity] = {}
        self._asks: deque[dict] = deque(maxlen=RECENT_ASKS)
        self.closed = False

    def _learner(self, learner_id: str) -> LearnerActivity:
        return self._learners.setdefault(learner_id, LearnerActivity())

    def _bump(self) -> None:
        self.version += 1
        self._changed.notify_all()

    def opened(self, learner_id: str, step: Step) -> None:
        """The learner has the step's page open (its ask box was shown to them)."""
        with self._changed:
            learner, now = self._learner(learner_id), self.now()
            first_time = step not in learner.opened
            if first_time:
                learner.opened[step] = now
                learner.moved_at = now
            if learner.step != step or first_time:
                learner.step = step
                self._bump()

    def progressed(self, learner_id: str, step: Step) -> None:
        """A tick (chapter done, exercise tried): the learner moved on."""
        with self._changed:
            learner = self._learner(learner_id)
            learner.moved_at = self.now()
            learner.step = learner.step or step
            self._bump()

    def asked(self, learner_id: str, step: Step | None, question: str, mode: str) -> None:
        """A question taken by the tutor: the step's timer starts again from now."""
        with self._changed:
            learner, now = self._learner(learner_id), self.now()
            step = step or learner.step
            if step is not None:
                learner.asked[step] = now
            self._asks.appendleft({"learner": learner_id, "step": step, "question": question,
                                   "mode": mode, "at": now})
            self._bump()

    def nudge(self) -> None:
        """Something the glance shows changed elsewhere (an answer recorded, feedback given)."""
        with self._changed:
            self._bump()

    def seconds_left(self, learner_id: str, step: Step | None, minutes: int) -> int:
        """Seconds until the tutor opens for this learner on this step (0: open now). The clock
        runs from when they opened the step or last asked there; a step never opened (a
        question sent from elsewhere) starts it now. No step at all: their current one."""
        if minutes <= 0:
            return 0
        with self._changed:
            learner, now = self._learner(learner_id), self.now()
            step = step or learner.step
            if step is None:
                return 0
            if step not in learner.opened:
                learner.opened[step] = now
            since = max(learner.opened[step], learner.asked.get(step, 0))
            return max(0, math.ceil(minutes * 60 - (now - since)))

    def wait_for_change(self, version: int, timeout: float) -> int:
        """The version once it differs from `version` (or the kit is stopping), or the same one
        after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != version or self.closed, timeout=timeout)
            return self.version

    def rest(self, seconds: float) -> None:
        """Wait `seconds`, or less if the kit stops meanwhile."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed, timeout=seconds)

    def close(self) -> None:
        """The kit is stopping: whoever waits for a change stops waiting (a live page's stream
        ends now, so the server's stop does not wait for it)."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def learners(self) -> dict[str, LearnerActivity]:
        """A copy of every learner's activity, for the glance."""
        with self._changed:
            return {lid: LearnerActivity(a.step, a.moved_at, dict(a.opened), dict(a.asked))
                    for lid, a in self._learners.items()}

    def recent_asks(self, limit: int = RECENT_ASKS) -> list[dict]:
        """The questions asked since the kit started, newest first."""
        with self._changed:
            return [dict(ask) for ask in list(self._asks)[:limit]]


def recorded_and_told(record_exchange, activity: ClassActivity):
    """The tutor's exchange recorder that also tells the teacher's live page an answer is in."""
    def record(exchange: dict, learner_id: str | None) -> str:
        try:
            return record_exchange(exchange, learner_id)
        finally:
            activity.nudge()
    return record
