"""Answering a learner's question from the library: check the request, retrieve, prompt the
model for the chosen mode, stream the answer as events, and record the exchange.

Events are (name, data) pairs: `sources` (the passages used, shaped like /api/search results),
`quote` ({text, url, title, code}: lines of the material, verbatim, chosen by kit/tutor/quoting.py,
before the model speaks), `token` ({text}: whole sentences the material supports,
kit/tutor/guards/sentences.py; `unsupported: true` for code the material does not have,
kit/tutor/guards/faithfulness.py), `done` ({grounded, engine, model, ttft_ms, tokens, tokens_per_s,
dropped, dropped_sentences, …}) and `error` ({message}). The HTTP API, the no-JavaScript page
and `kit ask` all consume them.
"""
from __future__ import annotations

import re
import sqlite3
import threading
import time

from kit.library import catalog
from kit.library.index_db import ReaderPool
from kit.translations import LazyText
from kit.tutor.engines.base import HelperLost
from kit.tutor.guards import GuardChain
from kit.tutor.guards.faithfulness import FaithfulnessGuard, pieces
from kit.tutor.guards.leak import LeakGuard
from kit.tutor.guards.loops import LoopGuard
from kit.tutor.guards.sentences import SentenceFilter, SentenceJudge
from kit.tutor.question_checks import Question
from kit.tutor.quoting import Quote, choose_quotes
from kit.tutor.retrieval import Retrieval, retrieve, word_weights
from kit.tutor.voice import (LEAK_NOTE, MODEL_LANGUAGE_NOTE, MOVED, NOT_COVERED, ONLY_QUOTES, ONLY_SOURCES,
                             model_languages, model_speaks, said)

BASE_RULES = (
    "You are Lantern, a patient tutor in an offline coding class. Answer ONLY from the numbered "
    "sources below. If the sources do not contain the answer, say: \"The material does not "
    "cover this.\" Do not invent facts, commands or links. Use short sentences and plain words.")
# With quotes the kit has already judged the question covered and shown the answer's lines: a
# small model told how to refuse copies the refusal instead of explaining (the tutor eval shows it).
QUOTED_RULES = (
    "You are Lantern, a patient tutor in an offline coding class. Answer ONLY from the source "
    "below. Do not invent facts, commands or links. Use plain words.")
MODE_RULES = {   # the quoted lines carry the facts; the model only explains them, briefly
    "explain": "Write ONE short sentence that says what the quoted command or lines do for the "
               "learner's question. Do not write new code.",
    "hint": "Do NOT give the solution or complete code. Ask one guiding question and suggest "
            "ONE small next step the learner can try. At most three sentences.",
    "debug": "The learner pasted an error. Say in one or two sentences what the error means "
             "and why the quoted step fixes it. Do not rewrite their whole program.",
}


# An exception's name and the message after it, wherever it stands in the pasted text.
_ERROR_LINE = re.compile(r"\b([A-Za-z_][\w.]*(?:Error|Exception|Exit|NotFound|Allowed|Warning))\b:?[ \t]*([^\n]*)")


def pasted_error(question: Question) -> tuple[str, str] | None:
    """(exception name, message) of the last error in a debug question, if there is one."""
    errors = _ERROR_LINE.findall(question.text + "\n" + question.tried)
    if question.mode != "debug" or not errors:
        return None
    kind, message = errors[-1]
    return kind.split(".")[-1], " ".join(message.split()[:8])


def retrieval_query(question: Question) -> str:
    """In debug mode the error's last line (its type and message) is what to look up: the
    learner's own code around it would only add noise words."""
    error = pasted_error(question)
    return f"{error[0]} {error[1]}" if error else question.text


def retrieve_for(conn: sqlite3.Connection, question: Question, **thresholds) -> Retrieval:
    """The passages for this question; a debug question prefers the section named after its
    error (chapter 7's "TemplateNotFound"), since that is the tutorial step to point to."""
    error = pasted_error(question)
    return retrieve(conn, retrieval_query(question), context=question.context,
                    prefer_heading=error[0] if error else None,
                    language=question.library_language or None, **thresholds)


# One worked exchange, written for the kit (not from any tutorial): a 135M model copies the shape
# of an example more reliably than it follows a rule — one sentence that says what the quoted
# line does, in the source's words.
EXAMPLE_QUESTION = (
    "Source: Saving your work\nTo keep a copy of your changes, type git commit -m \"first save\" "
    "in the terminal. Git keeps every commit, so you can go back to it later.\n\n"
    "The learner already sees this line quoted from the source:\n> git commit -m \"first save\"\n\n"
    "Question: how do I save my work?")
