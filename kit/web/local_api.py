"""The running kit's door for commands on this computer (`kit ask` while the kit serves).

`kit serve` puts a random token in the data folder (kit/cli/running_kit.py) and here, in
`Services.local_token` (kit/web/services.py). A request carrying it in the X-Lantern-Local-Token header is
a command run by someone who can read the data folder: not a browser, so no session and no
CSRF token (a page on another site cannot set that header without the kit's consent, and
cannot know the token). Its question is checked like the offline `kit ask`'s — the question
rules, not the class's — and waits its turn in the same fair queue as the learners'.
"""
from __future__ import annotations

import hmac
import os

from flask import request

from kit.tutor.admission import AskRefused, answer_in_turn, take_a_place
from kit.tutor.question_checks import QuestionError, parse_question
from kit.web.services import services

TOKEN_HEADER = "X-Lantern-Local-Token"


def local_caller() -> bool:
    """Does this request carry the serving kit's local token?"""
    expected, sent = services().local_token, request.headers.get(TOKEN_HEADER)
    return bool(expected and sent) and hmac.compare_digest(sent.encode(), expected.encode())


def local_answer(payload):
    """The answer's events for a command's question (the caller checked local_caller());
    AskRefused (400, 429) for a question the tutor cannot take."""
    class_settings = services().store.class_settings()
    try:
        question = parse_question(payload, class_settings["think_first_min"])
    except QuestionError as error:
        raise AskRefused(400, str(error))
    # Each command its own place in the queue, like one more learner who asks once.
    ticket = take_a_place(services().model_queue, f"kit-ask-{os.urandom(6).hex()}",
                          class_settings["questions_per_minute"])
    return answer_in_turn(services().tutor, question, None, ticket)
