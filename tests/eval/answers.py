"""Scoring what the learner SEES of the tutor's answers, asked of the real model.

Every [[answerable]] question with `facts` is asked through the real `Tutor.answer` (the kit's
own retrieval, prompt, guards and answer length); what the learner is shown — the kit's quotes
(`quote` events) and the tutor's words (`token` events) — is scored here with criteria of this
module's own, not with the kit's guards (kit/tutor/guards/), which it checks:

- facts stated: the share of the questions' facts found in what is shown (case and spacing
  ignored), and the share of questions with all their facts;
- loops: answers that repeat a line, a sentence or a run of LOOP_WORDS words;
- unsupported code: code-like tokens in the tutor's words (an identifier with `_` or `.`,
  a call, a path, a flag, a tag…) that appear neither in the shown sources' text nor in the
  question; the rate over all code-like tokens, and the answers that show one UNMARKED
  (a `token` event without `unsupported: true`);
- in-scope refusals: answerable questions the learner is told the material does not cover.

Run `python -m tests.eval.answers [-v] [repeat_penalty=1.1 temperature=0.2]` to print the numbers
(tests/test_answer_eval.py asserts them); the sampler settings in model_manifests/ were chosen
with it.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field

from kit.library.index_db import ReaderPool
from kit.tutor.answering import Question, engine_chooser
from tests.eval.measure import load_eval
from tests.eval.recording_tutor import RecordingTutor

LOOP_WORDS = 12
REFUSALS = ("does not cover", "doesn't cover", "not covered", "not in the material")
# A token is code-like when it has one of these inside it (not just at its end: "done." is prose).
_CODE_MARKS = re.compile(r"[_(){}\[\]<>=/\\]|^--?\w|\w\.\w|^@\w|%\}|\{%")
_CITATION = re.compile(r"\[\d+\]")         # "[2]": the prompt numbers the sources
_EDGE = "\"'`,;:!?*“”‘’"


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


def code_tokens(text: str) -> list[str]:
    """The code-like whitespace-separated tokens of `text`, edge punctuation removed."""
    tokens = []
    for raw in text.split():
        token = raw.strip(_EDGE).rstrip(".")
        if len(token) >= 3 and _CODE_MARKS.search(token) and not _CITATION.fullmatch(token):
            tokens.append(token)
    return tokens


def loops_in(text: str) -> list[str]:
    """What repeats in `text`: a line or sentence (of 20+ characters) said twice, or a run of
    LOOP_WORDS words said twice."""
    found = []
    pieces = [normalised(p) for p in re.split(r"\n+|(?<=[.!?])\s+", text)]
    for piece, count in Counter(p for p in pieces if len(p) >= 20).items():
        if count > 1:
            found.append(piece)
    words = normalised(text).split()
    runs = Counter(" ".join(words[i:i + LOOP_WORDS]) for i in range(len(words) - LOOP_WORDS + 1))
    found += [run for run, count in runs.items() if count > 1 and not any(run in f for f in found)]
    return found


@dataclass
class Shown:
    """One answer as the learner sees it."""
    question: str
    facts: list[str]
    quotes: str = ""
    words: str = ""                      # the tutor's words (token events)
    unmarked: str = ""                   # the tutor's words not marked unsupported
    sources_text: str = ""               # the shown passages' whole text
    grounded: bool = False
    done: dict = field(default_factory=dict)

    @property
    def everything(self) -> str:
        return self.quotes + "\n" + self.words

    def facts_stated(self) -> list[str]:
        said = normalised(self.everything)
        return [fact for fact in self.facts if normalised(fact) in said]

    def refused(self) -> bool:
        said = normalised(self.everything)
        return not self.grounded or any(r in said for r in REFUSALS)

    def unsupported(self, text: str | None = None) -> list[str]:
        known = normalised(self.sources_text + "\n" + self.question)
        return [t for t in code_tokens(self.words if text is None else text) if normalised(t) not in known]


def ask_all(settings, evaluation: dict | None = None, sampler: dict | None = None) -> list[Shown]:
    """Every question with facts, asked of the engine `settings` choose; `sampler` overrides
    the model manifest's options (to measure other settings)."""
    evaluation = evaluation or load_eval()
    provider = engine_chooser(settings)
    if sampler:
        provider()[0].default_options.update(sampler)
    tutor = RecordingTutor(ReaderPool(settings.index_path), provider)
    shown = []
    for item in evaluation["answerable"]:
        if not item.get("facts"):
            continue
        question = Question(item["question"], item.get("mode", "explain"), item.get("tried", ""))
        one = Shown(item["question"] + "\n" + item.get("tried", ""), item["facts"])
        urls = []
        for name, data in tutor.answer(question):
            if name == "sources":
                urls = [source["url"] for source in data]
            elif name == "quote":
                one.quotes += data["text"] + "\n"
            elif name == "token":
                one.words += data["text"]
                if not data.get("unsupported"):
                    one.unmarked += data["text"]
            elif name == "done":
                one.done, one.grounded = data, bool(data.get("grounded"))
        hits = (tutor.last.passages + tutor.last.nearest) if tutor.last else []
        one.sources_text = "\n".join(hit.text for hit in hits if hit.url in urls)
        shown.append(one)
    return shown


