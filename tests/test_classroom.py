"""The classroom through the real app on a real waitress server, with real TinyDB files in temp
folders: learners joining, their history, feedback, progress and notes; the teacher's PIN,
view, export and settings; the join poster and its QR code; CSRF, escaping and body limits.

Each `WebClient` is one device: it keeps its own cookies, as a browser would.
"""
from __future__ import annotations

import csv
import json
import io
import re
import shutil
import subprocess
import time

import pytest
from click.testing import CliRunner
from markupsafe import escape

from kit.cli import main as kit_main
from kit.web.csrf import OUT_OF_DATE
from kit.web.server import lan_addresses
from kit.classroom.store import Store
from tests.conftest import write_pack
from tests.web_client import WebClient
from tests.required import missing

PIN = "2468"
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
CHAPTERS = {
    "w/workshop.toml": 'title = "Web basics"\n',
    "w/01-start.md": "---\ntitle: Starting out\norder: 1\n---\n## Install\nInstall Flask.\n",
    "w/02-routes.md": "---\ntitle: Routes\norder: 2\n---\n## Routes\nA route maps a URL.\n\n"
                      "::: exercise Add a route\nAdd /about.\n:::\n\n::: solution\n@app.route('/about')\n:::\n",
    "w/03-finish.md": "---\ntitle: Finishing up\norder: 3\n---\n## Serve\nServe it.\n",
    "talks/panel.txt": "---\ntitle: Panel\n---\nAmina (00:00:05): We pair on every exercise.\n",
}
START, ROUTES = "/p/club/w/01-start", "/p/club/w/02-routes"


@pytest.fixture
def site(library_dirs, make_settings, serve):
    write_pack(library_dirs[0], "club", CHAPTERS, title="Coding club")
    return serve(make_settings())


def store_of(site) -> Store:
    return site.services.store


def join(site, nickname: str) -> WebClient:
    client = WebClient(site.url)
    response = client.post("/join", {"nickname": nickname, "next": "/"})
    assert response.status == 303, response.text
    return client


def teacher(site) -> WebClient:
    if not store_of(site).has_teacher_pin():
        store_of(site).set_teacher_pin(PIN)
    client = WebClient(site.url)
    assert client.post("/teacher/login", {"pin": PIN}).status == 303
    return client


def learner_id(site, nickname: str) -> str:
    return next(x["id"] for x in store_of(site).learners() if x["nickname"] == nickname)


def ask(site, nickname: str, question: str, answer: str = "An answer.", url: str = START + "#s-install"):
    """An exchange as the tutor will record it, straight into the store."""
    return store_of(site).record_exchange(
        {"question": question, "mode": "explain", "passages": [{"url": url, "score": 1.0}],
         "engine": "embedded", "model": "test", "answer": answer, "grounded": True, "seconds": 0.1},
        learner_id(site, nickname))


def assert_escaped(body: str, text: str):
    assert text not in body, "learner text must never reach the page as markup"
    assert str(escape(text)) in body


# ---------------------------------------------------------------------------------------------
# Joining


def test_joining_keeps_the_learner_and_returns_to_next(site):
    client = WebClient(site.url)
    response = client.post("/join", {"nickname": "Ana", "next": ROUTES})
    assert (response.status, response.location) == (303, ROUTES)
    page = client.get("/me")
    assert page.status == 200 and "Joined as" in page.text and ">Ana</a>" in page.text


@pytest.mark.parametrize("next_path", ["//evil.example/", "http://evil.example/", "/\\evil.example",
                                       "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1"])
def test_join_never_redirects_off_the_kit(site, next_path):
    response = WebClient(site.url).post("/join", {"nickname": "Ana", "next": next_path})
    assert response.status == 303
    assert response.location.startswith("/") and not response.location.startswith("//")
    assert "evil" not in response.location and "\n" not in response.location


def test_duplicate_nickname_in_other_case_is_refused_and_the_value_kept(site):
    join(site, "Ana")
    other = WebClient(site.url)
    response = other.post("/join", {"nickname": "ANA", "next": "/"})
    assert response.status == 400
    assert "already taken" in response.text and 'value="ANA"' in response.text
    assert other.get("/me").status == 303          # not joined
    assert [x["nickname"] for x in store_of(site).learners()] == ["Ana"]


