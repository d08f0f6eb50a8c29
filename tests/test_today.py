"""Today's chapters: the teacher pins chapters in the class settings; the learners' home shows them
first and joining from the home opens the first; a pinned chapter a re-import removed is shown to
the teacher as gone, never linked for learners, and nothing breaks. Real app on waitress, real
TinyDB files, a pack in a temp folder re-imported by restarting the kit.
"""
from __future__ import annotations

import pytest

from tests.conftest import write_pack
from tests.web_client import WebClient, logged_in_teacher

PIN = "8642"
CHAPTERS = {
    "w/workshop.toml": 'title = "Web basics"\n',
    "w/01-start.md": "---\ntitle: Starting out\norder: 1\n---\n## Install\nInstall Flask.\n",
    "w/02-routes.md": "---\ntitle: Routes\norder: 2\n---\n## Routes\nA route maps a URL.\n",
    "w/03-finish.md": "---\ntitle: Finishing up\norder: 3\n---\n## Serve\nServe it.\n",
}


@pytest.fixture
def site(library_dirs, make_settings, serve):
    write_pack(library_dirs[0], "club", CHAPTERS, title="Coding club")
    site = serve(make_settings())
    site.services.store.set_teacher_pin(PIN)
    return site


def teacher(site) -> WebClient:
    return logged_in_teacher(site.url, PIN)


def pin(client: WebClient, *chapters: str):
    form = [("modes", "explain"), ("think_first_min", "20"), ("think_first_minutes", "0"),
            ("questions_per_minute", "3"), ("tutor_enabled", "on"), ("pinned_shown", "1")]
    return client.post("/teacher/settings", form + [("pinned", chapter) for chapter in chapters])


def test_the_home_shows_todays_chapters_first_in_the_teachers_order(site):
    assert pin(teacher(site), "club/w/03-finish", "club/w/02-routes").status == 303
    home = WebClient(site.url).get("/").text
    today = home.split('id="today-heading"')[1].split("</section>")[0]
    assert today.index('href="/p/club/w/03-finish">Finishing up') < today.index('href="/p/club/w/02-routes">Routes')
    assert home.index('id="today-heading"') < home.index('class="pack-card"')


def test_joining_from_the_home_opens_todays_first_chapter(site):
    pin(teacher(site), "club/w/02-routes")
    learner = WebClient(site.url)
    assert "After joining you go to today's first chapter: Routes." in learner.get("/join").text
    joined = learner.post("/join", {"nickname": "Ana", "next": "/"})
    assert (joined.status, joined.location) == (303, "/p/club/w/02-routes")
    elsewhere = WebClient(site.url).post("/join", {"nickname": "Bo", "next": "/p/club/w/01-start"})
    assert elsewhere.location == "/p/club/w/01-start"          # a learner going somewhere goes there


def test_without_pins_the_home_and_join_are_as_before(site):
    assert 'id="today-heading"' not in WebClient(site.url).get("/").text
    assert WebClient(site.url).post("/join", {"nickname": "Ana", "next": "/"}).location == "/"


def test_the_teachers_form_ticks_the_pinned_chapters(site):
    client = teacher(site)
    pin(client, "club/w/02-routes")
    page = client.get("/teacher").text
    assert 'value="club/w/02-routes" checked' in page and 'value="club/w/01-start">' in page
    assert site.services.store.class_settings()["pinned"] == [["club", "w/02-routes"]]


def test_a_pinned_chapter_removed_by_a_reimport_is_shown_as_gone(library_dirs, make_settings, serve, site):
    pin(teacher(site), "club/w/02-routes", "club/w/03-finish")
    site.services.close()
    (library_dirs[0] / "club" / "w" / "02-routes.md").unlink()      # the pack, re-imported without it
    again = serve(make_settings())
    client = teacher(again)
    page = client.get("/teacher")
    assert page.status == 200
    assert "club/w/02-routes — no longer in the library (a re-import removed it)" in page.text
    home = WebClient(again.url).get("/")
    assert home.status == 200 and "w/02-routes" not in home.text and "Finishing up" in home.text
    joined = WebClient(again.url).post("/join", {"nickname": "Cy", "next": "/"})
    assert joined.location == "/p/club/w/03-finish"
    assert pin(client, "club/w/03-finish").status == 303                 # unticked: gone for good
    assert again.services.store.class_settings()["pinned"] == [["club", "w/03-finish"]]


@pytest.mark.parametrize("chapters, message", [
    ([f"club/w/{n:02d}" for n in range(11)], "Today&#39;s chapters: pin at most 10 chapters (you chose 11)."),
    (["no-slash"], "Today&#39;s chapters: &#39;no-slash&#39; is not a chapter"),
])
def test_bad_pins_are_refused_naming_the_field_and_nothing_is_lost(site, chapters, message):
    client = teacher(site)
    pin(client, "club/w/01-start")
    response = pin(client, *chapters)
    assert response.status == 400 and message in response.text
    assert site.services.store.class_settings()["pinned"] == [["club", "w/01-start"]]
