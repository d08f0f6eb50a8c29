"""A fair queue for the one local model: who generates next, and who waits.

Why: one model answers one question at a time; without a queue the quickest clicker wins and
five tabs starve the rest. So: first come, first served, one question queued per learner, a
limit per minute. waitress runs requests in threads, so one Condition guards it all; each change
wakes the waiters to re-check their place. The caller (`finally`: a closed tab frees the slot):

    ticket = queue.join(learner)          # QueueFull / RateLimited -> HTTP 429 with str(error)
    try:
        while not ticket.wait(timeout=1.0):
            yield "queue", {"position": ticket.position(), "ahead": ticket.position() - 1}
        ...generate the answer...
    finally:
        ticket.done()
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from contextlib import contextmanager

from kit.translations import lazy_plural, lazy_text

WINDOW_S = 60.0   # the rate limit counts the questions asked in the last minute
FULL_RETRY_S = 60  # a full queue tells clients to come back in a minute (Retry-After)


class QueueFull(Exception):
    """No place in the queue: the learner already has one (one each, so nobody crowds the line),
    or every place is taken. `retry_after` is whole seconds when waiting helps, else None."""

    def __init__(self, message: str, retry_after: int | None = None):
        self.retry_after = retry_after
        super().__init__(message)


class RateLimited(Exception):
    """The learner asked too often. `retry_after` is whole seconds (for a Retry-After header)."""

    def __init__(self, asked: int, retry_after: int):
        self.retry_after = retry_after
        super().__init__(lazy_plural("You asked %(num)s question in the last minute; try again in %(seconds)s s.",
                                     "You asked %(num)s questions in the last minute; try again in %(seconds)s s.",
                                     asked, seconds=retry_after))


class Cancelled(Exception):
    """wait()/position() on a ticket that left the queue: a caller's wait loop ends, not spins."""


class Ticket:
    """A question's place; `state`: waiting, running, done, cancelled or expired. As a context
    manager it gives its place or slot back on exit, whatever happens."""

    def __init__(self, queue: ModelQueue, learner_id: str, now: float):
        self.learner_id = learner_id
        self.state = "waiting"
        self._queue = queue
        self._joined_at = now
        self._served_at: float | None = None   # got a slot (expiry counts from here) or left

    @property
    def waited_s(self) -> float:
        """Seconds from join to getting a slot (so far, while still waiting)."""
        end = self._served_at      # set once, from None: safe to read without the lock
        return (self._queue._clock() if end is None else end) - self._joined_at

    def position(self) -> int:
        """0 = has a slot; 1 = next; n = n-1 questions ahead. Raises Cancelled once it left."""
        with self._queue._fresh():
            return self._queue._position(self)

    def wait(self, timeout: float) -> bool:
        """Block until this ticket holds a slot, its place changes (so the page can show it at
        once) or `timeout` seconds pass; True when it holds a slot. Raises Cancelled once left."""
        queue = self._queue
        with queue._fresh():
            start = queue._position(self)
            if start == 0:
                return True
            queue._cond.wait_for(lambda: self.state != "waiting"
                                 or queue._waiting.index(self) + 1 != start, timeout)
            queue._refresh()    # a running ticket may have expired while we slept
            return queue._position(self) == 0

    def cancel(self) -> None:
        """Leave the queue, or give the slot back if running. Safe to call more than once."""
        self._queue._leave(self, "cancelled")

    def done(self) -> None:
        """Give the slot or place to the next ticket; after expiry nothing: it is not ours."""
        self._queue._leave(self, "done")

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.done() if exc_type is None else self.cancel()


