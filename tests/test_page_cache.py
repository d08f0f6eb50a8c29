"""Document pages rendered once and served as bytes, and HTTP caching, through the real app on
a real waitress server: 304s, re-indexing, each learner's own parts on the shared page, gzip
only when asked for, and one learner's page never in another's response.
"""
from __future__ import annotations

import gzip
import re
import time
import urllib.request

from pathlib import Path

import pytest
import werkzeug.test

from kit.library.indexer import build_index
from kit.web.gzip_parts import deflate_piece, gzip_join
from kit.web.page_cache import PageCache, cached_page
from tests.conftest import write_pack
from tests.web_client import WebClient
from tests.threads import run_at_once

CHAPTERS = {
    "w/workshop.toml": 'title = "Web basics"\n',
    "w/01-start.md": "---\ntitle: Starting out\norder: 1\n---\n## Install\nInstall Flask with the wombat.\n",
    "w/02-routes.md": "---\ntitle: Routes\norder: 2\n---\n## Routes\nA route maps a URL.\n\n"
                      "::: exercise Add a route\nAdd /about.\n:::\n\n::: solution\n@app.route('/about')\n:::\n",
    "images/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
}
START, ROUTES = "/p/club/w/01-start", "/p/club/w/02-routes"
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@pytest.fixture
def site(library_dirs, make_settings, serve):
    write_pack(library_dirs[0], "club", CHAPTERS, title="Coding club")
    return serve(make_settings())


def join(site, nickname: str) -> WebClient:
    client = WebClient(site.url)
    assert client.post("/join", {"nickname": nickname, "next": "/"}).status == 303
    return client


def anonymous(site, path: str, headers: dict | None = None):
    """A browser with no cookie at all."""
    return WebClient(site.url).request("GET", path, headers=headers)


# -- HTTP caching -----------------------------------------------------------------------------

def test_a_matching_if_none_match_is_answered_304_without_a_body(site):
    first = anonymous(site, ROUTES)
    assert first.status == 200 and first.headers["etag"]
    again = anonymous(site, ROUTES, {"If-None-Match": first.headers["etag"]})
    assert again.status == 304 and again.body == b""
    assert again.headers["etag"] == first.headers["etag"]
    other = anonymous(site, ROUTES, {"If-None-Match": '"something-else"'})
    assert other.status == 200 and other.body == first.body