EXAMPLE_ANSWER = ("Typing git commit -m \"first save\" keeps a copy of your changes that you can go "
                  "back to later.")


def _source(hit, n: int | None = None) -> str:
    label = f"[{n}] " if n else ""
    return (label + hit.title + (f" — {hit.heading}" if hit.heading and hit.heading != hit.title else "")
            + (f" ({hit.speaker}, {hit.start})" if hit.speaker else "") + f"\n{hit.text}")


def quoted_passage(retrieval: Retrieval, quotes: list[Quote]):
    """The passage the first quote comes from: with quotes, the model's only source. One short
    passage is followed better by a 135M model than three (up to 450 tokens), and its words
    are the ones the learner is reading."""
    for hit in retrieval.nearest + retrieval.passages:
        if quotes and hit.url == quotes[0].url:
            return hit
    return None


def build_messages(question: Question, retrieval: Retrieval, quotes: list[Quote] = ()) -> list[dict]:
    passage = quoted_passage(retrieval, quotes)
    if passage is not None:
        user = f"Source: {_source(passage)}\n\n"
    else:
        user = "Sources:\n" + "\n\n".join(_source(hit, n) for n, hit in enumerate(retrieval.passages, 1)) + "\n\n"
    if quotes:
        user += "The learner already sees these lines quoted from the source:\n" + "\n".join(
            f"> {line}" for quote in quotes for line in quote.text.splitlines()) + "\n\n"
    user += f"Question: {question.text}"
    if question.tried:
        user += f"\n\nWhat I tried or expect: {question.tried}"
    rules = QUOTED_RULES if quotes else BASE_RULES
    messages = [{"role": "system", "content": f"{rules}\n{MODE_RULES[question.mode]}"}]
    if quotes and question.mode == "explain":
        messages += [{"role": "user", "content": EXAMPLE_QUESTION},
                     {"role": "assistant", "content": EXAMPLE_ANSWER}]
    return messages + [{"role": "user", "content": user}]


def related_solutions(conn: sqlite3.Connection, question: Question, retrieval: Retrieval) -> list[str]:
    """Solutions of the exercises on the pages involved: the learner's page and the sources'."""
    pages = {(hit.pack, hit.doc_slug) for hit in retrieval.passages + retrieval.nearest}
    if question.context.get("pack") and question.context.get("doc"):
        pages.add((question.context["pack"], question.context["doc"]))
    return catalog.exercise_solutions(conn, pages)


def quotes_for(conn: sqlite3.Connection, question: Question, retrieval: Retrieval,
               solutions: list[str]) -> list[Quote]:
    """The lines of the material that open the answer (kit/tutor/quoting.py), chosen among the
    retriever's nearest passages (its five best, then up to three whose code names the
    question's words): the prompt's budget keeps only the first one to three as the model's
    sources, but a quote costs the model nothing."""
    if not retrieval.grounded:
        return []
    return choose_quotes(retrieval.nearest, word_weights(conn, retrieval.keywords), question.mode,
                         asked=f"{question.text} {question.tried}", error=pasted_error(question),
                         solutions=solutions)


def sources_shown(retrieval: Retrieval, quotes: list[Quote]):
    """The sources the learner is shown: the model's sources, then any passage a quote comes
    from that is not among them (every quote links to a listed source)."""
    if not retrieval.grounded:
        return retrieval.nearest
    shown = list(retrieval.passages)
    for hit in retrieval.nearest:
        if any(q.url == hit.url for q in quotes) and all(s.url != hit.url for s in shown):
            shown.append(hit)
    return shown


def tutorial_step(retrieval: Retrieval) -> dict | None:
    """The workshop section that covers a debug question, to link from the answer."""
    for hit in retrieval.passages:
        if hit.kind == "chapter":
            return {"title": f"{hit.title} › {hit.heading}" if hit.heading else hit.title, "url": hit.url}
    return None


