"""Checks in code on the model's words as they stream, before a learner sees them.

Every guard has one shape — `feed(chunk) -> text` (what is safe to show now), `finish() ->
text` (the held-back rest), `stopped` (generation must end) — so `GuardChain` composes them in
one loop in kit/tutor/answering.py:

- leak.py: hint mode never hands over an exercise's solution;
- loops.py: a model repeating itself is stopped and the repeat not shown;
- sentences.py: a sentence is shown only when the material supports it (else dropped, with
  its reason kept for the teacher);
- faithfulness.py: code the material does not have is marked "not in the material — check it"
  (whole tokens; the sentence filter drops such sentences first, the mark is the last net).
"""
from __future__ import annotations


class GuardChain:
    """Guards applied in order: what one releases is fed to the next. When one stops, the
    guards after it still release what they hold (finish), the ones before it are dropped."""

    def __init__(self, *guards):
        self.guards = [g for g in guards if g is not None]

    @property
    def stopped(self) -> bool:
        return any(g.stopped for g in self.guards)

    def feed(self, chunk: str) -> str:
        return self._through(0, chunk)

    def finish(self) -> str:
        text = ""
        for i, guard in enumerate(self.guards):
            text = guard.finish() if i == 0 else guard.feed(text) + guard.finish()
        return text

    def _through(self, start: int, text: str) -> str:
        for guard in self.guards[start:]:
            if not text:
                return ""
            text = guard.feed(text)
        return text
