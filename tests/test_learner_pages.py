"""Joined learners' chapter pages answered by the fast lane (kit/web/learner_pages.py), on a real
waitress server: the same bytes Flask composes, each learner's own parts only, and every change
a learner or the teacher makes seen on the very next request.
"""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import werkzeug.test

import pytest

from kit.library.indexer import build_index
from tests.conftest import write_pack
from tests.test_page_cache import CHAPTERS, ROUTES, START, TOKEN, join
from tests.threads import run_at_once
from tests.web_client import WebClient

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def site(library_dirs, make_settings, serve):
    write_pack(library_dirs[0], "club", CHAPTERS, title="Coding club")
    return serve(make_settings())


def text_of(response) -> str:
    body = gzip.decompress(response.body) if response.headers.get("content-encoding") == "gzip" else response.body
    return body.decode()


def cookie_header(client: WebClient) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies)


def test_a_learners_next_request_comes_from_the_fast_lane_exactly_as_flask_makes_it(site):
    lane = site.app.wsgi_app
    ana = join(site, "Ana")
    ana.get(ROUTES)                                    # the welcome message is shown once
    ana.request("GET", ROUTES, headers=GZIP)          # composed by Flask, kept for Ana
    before = lane.served
    fast = ana.request("GET", ROUTES, headers=GZIP)
    assert lane.served == before + 1
    slow = werkzeug.test.Client(lane.wsgi_app, use_cookies=False).get(
        ROUTES, headers={**GZIP, "Cookie": cookie_header(ana)})
    assert (fast.status, fast.body) == (slow.status_code, slow.data)
    slow_headers = {k.lower(): v for k, v in slow.headers.items() if k.lower() != "set-cookie"}
    fast_headers = {k: v for k, v in fast.headers.items() if k not in ("date", "server", "connection")}
    assert fast_headers == slow_headers
    assert fast.headers["cache-control"] == "private, no-cache"
    assert ">Ana</a>" in text_of(fast)
    assert ana.request("GET", ROUTES, headers={**GZIP, "If-None-Match": fast.headers["etag"]}).status == 304
    assert lane.served == before + 2


def test_a_tick_a_note_and_a_language_show_on_the_very_next_request(site):
    ana = join(site, "Ana")
    ana.get(ROUTES)
    assert "Mark this chapter done" in ana.get(ROUTES).text
    ana.post("/progress", {"pack": "club", "doc": "w/02-routes", "done": "1"})
    assert "You marked this chapter done" in ana.get(ROUTES).text
    ana.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": "first-note"})
    shown = ana.get(ROUTES).text
    assert "first-note" in shown and "Only you can see it" in shown      # the saved message, once
    assert "first-note" in ana.get(ROUTES).text
    ana.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": "second-note"})
    ana.get(ROUTES)
    page = ana.get(ROUTES).text
    assert "second-note" in page and "first-note" not in page and "Only you can see it" not in page
    ana.post("/language", {"lang": "fr", "next": ROUTES})
    assert 'lang="fr"' in ana.get(ROUTES).text
    site.services.store.update_class_settings(announcement="Break until ten")
    assert "Break until ten" in ana.get(ROUTES).text


def test_a_teacher_and_a_stranger_cookie_are_left_to_flask(site):
    lane = site.app.wsgi_app
    store = site.services.store
    store.set_teacher_pin("4321")
    teacher = WebClient(site.url)
    assert teacher.post("/teacher/login", {"pin": "4321"}).status == 303
    before = lane.served
    for _ in range(3):
        assert "Teacher view" in teacher.get(ROUTES).text
    forged = WebClient(site.url)
    forged.request("GET", "/")
    ana = join(site, "Ana")
    ana.get(ROUTES), ana.get(ROUTES)
    value = next(c.value for c in ana.cookies if c.name == "lantern")
    for tampered in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"), "garbage"):
        page = WebClient(site.url).request("GET", ROUTES, headers={"Cookie": f"lantern={tampered}"})
        assert page.status == 200 and "Ana" not in page.text and "Join the class" in page.text
    assert lane.served == before


def test_a_reimported_pack_reaches_a_joined_learner_too(site, library_dirs, make_settings):
    ana = join(site, "Ana")
    ana.get(START)
    assert "wombat" in ana.get(START).text
    chapter = Path(library_dirs[0]) / "club" / "w" / "01-start.md"
    chapter.write_text(CHAPTERS["w/01-start.md"].replace("wombat", "numbat"), encoding="utf-8")
    build_index(make_settings())
    site.services.page_cache.get(("club", "w/01-start", "en"), lambda modified: None)  # stat now
    page = ana.get(START).text
    assert "numbat" in page and "wombat" not in page and ">Ana</a>" in page


