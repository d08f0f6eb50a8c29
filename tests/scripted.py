"""A fixed answer, for the guards and the tutor: fed to a guard in chunks as a model streams
it (`released`), or typed word by word by an engine (`ScriptedEngine`) so the real Tutor runs
its real guards over a known answer."""
from __future__ import annotations

import re
import time

from kit.tutor.engines.base import ChatStream, Engine, finish_stats


def released(guard, answer: str, size: int) -> list[str]:
    """What the guard released after each `size`-character chunk of `answer`, then at finish."""
    pieces = []
    for i in range(0, len(answer), size):
        pieces.append(guard.feed(answer[i:i + size]))
        if guard.stopped:
            break
    pieces.append(guard.finish())
    return pieces


class ScriptedEngine(Engine):
    """Answers every question by typing `answer` out word by word (at most the num_predict the
    tutor asks for); records how many words it produced and whether it was stopped early."""

    name = "scripted"

    def __init__(self, answer: str):
        super().__init__("scripted-1")
        self.words = re.findall(r"\S+\s*", answer)
        self.produced = 0
        self.stopped_early = False

    def available(self):
        return True, "always"

    def models(self):
        return [self.model]

    def chat(self, messages, options=None):
        started = time.perf_counter()

        def produce(stats, cancel):
            first_at = None
            try:
                for word in self.words[:self.merged_options(options).get("num_predict")]:
                    first_at = first_at or time.perf_counter()
                    self.produced += 1
                    yield word
                    if cancel.is_set():
                        break
            except GeneratorExit:
                self.stopped_early = True
                raise
            finally:
                finish_stats(stats, started, first_at, self.produced, "stop")
        return ChatStream(produce).start()
