"""The tutor over HTTP: POST /api/ask (Server-Sent Events) and POST /ask (the no-JavaScript
page), through the real app on a real waitress server with the bundled library and the REAL
embedded SmolLM2-135M model — no fakes of anything Lantern does.

Each test's learner joins the class first (only learners may ask; exchanges are kept in the
class store under them). Answers are read with http.client as they arrive, so the tests see
what a browser sees: the comment line first, then `sources`, `token`s and `done`. Answers are kept to a few tokens
(`Tutor.answer_tokens`); the tests about a closed tab hang up a long answer after its first
tokens. The only stand-in is for Ollama, which cannot run here (tests/fake_ollama.py, faithful
to Ollama's documented API), to make an engine fail mid-answer.
"""
from __future__ import annotations

import html
import http.client
import json
import os
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.engine_state import SHARED_ENGINE_DIR
from kit.tutor.engines.embedded import model_busy
from kit.settings import load_settings
from kit.tutor.answering import NOT_COVERED, ONLY_QUOTES
from tests.fake_ollama import FakeOllama
from tests.web_client import WebClient, sse_fields

SHORT_ANSWER = 8           # tokens: enough to see streaming and rates, quick on two cores
CHAPTERS = "/p/first-web-app/flask-workshop"
COVERED = "How do I make a virtual environment?"
NOT_IN_LIBRARY = "What is the capital of Peru?"


@dataclass
class Event:
    name: str              # "sources", "token", "done", "error", or ":" for a comment line
    data: object
    at: float              # seconds after the request was sent


class AnswerStream:
    """One POST /api/ask, read block by block as the server sends it."""

    def __init__(self, base_url: str, payload, headers: dict, timeout: float = 120):
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
        self.sent_at = time.perf_counter()
        self.connection.request("POST", "/api/ask", body=body, headers=headers)
        self.response = self.connection.getresponse()
        self.first_bytes = b""
        self._buffer = b""

    def events(self):
        """(name, data, arrival) for each SSE block, until the server ends the stream."""
        while True:
            while b"\n\n" not in self._buffer:
                chunk = self.response.read1(65536)
                if not chunk:
                    return
                self.first_bytes = self.first_bytes or chunk
                self._buffer += chunk
            block, self._buffer = self._buffer.split(b"\n\n", 1)
            yield parse_block(block.decode("utf-8"), time.perf_counter() - self.sent_at)

    def close(self) -> None:
        """Hang up, as a closed browser tab does."""
        if self.connection.sock is not None:
            try:
                self.connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:        # the server has closed it already
                pass
        self.response.close()
        self.connection.close()


def parse_block(block: str, at: float) -> Event:
    fields = sse_fields(block)
    return Event(*fields, at) if fields else Event(":", block, at)


class Learner:
    """One browser session on the kit, joined to the class under `nickname` (only learners may
    ask): its cookie and the CSRF token its pages carry."""

    def __init__(self, site, nickname: str = "Ana"):
        self.site = site
        self.web = WebClient(site.url)
        joined = self.web.post("/join", {"nickname": nickname, "next": "/"})
        assert joined.status == 303, joined.text
        learners = site.services.store.learners()
        self.id = next(x["id"] for x in learners if x["nickname"] == nickname)
        self.token = self.web.csrf_token()

    def headers(self, content_type: str = "application/json") -> dict:
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.web.cookies)
        return {"Content-Type": content_type, "X-CSRF-Token": self.token, "Cookie": cookie}

    def start(self, payload) -> AnswerStream:
        return AnswerStream(self.site.url, payload, self.headers())

    def ask(self, question: str, **fields) -> list[Event]:
        stream = self.start({"question": question, **fields})
        assert stream.response.status == 200, stream.response.read()
        try:
            return list(stream.events())
        finally:
            stream.close()

    def post_raw(self, body: bytes, content_type: str = "application/json"):
        return self.web.request("POST", "/api/ask", body, self.headers(content_type))


