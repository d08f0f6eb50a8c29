"""The ask box: what it offers right now (a template context processor: the modes and the
think-first rules the teacher set, whether the tutor can answer on this computer, the time left on
this step) and the answer a question it sends gets (the class's rules, the think-first timer, the
learner's language, a place in the model's queue)."""
from __future__ import annotations

from flask import g

from kit.translations import lazy_text
from kit.tutor.admission import AskRefused, answer_in_turn, question_for_class, take_a_place
from kit.tutor.question_checks import MODES
from kit.web.identity import activity, current_learner, store
from kit.web.locale import library_language, locale_code
from kit.web.services import services


def ask_context():
    class_settings = store().class_settings()
    return {"modes": [m for m in MODES if m in class_settings["modes"]],
            "think_first_min": class_settings["think_first_min"] if class_settings["think_first"] else 0,
            "think_first_minutes": class_settings["think_first_minutes"],
            "step_seconds_left": step_seconds_left, "minutes_and_seconds": minutes_and_seconds,
            "tutor_enabled": class_settings["tutor_enabled"],
            "tutor_problem": services().tutor.problem()}


def step_seconds_left(pack: str | None, doc: str | None) -> int:
    """For the ask box on a step: the learner has the step open (its clock starts now, the
    first time), and this many seconds are left before the tutor opens there."""
    learner = current_learner()
    if learner is None:
        return 0
    step = (pack, doc) if pack and doc else None
    if step is not None:
        activity().opened(learner["id"], step)
    left = activity().seconds_left(learner["id"], step, store().class_settings()["think_first_minutes"])
    g.think_seconds_left = max(left, g.get("think_seconds_left", 0))   # a counting page is not kept (learner_pages)
    return left


def minutes_and_seconds(seconds: int) -> str:
    """'4:05' — the countdown as the page shows it."""
    return f"{seconds // 60}:{seconds % 60:02d}"


def queued_answer(payload):
    """The answer's events for a question the class allows, with a place in the model's queue
    taken; or AskRefused saying why not (tutor/admission.py; 403 with `seconds_left` while the
    think-first timer runs)."""
    learner, class_settings = current_learner(), store().class_settings()
    question = question_for_class(payload, class_settings, learner)
    context = question.context
    step = (context["pack"], context["doc"]) if context.get("pack") and context.get("doc") else None
    left = activity().seconds_left(learner["id"], step, class_settings["think_first_minutes"])
    if left:
        raise AskRefused(403, lazy_text("Think first: the tutor opens on this step in %(time)s. "
                                        "Read the step again and write down what you have tried.",
                                        time=minutes_and_seconds(left)), seconds_left=left)
    question.language, question.library_language = locale_code(), library_language() or ""
    ticket = take_a_place(services().model_queue, learner["id"],
                          class_settings["questions_per_minute"])
    activity().asked(learner["id"], step, question.text, question.mode)
    return answer_in_turn(services().tutor, question, learner["id"], ticket)


def whole_answer(events) -> dict:
    """An answer's events gathered into one dict (the no-JavaScript page): text, the quotes,
    the tutor's words as pieces (text, unsupported), sources, and the `done`, `error`,
    `queue` or `moved` data last seen. `moved` (a model host lost mid-answer) starts the
    tutor's words again."""
    answer = {"text": "", "quotes": [], "pieces": [], "sources": [], "done": None, "error": None}
    for name, data in events:
        if name == "token":
            answer["text"] += data["text"]
            answer["pieces"].append((data["text"], bool(data.get("unsupported"))))
        elif name == "quote":
            answer["quotes"].append(data)
        elif name == "sources":
            answer["sources"] = data
        else:
            if name == "moved":
                answer["text"], answer["pieces"] = "", []
            answer[name] = data
    return answer
