"""The faithfulness check: code the tutor's words use that the material does not have is marked
for the learner ("not in the material — check it").

A 135M model invents code with confidence (an `@route_extra` decorator, functions nobody
defined). Names, commands, file names and code are where an invention costs a beginner most, and
they are easy to check: such a token must appear in the passages the answer was given or in the
learner's own question — as WHOLE tokens (`KnownTokens`): `createuser` is inside
`createsuperuser` as a substring, and a substring check let the model's `sudo createuser` pass
for the tutorial's `createsuperuser`. Prose is judged a sentence at a time by
guards/sentences.py, which uses the same check for a sentence's code.

Marking, not dropping: a dropped sentence would hold the stream back a sentence at a time and
hide from the learner that the tutor said something doubtful; a mark keeps the answer readable
and teaches the habit of checking. The guard releases whole tokens only (it holds back the
word being written) and wraps an unsupported one in MARK_OPEN … MARK_CLOSE; `pieces()` turns
released text into (text, unsupported) pairs for the `token` events.
"""
from __future__ import annotations

import re

MARK_OPEN, MARK_CLOSE = "\x0e", "\x0f"
# Inside a token (not only at its end: "done." is prose): code punctuation, a dotted name, a
# flag, a decorator, a template tag.
_CODE = re.compile(r"[_(){}\[\]<>=/\\$`]|^--?\w|\w\.\w|^@\w|^%|%\}|\{%|^#\w|[a-z][A-Z]")
_CITATION = re.compile(r"\[\d+\]")     # "[2]": the prompt numbers the sources
_EDGE = "\"'`,;:!?*“”‘’"


_TOKEN = re.compile(r"\w+|[^\w\s]")    # a word, or one punctuation mark
_GLUE = "\x1f"                          # joins tokens; never inside one


def whole_tokens(text: str) -> list[str]:
    """`text` as lower-case words and single punctuation marks: `manage.py` → manage . py."""
    return _TOKEN.findall(text.lower())


class KnownTokens:
    """What the material (and the learner) said, to look a token up by whole tokens: `-u` or
    `manage.py` is supported when its tokens occur in a row, `createuser` is not supported by
    `createsuperuser`."""

    def __init__(self, *texts: str):
        self._joined = _GLUE + _GLUE.join(whole_tokens("\n".join(texts))) + _GLUE

    def __contains__(self, piece: str) -> bool:
        tokens = whole_tokens(piece)
        if tokens[-2:] == ["(", ")"] and len(tokens) > 2:
            tokens = tokens[:-1]      # `print()` names the function the material calls as print(…)
        return bool(tokens) and _GLUE + _GLUE.join(tokens) + _GLUE in self._joined


def core(token: str) -> str:
    """A token without the punctuation around it ("`url_for`," → "url_for")."""
    return token.strip(_EDGE).rstrip(".").strip(_EDGE)


def is_code(token: str, in_code_block: bool = False) -> bool:
    """Code-like: an identifier with `_` or a dot, a call, a path, a flag, a tag. Inside a
    ``` block every word of three or more characters is code."""
    word = core(token)
    if len(word) < 2 or word.startswith("```") or _CITATION.fullmatch(word):
        return False
    if in_code_block and len(word) >= 3 and any(ch.isalpha() for ch in word):
        return True
    return bool(_CODE.search(word))       # "{}" is code too, short as it is


class FaithfulnessGuard:
    """Feed it streamed chunks; it returns them with unsupported code-like tokens marked.
    `unsupported` lists them, `code_tokens` counts every code-like token checked."""

    stopped = False            # it marks; it never stops an answer

    def __init__(self, *known_texts: str):
        self.known = KnownTokens(*known_texts)
        self.pending = ""
        self.in_code_block = False
        self.code_tokens = 0
        self.unsupported: list[str] = []

    def feed(self, chunk: str) -> str:
        self.pending += chunk
        end = max(self.pending.rfind(" "), self.pending.rfind("\n"), self.pending.rfind("\t"))
        if end < 0:
            return ""
        ready, self.pending = self.pending[:end + 1], self.pending[end + 1:]
        return self._mark(ready)

    def finish(self) -> str:
        ready, self.pending = self.pending, ""
        return self._mark(ready)

    def share(self) -> float:
        """Unsupported code-like tokens / code-like tokens (0.0 when there were none)."""
        return round(len(self.unsupported) / self.code_tokens, 3) if self.code_tokens else 0.0

    def _mark(self, text: str) -> str:
        out = []
        for part in re.split(r"(\s+)", text):
            if not part or part.isspace():
                out.append(part)
                continue
            if part.startswith("```"):
                self.in_code_block = not self.in_code_block
            if is_code(part, self.in_code_block):
                self.code_tokens += 1
                if core(part) not in self.known:
                    self.unsupported.append(core(part))
                    out.append(MARK_OPEN + part + MARK_CLOSE)
                    continue
            out.append(part)
        return "".join(out)


def pieces(text: str) -> list[tuple[str, bool]]:
    """Released text as (text, unsupported) pairs, marks removed, empty pieces left out."""
    result = []
    for i, part in enumerate(re.split(f"[{MARK_OPEN}{MARK_CLOSE}]", text)):
        if part:
            result.append((part, i % 2 == 1))
    return result