def test_two_learners_hammering_the_same_page_at_once_each_get_only_their_own(site):
    """Real waitress, two learners' threads at once on one chapter, gzip and not: every page
    carries its reader's nickname, token and note and nothing of the other's; a tick made in
    the middle shows on the ticker's next page and never on the other's."""
    lane = site.app.wsgi_app
    clients = {name: join(site, name) for name in ("Ana", "Ben")}
    for name, client in clients.items():
        client.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": f"note-of-{name}"})
        client.get(ROUTES)                              # the "note saved" message, shown once
    tokens = {name: TOKEN.search(client.get(ROUTES).text).group(1) for name, client in clients.items()}
    before = lane.served

    def read(name: str, client: WebClient, ticks: bool) -> list[str]:
        problems = []
        done = False
        for n in range(60):
            if ticks and n == 30:
                client.post("/progress", {"pack": "club", "doc": "w/02-routes", "done": "1"})
                done = True
            text = text_of(client.request("GET", ROUTES, headers=GZIP if n % 2 else {}))
            other = next(o for o in clients if o != name)
            if f"note-of-{other}" in text or tokens[other] in text or f">{other}</a>" in text:
                problems.append(f"{name} got {other}'s parts")
            if f">{name}</a>" not in text or f"note-of-{name}" not in text or tokens[name] not in text:
                problems.append(f"{name}'s page lacks their own parts")
            if ("You marked this chapter done" in text) != done:
                problems.append(f"{name}'s tick is {'missing' if done else 'shown'} at request {n}")
        return problems

    results = run_at_once([(read, "Ana", clients["Ana"], True), (read, "Ben", clients["Ben"], False)])
    problems = [problem for result in results for problem in result]
    assert not problems, problems[:5]
    assert lane.served - before > 60, "most of these pages should come from the fast lane"
    assert re.search(r"note-of-Ana", clients["Ana"].get(ROUTES).text)


def test_the_think_first_countdown_is_never_served_stale_and_each_view_is_seen(site):
    """The ask box's countdown depends on the clock (kit/classroom/activity.py): a page showing
    it is composed by Flask each time; once the tutor is open the page comes from the fast lane,
    which still tells the teacher's glance which step the learner has open; a question restarts
    the countdown on the very next page."""
    lane, activity = site.app.wsgi_app, site.services.activity
    clock = [1_000_000.0]
    activity.now = lambda: clock[0]
    site.services.store.update_class_settings(think_first_minutes=1)
    ana = join(site, "Ana")
    ana.get(ROUTES)                                         # the welcome message; the clock starts
    learner = next(x["id"] for x in site.services.store.learners() if x["nickname"] == "Ana")
    before = lane.served
    assert 'data-seconds="60"' in ana.get(ROUTES).text
    clock[0] += 30
    assert 'data-seconds="30"' in ana.get(ROUTES).text     # never the page kept from before
    assert lane.served == before
    clock[0] += 31
    assert 'data-seconds="0"' in ana.get(ROUTES).text      # composed by Flask, kept
    ana.get(START)                                          # another step (its own clock)
    assert activity.learners()[learner].step == ("club", "w/01-start")
    assert 'data-seconds="0"' in ana.get(ROUTES).text
    assert lane.served == before + 1                        # from the fast lane ...
    assert activity.learners()[learner].step == ("club", "w/02-routes")   # ... and seen
    activity.asked(learner, ("club", "w/02-routes"), "How?", "explain")   # what a question does
    assert 'data-seconds="60"' in ana.get(ROUTES).text
    assert lane.served == before + 1


def kept(site, client: WebClient, path: str = ROUTES) -> str:
    """The learner's page, asked until the fast lane serves it (a flashed message shows once,
    then Flask composes the page and keeps it): its text."""
    lane = site.app.wsgi_app
    for _ in range(3):
        before = lane.served
        text = client.get(path).text
        if lane.served == before + 1:
            return text
    raise AssertionError(f"{path} never came from the fast lane")


def from_the_lane(site, client: WebClient, path: str = ROUTES) -> bool:
    lane = site.app.wsgi_app
    before = lane.served
    client.get(path)
    return lane.served == before + 1


def test_one_learners_writes_keep_the_other_learners_pages(site):
    """In a class of 30 ticking chapters, one learner's tick must not throw away everyone's kept
    pages (issue 22): Ben's tick, exercise, note and language leave Ana's page kept (the fast
    lane, not Flask, serves her next request), and each shows on Ben's very next page."""
    ana, ben = join(site, "Ana"), join(site, "Ben")
    kept(site, ana), kept(site, ben)
    anchor = re.search(r'name="anchor" value="([^"]+)"', ben.get(ROUTES).text).group(1)
    writes = [("/progress", {"done": "1"}, "You marked this chapter done"),
              ("/exercise-tried", {"anchor": anchor}, "✓</span> tried"),
              ("/notes", {"text": "note-of-Ben"}, "note-of-Ben"),
              ("/progress", {"done": "0"}, "Mark this chapter done")]
    for path, form, shown in writes:
        assert ben.post(path, {"pack": "club", "doc": "w/02-routes", **form}).status == 303
        assert from_the_lane(site, ana), f"Ben's {path} threw Ana's kept page away"
        assert shown in ben.get(ROUTES).text, f"Ben's {path} is not on his next page"
    ben.post("/language", {"lang": "fr", "next": ROUTES})
    assert from_the_lane(site, ana), "Ben's language threw Ana's kept page away"
    assert 'lang="fr"' in ben.get(ROUTES).text
    ana_page = kept(site, ana)
    assert 'lang="en"' in ana_page and "note-of-Ben" not in ana_page
    assert "You marked this chapter done" not in ana_page


def test_a_class_wide_change_shows_on_every_learners_very_next_page(site):
    """What every learner's page shows (the class's settings: announcement, tutor on or off,
    the ask box's modes) throws every kept page away: both learners see it at once."""
    store = site.services.store
    ana, ben = join(site, "Ana"), join(site, "Ben")
    changes = [({"announcement": "Break until ten"}, "Break until ten"),
               ({"tutor_enabled": False}, "The teacher has turned the tutor off"),
               ({"tutor_enabled": True, "modes": ["explain"]}, None)]
    for change, shown in changes:
        for client in (ana, ben):
            kept(site, client)
        store.update_class_settings(**change)
        for client in (ana, ben):
            page = client.get(ROUTES).text
            if shown is not None:
                assert shown in page
            else:
                assert 'name="mode" value="explain"' in page and 'name="mode" value="hint"' not in page
