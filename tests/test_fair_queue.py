"""The model queue: fair order, one question per learner, live positions, cancellation, rate
limit, expiry of stuck answers, and no lost questions under load. Real threads, no mocks;
time for the rate limit and expiry comes from a clock the test moves by hand."""
from __future__ import annotations

import threading
import time

import pytest

from kit.tutor.fair_queue import Cancelled, ModelQueue, QueueFull, RateLimited


class HandClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def blocked_in_wait(queue: ModelQueue, count: int = 1, deadline_s: float = 30.0) -> None:
    """Return once `count` threads are blocked inside the queue's Condition (Ticket.wait), so
    what the test does next happens while they wait, however slow the machine is."""
    give_up = time.monotonic() + deadline_s
    while len(queue._cond._waiters) < count:
        assert time.monotonic() < give_up, "the waiter never blocked in wait()"
        time.sleep(0.001)


def serve_in_thread(ticket, on_slot) -> threading.Thread:
    """The app's caller pattern in a thread: wait for the slot, 'generate', give it back."""
    def run():
        try:
            while not ticket.wait(timeout=0.05):
                pass
            on_slot(ticket.learner_id)
        finally:
            ticket.done()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_learners_get_the_model_in_the_order_they_joined():
    queue = ModelQueue(slots=1)
    blocker = queue.join("teacher-demo")
    learners = ["ana", "ben", "chloe", "dev", "eli"]
    tickets = [queue.join(name) for name in learners]
    served = []
    # Threads start in reverse so the order cannot come from thread start-up.
    threads = [serve_in_thread(t, served.append) for t in reversed(tickets)]
    blocker.done()
    for thread in threads:
        thread.join(timeout=5)
    assert served == learners


def test_two_slots_run_two_questions_at_once_but_not_three():
    queue = ModelQueue(slots=2)
    first, second, third = queue.join("ana"), queue.join("ben"), queue.join("chloe")
    assert first.wait(timeout=0.01) and second.wait(timeout=0.01)
    assert not third.wait(timeout=0.05)
    assert (queue.running(), queue.waiting(), third.position()) == (2, 1, 1)
    first.done()
    assert third.wait(timeout=1)
    assert queue.running() == 2


def test_a_learner_cannot_queue_a_second_question():
    queue = ModelQueue(slots=1)
    queue.join("someone-else")
    queue.join("ana")          # waiting
    with pytest.raises(QueueFull, match="already have a question waiting") as already:
        queue.join("ana")
    assert already.value.retry_after is None     # asking again later will not help: cancel it


def test_a_learner_with_a_running_question_cannot_queue_another():
    queue = ModelQueue(slots=1)
    assert queue.join("ana").position() == 0
    with pytest.raises(QueueFull):
        queue.join("ana")


@pytest.mark.parametrize("leave", ["done", "cancel"])
def test_a_learner_can_ask_again_after_their_question_left(leave):
    queue = ModelQueue(slots=1)
    ticket = queue.join("ana")
    getattr(ticket, leave)()
    assert queue.join("ana").position() == 0


def test_a_refused_second_question_does_not_use_up_the_rate_limit():
    queue = ModelQueue(slots=1, per_learner_per_minute=2, clock=HandClock())
    ticket = queue.join("ana")
    for _ in range(5):
        with pytest.raises(QueueFull):
            queue.join("ana")
    ticket.done()
    second = queue.join("ana")  # the 2nd question of the minute: allowed
    assert second.position() == 0
    second.done()
    with pytest.raises(RateLimited, match="You asked 2 questions"):
        queue.join("ana")


def test_positions_count_the_questions_ahead():
    queue = ModelQueue(slots=1)
    tickets = [queue.join(name) for name in ("ana", "ben", "chloe", "dev")]
    assert [t.position() for t in tickets] == [0, 1, 2, 3]


def test_a_waiter_wakes_with_its_new_position_when_someone_ahead_cancels():
    queue = ModelQueue(slots=1)
    queue.join("ana")
    ben, chloe = queue.join("ben"), queue.join("chloe")
    result = {}

    def wait_for_change():
        started = time.monotonic()
        result["got_slot"] = chloe.wait(timeout=5)
        result["seconds"] = time.monotonic() - started
        result["position"] = chloe.position()
    waiter = threading.Thread(target=wait_for_change, daemon=True)
    waiter.start()
    blocked_in_wait(queue)
    ben.cancel()
    waiter.join(timeout=5)
    assert result == {"got_slot": False, "seconds": pytest.approx(0.0, abs=1.0), "position": 1}


