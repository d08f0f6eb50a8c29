"""Classroom load test: one `kit serve` (embedded model, default threads) on loopback, with 40
learners reading and searching and 10 more asking the tutor, for 3 minutes.

Each simulated learner is a thread with its own cookies (a device of its own): it joins with a
nickname, then
- readers loop over the home page, pack pages, chapters, transcripts, the search page and
  /api/search with varied queries, with short think times (0.5-2 s: far busier than a real
  class, where people read for minutes);
- askers ask questions from a fixed list one after another (POST /api/ask), reading each
  Server-Sent Events stream to its end; a 429 is waited out (Retry-After) and asked again.

Printed: requests by kind; errors (any non-2xx other than the asks' expected 429s, a 303 only
where the form answers with one, and every socket error or timeout: must be 0); page latency
p50/p95/p99 overall, while the model is generating and while it is idle; questions asked vs
answered vs lost (lost = a 2xx stream that never got `done`: must be 0); the wait for the model
(time from sending to the first token, less the model's own time to first token from `done`)
and the most `queue` places ahead seen. The bench and the kit share the machine's cores, so
latencies include the bench's own CPU use.

Bounded: every socket operation has a timeout, each answer a total time limit, every thread a
join deadline; the kit is stopped in `finally`; it listens on 127.0.0.1 only and uses a temp
data folder (removed afterwards).

    .venv/bin/python bench/classroom_load.py [--seconds 180] [--readers 40] [--askers 10]
        [--model-host URL ...] [--loopback-workers N]

Printed last: answers a minute (per model host with --model-host / --loopback-workers).

tests/test_classroom_load.py runs the same `run_load` briefly.
"""
from __future__ import annotations

import argparse
import bisect
import http.client
import json
import math
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PAGE_TIMEOUT_S = 30          # each socket operation of a page request
ASK_TIMEOUT_S = 180          # each socket operation of an answer (waiting in line included)
ANSWER_LIMIT_S = 600         # a whole answer, from sending to the end of the stream
START_TIMEOUT_S = 120
PAGE_KINDS = ("home", "pack", "chapter", "transcript", "search_page", "api_search")

SEARCHES = ["flask", "virtual environment", "route", "template", "form POST", "sqlite", "debugging",
            "rubber duck", "404", "redirect", "pip install", "wheel", "jinja", "commit", "KeyError",
            "TemplateNotFound", "coding club", "offline", "python", "variable", "html", "request.form",
            "url_for", "static files", "error message", "traceback", "database", "book list",
            "port 5000", "activate", "helpers", "pairing", "mentor", "usb stick", "internet"]
QUESTIONS = [
    "How do I install Flask from the wheels folder without internet?",
    "Why should I make a virtual environment for my project?",
    "What does the @app.route decorator do?",
    "How do I put a Python variable into an HTML template?",
    "What is the difference between GET and POST?",
    "Why do we redirect after the form adds a book?",
    "What happens if I forget conn.commit() after an INSERT?",
    "What is rubber duck debugging?",
    "What does 127.0.0.1:5000 in the address bar mean?",
    "How do I read a value the learner typed into a form?",
]


# ---------------------------------------------------------------------------------------------
# The kit under test


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def kit_command() -> list[str]:
    """The venv's `kit` console script beside this Python, else `python -m kit`."""
    script = Path(sys.executable).with_name("kit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kit"]