@pytest.mark.parametrize("payload", XSS)
def test_refused_nickname_comes_back_escaped(site, payload):
    response = WebClient(site.url).post("/join", {"nickname": payload, "next": "/"})
    assert response.status == 400
    assert_escaped(response.text, payload)


def test_returning_on_the_same_device_keeps_the_learner(site):
    client = join(site, "Ana")
    again = client.post("/join", {"nickname": "Someone else", "next": "/"})
    assert again.status == 303
    assert "You have joined as <strong>Ana</strong>" in client.get("/join").text
    assert [x["nickname"] for x in store_of(site).learners()] == ["Ana"]


def test_learner_is_still_known_after_the_kit_restarts(site, serve, make_settings):
    client = join(site, "Ana")
    store_of(site).close()                          # the first kit stops using its files
    restarted = serve(make_settings())
    same_device = WebClient(restarted.url, cookies=client.cookies)
    assert ">Ana</a>" in same_device.get("/me").text


def test_session_cookie_is_httponly_and_samesite_lax(site):
    cookie = WebClient(site.url).get("/join").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# ---------------------------------------------------------------------------------------------
# A learner's own page: history and feedback


def test_pages_that_need_a_learner_send_to_join_and_back(site):
    response = WebClient(site.url).get("/me")
    assert (response.status, response.location) == (303, "/join?next=%2Fme")


def test_me_shows_only_the_learners_own_questions(site):
    ana, _ = join(site, "Ana"), join(site, "Bo")
    ask(site, "Ana", "How do routes work, says Ana?")
    ask(site, "Bo", "Where is the kettle, asks Bo?")
    page = ana.get("/me").text
    assert "How do routes work, says Ana?" in page and "kettle" not in page


def write_earlier_session(site, session: str, exchanges: list[dict]) -> None:
    """A questions log as an earlier day's kit left it (TinyDB's file format)."""
    table = {str(n): {"id": f"old-{n}", "at": f"{session}T10:0{n}:00+0000", "mode": "explain",
                      "grounded": True, "answer": "An old answer.", "feedback": None, **exchange}
             for n, exchange in enumerate(exchanges, 1)}
    path = store_of(site).folder / f"questions-{session}.json"
    path.write_text(json.dumps({"exchanges": table}), encoding="utf-8")


def test_me_lists_earlier_days_questions_after_todays_and_only_todays_can_be_rated(site):
    ana = join(site, "Ana")
    join(site, "Bo")
    ask(site, "Ana", "Asked today?")
    write_earlier_session(site, "2000-01-01", [
        {"question": "Asked last week <b>?", "learner": learner_id(site, "Ana"),
         "feedback": {"helpful": True, "comment": "nice"}},
        {"question": "Bo's old question", "learner": learner_id(site, "Bo")}])
    page = ana.get("/me").text
    assert page.index("Asked today?") < page.index("Asked last week &lt;b&gt;?")
    assert "Bo&#39;s old question" not in page and "Bo's old question" not in page
    assert "From an earlier class; you found this helpful. Your comment: nice" in page
    assert page.count('class="feedback-form"') == 1          # today's answer only
    assert ana.post("/me/feedback", {"exchange": "old-1", "helpful": "no"}).status == 404
    rows = list(csv.DictReader(io.StringIO(
        teacher(site).get("/teacher/export.csv").body.decode("utf-8-sig"))))
    assert [row["question"] for row in rows] == ["Asked last week <b>?", "Bo's old question", "Asked today?"]


def test_feedback_on_an_own_answer_is_kept_and_shown(site):
    ana = join(site, "Ana")
    exchange = ask(site, "Ana", "What is a route?")
    response = ana.post("/me/feedback", {"exchange": exchange, "helpful": "no", "comment": "Too short"})
    assert (response.status, response.location) == (303, f"/me#exchange-{exchange}")
    feedback = store_of(site).exchanges()[0]["feedback"]
    assert (feedback["helpful"], feedback["comment"]) == (False, "Too short")
    assert "You found this unhelpful." in ana.get("/me").text