def site_with(serve, bundled_content, tmp_path, answer_tokens=SHORT_ANSWER, **settings):
    site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR,
                          content_dirs=(bundled_content,), data_dir=tmp_path / "data",
                               **{"engine": "embedded", **settings}))
    site.services.tutor.answer_tokens = answer_tokens
    return site


@pytest.fixture
def site(serve, bundled_content, tmp_path):
    """The bundled library on waitress, answering with the embedded SmolLM2, briefly."""
    return site_with(serve, bundled_content, tmp_path)


@pytest.fixture
def learner(site) -> Learner:
    return Learner(site)


def exchanges(site) -> list[dict]:
    """The tutor's exchange log (kept in the class store, per learner), oldest first."""
    return list(reversed(site.services.store.exchanges()))


def wait_for_exchanges(site, count: int, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(records := exchanges(site)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return records


def names(events: list[Event]) -> list[str]:
    return [event.name for event in events]


def event(events: list[Event], name: str):
    found = [e.data for e in events if e.name == name]
    assert len(found) == 1, f"expected one {name!r} event, got {names(events)}"
    return found[0]


def answer_text(events: list[Event]) -> str:
    return "".join(e.data["text"] for e in events if e.name == "token")


def assert_anchor_exists(site, url: str) -> None:
    path, _, anchor = url.partition("#")
    assert anchor, f"{url} has no anchor"
    status, _, page = site.get(path)
    assert status == 200, f"{path}: {status}"
    assert f'id="{anchor}"' in page, f"{url}: no element with that id on the page"


# ---------------------------------------------------------------------------------------------
# A covered question, answered by the real model

@pytest.fixture
def covered(learner) -> list[Event]:
    return learner.ask(COVERED)


def test_the_answer_is_an_uncached_event_stream(learner):
    stream = learner.start({"question": NOT_IN_LIBRARY})
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        assert stream.response.getheader("Cache-Control") == "no-cache"
        list(stream.events())
    finally:
        stream.close()


def test_a_comment_line_arrives_before_the_model_has_its_first_token(site):
    """The comment is sent as the answer starts, not held back until the model's first token:
    Ben asks while Ana's long answer holds the model, so his comment can come only before any
    token of his (buffered, it would wait for the end of Ana's answer). The order is checked as
    the events arrive, not by their times."""
    site.services.tutor.answer_tokens, site.services.tutor.stop_loops = HOLDER_TOKENS, False
    ana = Learner(site, "Ana").start(HOLDER)
    try:
        assert next(e for e in ana.events() if e.name == "token"), "Ana's answer has no token"
        ben = Learner(site, "Ben").start({"question": "How do helpers use sticky notes in a coding club?"})
        bens = ben.events()
        comment = next(bens)
        ana_still_answering = model_busy() and not exchanges(site)
    finally:
        ana.close()              # hung up: the model goes to Ben
    try:
        assert comment.name == ":" and ben.first_bytes.startswith(b":"), comment
        assert ana_still_answering, ("Ana's answer had ended when Ben's comment came: it was held back "
                                     "(or Ana's answer ended early and the test proves nothing)")
        after = []
        for one in bens:         # then Ben's answer, up to his first token (no need to wait for more)
            after.append(one.name)
            if one.name == "token":
                break
    finally:
        ben.close()
    assert after[-1:] == ["token"], after


def test_events_come_in_order_sources_quotes_tokens_done(covered):
    """The material's quote comes before the model's first word: the facts do not wait for it."""
    order = names(covered)
    assert order[:3] == [":", "sources", "quote"] and order[-1] == "done", order
    body = order[2:-1]
    first_token = body.index("token")
    assert set(body[:first_token]) == {"quote"} and set(body[first_token:]) == {"token"}, order
    assert all(e.data["text"] for e in covered if e.name in ("token", "quote"))


def page_letters(web, path: str) -> str:
    """A page's visible text, tags removed and entities decoded, without any white space
    (inline tags like <code> split words differently than the passage text does)."""
    page = web.get(path).text
    return "".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def test_every_quote_is_verbatim_from_the_page_it_links_to(learner, covered):
    quotes = [e.data for e in covered if e.name == "quote"]
    sources = [s["url"] for s in event(covered, "sources")]
    assert quotes
    for quote in quotes:
        assert quote["url"] in sources and "#" in quote["url"]
        path, _, anchor = quote["url"].partition("#")
        page = learner.web.get(path).text
        assert f'id="{anchor}"' in page
        assert "".join(quote["text"].split()) in page_letters(learner.web, path), quote


def test_the_tutors_words_arrive_a_whole_sentence_at_a_time(covered):
    """Each sentence is held until it ends and judged against the material
    (kit/tutor/guards/sentences.py; streamed sentence by sentence there): the learner gets whole
    sentences — never a sentence cut off by the token cap — or, when none survived, the plain
    line that the lines above are the material's. Never an empty box."""
    words = answer_text(covered).strip()
    assert words == ONLY_QUOTES or re.search(r"[.!?:`)][\"')\]`*]*$", words), words
    assert event(covered, "done")["dropped"] == len(event(covered, "done")["dropped_sentences"])


def test_sources_are_shaped_like_search_results(site, covered):
    sources = event(covered, "sources")
    status, results = site.get_json("/api/search?q=virtual+environment")
    assert status == 200 and results and sources
    for source in sources:
        assert set(source) == set(results[0])
        assert {"title", "pack", "kind", "url", "snippet", "score"} <= set(source)
        assert source["url"].startswith("/p/") and isinstance(source["score"], float)
    assert sources[0]["url"] == f"{CHAPTERS}/01-setting-up#s-make-a-project-folder-and-a-virtual-environment"


def test_done_reports_the_engine_and_its_speed(covered):
    done = event(covered, "done")
    assert done["grounded"] is True
    assert done["engine"] == "embedded" and done["model"].endswith(".gguf")
    assert done["ttft_ms"] > 0 and 0 < done["tokens"] <= SHORT_ANSWER and done["tokens_per_s"] > 0


def test_every_source_links_to_a_passage_that_exists(site, covered):
    for source in event(covered, "sources"):
        assert_anchor_exists(site, source["url"])


# ---------------------------------------------------------------------------------------------
# Grounding: what the library does not cover is not answered by the model

def test_an_out_of_scope_question_gets_the_honest_answer(learner):
    events = learner.ask(NOT_IN_LIBRARY)
    assert names(events)[:2] == [":", "sources"] and names(events)[-1] == "done"
    assert isinstance(event(events, "sources"), list)
    assert answer_text(events) == NOT_COVERED and "does not cover" in NOT_COVERED
    assert event(events, "done")["grounded"] is False


def test_an_out_of_scope_question_never_reaches_the_model(site, learner):
    learner.ask(NOT_IN_LIBRARY)
    record, = exchanges(site)
    assert record["grounded"] is False
    assert "engine" not in record and "model" not in record and "stats" not in record


# ---------------------------------------------------------------------------------------------
# Requests the tutor cannot answer as sent

TRIED = "I ran the app and the page said Internal Server Error"

BAD_REQUESTS = {
    "empty question": ({"question": "   "}, "Write a question first"),
    "unknown mode": ({"question": COVERED, "mode": "solve"}, "'mode' must be one of explain, hint, debug"),
    "question over 4000 characters": ({"question": "a" * 4001}, "too long (4001 characters)"),
    "hint without tried": ({"question": COVERED, "mode": "hint"}, "Think first"),
    "debug without tried": ({"question": "KeyError: 'title'", "mode": "debug"}, "Think first"),
    "hint with too-short tried": ({"question": COVERED, "mode": "hint", "tried": "nothing yet"},
                                  "at least 20 characters"),
    "context not an object": ({"question": COVERED, "context": "chapter 3"}, "'context' must be an object"),
}


@pytest.mark.parametrize("payload, message", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_bad_request_is_a_400_that_says_what_to_change(learner, payload, message):
    response = learner.post_raw(json.dumps(payload).encode())
    assert response.status == 400
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["error"]


def test_a_body_that_is_not_json_is_a_400_asking_for_json(learner):
    response = learner.post_raw(b"question=hello", content_type="application/x-www-form-urlencoded")
    assert response.status == 400
    assert response.json()["error"] == "Send a JSON object with a 'question' field."


def test_a_refused_request_is_not_recorded_as_an_exchange(site, learner):
    learner.post_raw(json.dumps({"question": ""}).encode())
    assert exchanges(site) == []


# ---------------------------------------------------------------------------------------------
# Modes and context

TRACEBACK = """Traceback (most recent call last):
  File "/home/sam/reading-list/app.py", line 14, in home
    return render_template("index.html", books=BOOKS)
jinja2.exceptions.TemplateNotFound: index.html"""


def test_debug_mode_links_the_tutorial_step_that_covers_the_error(site, learner):
    events = learner.ask(TRACEBACK, mode="debug", tried="I made index.html next to app.py and restarted")
    step = event(events, "done")["tutorial_step"]
    assert step["url"].startswith(f"{CHAPTERS}/07-finding-and-fixing-errors#s-"), step
    assert "TemplateNotFound" in step["title"]
    assert_anchor_exists(site, step["url"])


@pytest.mark.parametrize("chapter, first_source", [
    ("04-templates", "04-templates#ex-mark-the-books-you-have-read"),
    ("06-saving-data", "06-saving-data#ex-mark-a-book-as-read"),
])
def test_the_learners_own_chapter_is_preferred(learner, chapter, first_source):
    """Both chapters have a "mark a book as read" exercise that answers the question equally
    well; the one on the page the learner is reading comes first."""
    events = learner.ask("how do I mark a book as read",
                         context={"pack": "first-web-app", "doc": f"flask-workshop/{chapter}"})
    assert event(events, "sources")[0]["url"] == f"{CHAPTERS}/{first_source}"


# ---------------------------------------------------------------------------------------------
# A closed tab

# Seeded and unguarded, the holder's answer runs to the end of the model's context (~1450 tokens,
# ~35 s on two cores) when nobody stops it: what the learner asks for goes on and on (or the
# model repeats itself to the cap). So only a real stop can free the model sooner.
HOLDER = {"question": COVERED, "tried": "Please also write the numbers from 1 to 300, one per line."}
HOLDER_TOKENS = 1500


@dataclass
class HungUp:
    site: object
    seconds_per_token: float       # how fast the model was going when the tab closed
    pool: object                   # the model worker pool (its .last_finish: how the worker ended)


def model_pool(site):
    engine, _reason = site.services.tutor.engine_provider()
    return engine.pool()


@pytest.fixture
def hung_up(serve, bundled_content, tmp_path) -> HungUp:
    """An answer allowed 1500 tokens that would run to the cap (HOLDER), abandoned after its
    first eight."""
    site = site_with(serve, bundled_content, tmp_path, answer_tokens=HOLDER_TOKENS)
    # Unguarded: whether SmolLM2 writes the numbers or loops ("You can't." again and again), the
    # answer runs to the cap, which is what this test needs; the loop guard would end it early.
    site.services.tutor.stop_loops = False
    stream = Learner(site).start(HOLDER)
    tokens = []
    for one in stream.events():
        if one.name == "token":
            tokens.append(one)
            if len(tokens) == 8:
                break
    stream.close()
    assert len(tokens) == 8 and all(t.data["text"] for t in tokens)
    return HungUp(site, (tokens[-1].at - tokens[0].at) / 7, model_pool(site))


def test_closing_the_connection_stops_the_answer(hung_up):
    records = wait_for_exchanges(hung_up.site, 1)
    assert records, "the abandoned exchange was not recorded within 10 s: the model is still going"
    record = records[0]
    assert "stats" not in record, "the answer ran to the end"
    assert 0 < len(record["answer"]) < 200, record["answer"]
    assert hung_up.pool.last_finish == "cancelled", hung_up.pool.last_finish
    assert not model_busy(), "the model is still held"


def test_after_a_closed_answer_the_next_learner_gets_the_model(hung_up):
    """Ben's answer is long too, so when his first token arrives the worker's last finished
    answer is still the holder's: it must have been cancelled, not run to its end."""
    stream = Learner(hung_up.site, "Ben").start({"question": "Why do I need a virtual environment?"})
    try:
        first = next(e for e in stream.events() if e.name == "token")
        holder_finish = hung_up.pool.last_finish
    finally:
        stream.close()
    # Had the first answer gone on, this one would wait for its ~1440 remaining tokens first.
    bound = 1000 * hung_up.seconds_per_token
    assert first.at < bound, (f"the second question waited {first.at:.1f} s (bound {bound:.1f} s; "
                              f"load average {os.getloadavg()[0]:.1f})")
    assert holder_finish == "cancelled", holder_finish


# ---------------------------------------------------------------------------------------------
# The exchange log

def test_every_exchange_is_recorded(site, learner):
    events = learner.ask(COVERED)
    learner.ask(NOT_IN_LIBRARY)
    covered, refused = wait_for_exchanges(site, 2)
    assert covered["learner"] == refused["learner"] == learner.id
    assert covered["question"] == COVERED and covered["mode"] == "explain"
    assert covered["passages"] == [{"url": s["url"], "score": s["score"]} for s in event(events, "sources")]
    assert covered["engine"] == "embedded" and covered["model"] == event(events, "done")["model"]
    assert covered["answer"] == answer_text(events)
    assert covered["seconds"] > 0 and covered["stats"]["tokens"] == event(events, "done")["tokens"]
    assert refused["question"] == NOT_IN_LIBRARY and refused["answer"] == NOT_COVERED
    assert refused["seconds"] >= 0
    # what the learner was shown besides the words, and how faithful the words were
    assert covered["quotes"] == [e.data for e in events if e.name == "quote"] != []
    assert isinstance(covered["unsupported"], list) and 0 <= covered["unsupported_share"] <= 1
    assert covered["looped"] is event(events, "done")["looped"]      # a bool, as the learner was told
    assert covered["dropped"] == event(events, "done")["dropped_sentences"]   # what was held back, and why


# ---------------------------------------------------------------------------------------------
# Engines that fail

def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def no_engine(serve, bundled_content, tmp_path):
    """Ollama chosen, but nothing listens at its address and there is no `ollama` to start."""
    return site_with(serve, bundled_content, tmp_path, engine="ollama",
                     ollama_host=f"127.0.0.1:{closed_port()}", ollama_port=closed_port(),
                     ollama_bin=str(tmp_path / "no-such-ollama"))


def test_an_unavailable_engine_sends_sources_then_a_clear_error(no_engine):
    events = Learner(no_engine).ask(COVERED)
    order = names(events)
    assert order[:2] == [":", "sources"] and order[-1] == "error"
    assert set(order[2:-1]) == {"quote"}, "the material's lines need no model"
    assert event(events, "sources"), "the learner still gets the passages"
    assert "Ollama is not running" in event(events, "error")["message"]


def test_after_an_engine_error_the_kit_keeps_working_and_logged_it(no_engine):
    Learner(no_engine).ask(COVERED)
    status, results = no_engine.get_json("/api/search?q=virtual+environment")
    assert status == 200 and results
    record, = exchanges(no_engine)
    assert "Ollama is not running" in record["error"]


def test_an_engine_failing_mid_answer_sends_an_error_after_the_first_words(serve, bundled_content, tmp_path):
    with FakeOllama(reply="A virtual environment keeps the packages of one project apart",
                    fail_after=3) as ollama:
        site = site_with(serve, bundled_content, tmp_path, engine="ollama", ollama_host=ollama.url,
                         ollama_bin=str(tmp_path / "no-such-ollama"))
        events = Learner(site).ask(COVERED)
        assert ollama.chunks_sent == 3          # the model's first words, then its failure
    order = names(events)
    assert order[:3] == [":", "sources", "quote"] and order[-1] == "error"
    # the guards may still hold back the last words ("virtual environment" is in the quote):
    # what the learner saw is the start of what the model wrote, and the error says why it stops
    assert "A virtual environment ".startswith(answer_text(events))
    assert "failed in the middle of the answer" in event(events, "error")["message"]


# ---------------------------------------------------------------------------------------------
# Without JavaScript: POST /ask answers with a whole page

def test_the_form_answer_is_a_whole_page_with_text_sources_and_stats(site, learner):
    page = learner.web.post("/ask", {"question": COVERED, "mode": "explain"})
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "<!doctype html>" in page.text.lower()
    answer, = re.findall(r'<div class="answer-text">(.*?)</div>', page.text, re.S)
    assert html.unescape(answer) == exchanges(site)[0]["answer"] != ""
    links = re.findall(r'<li class="source-card"><a href="([^"]+)"', page.text)
    assert links and links[0].startswith(f"{CHAPTERS}/01-setting-up#")
    assert re.search(r'class="answer-stats">embedded · .+ · \d+ tokens', page.text)


def test_the_form_without_think_first_comes_back_with_what_was_typed(learner):
    page = learner.web.post("/ask", {"question": "stuck on the next book link", "mode": "hint",
                                     "tried": "no idea"})
    assert page.status == 400
    assert "Think first" in page.text and 'role="alert"' in page.text
    assert ">stuck on the next book link</textarea>" in page.text
    assert ">no idea</textarea>" in page.text
    assert re.search(r'value="hint"\s+checked', page.text)


def test_the_learners_text_is_escaped_on_the_answer_page(learner):
    question = "<script>alert(1)</script> what is the capital of Peru?"
    page = learner.web.post("/ask", {"question": question, "mode": "explain"})
    assert page.status == 200
    assert "<script>alert(1)</script>" not in page.text
    assert html.escape(question, quote=False) in page.text


def test_the_form_answer_shows_an_engine_error_beside_the_sources(no_engine):
    page = Learner(no_engine).web.post("/ask", {"question": COVERED, "mode": "explain"})
    assert page.status == 200
    assert re.search(r'<p class="notice">The tutor could not answer: Ollama is not running', page.text)
    assert re.search(r'<li class="source-card"><a href="/p/', page.text)


def test_a_worker_killed_mid_answer_ends_it_with_an_error_while_pages_go_on(serve, bundled_content,
                                                                           tmp_path):
    """SIGKILL the model worker while a learner's answer streams: that answer ends with an
    `error` event saying the tutor restarts, pages and search answer meanwhile, the exchange
    is recorded with the error, and the next question is answered."""
    import os
    import signal

    from kit.tutor.engines.embedded import _pools
    site = site_with(serve, bundled_content, tmp_path, answer_tokens=400)
    # Unguarded, so the model's words stream as it makes them and the answer is still going when
    # the first one arrives (the sentence filter may hold or end a guarded answer at once).
    site.services.tutor.stop_loops = False
    ana = Learner(site)
    stream = ana.start({"question": COVERED})
    events = stream.events()
    assert next(e for e in events if e.name == "token")
    pool = next(p for p in _pools.values() if p.worker is not None and p.answer_lock.locked())
    os.kill(pool.pid(), signal.SIGKILL)
    rest = list(events)
    stream.close()
    assert rest[-1].name == "error" and "restarting" in rest[-1].data["message"]
    assert site.get("/")[0] == 200 and site.get("/search?q=template")[0] == 200
    record = wait_for_exchanges(site, 1)[0]
    assert "restarting" in record["error"]
    site.services.tutor.answer_tokens = SHORT_ANSWER
    again = ana.ask(COVERED)
    assert again[-1].name == "done" and any(e.name == "token" for e in again)
