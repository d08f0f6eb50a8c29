"""The teacher's glance over HTTP (the real app on waitress, the bundled workshop, real TinyDB
files): where the class is (learners per chapter, drawn as SVG), who may be stuck and why, what
the tutor could not answer; the live stream that pushes it when a learner asks, and ends by
itself; the long lists behind links, a page at a time. Time is the class activity's clock, moved
by the test.
"""
from __future__ import annotations

import http.client
import re
import threading
from urllib.parse import urlsplit

import pytest

from kit.web import live
from tests.class_clock import class_on_a_clock, joined
from tests.web_client import WebClient, logged_in_teacher, sse_fields

PIN = "13579"
PACK = "first-web-app"
HELLO, ROUTES = "flask-workshop/02-hello-web", "flask-workshop/03-routes-and-variables"
NOT_IN_LIBRARY = "What is the capital of Peru?"



@pytest.fixture
def site(serve, bundled_content, tmp_path):
    return class_on_a_clock(serve, bundled_content, tmp_path, PIN)


def teacher(site) -> WebClient:
    return logged_in_teacher(site.url, PIN)


def opens(learner: WebClient, slug: str):
    assert learner.get(f"/p/{PACK}/{slug}").status == 200


def ask(learner: WebClient, question: str, slug: str = HELLO):
    response = learner.post_json("/api/ask", {"question": question, "mode": "explain",
                                              "context": {"pack": PACK, "doc": slug}},
                                 token=learner.csrf_token())
    assert response.status == 200, response.text
    return response


def glance_of(site) -> str:
    page = teacher(site).get("/teacher").text
    return page.split('id="glance"')[1].split('class="meta glance-refresh"')[0]


def card_of(glance: str, nickname: str) -> str:
    cards = re.findall(r'<li class="stuck-card">(.*?)</li>', glance, re.S)
    return next((card for card in cards if f'<strong class="nickname">{nickname}</strong>' in card), "")


def test_where_is_the_class_counts_learners_per_chapter(site):
    ana, bo, cy = joined(site, "Ana"), joined(site, "Bo"), joined(site, "Cy")
    opens(ana, HELLO)
    opens(bo, HELLO)
    opens(cy, HELLO)
    opens(cy, ROUTES)                       # the chapter Cy opened last
    glance = glance_of(site)
    assert "<title>Chapter 2: Hello, web — 2</title>" in glance
    assert "<title>Chapter 3: Routes and variables — 1</title>" in glance
    assert "<title>Chapter 1: Setting up — 0</title>" in glance
    assert re.search(r"Hello, web: <span class=\"nicknames\">Ana, Bo</span>", glance)


def test_a_learner_the_kit_has_not_seen_reading_is_placed_after_their_last_tick(site):
    dee = joined(site, "Dee")
    assert dee.post("/progress", {"pack": PACK, "doc": "flask-workshop/01-setting-up", "done": "1"}).status == 303
    site.services.activity._learners.clear()          # as after a restart of the kit
    assert re.search(r"Hello, web: <span class=\"nicknames\">Dee</span>", glance_of(site))


def test_a_learner_with_no_progress_while_most_moved_on_may_be_stuck(site):
    ana, bo, cy = joined(site, "Ana"), joined(site, "Bo"), joined(site, "Cy")
    for learner in (ana, bo, cy):
        opens(learner, HELLO)
    site.clock.t += 11 * 60
    assert card_of(glance_of(site), "Ana") == ""             # nobody moved on: nobody stands out
    opens(bo, ROUTES)
    opens(cy, ROUTES)
    glance = glance_of(site)
    card = card_of(glance, "Ana")
    assert "Hello, web" in card and "No progress for 11 minutes while most of the class moved on" in card
    assert card_of(glance, "Bo") == "" and card_of(glance, "Cy") == ""


def test_several_questions_on_one_step_and_a_refused_answer_make_a_card(site):
    ana = joined(site, "Ana")
    opens(ana, HELLO)
    for question in ("What is the capital of Peru?", "Who won in 1998?", "<b>Why</b> is the sky blue?"):
        ask(ana, question)
    card = card_of(glance_of(site), "Ana")
    assert "3 questions on this step" in card
    assert "The tutor could not answer: “&lt;b&gt;Why&lt;/b&gt; is the sky blue?”" in card


def test_what_the_tutor_could_not_answer_is_grouped_by_chapter_with_the_questions(site):
    ana, bo = joined(site, "Ana"), joined(site, "Bo")
    opens(ana, HELLO)
    opens(bo, ROUTES)
    ask(ana, "What is the capital of Peru?")
    ask(bo, "Who won the world cup in 1998?", ROUTES)
    ask(bo, "How tall is Mount Kenya?", ROUTES)
    glance = glance_of(site).split('id="unanswered-heading"')[1]
    groups = re.findall(r'<span class="group-title">(.*?)</span> <span class="group-count">(\d+)</span>', glance)
    assert groups == [("Routes and variables", "2"), ("Hello, web", "1")]
    assert "Who won the world cup in 1998?" in glance and "How tall is Mount Kenya?" in glance


