"""The real Tutor, remembering the retrieval it made: the evals read the shown passages' whole
text (which the learner's events do not carry) to judge what the tutor said against them.
Shared by answers.py and published/asking.py."""
from __future__ import annotations

from kit.tutor.answering import Question, Tutor, retrieve_for


class RecordingTutor(Tutor):
    """`last` is the retrieval of the latest answer (None before the first)."""
    last = None

    def retrieve(self, conn, question: Question):
        self.last = retrieve_for(conn, question)
        return self.last
