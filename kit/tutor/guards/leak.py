"""Hint mode's promise, checked in code: an answer never hands over an exercise's full solution.

The model never sees the solutions (they are kept out of the search index), but a model can
still write the same code on its own. `LeakGuard` watches the answer as it streams, holding back
a little text, and cuts the answer before a leak reaches the learner.
"""
from __future__ import annotations

import re

TRIVIAL_LINES = {"pass", "else:", "try:", "finally:", "return", "}", "{", ")", "]", "break",
                 "continue", "```", "---"}
SHINGLE_WORDS = 6


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace("`", " ").split())


def significant_lines(solution: str) -> list[str]:
    """The solution's lines that identify it: long enough, and not boilerplate."""
    lines = []
    for line in solution.splitlines():
        normal = _normalise(line)
        if len(normal) >= 12 and normal not in TRIVIAL_LINES and not normal.startswith("#"):
            lines.append(normal)
    return list(dict.fromkeys(lines))


def _shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def first_overlap(answer: str, solution: str) -> int | None:
    """Where the first piece of `solution` that `answer` repeats begins (a significant line of
    code, or a six-word run of prose), or None. If the answer goes on to leak the solution, the
    leak starts here or later: text from here on must wait until we know."""
    lines = significant_lines(solution)
    if lines and _code_like(solution):
        normal_answer = _normalise(answer)
        found = [normal_answer.index(line) for line in lines if line in normal_answer]
        return _position_in_original(answer, min(found)) if found else None
    shingles = _shingles(solution)
    if len(shingles) < 3:
        return None
    words = list(re.finditer(r"\w+", answer))
    for i in range(len(words) - SHINGLE_WORDS + 1):
        if " ".join(w.group().lower() for w in words[i:i + SHINGLE_WORDS]) in shingles:
            return words[i].start()
    return None


def _code_like(solution: str) -> bool:
    return any(ch in solution for ch in "()=:[]{}<>")


def leak_position(answer: str, solution: str) -> int | None:
    """Where in `answer` the full solution starts being given away, or None.

    Code solutions: most (≥ 60 %) of their significant lines appear in the answer, or the only
    one does. Prose solutions: half of their six-word runs appear."""
    normal_answer = _normalise(answer)
    lines = significant_lines(solution)
    if lines and _code_like(solution):
        found = [line for line in lines if line in normal_answer]
        needed = 1 if len(lines) == 1 else max(2, round(0.6 * len(lines)))
        if len(found) >= needed:
            return _position_in_original(answer, min(normal_answer.index(f) for f in found))
        return None
    shingles = _shingles(solution)
    if len(shingles) >= 3:
        answer_shingles = _shingles(answer)
        if len(shingles & answer_shingles) >= 0.5 * len(shingles):
            # by words, not by searching the text: a run like "templates books html" is
            # written "templates/books.html" and would not be found, placing the cut too late
            return first_overlap(answer, solution)
    return None


def _position_in_original(answer: str, normal_index: int) -> int:
    """Map an index in the normalised text back to the original (roughly: by word count)."""
    words_before = len(_normalise(answer)[:normal_index].split())
    matches = list(re.finditer(r"\S+", answer))
    return matches[words_before].start() if words_before < len(matches) else len(answer)


class LeakGuard:
    """Feed it streamed chunks; it returns the text that is safe to send now. When a solution
    leaks, `leaked` becomes True and nothing from the leak onwards is ever released.

    A leak is only recognised once most of a solution is there, and text already sent cannot
    be taken back; so the guard holds back everything from the first piece of any solution it
    sees (released by `finish()` if the rest never comes), and at least `holdback` characters,
    more than the longest solution line, since a line is only recognised once complete."""

    def __init__(self, solutions: list[str], holdback: int = 160):
        self.solutions = [s for s in solutions if s.strip()]
        longest_line = max((len(line) for s in self.solutions for line in significant_lines(s)), default=0)
        self.holdback = max(holdback, longest_line + 40)   # + slack for spacing _normalise removes
        self.text = ""
        self.sent = 0
        self.leaked = False

    def feed(self, chunk: str) -> str:
        if self.leaked:
            return ""
        self.text += chunk
        cut = self._leak()
        if cut is not None:
            self.leaked = True
            return self._release(max(cut, self.sent))
        safe = len(self.text) - self.holdback
        starts = [p for s in self.solutions if (p := first_overlap(self.text, s)) is not None]
        return self._release(max(self.sent, min([safe, *starts])))

    def finish(self) -> str:
        """The held-back tail, once the answer is complete (and not leaking)."""
        return "" if self.leaked else self._release(len(self.text))

    @property
    def stopped(self) -> bool:
        """The guard chain's question to every guard: must generation stop here?"""
        return self.leaked

    def _leak(self) -> int | None:
        positions = [p for s in self.solutions if (p := leak_position(self.text, s)) is not None]
        return min(positions) if positions else None

    def _release(self, upto: int) -> str:
        out = self.text[self.sent:upto]
        self.sent = max(self.sent, upto)
        return out