def test_cancelling_a_running_question_hands_the_slot_to_the_next():
    queue = ModelQueue(slots=1)
    ana, ben = queue.join("ana"), queue.join("ben")
    got = {}
    waiter = threading.Thread(target=lambda: got.update(slot=ben.wait(timeout=5)), daemon=True)
    waiter.start()
    blocked_in_wait(queue)
    ana.cancel()
    waiter.join(timeout=2)
    assert got == {"slot": True}
    assert (ana.state, ben.position(), queue.running()) == ("cancelled", 0, 1)


def test_cancel_and_done_are_idempotent():
    queue = ModelQueue(slots=1)
    ana, ben, chloe = queue.join("ana"), queue.join("ben"), queue.join("chloe")
    ana.done()
    ana.done()
    ana.cancel()               # must not free ben's slot
    assert (ben.position(), chloe.position()) == (0, 1)


def test_cancel_by_learner_wakes_their_waiting_request_with_cancelled():
    queue = ModelQueue(slots=1)
    queue.join("ana")
    ben = queue.join("ben")
    outcome = {}

    def wait_loop():
        try:
            while not ben.wait(timeout=5):
                pass
        except Cancelled as error:
            outcome["error"] = str(error)
    waiter = threading.Thread(target=wait_loop, daemon=True)
    waiter.start()
    blocked_in_wait(queue)
    assert queue.cancel("ben") is True
    waiter.join(timeout=1)
    assert not waiter.is_alive()
    assert "no longer in the queue" in outcome["error"]
    assert queue.cancel("ben") is False


def test_leaving_a_with_block_frees_the_slot_even_on_error():
    queue = ModelQueue(slots=1)
    with pytest.raises(RuntimeError):
        with queue.join("ana") as ticket:
            assert ticket.wait(timeout=0.01)
            raise RuntimeError("the browser tab closed")
    assert queue.running() == 0
    assert queue.join("ben").position() == 0


def test_fourth_question_in_a_minute_is_refused_with_the_wait_left():
    clock = HandClock()
    queue = ModelQueue(slots=1, per_learner_per_minute=3, clock=clock)
    for _ in range(3):
        queue.join("ana").done()
        clock.advance(10)
    clock.advance(10)          # 40 s after the first question
    with pytest.raises(RateLimited) as refused:
        queue.join("ana")
    assert refused.value.retry_after == 20
    assert str(refused.value) == "You asked 3 questions in the last minute; try again in 20 s."


def test_asking_works_again_once_the_minute_has_passed():
    clock = HandClock()
    queue = ModelQueue(slots=1, per_learner_per_minute=3, clock=clock)
    for _ in range(3):
        queue.join("ana").done()
    clock.advance(59.5)
    with pytest.raises(RateLimited):
        queue.join("ana")
    clock.advance(0.5)
    assert queue.join("ana").position() == 0


def test_the_rate_limit_is_per_learner():
    queue = ModelQueue(slots=1, per_learner_per_minute=1, clock=HandClock())
    queue.join("ana").done()
    with pytest.raises(RateLimited):
        queue.join("ana")
    ben = queue.join("ben")    # ana's limit is not ben's
    assert (ben.state, ben.position()) == ("running", 0)


def test_the_teacher_can_change_the_rate_live():
    queue = ModelQueue(slots=1, per_learner_per_minute=3, clock=HandClock())
    queue.join("ana").done()
    queue.set_rate(1)
    with pytest.raises(RateLimited, match="You asked 1 question in the last minute"):
        queue.join("ana")
    queue.set_rate(5)
    for _ in range(4):         # the refused question did not count: 1 + 4 = 5
        ticket = queue.join("ana")
        assert ticket.position() == 0
        ticket.done()
    with pytest.raises(RateLimited, match="You asked 5 questions in the last minute"):
        queue.join("ana")


@pytest.mark.parametrize("bad", [0, -1, 1.5, None])
def test_a_rate_below_one_question_is_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="per_learner_per_minute must be a whole number above 0"):
        ModelQueue().set_rate(bad)