def engine_chooser(settings, on_capacity=None):
    """A provider that picks the engine on the first question, once: probing Ollama and
    loading llama.cpp at start-up would slow every start, even when nobody asks. With model
    hosts, the engine is the pool of helpers (kit/tutor/model_hosts.py), this computer's one of
    them; `on_capacity(answers at once)` sizes the fair queue as hosts come and go."""
    lock, chosen = threading.Lock(), []

    def provide():
        with lock:
            if not chosen:
                from kit.tutor.engines import choose_engine
                engine, reason = choose_engine(settings)
                if settings.model_hosts:
                    from kit.tutor.model_hosts import HostPool
                    engine = HostPool(engine, settings.model_hosts, settings, on_capacity=on_capacity)
                    threading.Thread(target=engine.connect_all, name="model-hosts", daemon=True).start()
                chosen.append((engine, reason))
        return chosen[0]
    provide.chosen = chosen      # read by Tutor.problem() without choosing
    return provide


PROBLEM_RECHECK_S = 5.0
MAX_MOVES = 2           # an answer moves to another model host at most this often


class Tutor:
    """Answers questions with one engine over one library index."""

    def __init__(self, index_readers: ReaderPool, engine_provider, record_exchange=None, *, answer_tokens=160,
                 seed=42, stop_loops=True):
        self.index_readers = index_readers          # the pool the pages and search read through too
        self.engine_provider = engine_provider      # () -> (engine, reason); may raise EngineError
        self.record_exchange = record_exchange      # (record, learner_id) -> id; the class store
        self.answer_tokens = answer_tokens
        self.seed = seed
        self._problem: tuple[float, str | None] = (-PROBLEM_RECHECK_S - 1, None)   # (when, what)
        # Off only to watch the model unguarded, without the loop guard and the sentence filter
        # (a test that needs one long answer to hold the model); read when an answer starts,
        # like answer_tokens.
        self.stop_loops = stop_loops

    def problem(self) -> str | None:
        """Why the tutor cannot answer on this computer, once that is known (the ask box says
        so; pages and search are not affected). Every page asks, so the engine's answer is
        kept PROBLEM_RECHECK_S: `available()` reads files and package metadata, which cost
        a quarter of a cached page's time when it ran on each request."""
        chosen = getattr(self.engine_provider, "chosen", None)
        if not chosen:
            return None
        checked_at, problem = self._problem
        if time.monotonic() - checked_at > PROBLEM_RECHECK_S:
            ok, reason = chosen[0][0].available()
            problem = None if ok else reason
            self._problem = (time.monotonic(), problem)
        return problem

    def warm_up(self) -> threading.Thread:
        """In the background: choose the engine and start the model worker (probing the CPU on
        a new machine), so the first learner's first word is not delayed by it."""
        def warm():
            from kit.tutor.engines import EngineError
            try:
                engine, _ = self.engine_provider()
                engine = getattr(engine, "local", engine)    # with model hosts: this computer's
                if hasattr(engine, "pool") and engine.available()[0]:
                    engine.pool().ensure_started()
            except EngineError:
                pass          # said on the ask box (problem()) and in the answer's error event
        thread = threading.Thread(target=warm, name="tutor-warm-up", daemon=True)
        thread.start()
        return thread

    def retrieve(self, conn, question: Question) -> Retrieval:
        return retrieve_for(conn, question)

    @staticmethod
    def _quotes_only(engine, record: dict, language: str):
        """The answer when the model does not write the learner's language: the quotes (already
        sent) and a line saying why, in that language; the model is never asked."""
        yield from _shown(said(MODEL_LANGUAGE_NOTE, language, languages=model_languages(engine, language)), record)
        done = {"grounded": True, "engine": engine.name, "model": engine.model, "ttft_ms": None,
                "tokens": 0, "tokens_per_s": None, "model_language": False}
        record["stats"] = done
        yield "done", done

    def answer(self, question: Question, learner_id: str | None = None, wait_turn=None):
        """Generator of (event, data). Closing it stops generation (the engine's stream is
        closed in `finally`), which is how a closed browser tab stops the model.

        `wait_turn()`, when given, is a generator of `queue` events that returns once this
        question may use the model: the learner already has the sources while waiting."""
        from kit.tutor.engines import EngineError   # imported late: llama.cpp loads only when asked

        started = time.perf_counter()
        record = {"question": question.text, "mode": question.mode, "tried": question.tried,
                  "context": question.context, "answer": "", "grounded": False}
        conn = self.index_readers.take()
        stream = None
        try:
            retrieval = self.retrieve(conn, question)
            solutions = related_solutions(conn, question, retrieval) if question.mode == "hint" else []
            quotes = quotes_for(conn, question, retrieval, solutions)
            shown = sources_shown(retrieval, quotes)
            record["passages"] = [{"url": h.url, "score": h.score} for h in shown]
            yield "sources", [hit.public() for hit in shown]
            if not retrieval.grounded:
                record["answer"] = said(NOT_COVERED, question.language)
                yield "token", {"text": record["answer"]}
                yield "done", {"grounded": False, "engine": None, "model": None, "ttft_ms": None,
                               "tokens": 0, "tokens_per_s": None}
                return
            record["quotes"] = [quote.public() for quote in quotes]
            for quote in quotes:
                yield "quote", quote.public()
            engine, _reason = self.engine_provider()
            record.update(engine=engine.name, model=engine.model, grounded=True)
            if not model_speaks(engine, question.library_language):   # the quotes' language
                yield from self._quotes_only(engine, record, question.language)
                return
            if wait_turn is not None:
                yield from wait_turn()
            for moves in range(MAX_MOVES + 1):   # a model host lost mid-answer: again on another
                asked = f"{question.text}\n{question.tried}"
                faithfulness = FaithfulnessGuard(*(hit.text for hit in shown), *(q.text for q in quotes), asked)
                sentences = (SentenceFilter(SentenceJudge(asked, [q.text for q in quotes], [hit.text for hit in shown]))
                             if self.stop_loops else None)
                leak = LeakGuard(solutions) if question.mode == "hint" else None
                loops = LoopGuard(already_said=[q.text for q in quotes]) if self.stop_loops else None
                guards = GuardChain(loops, leak, sentences, faithfulness)
                stream = engine.chat(build_messages(question, retrieval, quotes),
                                     {"num_predict": self.answer_tokens, "seed": self.seed})
                try:
                    for chunk in stream:
                        yield from _shown(guards.feed(chunk), record)
                        if guards.stopped:
                            break
                    break
                except HelperLost:
                    if moves == MAX_MOVES:
                        raise
                    record["answer"] = ""
                    yield "moved", {"message": said(MOVED, question.language)}
            stream.close()   # after a trim the model is mid-answer: stop it, which also completes its stats
            yield from _shown(guards.finish(), record)
            if leak and leak.leaked:
                yield from _shown("\n\n" + said(LEAK_NOTE, question.language), record)
            elif not record["answer"]:
                yield from _shown(said(ONLY_QUOTES if quotes else ONLY_SOURCES, question.language), record)
            dropped = (sentences.dropped if sentences else []) + (
                [{"text": loops.repeated, "reason": "repeat"}] if loops and loops.looped and loops.repeated else [])
            record.update(unsupported=faithfulness.unsupported, unsupported_share=faithfulness.share(),
                          looped=bool(loops and loops.looped), dropped=dropped)
            stats = dict(getattr(stream, "stats", None) or {})
            done = {"grounded": True, "engine": engine.name, "model": engine.model,
                    "ttft_ms": stats.get("ttft_ms"), "tokens": stats.get("tokens", 0),
                    "tokens_per_s": stats.get("tokens_per_s"), "helper": stats.get("helper"),
                    "trimmed": bool(leak and leak.leaked),
                    "looped": bool(loops and loops.looped), "unsupported": len(faithfulness.unsupported),
                    "dropped": len(dropped), "dropped_sentences": dropped}
            if question.mode == "debug":
                done["tutorial_step"] = tutorial_step(retrieval)
            record["stats"] = done
            yield "done", done
        except EngineError as error:
            record["error"] = str(error)
            # a LazyText message is said in the learner's language by whoever sends the event
            said_later = error.args and isinstance(error.args[0], LazyText)
            yield "error", {"message": error.args[0] if said_later else str(error)}
        finally:
            if stream is not None:
                stream.close()
            self.index_readers.give(conn)
            record["seconds"] = round(time.perf_counter() - started, 3)
            if self.record_exchange is not None:
                self.record_exchange(record, learner_id)


def _shown(text: str, record: dict):
    """`token` events for released text: a token the faithfulness guard marked is an event of
    its own with `unsupported: true`, so every client can show it as "not in the material"."""
    for piece, unsupported in pieces(text):
        record["answer"] += piece
        yield "token", ({"text": piece, "unsupported": True} if unsupported else {"text": piece})
