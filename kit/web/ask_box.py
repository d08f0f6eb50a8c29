"""The ask box: what it offers right now (a template context processor: the modes and the
think-first rule the teacher set, whether the tutor can answer on this computer) and the answer a
question it sends gets (the class's rules, the learner's language, a place in the model's queue)."""
from __future__ import annotations

from flask import current_app

from kit.tutor.admission import answer_in_turn, question_for_class, take_a_place
from kit.tutor.answering import MODES
from kit.web.identity import current_learner, store
from kit.web.locale import library_language, locale_code


def ask_context():
    class_settings = store().class_settings()
    return {"modes": [m for m in MODES if m in class_settings["modes"]],
            "think_first_min": class_settings["think_first_min"] if class_settings["think_first"] else 0,
            "tutor_enabled": class_settings["tutor_enabled"],
            "tutor_problem": current_app.extensions["tutor"].problem()}


def queued_answer(payload):
    """The answer's events for a question the class allows, with a place in the model's queue
    taken; or AskRefused saying why not (tutor/admission.py)."""
    learner, class_settings = current_learner(), store().class_settings()
    question = question_for_class(payload, class_settings, learner)
    question.language, question.library_language = locale_code(), library_language() or ""
    ticket = take_a_place(current_app.extensions["model_queue"], learner["id"],
                          class_settings["questions_per_minute"])
    return answer_in_turn(current_app.extensions["tutor"], question, learner["id"], ticket)
