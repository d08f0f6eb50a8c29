"""Who may ask the tutor, and when: the class's settings, the learner, and the fair queue in
front of the one model. The routes in kit/app.py call these; the answering is kit/tutor/answering.py."""
from __future__ import annotations

from kit.errors import KitError
from kit.translations import lazy_text
from kit.tutor.fair_queue import Cancelled, ModelQueue, QueueFull, RateLimited
from kit.tutor.question_checks import THINK_FIRST_MODES, Question, QuestionError, parse_question


class AskRefused(KitError):
    """The question cannot be taken now; `status` is the HTTP status, str() tells the learner
    (in their language when the message is a LazyText)."""

    def __init__(self, status: int, message, retry_after: int | None = None, **details):
        super().__init__(message)
        self.status, self.retry_after = status, retry_after
        self.details = details      # more for the JSON reply, e.g. the timer's seconds_left


def question_for_class(payload, class_settings: dict, learner: dict | None) -> Question:
    """The learner's question checked against what the teacher allows right now."""
    if learner is None:
        raise AskRefused(401, lazy_text("Join the class first: pick a nickname, then ask."))
    if not class_settings.get("tutor_enabled", True):
        raise AskRefused(403, lazy_text("The teacher has turned the tutor off for now. "
                                        "Search the library, or ask the teacher."))
    think_first_modes = THINK_FIRST_MODES if class_settings.get("think_first", True) else ()
    try:
        return parse_question(payload, class_settings["think_first_min"],
                              think_first_modes, tuple(class_settings.get("modes") or ("explain",)))
    except QuestionError as error:
        raise AskRefused(400, str(error))


def take_a_place(queue: ModelQueue, learner_id: str, questions_per_minute: int):
    """A ticket in the queue for the model, or AskRefused (429) with a message to show."""
    queue.set_rate(questions_per_minute)
    try:
        return queue.join(learner_id)
    except RateLimited as error:
        raise AskRefused(429, error.args[0], retry_after=error.retry_after)
    except QueueFull as error:
        raise AskRefused(429, error.args[0], retry_after=error.retry_after)


def queue_events(ticket, poll_s: float = 1.0):
    """`queue` events while the ticket waits ("2 questions ahead of you"), sent at least every
    `poll_s` — which is also how a closed tab is noticed while waiting."""
    def wait_turn():
        try:
            while not ticket.wait(timeout=poll_s):
                ahead = ticket.position() - 1
                yield "queue", {"position": ticket.position(), "ahead": ahead}
        except Cancelled:
            raise AskCancelled()
    return wait_turn


class AskCancelled(Exception):
    """The learner cancelled while waiting."""


def answer_in_turn(tutor, question: Question, learner_id: str, ticket):
    """The tutor's events for a queued question; the ticket is given back however it ends
    (answered, cancelled, tab closed, error), so the next learner is never blocked."""
    events = tutor.answer(question, learner_id, wait_turn=queue_events(ticket))
    try:
        yield from events
    except AskCancelled:
        yield "error", {"message": lazy_text("You cancelled this question."), "cancelled": True}
    finally:
        events.close()
        ticket.done()
