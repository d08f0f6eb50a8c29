"""Collecting the real tutor's sentences over the bundled content, for a teacher to label by hand.

The hand audit (tests/eval/sentence_labels.toml) is the independent judge of the kit's sentence
filter: a person reads every sentence the model wrote against the quotes and the shown sources
and calls it supported, filler or false. This module only gathers what to read — per answer
the question (mode, tried), the quotes shown, the shown sources' URLs and the model's words as
it wrote them, before any guard, split into sentences (exact text) — and writes it as that
file's TOML with empty labels. It never labels anything itself: a labeller that reused the
kit's guards would be judging the guards by themselves.

Questions are taken in a fixed order — the answerable questions with facts, then the hint
items (on their chapter page), then the other answerable ones — until COUNT answers were
grounded and carried model words. Labels already given in a `--keep` file are carried over
for the same (question, sentence), so a re-run after a kit change only leaves new sentences
to read.

Run `python -m tests.eval.collect_sentences [--count 40] [--keep tests/eval/sentence_labels.toml]
[--out FILE]` (real SmolLM2, embedded engine, the Tutor's seed; a few minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kit.tutor.answering import (Question, Tutor, build_messages, engine_chooser, quotes_for,
                                 related_solutions, retrieve_for, sources_shown)
from tests.eval.measure import load_eval, page_context

COUNT = 40
# A sentence ends at a newline, or after . ! ? (closing quotes/brackets kept with it) followed by
# space; the text between two ends is kept exactly, bar its surrounding white space.
_SENTENCE_END = re.compile(r"\n+|(?<=[.!?])(?<!\b(?:e\.g|i\.e)\.)[\"')\]`*]*[ \t]+")
_LIST_NUMBER = re.compile(r"\d{1,2}\.")


def split_sentences(words: str) -> list[str]:
    """The model's words as sentences, exact text, empty pieces left out."""
    pieces, start = [], 0
    for end in _SENTENCE_END.finditer(words):
        cut = end.start() + len(end.group(0).rstrip(" \t\n"))
        if "\n" not in end.group(0) and _LIST_NUMBER.fullmatch(words[start:cut].strip()):
            continue                               # "1. Open a terminal." is one sentence
        pieces.append(words[start:cut])
        start = end.end()
    pieces.append(words[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


@dataclass
class Collected:
    """One grounded answer as the learner is shown it."""
    question: str
    mode: str
    tried: str
    quotes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    words: str = ""

    @property
    def sentences(self) -> list[str]:
        """Each sentence once: a repeat is the loop guard's concern and would get the same label."""
        return list(dict.fromkeys(split_sentences(self.words)))


def questions_in_order(evaluation: dict) -> list[Question]:
    """Facts items, then hints (with their page as context), then the other answerable items."""
    answerable = evaluation["answerable"]
    ordered = [item for item in answerable if item.get("facts")]
    ordered += evaluation.get("hint", [])
    ordered += [item for item in answerable if not item.get("facts")]
    return [Question(item["question"], item.get("mode", "explain"), item.get("tried", ""),
                     page_context(item.get("page"))) for item in ordered]


def ask(conn, engine, question: Question, tutor: Tutor) -> Collected | None:
    """The answer's shown quotes and sources and the model's raw words, or None when the
    question was refused or the model said nothing.

    The steps are the kit's own (kit/tutor/answering.py: retrieval, quotes, sources shown,
    prompt, the Tutor's answer length and seed) but the model's words are read before any
    guard: the labels must cover the sentences the filter drops as well as those it keeps."""
    retrieval = retrieve_for(conn, question)
    if not retrieval.grounded:
        return None
    solutions = related_solutions(conn, question, retrieval) if question.mode == "hint" else []
    quotes = quotes_for(conn, question, retrieval, solutions)
    one = Collected(question.text, question.mode, question.tried,
                    [quote.public()["text"] for quote in quotes],
                    [hit.public()["url"] for hit in sources_shown(retrieval, quotes)])
    stream = engine.chat(build_messages(question, retrieval, quotes),
                         {"num_predict": tutor.answer_tokens, "seed": tutor.seed})
    try:
        one.words = "".join(stream)
    finally:
        stream.close()
    return one if one.sentences else None


def collect(settings, count: int = COUNT) -> list[Collected]:
    from kit.library.index_db import ReaderPool, connect
    tutor = Tutor(ReaderPool(settings.index_path), engine_chooser(settings))
    engine, _reason = tutor.engine_provider()
    conn = connect(settings.index_path, readonly=True)
    answers = []
    for question in questions_in_order(load_eval()):
        if len(answers) >= count:
            break
        answer = ask(conn, engine, question, tutor)
        if answer is not None:
            answers.append(answer)
            print(f"{len(answers):3} {question.mode:7} {question.text[:60]!r}: "
                  f"{len(answer.sentences)} sentences", file=sys.stderr)
    conn.close()
    return answers


def toml_string(text: str) -> str:
    """A TOML basic string (escapes for backslash, quote and every control character)."""
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif char == "\t":
            escaped.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def kept_labels(path: Path | None) -> dict[tuple[str, str], tuple[str, str]]:
    """(question, sentence) -> (label, why) from an earlier labels file."""
    if not path or not path.exists():
        return {}
    kept = {}
    for answer in tomllib.loads(path.read_text(encoding="utf-8")).get("answer", []):
        for sentence in answer.get("sentence", []):
            if sentence.get("label"):
                kept[(answer["question"], sentence["text"])] = (sentence["label"], sentence.get("why", ""))
    return kept


def as_toml(answers: list[Collected], kept: dict, header: str) -> str:
    lines = [header.rstrip(), ""]
    for answer in answers:
        lines += ["[[answer]]", f"question = {toml_string(answer.question)}",
                  f"mode = {toml_string(answer.mode)}", f"tried = {toml_string(answer.tried)}",
                  "quotes = [" + ", ".join(toml_string(q) for q in answer.quotes) + "]",
                  "sources = [" + ", ".join(toml_string(s) for s in answer.sources) + "]", ""]
        for text in answer.sentences:
            label, why = kept.get((answer.question, text), ("", ""))
            lines += ["[[answer.sentence]]", f"text = {toml_string(text)}",
                      f"label = {toml_string(label)}", f"why = {toml_string(why)}", ""]
    return "\n".join(lines)


def kit_commit() -> str:
    """HEAD, and a warning when kit/ has uncommitted changes (the prompt may be one of them)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              cwd=Path(__file__).parents[2]).stdout.strip()
    changed = git("status", "--porcelain", "--", "kit")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + (" + uncommitted changes in kit/" if changed else "")


def main() -> None:
    import datetime
    import tempfile

    from kit.library.indexer import build_index
    from kit.settings import load_settings, project_root
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--keep", type=Path, help="an earlier labels file whose labels to carry over")
    parser.add_argument("--out", type=Path, help="where to write (default: standard output)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="lantern-sentences-"))
    settings = load_settings(environ={}, content_dirs=(project_root() / "content",), engine="embedded",
                             data_dir=data, engine_dir=data / "engine")
    build_index(settings)
    answers = collect(settings, args.count)
    header = (f"# Collected by tests/eval/collect_sentences.py at kit commit {kit_commit()}, "
              f"{datetime.date.today().isoformat()}:\n# real SmolLM2-135M-Instruct Q4_1, embedded "
              f"engine, the Tutor's seed {Tutor.__init__.__kwdefaults__['seed']}. Labels: to be "
              "written by hand.\n")
    text = as_toml(answers, kept_labels(args.keep), header)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
