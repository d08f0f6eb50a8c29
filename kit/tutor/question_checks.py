"""A learner's question as it arrives: the checks that refuse it with a message saying what to
change (in the learner's language: the messages are LazyText, said when shown), and the
Question the tutor answers (kit/tutor/answering.py). Apart from the answering so that the web's
admission rules, the class's settings and `kit ask` read one owner of the modes and limits."""
from __future__ import annotations

from dataclasses import dataclass, field

from kit.settings import Settings
from kit.translations import lazy_plural, lazy_text

MODES = ("explain", "hint", "debug")
THINK_FIRST_MODES = ("hint", "debug")     # the modes that ask what the learner tried first
MAX_QUESTION_CHARS = 4000


class QuestionError(ValueError):
    """The request cannot be answered as sent; the message (a LazyText) tells the learner what to
    change, in their language when shown (str() in a request; English in `kit ask`)."""


# The modes as a learner reads them in the class's refusals (the ask box labels them itself).
MODE_NAMES = {"explain": lazy_text("Explain"), "hint": lazy_text("Hint"), "debug": lazy_text("Debug")}


@dataclass
class Question:
    text: str
    mode: str = "explain"
    tried: str = ""
    context: dict = field(default_factory=dict)   # {"pack": …, "doc": …}: the page they are on
    language: str = ""        # the learner's language (their UI's): the tutor's own lines in it
    library_language: str = ""   # the sources' language ("" = any pack): the learner's, when packs have it



def parse_question(payload: dict, think_first_min: int = Settings.think_first_min,
                   think_first_modes: tuple[str, ...] = THINK_FIRST_MODES,
                   allowed_modes: tuple[str, ...] = MODES) -> Question:
    """A Question from request data, or QuestionError naming the field and what to do."""
    if not isinstance(payload, dict):
        raise QuestionError(lazy_text("Send a JSON object with a 'question' field."))
    text = str(payload.get("question") or "").strip()
    if not text:
        raise QuestionError(lazy_text("Write a question first."))
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(lazy_plural("The question is too long (%(num)s character); keep it under %(limit)s.",
                                        "The question is too long (%(num)s characters); keep it under %(limit)s.",
                                        len(text), limit=MAX_QUESTION_CHARS))
    mode = str(payload.get("mode") or "explain").lower()
    if mode not in MODES:
        raise QuestionError(lazy_text("'mode' must be one of %(modes)s.", modes=", ".join(MODES)))
    if mode not in allowed_modes:
        raise QuestionError(lazy_text("Your teacher has set the tutor to %(allowed)s for now; %(mode)s is not "
                                      "available.", allowed=tuple(MODE_NAMES[m] for m in allowed_modes),
                                      mode=MODE_NAMES[mode]))
    tried = str(payload.get("tried") or "").strip()[:MAX_QUESTION_CHARS]
    if mode in think_first_modes and len(tried) < think_first_min:
        raise QuestionError(lazy_plural(
            "Think first: before asking in %(mode)s mode, write what you tried or what you expect "
            "(at least %(num)s character).",
            "Think first: before asking in %(mode)s mode, write what you tried or what you expect "
            "(at least %(num)s characters).", think_first_min, mode=MODE_NAMES[mode]))
    context = payload.get("context") or {}
    if not isinstance(context, dict):
        raise QuestionError(lazy_text("'context' must be an object like {\"pack\": …, \"doc\": …}."))
    context = {k: str(context[k]) for k in ("pack", "doc") if context.get(k)}
    return Question(text, mode, tried, context)