@dataclass
class Kit:
    process: subprocess.Popen
    port: int
    data: Path
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def start_kit(data: Path, content: Path, model_hosts: tuple[str, ...] = ()) -> Kit:
    """`kit serve` on a free loopback port with the embedded engine (and `--model-host`s);
    returns once it serves."""
    port, log = free_port(), data.parent / "kit.log"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")},
           "LANTERN_ENGINE": "embedded", "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        hosts = [arg for url in model_hosts for arg in ("--model-host", url)]
        process = subprocess.Popen([*kit_command(), "serve", "--port", str(port), "--data", str(data),
                                    "--content", str(content), *hosts], stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    kit = Kit(process, port, data, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if "Press Ctrl+C to stop." in log.read_text(errors="replace"):
            return kit
        time.sleep(0.1)
    kit.stop()
    raise RuntimeError(f"the kit did not start:\n{log.read_text(errors='replace')[-3000:]}")


def library_pages(data: Path) -> dict[str, list[str]]:
    """URLs by kind (pack, chapter, transcript) from the index the kit built."""
    conn = sqlite3.connect(f"file:{data / 'index.sqlite'}?mode=ro", uri=True)
    try:
        pages: dict[str, list[str]] = {"pack": [f"/p/{pack}/" for (pack,) in conn.execute("SELECT id FROM packs")]}
        for pack, slug, kind in conn.execute("SELECT pack, slug, kind FROM documents ORDER BY pack, slug"):
            pages.setdefault(kind, []).append(f"/p/{pack}/{slug}")
    finally:
        conn.close()
    return pages


# ---------------------------------------------------------------------------------------------
# What the learners saw


@dataclass
class Request:
    kind: str
    started: float           # time.monotonic()
    seconds: float
    status: int | None       # None: a socket error or timeout


@dataclass
class Question:
    sent: float
    status: int
    done: bool = False
    ended: float | None = None
    first_token: float | None = None
    engine_ttft_s: float | None = None
    grounded: bool | None = None
    most_ahead: int = 0
    queue_events: int = 0
    helper: str | None = None       # the model host that answered (`done`), with --model-host
    moved: int = 0                  # `moved` events: a host lost mid-answer
    problem: str = ""


@dataclass
class Results:
    """Shared by every learner thread; a lock around each change."""
    requests: list[Request] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    refused_429: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_request(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Device:
    """One learner's browser: its session cookie and the CSRF token from its pages."""

    def __init__(self, port: int, results: Results):
        self.port, self.results = port, results
        self.cookie, self.token = "", ""

    def _keep_cookie(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("lantern="):
                self.cookie = header.split(";", 1)[0]

    def _headers(self, extra: dict | None = None) -> dict:
        return {**({"Cookie": self.cookie} if self.cookie else {}), **(extra or {})}

    def request(self, kind: str, method: str, path: str, body: str | None = None,
                headers: dict | None = None, expect: tuple[int, ...] = (200,)) -> str | None:
        """The body of a page, or None after recording an error."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=PAGE_TIMEOUT_S)
        started, status = time.monotonic(), None
        try:
            connection.request(method, path, body=body, headers=self._headers(headers))
            response = connection.getresponse()
            status, text = response.status, response.read().decode("utf-8", "replace")
            self._keep_cookie(response)
        except (OSError, http.client.HTTPException) as error:
            self.results.error(f"{method} {path}: {error!r}")
            return None
        finally:
            connection.close()
            self.results.add_request(Request(kind, started, time.monotonic() - started, status))
        if status not in expect:
            self.results.error(f"{method} {path}: HTTP {status} {text[:160]!r}")
            return None
        return text

    def join(self, nickname: str) -> bool:
        page = self.request("join_page", "GET", "/join")
        found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page or "")
        if not found:
            if page is not None:
                self.results.error("GET /join: no CSRF token in the page")
            return False
        self.token = found.group(1)
        body = urlencode({"nickname": nickname, "next": "/", "csrf_token": self.token})
        return self.request("join", "POST", "/join", body,
                            {"Content-Type": "application/x-www-form-urlencoded"}, expect=(303,)) is not None

    def ask(self, text: str) -> tuple[int | None, dict, Question | None]:
        """POST /api/ask and read the stream to its end: (status, headers, the Question if 2xx)."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=ASK_TIMEOUT_S)
        sent = time.monotonic()
        try:
            connection.request("POST", "/api/ask", json.dumps({"question": text, "mode": "explain"}),
                               self._headers({"Content-Type": "application/json",
                                              "X-CSRF-Token": self.token}))
            response = connection.getresponse()
            if response.status != 200:
                body = response.read(500).decode("utf-8", "replace")
                return response.status, {"retry-after": response.getheader("Retry-After"),
                                         "body": body}, None
            question = Question(sent, response.status)
            self._read_answer(response, question)
            return response.status, {}, question
        except (OSError, http.client.HTTPException, ValueError) as error:
            self.results.error(f"POST /api/ask: {error!r}")
            return None, {}, None
        finally:
            connection.close()

    def _read_answer(self, response: http.client.HTTPResponse, question: Question) -> None:
        buffer = b""
        try:
            while not question.done:
                if time.monotonic() - question.sent > ANSWER_LIMIT_S:
                    question.problem = f"no answer after {ANSWER_LIMIT_S} s"
                    return
                chunk = response.read1(65536)
                if not chunk:
                    question.problem = question.problem or "the stream ended without `done`"
                    return
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    self._event(block.decode("utf-8"), question)
        except (OSError, http.client.HTTPException, ValueError) as error:
            question.problem = f"reading the answer: {error!r}"
        finally:
            question.ended = time.monotonic()

    @staticmethod
    def _event(block: str, question: Question) -> None:
        name, data = None, ""
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data += line[len("data: "):]
        if name is None:
            return                                  # the opening comment line
        payload = json.loads(data)
        if name == "queue":
            question.queue_events += 1
            question.most_ahead = max(question.most_ahead, payload["ahead"])
        elif name == "token" and question.first_token is None:
            question.first_token = time.monotonic()
        elif name == "done":
            question.done, question.grounded = True, payload.get("grounded")
            question.helper = payload.get("helper")
            ttft = payload.get("ttft_ms")
            question.engine_ttft_s = ttft / 1000 if ttft is not None else None
        elif name == "moved":
            question.moved += 1
        elif name == "error":
            question.problem = f"error event: {payload.get('message')}"


# ---------------------------------------------------------------------------------------------
# The learners


def reader(n: int, port: int, pages: dict, results: Results, until: float, seed: int) -> None:
    randomly = random.Random(seed + n)
    device = Device(port, results)
    if not device.join(f"reader{n}"):
        return
    visits = [("home", lambda: "/"), ("pack", lambda: randomly.choice(pages["pack"])),
              ("chapter", lambda: randomly.choice(pages["chapter"])),
              ("transcript", lambda: randomly.choice(pages["transcript"])),
              ("search_page", lambda: "/search?" + urlencode({"q": randomly.choice(SEARCHES)})),
              ("api_search", lambda: "/api/search?" + urlencode(
                  {"q": randomly.choice(SEARCHES), "limit": randomly.choice([5, 10, 20]),
                   **randomly.choice([{}, {}, {"kind": "chapter"}, {"kind": "transcript"}])}))]
    weights = [1, 1, 4, 2, 2, 3]
    while time.monotonic() < until:
        kind, path = randomly.choices(visits, weights)[0]
        device.request(kind, "GET", path())
        time.sleep(randomly.uniform(0.5, 2.0))      # reading (briefly)


def asker(n: int, port: int, results: Results, until: float, seed: int) -> None:
    randomly = random.Random(seed + 1000 + n)
    device = Device(port, results)
    if not device.join(f"asker{n}"):
        return
    turn = n                                       # askers start at different questions
    while time.monotonic() < until:
        text = QUESTIONS[turn % len(QUESTIONS)]
        status, headers, question = device.ask(text)
        if status == 429:
            results.refused_429[_refusal_kind(headers["body"])] += 1
            retry = int(headers.get("retry-after") or 5)     # "one question each" has none
            time.sleep(min(retry, max(0.0, until - time.monotonic())))
            continue                               # the same question again
        if question is None:
            if status is not None:
                results.error(f"POST /api/ask: HTTP {status} {headers.get('body', '')[:160]!r}")
            time.sleep(1)
        else:
            with results.lock:
                results.questions.append(question)
        turn += 1
        time.sleep(randomly.uniform(0.5, 2.0))


def _refusal_kind(body: str) -> str:
    if "in the last minute" in body:
        return "rate limit"
    if "already have a question" in body:
        return "one question each"
    return "queue full" if "questions waiting" in body else "other"


# ---------------------------------------------------------------------------------------------
# The report


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def busy_spans(questions: list[Question]) -> list[tuple[float, float]]:
    """When the model was generating: from the engine call (first token less its ttft) to the
    end of each answer, merged."""
    spans = sorted((q.first_token - (q.engine_ttft_s or 0.0), q.ended) for q in questions
                   if q.first_token is not None and q.ended is not None)
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def during(spans: list[tuple[float, float]], moment: float) -> bool:
    i = bisect.bisect_right(spans, (moment, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= moment <= spans[i][1]


@dataclass
class Report:
    seconds: float
    requests_by_kind: dict
    errors: list[str]
    page_ms: dict                 # "all" / "model busy" / "model idle" -> [latencies in ms]
    asked: int
    answered: int
    lost: list[str]
    refused_429: dict
    waits_s: list[float]
    most_ahead: int
    busy_share: float
    by_helper: dict = field(default_factory=dict)
    moved: int = 0

    def lines(self) -> list[str]:
        def ms(values):
            return (f"p50 {percentile(values, 50):7.1f}  p95 {percentile(values, 95):7.1f}  "
                    f"p99 {percentile(values, 99):7.1f} ms  (n={len(values)})")
        out = [f"Classroom load: {self.seconds:.0f} s on 127.0.0.1",
               "requests by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(self.requests_by_kind.items())),
               f"errors: {len(self.errors)}" + "".join(f"\n  {e}" for e in self.errors[:20]),
               f"page latency, all:           {ms(self.page_ms['all'])}",
               f"page latency, model busy:    {ms(self.page_ms['model busy'])}",
               f"page latency, model idle:    {ms(self.page_ms['model idle'])}",
               f"model generating {100 * self.busy_share:.0f}% of the time",
               f"questions: asked {self.asked}, answered {self.answered}, lost {len(self.lost)}"
               + "".join(f"\n  lost: {why}" for why in self.lost[:20]),
               "refused with 429 (then retried after Retry-After): "
               + (", ".join(f"{k} {v}" for k, v in sorted(self.refused_429.items())) or "none"),
               f"wait for the model (to first token, less the model's own ttft): "
               f"p50 {percentile(self.waits_s, 50):.1f}  p95 {percentile(self.waits_s, 95):.1f}  "
               f"max {max(self.waits_s, default=float('nan')):.1f} s  (n={len(self.waits_s)}); "
               f"most places ahead seen: {self.most_ahead}",
               f"answers a minute: {60 * self.answered / self.seconds:.1f}"
               + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(self.by_helper.items())) + ")"
                  if self.by_helper else "")
               + (f"; moved to another helper mid-answer: {self.moved}" if self.moved else "")]
        return out


def report(results: Results, seconds: float, started: float, ended: float) -> Report:
    spans = busy_spans(results.questions)
    pages = [r for r in results.requests if r.kind in PAGE_KINDS and r.status == 200]
    busy = [r for r in pages if during(spans, r.started)]
    idle = [r for r in pages if not during(spans, r.started)]
    busy_time = sum(min(e, ended) - max(s, started) for s, e in spans if e > started and s < ended)
    answered = [q for q in results.questions if q.done]
    waits = [max(0.0, q.first_token - q.sent - q.engine_ttft_s) for q in answered
             if q.grounded and q.first_token is not None and q.engine_ttft_s is not None]
    return Report(
        seconds=seconds,
        requests_by_kind={**Counter(r.kind for r in results.requests), "ask": len(results.questions),
                          "ask (429)": sum(results.refused_429.values())},
        errors=list(results.errors),
        page_ms={"all": [r.seconds * 1000 for r in pages], "model busy": [r.seconds * 1000 for r in busy],
                 "model idle": [r.seconds * 1000 for r in idle]},
        asked=len(results.questions), answered=len(answered),
        lost=[q.problem or "no `done`" for q in results.questions if not q.done],
        refused_429=dict(results.refused_429), waits_s=waits,
        most_ahead=max((q.most_ahead for q in results.questions), default=0),
        busy_share=busy_time / max(1e-9, ended - started),
        by_helper=dict(Counter(q.helper for q in answered if q.helper)),
        moved=sum(q.moved for q in results.questions))


# ---------------------------------------------------------------------------------------------
# Running it


def run_load(seconds: float = 180, readers: int = 40, askers: int = 10, seed: int = 2026,
             content: Path | None = None, say=print, model_hosts: tuple[str, ...] = ()) -> Report:
    """Start a kit, run the class for `seconds`, stop the kit; the report (also printed)."""
    folder = Path(tempfile.mkdtemp(prefix="lantern-load-"))
    kit = None
    try:
        kit = start_kit(folder / "data", content or ROOT / "content", model_hosts)
        pages = library_pages(kit.data)
        results = Results()
        started = time.monotonic()
        until = started + seconds
        threads = [threading.Thread(target=reader, args=(n, kit.port, pages, results, until, seed),
                                    daemon=True) for n in range(readers)]
        threads += [threading.Thread(target=asker, args=(n, kit.port, results, until, seed), daemon=True)
                    for n in range(askers)]
        for thread in threads:
            thread.start()
        # Askers finish the question they are reading when time is up; each is bounded.
        deadline = until + ANSWER_LIMIT_S + 60
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        stuck = sum(thread.is_alive() for thread in threads)
        if stuck:
            results.error(f"{stuck} learner thread(s) did not finish in time")
        ended = time.monotonic()
        if kit.process.poll() is not None:
            results.error(f"the kit exited during the run (code {kit.process.returncode})")
        result = report(results, seconds, started, ended)
        for line in result.lines():
            say(line)
        return result
    finally:
        if kit is not None:
            kit.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180, help="how long the class runs (default 180)")
    parser.add_argument("--readers", type=int, default=40, help="learners reading and searching (40)")
    parser.add_argument("--askers", type=int, default=10, help="learners asking the tutor (10)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--model-host", action="append", default=[], metavar="URL",
                        help="a model host for the kit (kit serve --model-host), repeatable")
    parser.add_argument("--loopback-workers", type=int, default=0, metavar="N",
                        help="start N more model workers on this machine (python -m llama_cpp.server, "
                             "one thread each, the bundled SmolLM2) as model hosts: more workers on "
                             "one laptop")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.loopback_workers import loopback_workers
    with loopback_workers(args.loopback_workers) as extra:
        result = run_load(args.seconds, args.readers, args.askers, args.seed,
                          model_hosts=(*args.model_host, *extra))
    sys.exit(1 if result.errors or result.lost else 0)


if __name__ == "__main__":
    main()
