"""Asking every question through the real `Tutor.answer` and keeping what the learner is shown.

The kit runs as it ships: its retrieval, quotes, prompt, guards and answer length, the embedded
engine and its default model. Nothing is judged here; scoring.py and report.py do that.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.index_db import ReaderPool
from kit.tutor.answering import Question, engine_chooser
from kit.tutor.engines.base import EngineError
from tests.eval.published.material import LIBRARY_LANGUAGE
from tests.eval.recording_tutor import RecordingTutor

NO_MODEL = "--no-model: the model is not asked"


@dataclass
class Shown:
    """One answer as the learner sees it, and how long its parts took."""
    item: dict
    sources: list[dict] = field(default_factory=list)     # the `sources` event
    quotes: list[dict] = field(default_factory=list)      # `quote` events: {text, url, …}
    words: str = ""                                        # the tutor's words (`token` events)
    unmarked: str = ""                                     # … those not marked unsupported
    sources_text: str = ""                                 # the shown passages' whole text
    grounded: bool = False
    done: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)             # what the kit recorded for the teacher
    error: str = ""
    first_quote_ms: float | None = None
    first_token_ms: float | None = None

    @property
    def quote_text(self) -> str:
        return "\n".join(quote.get("text", "") for quote in self.quotes)

    @property
    def seen(self) -> str:
        """Everything shown that can carry a fact: the quotes and the tutor's words."""
        return self.quote_text + "\n" + self.words

    @property
    def dropped(self) -> list[dict]:
        """Model sentences the kit dropped, with why, when the kit reports them (a sentence
        filter may add `dropped` to `done` or to the teacher's record)."""
        found = self.done.get("dropped_sentences") or self.record.get("dropped") or []
        if not isinstance(found, list):
            return []
        return [d if isinstance(d, dict) else {"text": str(d), "reason": ""} for d in found]


def _no_model():
    raise EngineError(NO_MODEL)


def make_tutor(settings, with_model: bool) -> tuple[RecordingTutor, list]:
    """A tutor over `settings`' index; the list receives each exchange the kit records."""
    records: list = []
    provider = engine_chooser(settings) if with_model else _no_model
    tutor = RecordingTutor(ReaderPool(settings.index_path), provider, lambda record, learner: records.append(record))
    return tutor, records


def ask(tutor: RecordingTutor, records: list, item: dict) -> Shown:
    # asked as the kit asks for a learner whose page is in the library's language (kit/app.py:
    # the learner's language, and the packs in it as sources when there are some)
    language = LIBRARY_LANGUAGE.get(item.get("library", ""), "")
    question = Question(item["question"], item.get("mode", "explain"), item.get("tried", ""),
                        language=language, library_language=language)
    shown = Shown(item)
    started = time.perf_counter()
    for name, data in tutor.answer(question):
        elapsed_ms = (time.perf_counter() - started) * 1000
        if name == "sources":
            shown.sources = list(data)
        elif name == "quote":
            shown.quotes.append(data)
            if shown.first_quote_ms is None:
                shown.first_quote_ms = elapsed_ms
        elif name == "token":
            shown.words += data["text"]
            shown.unmarked += " " if data.get("unsupported") else data["text"]
            if shown.first_token_ms is None:
                shown.first_token_ms = elapsed_ms
        elif name == "done":
            shown.done, shown.grounded = data, bool(data.get("grounded"))
        elif name == "error":
            shown.error = str(data.get("message", ""))     # a LazyText: said in English here
            # Without the model, reaching for it means the kit judged the question covered.
            shown.grounded = shown.error == NO_MODEL
    if shown.error == NO_MODEL:
        shown.error = ""
    if not shown.grounded or shown.done.get("tokens") == 0:
        shown.first_token_ms = None          # the refusal or the model-language line is the kit's
    shown.record = records[-1] if records else {}
    urls = {source.get("url") for source in shown.sources}
    hits = (tutor.last.passages + tutor.last.nearest) if tutor.last else []
    shown.sources_text = "\n".join(dict.fromkeys(hit.text for hit in hits if hit.url in urls))
    return shown


def ask_all(settings, items: list[dict], with_model: bool, say=print) -> list[Shown]:
    tutor, records = make_tutor(settings, with_model)
    answers = []
    for number, item in enumerate(items, 1):
        answers.append(ask(tutor, records, item))
        say(f"  {number}/{len(items)} {item['question'][:70]}")
    return answers


def eval_settings(data: Path, empty_content: Path, engine_dir: Path):
    """The kit's settings as shipped, over one eval data folder, with the embedded engine."""
    from kit.library.indexer import build_index
    from kit.settings import load_settings
    settings = load_settings(environ={}, content_dirs=(empty_content,), engine="embedded",
                             data_dir=data, engine_dir=engine_dir)
    build_index(settings)          # brings a cached import up to date with today's indexer
    return settings