class ModelQueue:
    """`slots` generations at a time, FIFO, one ticket per learner, `per_learner_per_minute`
    (counted at join: cancelling is no way around it). A running ticket older than
    `max_running_s` expires: a request thread that died without `done()` cannot block the
    class forever. `clock` (rate limit, expiry, waited_s) is injectable for tests."""

    def __init__(self, slots: int = 1, per_learner_per_minute: int = 3, clock=time.monotonic,
                 max_running_s: float = 300.0, max_waiting: int = 1000):
        self.slots = _above_zero("slots", slots)
        # Each waiting question holds a web-server thread: the cap keeps threads for pages.
        self.max_waiting = _above_zero("max_waiting", max_waiting)
        self._rate = _above_zero("per_learner_per_minute", per_learner_per_minute)
        self.max_running_s = _above_zero("max_running_s", max_running_s, whole=False)
        self._clock = clock
        self._cond = threading.Condition()          # re-entrant: helpers may nest
        self._waiting: list[Ticket] = []
        self._running: list[Ticket] = []
        self._asked: dict[str, deque[float]] = {}   # learner -> join times in the last minute

    def join(self, learner_id: str) -> Ticket:
        """A ticket at the back of the queue (running at once if a slot is free)."""
        with self._fresh():
            if self._ticket_of(learner_id) is not None:
                raise QueueFull(lazy_text("You already have a question waiting; wait for it or cancel it."))
            if len(self._waiting) >= self.max_waiting:
                raise QueueFull(lazy_plural("The tutor already has %(num)s question waiting; read the search "
                                            "results below and ask again in a minute.",
                                            "The tutor already has %(num)s questions waiting; read the search "
                                            "results below and ask again in a minute.", len(self._waiting)),
                                retry_after=FULL_RETRY_S)
            now = self._clock()
            asked = self._asked.setdefault(learner_id, deque())
            while asked and asked[0] <= now - WINDOW_S:
                asked.popleft()
            if len(asked) >= self._rate:
                # Free again once enough of the recent questions are a minute old.
                retry = asked[len(asked) - self._rate] + WINDOW_S - now
                raise RateLimited(len(asked), max(1, math.ceil(retry)))
            asked.append(now)
            ticket = Ticket(self, learner_id, now)
            self._waiting.append(ticket)
            self._refresh()
            return ticket

    def cancel(self, learner_id: str) -> bool:
        """Cancel a learner's waiting ticket from another request (the page's Cancel button);
        the request thread waiting on it wakes with Cancelled. False when none is waiting: an
        answer already being written keeps its slot until it ends, or the learner could free
        their one place while the model still works for them, and ask again."""
        with self._fresh():
            ticket = self._ticket_of(learner_id)
            if ticket is None or ticket.state != "waiting":
                return False
            ticket.cancel()
            return True

    def set_rate(self, per_learner_per_minute: int) -> None:
        """The teacher changes the limit live; it applies from the next join."""
        self._rate = _above_zero("per_learner_per_minute", per_learner_per_minute)  # atomic

    def set_slots(self, slots: int) -> None:
        """Answers at once, changed live: model hosts come and go (kit/tutor/model_hosts.py).
        Fewer slots stop no running answer; more start waiting ones at once."""
        with self._fresh():
            self.slots = _above_zero("slots", slots)
            self._refresh()

    def waiting(self) -> int:
        return sum(entry["state"] == "waiting" for entry in self.snapshot())

    def running(self) -> int:
        return sum(entry["state"] == "running" for entry in self.snapshot())

    def snapshot(self) -> list[dict]:
        """For the teacher view: running tickets first (position 0), then the waiting line."""
        with self._fresh():
            return [{"learner": t.learner_id, "position": self._position(t), "state": t.state,
                     "waited_s": round(t.waited_s, 1)} for t in self._running + self._waiting]

    @contextmanager
    def _fresh(self):
        with self._cond:
            self._refresh()     # up to date: expiry happens on any look at the queue
            yield

    def _ticket_of(self, learner_id: str) -> Ticket | None:
        return next((t for t in self._running + self._waiting if t.learner_id == learner_id), None)

    def _position(self, ticket: Ticket) -> int:
        if ticket.state in ("running", "waiting"):
            return 0 if ticket.state == "running" else self._waiting.index(ticket) + 1
        raise Cancelled(f"Your question is no longer in the queue ({ticket.state}).")

    def _leave(self, ticket: Ticket, state: str) -> None:
        with self._cond:
            if ticket.state not in ("waiting", "running"):
                return      # already left: idempotent
            (self._waiting if ticket.state == "waiting" else self._running).remove(ticket)
            if ticket._served_at is None:
                ticket._served_at = self._clock()   # left while waiting: stop its waited_s
            ticket.state = state
            self._refresh()
            self._cond.notify_all()

    def _refresh(self) -> None:
        """Expire running tickets held too long, then hand free slots to the front of the line."""
        now, changed = self._clock(), False
        for ticket in [t for t in self._running if now - t._served_at >= self.max_running_s]:
            self._running.remove(ticket)
            ticket.state, changed = "expired", True
        while self._waiting and len(self._running) < self.slots:
            ticket = self._waiting.pop(0)
            ticket.state, ticket._served_at, changed = "running", now, True
            self._running.append(ticket)
        if changed:
            self._cond.notify_all()


def _above_zero(name: str, value, whole: bool = True):
    """Settings come from the teacher's page and flags: refuse nonsense with a clear reason."""
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
            or not value > 0:
        raise ValueError(f"{name} must be a {'whole ' * whole}number above 0 (got {value!r}).")
    return value