def test_if_modified_since_is_honoured_for_pages_with_nothing_personal(site):
    first = anonymous(site, ROUTES)
    assert first.headers["cache-control"] == "no-cache"
    since = anonymous(site, ROUTES, {"If-Modified-Since": first.headers["last-modified"]})
    assert since.status == 304
    older = anonymous(site, ROUTES, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status == 200


def test_a_learners_page_is_private_and_its_etag_differs_from_anyone_elses(site):
    ana, ben = join(site, "Ana"), join(site, "Ben")
    assert "Welcome, Ana" in ana.get(ROUTES).text          # the flashed welcome is shown once
    ana_page, ben_page, nobody = ana.get(ROUTES), ben.get(ROUTES), anonymous(site, ROUTES)
    assert "Welcome, Ana" not in ana_page.text
    assert ana_page.headers["cache-control"] == "private, no-cache"
    assert "Cookie" in ana_page.headers["vary"] and "Accept-Encoding" in ana_page.headers["vary"]
    assert "last-modified" not in ana_page.headers
    assert len({ana_page.headers["etag"], ben_page.headers["etag"], nobody.headers["etag"]}) == 3
    # Ben's browser sending Ana's ETag does not get a 304 for Ana's page
    assert ben.request("GET", ROUTES, headers={"If-None-Match": ana_page.headers["etag"]}).status == 200
    assert ana.request("GET", ROUTES, headers={"If-None-Match": ana_page.headers["etag"]}).status == 304


def test_gzip_only_when_the_browser_accepts_it(site):
    plain = anonymous(site, ROUTES)
    assert "content-encoding" not in plain.headers and b"A route maps a URL" in plain.body
    zipped = anonymous(site, ROUTES, {"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert zipped.headers["etag"] != plain.headers["etag"]
    refused = anonymous(site, ROUTES, {"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers and refused.body == plain.body


def test_a_learners_gzipped_page_has_their_own_parts(site):
    ana = join(site, "Ana")
    ana.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": "Ana's note about routes"})
    assert b"Your note is saved" in ana.get(ROUTES).body     # flashed once, then gone
    plain = ana.get(ROUTES).body
    zipped = ana.request("GET", ROUTES, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain
    assert b"Ana&#39;s note about routes" in plain and b"Joined as" in plain


def test_other_pages_with_a_learners_data_are_private(site):
    ana = join(site, "Ana")
    ana.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": "Ana-private-note"})
    for path in ("/me", "/", "/search?q=route", "/join"):
        assert ana.get(path).headers["cache-control"] == "private, no-cache", path


def test_static_files_are_versioned_cached_and_answered_304(site):
    page = anonymous(site, ROUTES).text
    css = re.search(r'href="(/static/style\.css\?v=[0-9a-f]+)"', page).group(1)
    first = anonymous(site, css)
    assert first.status == 200 and first.headers["etag"] and first.headers["last-modified"]
    assert "immutable" in first.headers["cache-control"]
    assert anonymous(site, css, {"If-None-Match": first.headers["etag"]}).status == 304
    unversioned = anonymous(site, "/static/style.css")
    assert unversioned.headers["cache-control"] == "no-cache" and unversioned.body == first.body
    zipped = anonymous(site, css, {"Accept-Encoding": "gzip"})
    assert gzip.decompress(zipped.body) == first.body
    assert anonymous(site, "/static/no-such.css").status == 404


def test_pack_images_have_an_etag_and_are_answered_304(site):
    first = anonymous(site, "/p/club/images/dot.svg")
    assert first.status == 200 and first.headers["etag"]
    assert anonymous(site, "/p/club/images/dot.svg", {"If-None-Match": first.headers["etag"]}).status == 304


@pytest.mark.parametrize("headers", [{}, {"Accept-Encoding": "gzip"}])
def test_the_fast_lane_answers_exactly_as_flask_does(site, headers):
    """No cookie: answered before Flask (kit/web/fast_lane.py), on the real server. The same
    request to the Flask app behind it, in-process: same status, headers and bytes."""
    lane = site.app.wsgi_app
    anonymous(site, ROUTES)                                   # rendered and joined by Flask
    before = lane.served
    fast = anonymous(site, ROUTES, headers)
    assert lane.served == before + 1
    slow = werkzeug.test.Client(lane.wsgi_app).get(ROUTES, headers=headers)
    assert lane.served == before + 1
    assert (fast.status, fast.body) == (slow.status_code, slow.data)
    slow_headers = {k.lower(): v for k, v in slow.headers.items()}
    fast_headers = {k: v for k, v in fast.headers.items() if k not in ("date", "server", "connection")}
    assert fast_headers == slow_headers
    assert anonymous(site, ROUTES, {"If-None-Match": fast.headers["etag"]}).status == 304
    assert lane.served == before + 2
    head = WebClient(site.url).request("HEAD", ROUTES)
    assert head.status == 200 and head.body == b"" and head.headers["etag"] == fast.headers["etag"].replace("-gz", "")


def test_the_fast_lane_leaves_learners_other_urls_and_unknown_pages_to_flask(site):
    lane = site.app.wsgi_app
    anonymous(site, ROUTES)
    before = lane.served
    ana = join(site, "Ana")
    assert ">Ana</a>" in ana.get(ROUTES).text
    assert anonymous(site, "/p/club/w/no-such-chapter").status == 404
    assert anonymous(site, "/p/club/").status == 200
    assert anonymous(site, "/p/club//w/02-routes").status == 404
    assert lane.served == before


# -- render once, invalidated by re-indexing ----------------------------------------------------

def test_a_reimported_pack_shows_its_new_text_within_half_a_second(site, library_dirs, make_settings):
    cache = site.services.page_cache
    assert cache.recheck_s <= 0.5              # the bound README promises
    before = anonymous(site, START)
    assert b"wombat" in before.body
    assert site.get_json("/api/search?q=wombat")[1]      # the server now keeps an index connection
    chapter = Path(library_dirs[0]) / "club" / "w" / "01-start.md"
    chapter.write_text("---\ntitle: Starting out\norder: 1\n---\n## Install\nInstall Flask with the numbat.\n",
                       encoding="utf-8")
    build_index(make_settings())              # what `kit index` / `kit import` do, from outside
    time.sleep(cache.recheck_s)               # the fast lane stats the index at most this often
    after = anonymous(site, START)
    assert b"numbat" in after.body and b"wombat" not in after.body
    assert after.headers["etag"] != before.headers["etag"]
    assert anonymous(site, START, {"If-None-Match": before.headers["etag"]}).status == 200
    assert site.get_json("/api/search?q=wombat")[1] == []   # search reads the new index too
    [hit] = site.get_json("/api/search?q=numbat")[1]
    assert "<mark>numbat</mark>" in hit["snippet"]


def test_a_page_is_rendered_once_then_served_from_the_cache(site):
    cache = site.services.page_cache
    for _ in range(3):
        anonymous(site, START)
    join(site, "Ana").get(START)
    assert cache.stats()["pages"] == 1
    assert cache.renders == 1


def test_the_cache_drops_the_least_recently_used_page_beyond_its_size():
    page = cached_page(["x" * 1000], 0.0)
    cache = PageCache(Path("/nonexistent/index.sqlite"), max_bytes=3 * page.size)
    for key in ("a", "b", "c", "a", "d"):
        cache.get((key,), lambda modified: cached_page(["x" * 1000], modified))
    assert cache.stats()["pages"] == 3
    assert cache.renders == 4                   # "a" again was a hit; "b" was dropped for "d"


def test_pieces_deflated_apart_make_one_valid_gzip_stream():
    pieces = [b"<html>" * 500, b"", "Ana’s ✓".encode(), b"</html>" * 300]
    assert gzip.decompress(gzip_join([(p, deflate_piece(p)) for p in pieces])) == b"".join(pieces)


# -- each person's parts ------------------------------------------------------------------------

def test_two_learners_on_the_same_page_see_their_own_ticks_notes_and_nickname(site):
    ana, ben = join(site, "Ana"), join(site, "Ben")
    assert ana.post("/progress", {"pack": "club", "doc": "w/02-routes", "done": "1"}).status == 303
    ana.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": "Ana-private-note"})
    ana.post("/exercise-tried", {"pack": "club", "doc": "w/02-routes", "anchor": "ex-add-a-route"})
    ben.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": "Ben-private-note"})
    ana.get(ROUTES)                                          # any flashed message is shown once
    ana_page, ben_page = ana.get(ROUTES).text, ben.get(ROUTES).text
    assert "Joined as" in ana_page and ">Ana</a>" in ana_page and ">Ben</a>" not in ana_page
    assert ">Ben</a>" in ben_page and ">Ana</a>" not in ben_page
    assert "You marked this chapter done" in ana_page and "Mark this chapter done" in ben_page
    assert "Ana-private-note" in ana_page and "Ben-private-note" not in ana_page
    assert "Ben-private-note" in ben_page and "Ana-private-note" not in ben_page
    assert "✓</span> tried" in ana_page and "✓</span> tried" not in ben_page
    ana_token, ben_token = TOKEN.search(ana_page).group(1), TOKEN.search(ben_page).group(1)
    assert ana_token and ben_token and ana_token != ben_token
    assert ana_token not in ben_page and ben_token not in ana_page
    # the done tick in the chapter list is Ana's only
    assert ana_page.count('class="done-mark"') > ben_page.count('class="done-mark"')


def test_a_page_for_nobody_in_particular_carries_nothing_of_a_learner(site):
    ana = join(site, "Ana")
    ana.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": "Ana-private-note"})
    ana_page = ana.get(ROUTES).text
    nobody = anonymous(site, ROUTES)
    assert "Ana" not in nobody.text and "Join the class" in nobody.text
    assert TOKEN.search(nobody.text).group(1) == ""     # no session made for a reader
    assert TOKEN.search(ana_page).group(1) not in nobody.text
    assert "set-cookie" not in nobody.headers


def test_the_teachers_announcement_reaches_every_page_at_once(site):
    before = anonymous(site, ROUTES)
    site.services.store.update_class_settings(announcement="Break until ten")
    after = anonymous(site, ROUTES)
    assert "Break until ten" in after.text and after.headers["etag"] != before.headers["etag"]
    assert "Break until ten" in join(site, "Ana").get(ROUTES).text


def test_under_concurrent_load_no_learner_ever_gets_another_learners_page(site):
    clients = {name: join(site, name) for name in ("Ana", "Ben", "Chloe")}
    for name, client in clients.items():
        client.post("/notes", {"pack": "club", "doc": "w/02-routes", "text": f"note-of-{name}"})
    tokens = {name: TOKEN.search(client.get(ROUTES).text).group(1) for name, client in clients.items()}
    problems = []

    def read(name, client):
        for n in range(15):
            headers = {"Accept-Encoding": "gzip"} if n % 2 else {}
            response = client.request("GET", ROUTES if n % 3 else START, headers=headers)
            body = gzip.decompress(response.body) if "content-encoding" in response.headers else response.body
            text = body.decode()
            for other in clients:
                if other != name and (f"note-of-{other}" in text or tokens[other] in text
                                      or f">{other}</a>" in text):
                    problems.append(f"{name} got {other}'s parts")
            if f">{name}</a>" not in text:
                problems.append(f"{name}'s page lacks their nickname")

    def read_anonymously():
        for _ in range(15):
            text = urllib.request.urlopen(site.url + ROUTES, timeout=10).read().decode()
            if any(name in text for name in clients) or any(token in text for token in tokens.values()):
                problems.append("a reader with no cookie got a learner's parts")

    run_at_once([(read, *item) for item in clients.items()] + [(read_anonymously,)] * 2)
    assert not problems, problems[:5]
