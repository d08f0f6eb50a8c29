"""What every page's ask box offers right now (a template context processor): the modes and
the think-first rule the teacher set, and whether the tutor can answer on this computer."""
from __future__ import annotations

from flask import current_app

from kit.tutor.answering import MODES
from kit.web.identity import store


def ask_context():
    class_settings = store().class_settings()
    return {"modes": [m for m in MODES if m in class_settings["modes"]],
            "think_first_min": class_settings["think_first_min"] if class_settings["think_first"] else 0,
            "tutor_enabled": class_settings["tutor_enabled"],
            "tutor_problem": current_app.extensions["tutor"].problem()}
