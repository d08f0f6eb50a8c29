"""The model shared fairly, through HTTP: the real app on a real waitress server, the bundled
library, real TinyDB files in a temp folder and the REAL embedded SmolLM2-135M, one answer at a
time (model_slots=1).

A learner who has to wait gets the search results at once, then their place in the queue every
second ("1 question ahead of you"), then the answer; they can cancel, or just close the tab, and
their place is given up. One question waiting per learner, a per-learner rate limit, and the
teacher's class settings (modes, think-first, tutor on/off) are enforced on every question.

To make learners wait, a "holder" asks a question whose answer is long (1,500 tokens allowed;
seeded, this one runs to the cap, ~40 s, with the loop guard off for it: it loops) and hangs up
when the test is done with it; everyone
else's answers are kept to a few tokens (`Tutor.answer_tokens`, read when an answer starts).
`still_answering` fails a test whose holder stopped early, so a changed model shows up as a
clear failure, not as a test that proves nothing.
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.engine_state import SHARED_ENGINE_DIR
from kit.tutor.engines.embedded import model_busy
from kit.settings import load_settings
from tests.web_client import WebClient, logged_in_teacher, sse_fields

SHORT_ANSWER = 8           # tokens for everyone but the holder
LONG_ANSWER = 1500         # the holder's: long enough to keep the model busy while tests look
CHAPTER = "/p/first-web-app/flask-workshop/02-hello-web"
PIN = "97531"
HOLDERS_QUESTION = "What does a route do?"   # seeded, runs to the 1,500-token cap (~40 s)
COVERED = ["How do I run a Flask app?", "What does a route do?", "How do I install Flask?",
           "How do I show a template?"]
NOT_IN_LIBRARY = "What is the capital of Peru?"
TRIED = "I read the chapter twice and tried flask run"
WAIT = 120                 # seconds: generous, the machine is shared and slow


@dataclass
class Event:
    name: str              # "sources", "queue", "token", "done", "error"
    data: object
    at: float              # time.monotonic() when it arrived


class Answer:
    """One POST /api/ask, read in a thread of its own as the server sends it, so a test can
    watch several learners' streams at once."""

    def __init__(self, base_url: str, payload: dict, headers: dict, learner: Learner | None = None):
        self.learner = learner     # who asked
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT)
        self.connection.request("POST", "/api/ask", body=json.dumps(payload), headers=headers)
        self.sock = self.connection.sock    # the response keeps it; the connection lets go
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.headers = {k.lower(): v for k, v in self.response.getheaders()}
        self.events: list[Event] = []
        self.ended_at: float | None = None
        self.body = b""
        self._changed = threading.Condition()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
        else:
            self.body = self.response.read()
            self.ended_at = time.monotonic()
            self.connection.close()

    def _read(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self.response.read1(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    event = parse_block(block.decode("utf-8"))
                    if event is not None:
                        with self._changed:
                            self.events.append(event)
                            self._changed.notify_all()
        except (OSError, ValueError, http.client.HTTPException):
            pass                  # hung up by the test
        finally:
            self.response.close()     # the socket itself closes only with its last user
            self.connection.close()
            with self._changed:
                self.ended_at = time.monotonic()
                self._changed.notify_all()

    def json(self):
        return json.loads(self.body)

    def names(self) -> list[str]:
        return [e.name for e in self.events]

    def first(self, name: str, where=lambda data: True, timeout: float = WAIT) -> Event:
        """The first `name` event (matching `where`), waiting for it; fails if the stream ends
        or the time runs out without one."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((e for e in self.events if e.name == name and where(e.data)), None)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                assert self.ended_at is None and remaining > 0, \
                    f"no {name!r} event; the stream had {self.names()}"
                self._changed.wait(remaining)

    def wait_end(self, timeout: float = WAIT) -> list[str]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.ended_at is None and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
        assert self.ended_at is not None, f"the stream did not end; it had {self.names()}"
        return self.names()

    def text(self) -> str:
        return "".join(e.data["text"] for e in self.events if e.name == "token")

    def hang_up(self) -> None:
        """Close the connection, as a closed browser tab does: the reader then closes the
        socket for good. (Shut down but left open, the server would never notice: it finds out
        only when a write is refused.)"""
        if self.ended_at is None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.wait_end(timeout=10)


def parse_block(block: str) -> Event | None:
    fields = sse_fields(block)
    return Event(*fields, time.monotonic()) if fields else None   # None: the opening comment


class Learner:
    """One device: its cookie and the CSRF token its pages carry."""

    def __init__(self, site, nickname: str | None, answers: list):
        self.site, self.web, self._answers = site, WebClient(site.url), answers
        if nickname is not None:
            response = self.web.post("/join", {"nickname": nickname, "next": "/"})
            assert response.status == 303, response.text
        self.token = self.web.csrf_token()
        self.nickname = nickname

    @property
    def id(self) -> str:
        store = self.site.services.store
        return next(x["id"] for x in store.learners() if x["nickname"] == self.nickname)

    def ask(self, question: str, **fields) -> Answer:
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.web.cookies)
        answer = Answer(self.site.url, {"question": question, **fields},
                        {"Content-Type": "application/json", "X-CSRF-Token": self.token,
                         "Cookie": cookie}, learner=self)
        self._answers.append(answer)
        return answer

    def cancel(self):
        return self.web.post_json("/api/ask/cancel", {}, token=self.token)


@pytest.fixture
def site(serve, bundled_content, tmp_path):
    site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR,
                          content_dirs=(bundled_content,), data_dir=tmp_path / "data",
                               engine="embedded", model_slots=1))
    site.services.tutor.answer_tokens = SHORT_ANSWER
    site.services.store.set_teacher_pin(PIN)
    return site


@pytest.fixture
def learners(site):
    """learners("Ana") joins a learner (None: a device that has not joined). Every stream still
    open at the end is hung up, and the test ends once the server has noticed (the queue is
    empty and the model free), so no answer outlives its test and holds the model while the
    next one starts."""
    answers: list[Answer] = []
    yield lambda nickname: Learner(site, nickname, answers)
    for answer in answers:
        answer.hang_up()
    queue, deadline = site.services.model_queue, time.monotonic() + 30
    while (queue.snapshot() or model_busy()) \
            and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.fixture
def holder(site, learners) -> Answer:
    """The model's one slot, taken by a long answer that is already streaming."""
    tutor = site.services.tutor
    tutor.answer_tokens, tutor.stop_loops = LONG_ANSWER, False   # SmolLM2 loops to the cap here
    answer = learners("Holder").ask(HOLDERS_QUESTION)
    assert answer.status == 200, answer.body
    answer.first("token")                 # it has the slot, and read its answer_tokens
    tutor.answer_tokens, tutor.stop_loops = SHORT_ANSWER, True
    return answer


def still_answering(holder: Answer) -> None:
    assert holder.ended_at is None, "the holder's answer ended early: the test proves nothing"


def teacher(site) -> WebClient:
    return logged_in_teacher(site.url, PIN)


def set_class(site, **changes) -> None:
    """The teacher saves the class settings form: everything as by default except `changes`;
    a switch given as None is left unticked (off)."""
    form = {"modes": ["explain", "hint", "debug"], "think_first": "on", "think_first_min": "20",
            "tutor_enabled": "on", "questions_per_minute": "3", "announcement": "", **changes}
    fields = [(name, value) for name, values in form.items() if values is not None
              for value in (values if isinstance(values, list) else [values])]
    response = teacher(site).post("/teacher/settings", fields)
    assert (response.status, response.location) == (303, "/teacher#settings"), response.text


def modes_offered(page: str) -> list[str]:
    return re.findall(r'<input type="radio" name="mode" value="(\w+)"', page)


# ---------------------------------------------------------------------------------------------
# Who may ask


def test_a_learner_who_has_not_joined_is_told_to_join(learners):
    answer = learners(None).ask(COVERED[0])
    assert answer.status == 401
    assert "Join the class" in answer.json()["error"]


# ---------------------------------------------------------------------------------------------
# Waiting for the model


def test_a_waiting_learner_gets_the_sources_at_once_then_their_place_then_the_answer(learners, holder):
    bo = learners("Bo").ask(COVERED[0])
    bo.first("queue")
    cy = learners("Cy").ask(COVERED[1])
    assert cy.status == 200
    sources = cy.first("sources")
    first_place = cy.first("queue")
    still_answering(holder)                   # both came while the model was busy elsewhere
    assert sources.data and sources.data[0]["url"].startswith("/p/")
    assert first_place.data == {"position": 2, "ahead": 1}
    holder.hang_up()                          # the model is free: Bo, then Cy
    assert cy.wait_end()[-1] == "done", cy.names()
    names = cy.names()
    assert names[0] == "sources" and names.index("token") > names.index("queue")
    waiting = names[1:names.index("token")]     # the material's quotes need no model: they come at once
    assert "queue" in waiting and set(waiting) <= {"quote", "queue"}
    assert all(name == "quote" for name in waiting[:waiting.index("queue")]), names
    aheads = [e.data["ahead"] for e in cy.events if e.name == "queue"]
    assert aheads == sorted(aheads, reverse=True) and aheads[0] == 1, aheads
    assert cy.text()
    assert bo.wait_end()[-1] == "done"
    assert bo.ended_at <= cy.first("token").at, "first come, first served"


def test_the_learner_next_in_line_is_told_they_are_next(learners, holder):
    bo = learners("Bo").ask(COVERED[0])
    place = bo.first("queue")
    still_answering(holder)
    assert place.data == {"position": 1, "ahead": 0}


def test_a_learner_with_a_question_waiting_cannot_ask_another(learners, holder):
    bo = learners("Bo")
    bo.ask(COVERED[0]).first("queue")
    again = bo.ask(COVERED[1])
    still_answering(holder)
    assert again.status == 429
    assert "already have a question" in again.json()["error"]


def test_a_full_queue_refuses_with_retry_after_and_frees_no_place(site, learners, holder):
    site.services.model_queue.max_waiting = 1
    bo_learner = learners("Bo")
    bo = bo_learner.ask(COVERED[0])
    bo.first("queue")
    cy = learners("Cy").ask(COVERED[1])
    still_answering(holder)
    assert cy.status == 429
    assert "1 question waiting" in cy.json()["error"]
    assert cy.headers["retry-after"] == "60"
    waiting = [t["learner"] for t in site.services.model_queue.snapshot()
               if t["state"] == "waiting"]
    assert waiting == [bo_learner.id]
    holder.hang_up()
    assert bo.wait_end()[-1] == "done"         # the one waiting is still served


def test_cancelling_while_waiting_ends_the_stream_with_a_cancelled_error(learners, holder):
    bo = learners("Bo")
    waiting = bo.ask(COVERED[0])
    waiting.first("queue")
    response = bo.cancel()
    assert (response.status, response.json()) == (200, {"cancelled": True})
    names = waiting.wait_end(timeout=30)
    still_answering(holder)
    assert names[-1] == "error" and "token" not in names, names
    assert waiting.events[-1].data["cancelled"] is True


def test_after_cancelling_the_learner_can_ask_again(learners, holder):
    bo = learners("Bo")
    bo.ask(COVERED[0]).first("queue")
    assert bo.cancel().json() == {"cancelled": True}
    again = bo.ask(COVERED[1])
    assert again.status == 200, again.body
    assert again.first("queue").data == {"position": 1, "ahead": 0}
    still_answering(holder)


def test_cancel_once_the_answer_has_begun_leaves_the_learner_their_one_question(learners, holder):
    """Cancel is for leaving the line: an answer being written is not taken back, so the
    learner cannot free their place while the model still works for them and ask another."""
    response = holder.learner.cancel()
    assert (response.status, response.json()) == (200, {"cancelled": False})
    again = holder.learner.ask(COVERED[0])
    still_answering(holder)
    assert again.status == 429 and "already have a question" in again.json()["error"]


def test_cancelling_with_no_question_waiting_cancels_nothing(learners):
    response = learners("Bo").cancel()
    assert (response.status, response.json()) == (200, {"cancelled": False})


def test_a_closed_connection_while_waiting_gives_the_place_to_the_next_learner(learners, holder):
    bo = learners("Bo").ask(COVERED[0])
    bo.first("queue")
    cy = learners("Cy").ask(COVERED[1])
    cy.first("queue", lambda place: place["ahead"] == 1)
    bo.hang_up()                              # Bo closes the tab while waiting
    moved_up = cy.first("queue", lambda place: place["ahead"] == 0, timeout=30)
    still_answering(holder)
    assert moved_up.data == {"position": 1, "ahead": 0}
    holder.hang_up()
    assert cy.wait_end()[-1] == "done"        # the next learner is served


# ---------------------------------------------------------------------------------------------
# The teacher's class settings, enforced on every question


def test_the_rate_limit_set_by_the_teacher_refuses_a_second_question_with_retry_after(site, learners):
    set_class(site, questions_per_minute="1")
    bo = learners("Bo")
    assert bo.ask(NOT_IN_LIBRARY).wait_end()[-1] == "done"
    second = bo.ask(NOT_IN_LIBRARY)
    assert second.status == 429
    assert "in the last minute; try again in" in second.json()["error"]
    assert 1 <= int(second.headers["retry-after"]) <= 60


def test_a_mode_the_teacher_has_not_allowed_is_refused_naming_the_allowed_one(site, learners):
    set_class(site, modes=["explain"])
    answer = learners("Bo").ask(COVERED[0], mode="hint", tried=TRIED)
    assert answer.status == 400
    assert answer.json()["error"] == ("Your teacher has set the tutor to Explain for now; "
                                      "Hint is not available.")


def test_the_ask_box_offers_only_the_modes_the_teacher_allowed(site, learners):
    bo = learners("Bo")
    assert modes_offered(bo.web.get(CHAPTER).text) == ["explain", "hint", "debug"]
    set_class(site, modes=["explain"])
    assert modes_offered(bo.web.get(CHAPTER).text) == ["explain"]


def test_with_the_tutor_turned_off_questions_are_refused(site, learners):
    set_class(site, tutor_enabled=None)
    answer = learners("Bo").ask(COVERED[0])
    assert answer.status == 403
    assert "turned the tutor off" in answer.json()["error"]


def test_with_the_tutor_turned_off_the_ask_box_says_so(site, learners):
    set_class(site, tutor_enabled=None)
    page = learners("Bo").web.get(CHAPTER).text
    assert "The teacher has turned the tutor off for now." in page
    assert 'class="ask-form"' not in page


def test_with_think_first_off_a_hint_needs_nothing_tried(site, learners):
    bo = learners("Bo")
    assert bo.ask(COVERED[0], mode="hint").status == 400        # think-first is on by default
    set_class(site, think_first=None)
    answer = bo.ask(COVERED[0], mode="hint")
    assert answer.status == 200, answer.body
    assert answer.wait_end()[-1] == "done"


# ---------------------------------------------------------------------------------------------
# Every exchange is kept, under the learner who asked


@pytest.fixture
def asked(learners):
    bo = learners("Bo")
    answer = bo.ask(COVERED[2])
    assert answer.wait_end()[-1] == "done"
    return bo, answer


def test_the_exchange_is_in_the_store_under_the_learner(site, asked):
    bo, answer = asked
    record, = site.services.store.exchanges(bo.id)
    assert record["question"] == COVERED[2] and record["learner"] == bo.id
    assert record["answer"] == answer.text() != ""
    assert record["passages"] == [{"url": s["url"], "score": s["score"]}
                                  for s in answer.first("sources").data]


def test_the_exchange_is_on_the_learners_own_page(asked):
    bo, answer = asked
    page = bo.web.get("/me").text
    assert f'<p class="question">{COVERED[2]}</p>' in page


def test_the_exchange_is_first_on_the_teachers_questions_page(site, asked):
    response = teacher(site).get("/teacher/questions")
    assert response.status == 200
    listed = response.text.split('<ol class="all-questions"')[1].split("</ol>")[0]
    newest = re.search(r'<li><span class="meta">[^·<]* · (.*?)</span>\s*<span class="question">(.*?)</span></li>',
                       listed)
    assert newest, "no question on the teacher's questions page"
    assert newest.groups() == ("Bo · explain", COVERED[2])