def test_a_stuck_running_question_expires_and_the_next_gets_the_slot():
    clock = HandClock()
    queue = ModelQueue(slots=1, clock=clock, max_running_s=300)
    stuck, ben = queue.join("ana"), queue.join("ben")
    clock.advance(299)
    assert not ben.wait(timeout=0.01)
    clock.advance(1)
    assert ben.wait(timeout=0.01)
    assert stuck.state == "expired"


def test_a_waiter_sees_the_expiry_by_the_end_of_its_own_wait():
    """Nobody else touches the queue: the waiter's own timeout is what notices the expiry.
    The clock is moved while the waiter is blocked in wait() and holding the queue's lock, so
    the waiter cannot have looked at the clock since it blocked, however busy the machine."""
    clock = HandClock()
    queue = ModelQueue(slots=1, clock=clock, max_running_s=300)
    queue.join("ana")
    ben = queue.join("ben")
    got = {}
    waiter = threading.Thread(target=lambda: got.update(slot=ben.wait(timeout=2.0)), daemon=True)
    waiter.start()
    blocked_in_wait(queue)
    with queue._cond:
        # still inside wait(): a waiter leaves the Condition's waiters only with the lock held
        assert len(queue._cond._waiters) == 1 and got == {}
        clock.advance(301)     # the stuck answer expires while ben is blocked in wait()
    waiter.join(timeout=30)
    assert got == {"slot": True}


def test_a_late_done_from_an_expired_ticket_frees_nothing():
    clock = HandClock()
    queue = ModelQueue(slots=1, clock=clock, max_running_s=300)
    stuck, ben, chloe = queue.join("ana"), queue.join("ben"), queue.join("chloe")
    clock.advance(301)
    assert ben.position() == 0
    stuck.done()
    assert (ben.position(), chloe.position(), queue.running()) == (0, 1, 1)


def test_snapshot_lists_running_then_waiting_with_wait_times():
    clock = HandClock()
    queue = ModelQueue(slots=1, clock=clock)
    ana = queue.join("ana")
    clock.advance(5)
    queue.join("ben")
    clock.advance(2)
    queue.join("chloe")
    clock.advance(1)
    assert queue.snapshot() == [
        {"learner": "ana", "position": 0, "state": "running", "waited_s": 0.0},
        {"learner": "ben", "position": 1, "state": "waiting", "waited_s": 3.0},
        {"learner": "chloe", "position": 2, "state": "waiting", "waited_s": 1.0},
    ]
    ana.done()
    clock.advance(4)
    assert queue.snapshot()[0] == {"learner": "ben", "position": 0, "state": "running",
                                   "waited_s": 3.0}


@pytest.mark.parametrize("slots", [1, 2])
def test_under_load_no_more_than_the_slots_run_and_no_question_is_lost(slots):
    queue = ModelQueue(slots=slots, per_learner_per_minute=10)
    lock = threading.Lock()
    state = {"running": 0, "peak": 0}
    answered, errors = [], []

    def learner(name):
        for question in range(5):
            try:
                ticket = queue.join(name)
                try:
                    while not ticket.wait(timeout=0.5):
                        pass
                    with lock:
                        state["running"] += 1
                        state["peak"] = max(state["peak"], state["running"])
                    time.sleep(0.001)          # "generating"
                    with lock:
                        state["running"] -= 1
                        answered.append((name, question))
                finally:
                    ticket.done()
            except Exception as error:         # recorded, so the test fails with the reason
                errors.append(repr(error))

    threads = [threading.Thread(target=learner, args=(f"learner-{n}",), daemon=True)
               for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert 1 <= state["peak"] <= slots
    assert sorted(answered) == sorted((f"learner-{n}", q) for n in range(20) for q in range(5))
    assert (queue.waiting(), queue.running()) == (0, 0)


def test_a_full_queue_refuses_new_questions_until_one_leaves():
    queue = ModelQueue(slots=1, max_waiting=2)
    running = queue.join("ada")
    waiting = [queue.join("bo"), queue.join("cy")]
    with pytest.raises(QueueFull, match="2 questions waiting") as full:
        queue.join("di")
    assert full.value.retry_after == 60
    waiting[0].cancel()
    di = queue.join("di")
    assert [t.position() for t in (running, waiting[1], di)] == [0, 1, 2]
    with pytest.raises(QueueFull, match="2 questions waiting"):
        queue.join("eve")
    running.done()
    assert (waiting[1].position(), di.position(), queue.waiting()) == (0, 1, 1)