def read_events(response, into: list, done: threading.Event):
    buffer = ""
    while True:
        try:
            chunk = response.read1(65536).decode()
        except (AttributeError, OSError, ValueError):     # the test closed it
            break
        if not chunk:
            break
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            into.append(block)
    done.set()


def live_stream(site, client: WebClient):
    """GET /teacher/live with the teacher's cookie, read in a thread: (response, blocks, ended)."""
    parts = urlsplit(site.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
    connection.request("GET", "/teacher/live", headers={"Cookie": cookie, "Accept": "text/event-stream"})
    response = connection.getresponse()
    blocks, ended = [], threading.Event()
    if response.status == 200:
        threading.Thread(target=read_events, args=(response, blocks, ended), daemon=True).start()
    return response, blocks, ended


def glances(blocks: list) -> list[str]:
    events = [sse_fields(block) for block in list(blocks) if block.startswith("event: ")]
    return [data["html"] for name, data in events if name == "glance"]


def wait_until(condition, timeout: float = 10.0):
    ended = threading.Event()
    for _ in range(int(timeout * 20)):
        if condition():
            return True
        ended.wait(0.05)
    return condition()


def test_the_live_stream_pushes_the_glance_when_a_learner_asks(site):
    the_teacher, ana = teacher(site), joined(site, "Ana")
    response, blocks, _ended = live_stream(site, the_teacher)
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    assert wait_until(lambda: len(glances(blocks)) == 1)
    assert "No questions yet." in glances(blocks)[0]
    ask(ana, "<i>Where</i> is the capital of Peru?")
    assert wait_until(lambda: any("is the capital of Peru?" in html for html in glances(blocks))), blocks
    pushed = next(html for html in glances(blocks) if "is the capital of Peru?" in html)
    assert "&lt;i&gt;Where&lt;/i&gt; is the capital of Peru?" in pushed and "<i>Where" not in pushed
    response.close()


def test_a_live_stream_ends_by_itself_and_tells_the_browser_to_reconnect(site, monkeypatch):
    monkeypatch.setattr(live, "STREAM_S", 1)
    response, blocks, ended = live_stream(site, teacher(site))
    assert ended.wait(20), "the stream must end by itself, giving its thread back"
    assert blocks[0] == f"retry: {live.RETRY_MS}" and len(glances(blocks)) == 1


def test_live_streams_are_bounded_and_the_page_still_loads(site, monkeypatch):
    monkeypatch.setattr(live, "STREAM_S", 3)
    the_teacher = teacher(site)
    streams = [live_stream(site, the_teacher) for _ in range(live.MAX_STREAMS)]
    assert [response.status for response, *_ in streams] == [200] * live.MAX_STREAMS
    refused, *_ = live_stream(site, the_teacher)
    assert refused.status == 503
    assert the_teacher.get("/teacher").status == 200
    for _response, _blocks, ended in streams:
        assert ended.wait(20)
    again, *_ = live_stream(site, the_teacher)        # their places were given back
    assert again.status == 200
    again.close()


def test_a_learner_cannot_open_the_live_stream(site):
    response, *_ = live_stream(site, joined(site, "Ana"))
    assert response.status == 403


def test_the_long_lists_are_behind_links_a_page_at_a_time(site):
    store = site.services.store
    ids = [store.create_learner(f"Learner {n:02d}")["id"] for n in range(30)]
    for n in range(60):
        store.record_exchange({"question": f"Question number {n:02d}", "mode": "explain",
                               "passages": [], "answer": "", "grounded": True}, ids[n % 30])
    the_teacher = teacher(site)
    view = the_teacher.get("/teacher").text
    for link in ("/teacher/questions", "/teacher/answers", "/teacher/progress"):
        assert f'href="{link}"' in view
    assert "progress-table" not in view and "Question number 00" not in view
    first, second = the_teacher.get("/teacher/questions").text, the_teacher.get("/teacher/questions?page=2").text
    assert "Question number 59" in first and "Question number 10" in first and "Question number 09" not in first
    assert "Question number 09" in second and "Page 2 of 2" in second
    progress = the_teacher.get("/teacher/progress?page=2").text
    assert progress.count('<th scope="row">') == 5 and "Learner 29" in progress
    assert the_teacher.get("/teacher/progress?page=99").status == 200


def test_a_book_of_many_chapters_draws_only_the_chapters_with_learners():
    from kit.classroom.activity import LearnerActivity
    from kit.classroom.glance import CHART_COLUMNS, where_is_the_class
    book = [{"pack": "book", "title": "A book",
             "chapters": [{"slug": f"c{n}", "title": f"Chapter {n}"} for n in range(CHART_COLUMNS + 20)]}]
    learners = [{"id": "a", "nickname": "Ana"}, {"id": "b", "nickname": "Bo"}]
    where = where_is_the_class(book, learners, {}, {"a": LearnerActivity(step=("book", "c7")),
                                                    "b": LearnerActivity(step=("book", "c50"))})
    assert len(where["chapters"]) == CHART_COLUMNS + 20
    assert [(c.number, c.nicknames) for c in where["drawn"]] == [(8, ["Ana"]), (51, ["Bo"])]