def test_feedback_on_someone_elses_answer_is_refused(site):
    join(site, "Ana")
    bo = join(site, "Bo")
    exchange = ask(site, "Ana", "What is a route?")
    assert bo.post("/me/feedback", {"exchange": exchange, "helpful": "no"}).status == 404
    assert store_of(site).exchanges()[0]["feedback"] is None


# ---------------------------------------------------------------------------------------------
# Progress and notes


def ticked_titles(html: str) -> list[str]:
    return re.findall(r'>([^<>]+)</(?:a|strong)> <span class="done-mark"', html)


def test_a_chapter_marked_done_is_ticked_on_the_chapter_workshop_and_home_pages(site):
    ana = join(site, "Ana")
    response = ana.post("/progress", {"pack": "club", "doc": "w/02-routes", "done": "1"})
    assert (response.status, response.location) == (303, ROUTES + "#progress")
    assert store_of(site).progress(learner_id(site, "Ana"))["chapters_done"] == [["club", "w/02-routes"]]
    assert ticked_titles(ana.get(START).text) == ["Routes"]
    assert ticked_titles(ana.get("/p/club/").text) == ["Routes"]
    assert ticked_titles(ana.get("/").text) == ["Routes"]
    assert ticked_titles(join(site, "Bo").get("/").text) == []     # ticks are each learner's own
    assert "1 of 3 chapters done" in ana.get("/me").text


def test_a_chapter_marked_not_done_loses_its_tick(site):
    ana = join(site, "Ana")
    ana.post("/progress", {"pack": "club", "doc": "w/02-routes", "done": "1"})
    ana.post("/progress", {"pack": "club", "doc": "w/02-routes", "done": "0"})
    assert ticked_titles(ana.get("/p/club/").text) == []


def test_progress_on_something_that_is_not_a_chapter_is_refused(site):
    ana = join(site, "Ana")
    assert ana.post("/progress", {"pack": "club", "doc": "talks/panel", "done": "1"}).status == 404
    assert store_of(site).progress(learner_id(site, "Ana"))["chapters_done"] == []


def test_progress_without_joining_sends_to_join(site):
    response = WebClient(site.url).post("/progress", {"pack": "club", "doc": "w/01-start",
                                                      "done": "1", "next": START})
    assert (response.status, response.location) == (303, "/join?next=%2Fp%2Fclub%2Fw%2F01-start")


def test_a_note_is_kept_and_shown_only_to_its_author(site):
    ana, bo = join(site, "Ana"), join(site, "Bo")
    response = ana.post("/notes", {"pack": "club", "doc": "w/01-start", "text": "Remember the venv"})
    assert (response.status, response.location) == (303, START + "#notes")
    assert ">Remember the venv</textarea>" in ana.get(START).text
    assert "Remember the venv" not in bo.get(START).text


# ---------------------------------------------------------------------------------------------
# Everything learners type is escaped wherever it is shown


@pytest.mark.parametrize("payload", XSS)
def test_questions_and_answers_are_escaped_on_the_learners_page(site, payload):
    ana = join(site, "Ana")
    ask(site, "Ana", payload, answer=payload)
    assert_escaped(ana.get("/me").text, payload)


@pytest.mark.parametrize("payload", XSS)
def test_questions_answers_and_comments_are_escaped_in_the_teacher_view(site, payload):
    ana = join(site, "Ana")
    exchange = ask(site, "Ana", "Q " + payload, answer="A " + payload)
    ana.post("/me/feedback", {"exchange": exchange, "helpful": "no", "comment": "C " + payload})
    the_teacher = teacher(site)
    assert_escaped(the_teacher.get("/teacher").text, "Q " + payload)      # the glance's stuck card
    page = the_teacher.get("/teacher/answers").text
    for text in ("Q " + payload, "A " + payload, "C " + payload):
        assert_escaped(page, text)