@dataclass
class Scores:
    facts_stated: float
    questions_with_all_facts: float
    loops: int
    unsupported_rate: float
    unmarked_unsupported_answers: int
    in_scope_refusals: float
    details: list[str]

    def report(self) -> str:
        return (f"facts stated {self.facts_stated:.3f} (questions with all facts "
                f"{self.questions_with_all_facts:.3f}) · loops {self.loops} · unsupported code-like "
                f"tokens {self.unsupported_rate:.3f} · answers showing unsupported code unmarked "
                f"{self.unmarked_unsupported_answers} · in-scope refusals {self.in_scope_refusals:.3f}")


def score(shown: list[Shown]) -> Scores:
    facts = sum(len(s.facts) for s in shown)
    stated = sum(len(s.facts_stated()) for s in shown)
    code = sum(len(code_tokens(s.words)) for s in shown)
    unsupported = sum(len(s.unsupported()) for s in shown)
    details = []
    for s in shown:
        missing = [f for f in s.facts if f not in s.facts_stated()]
        problems = {"missing facts": missing, "loops": loops_in(s.everything),
                    "unsupported unmarked": s.unsupported(s.unmarked), "refused": s.refused()}
        if any(problems.values()):
            details.append(f"{s.question.splitlines()[0][:70]!r}: "
                           + "; ".join(f"{k} {v}" for k, v in problems.items() if v))
    return Scores(stated / facts, sum(not (set(s.facts) - set(s.facts_stated())) for s in shown) / len(shown),
                  sum(bool(loops_in(s.everything)) for s in shown), unsupported / max(code, 1),
                  sum(bool(s.unsupported(s.unmarked)) for s in shown),
                  sum(s.refused() for s in shown) / len(shown), details)


def main() -> None:
    """Print the scores over the bundled content with the embedded engine (seeded)."""
    import tempfile
    from pathlib import Path

    from kit.library.indexer import build_index
    from kit.settings import load_settings, project_root
    data = Path(tempfile.mkdtemp(prefix="lantern-answer-eval-"))
    settings = load_settings(environ={}, content_dirs=(project_root() / "content",), engine="embedded",
                             data_dir=data, engine_dir=data / "engine")
    build_index(settings)
    sampler = {name: float(value) for name, value in (a.split("=") for a in sys.argv[1:] if "=" in a)}
    shown = ask_all(settings, sampler=sampler)
    scores = score(shown)
    print("\n".join(scores.details))
    if "-v" in sys.argv:
        for s in shown:
            print("=" * 80, "\nQ:", s.question.strip(), "\nQUOTES:", s.quotes.strip(), "\nTUTOR:", s.words.strip())
    print(f"{len(shown)} answers{' with ' + str(sampler) if sampler else ''}: {scores.report()}")


if __name__ == "__main__":
    main()
