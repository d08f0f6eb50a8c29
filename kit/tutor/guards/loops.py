"""The loop guard: a small model that starts repeating itself is stopped, and the repeat is not
shown.

SmolLM2-135M, asked in a low temperature, sometimes writes the same paragraph, code line or
sentence again and again until the token cap. A repeat says nothing new, so the guard cuts the
answer where the repeat begins: a line or sentence (of MIN_REPEAT characters or more) said a
second time, or a run of RUN_WORDS words said a second time — also when the first time was the
kit's quote, which the learner has just read. What could be the first words of a repeat is held
back until it is clear, so a repeat never reaches the learner. Shorter repeats ("The answer is:"
said again) are the sentence filter's (guards/sentences.py): it judges whole sentences.
"""
from __future__ import annotations

import re

MIN_REPEAT = 20           # characters: shorter lines ("return x", "```") repeat legitimately
RUN_WORDS = 10            # words in a row said twice = a loop, whatever the punctuation
_PIECE_END = re.compile(r"\n+|(?<=[.!?])\s+")
_WORD = re.compile(r"\S+")


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def repeat_start(text: str, complete: bool = False, before: str = "") -> int | None:
    """Where in `text` a repeat begins (the start of the second occurrence), or None. The last
    line or sentence counts only when `complete` (it may still be growing). `before` is what
    the learner was already shown (the quotes): saying it again is a repeat too, while a line
    said twice within `before` itself is not the model's doing."""
    offset = len(before) + 1 if before else 0
    text = before + "\n" + text if before else text
    cuts = []
    seen: set[str] = set()
    start = 0
    pieces = []
    for end in _PIECE_END.finditer(text):
        pieces.append((start, text[start:end.start()]))
        start = end.end()
    if complete and start < len(text):
        pieces.append((start, text[start:]))
    for position, piece in pieces:
        normal = _normal(piece)
        if len(normal) < MIN_REPEAT:
            continue
        if normal in seen and position >= offset:
            cuts.append(position)
            break
        seen.add(normal)
    words = list(_WORD.finditer(text))
    runs: dict[str, int] = {}
    for i in range(len(words) - RUN_WORDS + 1):
        run = " ".join(w.group().lower() for w in words[i:i + RUN_WORDS])
        if run in runs and runs[run] + RUN_WORDS <= i and words[i].start() >= offset:
            cuts.append(words[i].start())     # not an overlap of the same words
            break
        runs.setdefault(run, i)
    return min(cuts) - offset if cuts else None


class LoopGuard:
    """Feed it streamed chunks; it returns what is safe to show. Once the model repeats itself,
    `stopped` is True and nothing from the repeat onwards is released.

    Only what could be the start of a repeat is held back: the longest tail of the text (up to
    RUN_WORDS words) that was already said earlier. New words flow on at once."""

    def __init__(self, already_said: list[str] = ()):
        self.before = "\n".join(already_said)
        self.text = ""
        self.sent = 0
        self.looped = False
        self.repeated = ""        # what was cut (for the teacher's list of dropped sentences)

    @property
    def stopped(self) -> bool:
        return self.looped

    def feed(self, chunk: str) -> str:
        if self.looped:
            return ""
        self.text += chunk
        return self._release(self._held_from(), complete=False)

    def finish(self) -> str:
        return "" if self.looped else self._release(len(self.text), complete=True)

    def _held_from(self) -> int:
        """Where the tail that repeats earlier words (a repeat in the making) begins."""
        words = list(_WORD.finditer(self.text))
        for word in words[max(0, len(words) - RUN_WORDS - 1):]:
            tail = _normal(self.text[word.start():])
            if tail and tail in _normal(self.before + "\n" + self.text[:word.start()]):
                return word.start()
        return len(self.text) if self.text[-1:].isspace() else (words[-1].start() if words else 0)

    def _release(self, upto: int, complete: bool) -> str:
        cut = repeat_start(self.text, complete, self.before)
        if cut is not None:
            self.looped = True
            upto = len(self.text[:cut].rstrip())
            self.repeated = self.text[cut:].strip()
        out = self.text[self.sent:max(self.sent, upto)]
        self.sent = max(self.sent, upto)
        return out