@pytest.mark.parametrize("payload", XSS)
def test_notes_are_escaped_on_the_chapter_page(site, payload):
    ana = join(site, "Ana")
    ana.post("/notes", {"pack": "club", "doc": "w/01-start", "text": payload})
    assert_escaped(ana.get(START).text, payload)


@pytest.mark.parametrize("payload", XSS)
def test_the_announcement_is_escaped_on_every_page(site, payload):
    store_of(site).update_class_settings(announcement="Break! " + payload)
    for path in ("/", START, "/join"):
        assert_escaped(WebClient(site.url).get(path).text, "Break! " + payload)


@pytest.mark.parametrize("payload", XSS)
def test_the_questions_page_shows_a_learners_question_escaped_beside_their_nickname(site, payload):
    join(site, "Ana")
    ask(site, "Ana", "Q " + payload)
    page = teacher(site).get("/teacher/questions").text
    listed = page.split('<ol class="all-questions"')[1].split("</ol>")[0]
    assert_escaped(listed, "Q " + payload)
    assert " · Ana · " in listed


def test_csv_export_quotes_cells_and_defuses_formulas(site):
    ana = join(site, "Ana")
    ask(site, "Ana", '=HYPERLINK("http://evil.example","click")', answer='line one\n"quoted", two')
    exchange = ask(site, "Ana", "+1+1", answer="-2")
    ana.post("/me/feedback", {"exchange": exchange, "helpful": "no", "comment": "@SUM(A1) " + XSS[1]})
    response = teacher(site).get("/teacher/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert [row["question"] for row in rows] == ["'=HYPERLINK(\"http://evil.example\",\"click\")", "'+1+1"]
    assert rows[0]["answer"] == 'line one\n"quoted", two' and rows[1]["answer"] == "'-2"
    assert (rows[1]["nickname"], rows[1]["helpful"], rows[1]["comment"]) == ("Ana", "no", "'@SUM(A1) " + XSS[1])


# ---------------------------------------------------------------------------------------------
# CSRF: every state-changing route


def post_rules(site) -> list[str]:
    rules = sorted(rule.rule for rule in site.app.url_map.iter_rules() if "POST" in rule.methods)
    assert {"/join", "/progress", "/notes", "/me/feedback", "/teacher/login", "/teacher/logout",
            "/teacher/settings"} <= set(rules)
    return rules


FORMS = {"/join": {"nickname": "Mallory"}, "/progress": {"pack": "club", "doc": "w/01-start", "done": "1"},
         "/notes": {"pack": "club", "doc": "w/01-start", "text": "forged"},
         "/teacher/login": {"pin": PIN}, "/teacher/settings": {"modes": "explain", "announcement": "forged",
                                                               "think_first_min": "5", "questions_per_minute": "5"}}


@pytest.mark.parametrize("token", [None, "wrong-token", "ünïcode-tøken"])
def test_every_post_route_refuses_a_missing_or_wrong_token(site, token):
    client = teacher(site)
    join(site, "Ana")
    for path in post_rules(site):
        response = client.post(path, FORMS.get(path, {}), token=token)
        assert response.status == 400, path
        assert OUT_OF_DATE in response.text, path
    assert store_of(site).class_settings()["announcement"] == ""
    assert [x["nickname"] for x in store_of(site).learners()] == ["Ana"]


def test_every_post_route_accepts_the_right_token(site):
    for path in post_rules(site):
        client = teacher(site)                # logout in the list ends a session: a fresh one each
        response = client.post(path, FORMS.get(path, {}))
        assert OUT_OF_DATE not in response.text, path


def test_the_token_is_accepted_in_the_header_for_the_json_api(site):
    client = WebClient(site.url)
    refused = client.post_json("/api/ask", {"question": ""})
    assert (refused.status, refused.json()) == (400, {"error": OUT_OF_DATE})
    accepted = client.post_json("/api/ask", {"question": ""}, token=client.csrf_token())
    # past the CSRF check, the next one: asking needs a nickname
    assert accepted.status == 401 and "Join the class" in accepted.json()["error"]


# ---------------------------------------------------------------------------------------------
# The teacher


def test_the_right_pin_opens_the_teacher_view(site):
    store_of(site).set_teacher_pin(PIN)
    client = WebClient(site.url)
    response = client.post("/teacher/login", {"pin": PIN, "next": "/teacher"})
    assert (response.status, response.location) == (303, "/teacher")
    assert "Your class" in client.get("/teacher").text


def test_a_wrong_pin_is_refused(site):
    store_of(site).set_teacher_pin(PIN)
    client = WebClient(site.url)
    response = client.post("/teacher/login", {"pin": "0000"})
    assert response.status == 403 and "That PIN is not right" in response.text
    assert client.get("/teacher").status == 303


def test_five_wrong_pins_lock_the_login_with_a_message(site):
    store_of(site).set_teacher_pin(PIN)
    client = WebClient(site.url)
    statuses = [client.post("/teacher/login", {"pin": "0000"}).status for _ in range(5)]
    locked = client.post("/teacher/login", {"pin": "0000"})
    assert statuses == [403] * 5
    assert locked.status == 429 and "locked for another 5 min" in locked.text


def test_the_right_pin_is_refused_while_locked(site):
    store_of(site).set_teacher_pin(PIN)
    client = WebClient(site.url)
    for _ in range(5):
        client.post("/teacher/login", {"pin": "0000"})
    assert client.post("/teacher/login", {"pin": PIN}).status == 429
    assert client.get("/teacher").status == 303


@pytest.mark.parametrize("who", ["nobody", "learner"])
def test_teacher_routes_need_the_teacher_session(site, who):
    client = join(site, "Ana") if who == "learner" else WebClient(site.url)
    page = client.get("/teacher")
    assert (page.status, page.location) == (303, "/teacher/login?next=%2Fteacher")
    page = client.get("/teacher/questions")
    assert (page.status, page.location) == (303, "/teacher/login?next=%2Fteacher%2Fquestions")
    assert client.get("/teacher/export.csv").status == 403
    assert client.post("/teacher/settings", FORMS["/teacher/settings"]).status == 403
    assert store_of(site).class_settings()["announcement"] == ""


def test_the_teacher_session_expires(site):
    client = teacher(site)
    serializer = site.app.session_interface.get_signing_serializer(site.app)
    old = serializer.dumps({"teacher_until": time.time() - 1})
    for cookie in client.cookies:
        cookie.value = old
    assert client.get("/teacher").status == 303


def test_logging_out_ends_the_teacher_session(site):
    client = teacher(site)
    assert client.post("/teacher/logout").status == 303
    assert client.get("/teacher").status == 303


def test_teacher_view_shows_topics_unhelpful_answers_and_progress(site):
    ana = join(site, "Ana")
    exchange = ask(site, "Ana", "How do routes work?", url=ROUTES + "#s-routes")
    ask(site, "Ana", "And variables?", url=ROUTES + "#s-routes")
    ana.post("/me/feedback", {"exchange": exchange, "helpful": "no", "comment": "I am lost"})
    ana.post("/progress", {"pack": "club", "doc": "w/01-start", "done": "1"})
    the_teacher = teacher(site)
    page = the_teacher.get("/teacher/questions").text
    assert re.search(r'<a href="/p/club/w/02-routes">Routes</a> <span class="meta">2 questions', page)
    page = the_teacher.get("/teacher/answers").text
    unhelpful = page.split('id="unhelpful"')[1].split("</section>")[0]
    assert "How do routes work?" in unhelpful and "I am lost" in unhelpful and "variables" not in unhelpful
    page = the_teacher.get("/teacher/progress").text
    row = re.search(r'<th scope="row">Ana</th>(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'<td class="(done|todo)"', row) == ["done", "todo", "todo"]


def test_teacher_view_lists_the_answers_that_used_code_not_in_the_material(site):
    join(site, "Ana")
    store_of(site).record_exchange(
        {"question": "How do I start it?", "mode": "explain", "answer": "Call app.run_extra().",
         "grounded": True, "unsupported": ["app.run_extra()", "<b>x</b>"], "unsupported_share": 0.5},
        learner_id(site, "Ana"))
    ask(site, "Ana", "And variables?")
    page = teacher(site).get("/teacher/answers").text
    listed = page.split('id="unsupported"')[1].split("</section>")[0]
    assert "How do I start it?" in listed and "variables" not in listed
    assert "<code>app.run_extra()</code>" in listed and "50% of its code-like words" in listed
    assert_escaped(listed, "<b>x</b>")


def test_teacher_view_lists_store_warnings_and_notices(site):
    store_of(site).warnings.append("class.json was damaged; the last good copy was loaded.")
    site.services.notices = ["Data is kept in a per-user folder."]
    page = teacher(site).get("/teacher").text
    assert "class.json was damaged" in page and "per-user folder" in page


def test_class_settings_are_saved(site):
    form = [("modes", "explain"), ("modes", "hint"), ("think_first", "on"), ("think_first_min", "40"),
            ("questions_per_minute", "5"), ("announcement", "Break at 3")]
    response = teacher(site).post("/teacher/settings", form)
    assert (response.status, response.location) == (303, "/teacher#settings")
    assert store_of(site).class_settings() == {
        "modes": ["explain", "hint"], "think_first": True, "think_first_min": 40,
        "think_first_minutes": 0, "pinned": [], "tutor_enabled": False, "questions_per_minute": 5,
        "announcement": "Break at 3"}


@pytest.mark.parametrize("field, value, message", [
    ("modes", "", "Allow at least one tutor mode"),
    ("modes", "shout", "Allow at least one tutor mode"),
    ("think_first_min", "-1", "The think-first minimum must be a whole number from 0 to 1000."),
    ("think_first_min", "lots", "The think-first minimum must be a whole number"),
    ("questions_per_minute", "0", "Questions per minute must be a whole number from 1 to 60."),
    ("announcement", "x" * 301, "keep it to 300"),
])
def test_invalid_class_settings_are_refused_with_a_message(site, field, value, message):
    form = {"modes": "explain", "think_first_min": "20", "questions_per_minute": "3",
            "announcement": "", field: value}
    before = store_of(site).class_settings()
    response = teacher(site).post("/teacher/settings", form)
    assert response.status == 400 and message in response.text
    assert store_of(site).class_settings() == before


# ---------------------------------------------------------------------------------------------
# Limits and the page rules


def test_a_body_over_the_limit_gets_a_clear_413_page(site):
    ana = join(site, "Ana")
    response = ana.post("/notes", {"pack": "club", "doc": "w/01-start", "text": "x" * 300_000})
    assert response.status == 413 and "larger than this kit accepts (256 KB)" in response.text
    assert store_of(site).note(learner_id(site, "Ana"), "club", "w/01-start") == ""


@pytest.mark.parametrize("path", ["/join", "/me", "/teacher", "/teacher/login", "/join-poster", START])
def test_classroom_pages_keep_the_policy_and_carry_no_inline_script_or_style(site, path):
    client = teacher(site)
    client.post("/join", {"nickname": "Ana", "next": "/"})
    response = client.get(path)
    assert response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", response.text) == []
    assert "<style" not in response.text and " style=" not in response.text
    assert re.findall(r"\son[a-z]+=", response.text) == []


# ---------------------------------------------------------------------------------------------
# The join poster


def poster_urls(site) -> list[str]:
    port = site.url.rsplit(":", 1)[1]
    return [f"http://{address}:{port}/" for address in lan_addresses()] or [site.url + "/"]


def test_join_poster_shows_the_kits_lan_urls(site):
    page = WebClient(site.url).get("/join-poster").text
    assert re.findall(r'<p class="poster-url">([^<]+)</p>', page) == poster_urls(site)


def test_join_qr_png_decodes_to_exactly_the_url_on_the_poster(site, tmp_path):
    if shutil.which("zbarimg") is None:
        missing("zbarimg (Debian zbar-tools; make test installs it) decodes the QR code")
    client = WebClient(site.url)
    url = re.search(r'<p class="poster-url">([^<]+)</p>', client.get("/join-poster").text).group(1)
    svg_src = re.search(r'<img class="poster-qr" src="([^"]+)"', client.get("/join-poster").text).group(1)
    svg = client.get(svg_src.replace("&amp;", "&"))
    assert svg.status == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    png = client.get("/join-qr.png?" + svg_src.split("?", 1)[1].replace("&amp;", "&"))
    assert png.status == 200 and png.body.startswith(b"\x89PNG")
    (tmp_path / "qr.png").write_bytes(png.body)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")],
                             capture_output=True, text=True, timeout=30)
    assert decoded.stdout.strip() == url


@pytest.mark.parametrize("url", ["http://evil.example/", "http://192.0.2.123:1/", "javascript:alert(1)", ""])
@pytest.mark.parametrize("kind", ["svg", "png"])
def test_join_qr_refuses_urls_that_are_not_the_kits_own(site, url, kind):
    from urllib.parse import quote
    assert WebClient(site.url).get(f"/join-qr.{kind}?url={quote(url, safe='')}").status == 400


# ---------------------------------------------------------------------------------------------
# The teacher PIN from the command line


def test_kit_teacher_set_pin_stores_a_pin_given_as_an_option(library_dirs):
    _, data = library_dirs
    result = CliRunner().invoke(kit_main, ["teacher", "set-pin", "--data", str(data), "--pin", "97531"])
    assert result.exit_code == 0, result.output
    with Store(data / "classroom") as store:
        assert store.check_teacher_pin("97531")


def test_kit_teacher_set_pin_asks_twice_without_showing_it(library_dirs):
    _, data = library_dirs
    result = CliRunner().invoke(kit_main, ["teacher", "set-pin", "--data", str(data)], input="97531\n97531\n")
    assert result.exit_code == 0, result.output
    assert "Type the same PIN again" in result.output and "97531" not in result.output
    with Store(data / "classroom") as store:
        assert store.check_teacher_pin("97531")


def test_kit_teacher_set_pin_refuses_a_pin_that_is_not_digits(library_dirs):
    _, data = library_dirs
    result = CliRunner().invoke(kit_main, ["teacher", "set-pin", "--data", str(data), "--pin", "secret"])
    assert result.exit_code == 2 and "4 to 12 digits" in result.output


def test_first_serve_without_a_terminal_makes_a_pin_and_prints_it_once(library_dirs):
    from tests.test_cli import KitServer
    content, data = library_dirs
    write_pack(content, "club", CHAPTERS, title="Coding club")
    first = KitServer("--data", data, "--content", content)
    try:
        first.wait_for("Press Ctrl+C to stop.")
    finally:
        first.stop()
    pins = re.findall(r"Teacher PIN: (\d{6})$", first.output, re.M)
    assert len(pins) == 1, first.output
    with Store(data / "classroom") as store:
        assert store.check_teacher_pin(pins[0])
    second = KitServer("--data", data, "--content", content)
    try:
        second.wait_for("Press Ctrl+C to stop.")
    finally:
        second.stop()
    assert "Teacher PIN:" not in second.output


def test_a_learner_marks_an_exercise_tried_and_the_teacher_sees_the_count(site):
    learner = join(site, "Tried Tess")
    page = learner.get(ROUTES).text
    assert 'name="anchor" value="ex-add-a-route"' in page
    answer = learner.post("/exercise-tried", {"pack": "club", "doc": "w/02-routes",
                                              "anchor": "ex-add-a-route"})
    assert answer.status == 303 and answer.location.endswith("#ex-add-a-route")
    page = learner.get(ROUTES).text
    assert 'name="anchor" value="ex-add-a-route"' not in page and "</span> tried" in page
    assert store_of(site).progress(learner_id(site, "Tried Tess"))["exercises"] == [
        ["club", "w/02-routes", "ex-add-a-route"]]
    refused = learner.post("/exercise-tried", {"pack": "club", "doc": "w/02-routes",
                                               "anchor": "ex-not-here"})
    assert refused.status == 400
    table = teacher(site).get("/teacher/progress").text
    assert re.search(r"Tried Tess</th>.*?<td>1</td></tr>", table, re.S), table
