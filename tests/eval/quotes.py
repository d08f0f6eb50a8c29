"""The facts the kit's quotes alone state, without the model: a check of the line chooser
(kit/tutor/quoting.py) that runs in seconds, so a change to it can be tried many times.

With SmolLM2 at temperature 0 the answers state the same facts as their quotes (measured on
issue 10: 25 of 36 both ways, later 29 of 36 both ways), so this predicts tests/eval/answers.py
closely; the real-model eval stays the judge. The questions are split in two halves, alternately by their order in
tests/eval/questions.toml: tune on one, and keep a change only if the other half gains too —
the chooser's constants are otherwise fitted to these very questions.

Run `python -m tests.eval.quotes [-v]`.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from kit.tutor.answering import Question, quotes_for, related_solutions, retrieve_for
from tests.eval.answers import normalised
from tests.eval.measure import load_eval


@dataclass
class Half:
    stated: int = 0
    facts: int = 0

    @property
    def share(self) -> float:
        return self.stated / max(self.facts, 1)


def quoted_facts(conn, evaluation: dict | None = None) -> tuple[dict[str, Half], list[str]]:
    """Facts found in the quotes, per half ("A": 1st, 3rd… question with facts; "B": 2nd,
    4th…), and a line per question that misses one."""
    evaluation = evaluation or load_eval()
    halves, misses = {"A": Half(), "B": Half()}, []
    items = [item for item in evaluation["answerable"] if item.get("facts")]
    for number, item in enumerate(items):
        question = Question(item["question"], item.get("mode", "explain"), item.get("tried", ""))
        retrieval = retrieve_for(conn, question)
        solutions = related_solutions(conn, question, retrieval) if question.mode == "hint" else []
        said = normalised("\n".join(q.text for q in quotes_for(conn, question, retrieval, solutions)))
        stated = [fact for fact in item["facts"] if normalised(fact) in said]
        half = halves["AB"[number % 2]]
        half.stated += len(stated)
        half.facts += len(item["facts"])
        if len(stated) < len(item["facts"]):
            misses.append(f"{'AB'[number % 2]} {item['question'][:70]!r}: missing "
                          f"{[f for f in item['facts'] if f not in stated]}")
    return halves, misses


def main() -> None:
    """Print the quoted facts per half over the bundled content (no model is loaded)."""
    import tempfile
    from pathlib import Path

    from kit.library.index_db import connect

    from kit.library.indexer import build_index
    from kit.settings import load_settings, project_root
    data = Path(tempfile.mkdtemp(prefix="lantern-quote-eval-"))
    settings = load_settings(environ={}, content_dirs=(project_root() / "content",), data_dir=data,
                             engine_dir=data / "engine")
    build_index(settings)
    conn = connect(settings.index_path, readonly=True)
    halves, misses = quoted_facts(conn)
    if "-v" in sys.argv:
        print("\n".join(misses))
    both = Half(sum(h.stated for h in halves.values()), sum(h.facts for h in halves.values()))
    print(" · ".join(f"{name} {h.stated}/{h.facts} = {h.share:.3f}"
                     for name, h in [*halves.items(), ("all", both)]))


if __name__ == "__main__":
    main()
