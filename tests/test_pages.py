"""The pages and the JSON API, through the real app on a real waitress server on loopback.

One small library is written into temp folders for each test: a pack `club` with a workshop
whose chapter files sort the opposite way to their `order`, a transcript, an HTML page that
carries scripts and remote loads, images, and a broken caption file; a second pack `other`;
and a pack `broken` whose pack.toml lacks a field.
"""
from __future__ import annotations

import http.client
import re
import struct
import zlib
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.conftest import PACK_TOML, write_pack

SECRET = b"TOP-SECRET-MARKER: this file is outside every pack"


def png_bytes() -> bytes:
    """A valid 1x1 PNG, so the served file is a real image."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xd8\x66")) + chunk(b"IEND", b""))


SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'

# By file name the chapters sort finish, routes, start; their `order` fields say start, routes, finish.
CHAPTERS = {
    "w/workshop.toml": 'title = "Web basics"\ndescription = "Three short chapters."\n',
    "w/a-finish.md": """\
        ---
        title: Finishing up
        order: 3
        ---
        ## Serving the club
        Serve the app with waitress on the club laptop, and keep a lantern lit.
        """,
    "w/b-routes.md": """\
        ---
        title: Routes and variables
        order: 2
        ---
        ## Variables in the URL
        A route can take part of the path as an argument.
        """,
    "w/c-start.md": """\
        ---
        title: Starting out
        order: 1
        objectives:
          - Install Flask from a wheel folder
          - Write your first route
        ---
        This introduction mentions the quokka, before any heading.

        ## Install Flask
        Install Flask from the wheels folder; a lantern helps in the dark room.

        ![How a request flows](images/flow.png)

        ### Check the version
        Ask Flask for its version.

        ```python
        def hello():
            return "Hello"
        ```

        ::: exercise Say hello by name
        Change the view so that the greeting names the marmot.
        :::

        ::: solution
        ```python
        def hello(name):
            return f"Hello, {name}!"
        ```
        :::

        ## Templates come next
        Templates keep HTML out of Python, says the xylophone.
        """,
    "w/images/flow.png": png_bytes(),
    "w/images/map.svg": SVG,
}
WORDS = ("pairing keeps two people thinking about one problem at a time while the keyboard "
         "passes between them every fifteen minutes so nobody watches for too long and "
         "everyone explains what they are doing out loud which is most of the learning ")
TRANSCRIPT = {
    "talks/panel.txt": f"""\
        ---
        title: Panel on pairing
        description: Two people talk about pair programming.
        ---
        Amina (00:00:05): {WORDS} The navigator reads the exercise.

        Bo 01:10
        {WORDS} Someone once typed <img src=x onerror=alert(1)> into the chat, and a lantern too.

        Amina (00:02:30): {WORDS} And then we swap.
        """,
    "talks/bad.vtt": "00:00:01.000 --> 00:00:02.000\nNo header line here.\n",
}
GUIDE = {
    "docs/guide.html": """\
        <!doctype html><html><head><title>Club guide</title>
        <link rel="stylesheet" href="https://cdn.example.com/style.css">
        <style>@import url("https://fonts.example.com/font.css");</style>
        <script src="https://cdn.example.com/track.js"></script>
        </head><body>
        <main>
        <p>A welcome about the okapi, before any heading.</p>
        <h1 id="guide">Club guide</h1>
        <p>Bring a kettle. <script>alert("owned")</script></p>
        <img src="https://example.com/remote.png" alt="remote">
        <img src="//example.com/proto.png" alt="protocol-relative">
        <h2 id="rooms">Rooms</h2>
        <p onclick="alert(2)">The library room has power sockets and a lantern.</p>
        </main></body></html>
        """,
}
CHAPTER = "/p/club/w/c-start"
TRANSCRIPT_PAGE = "/p/club/talks/panel"
GUIDE_PAGE = "/p/club/docs/guide.html"


@pytest.fixture
def site(library_dirs, make_settings, serve, tmp_path):
    content, _ = library_dirs
    write_pack(content, "club", {**CHAPTERS, **TRANSCRIPT, **GUIDE}, title="Coding club")
    write_pack(content, "other", {"notes/01-notes.md": """\
        ---
        title: Notes from another club
        ---
        ## Lanterns
        Every lantern needs oil.
        """}, title="Other pack")
    write_pack(content, "broken", {"w/01-x.md": "# X\n\ntext\n"},
               pack_toml=PACK_TOML.format(title="Broken").replace('version = "1.0.0"\n', ""))
    (tmp_path / "secret.png").write_bytes(SECRET)
    return serve(make_settings())


# ---------------------------------------------------------------------------------------------
# Helpers: a small DOM from the standard library's parser, and raw requests


class Element:
    def __init__(self, tag: str, attrs, parent: Element | None = None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children: list[Element | str] = []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def select(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Element]:
        return [e for e in self.iter() if (tag is None or e.tag == tag)
                and (cls is None or cls in e.classes)
                and all(e.attrs.get(name) == value for name, value in attrs.items())]

    def one(self, tag=None, cls=None, **attrs) -> Element:
        found = self.select(tag, cls, **attrs)
        assert len(found) == 1, f"expected one <{tag} class={cls} {attrs}>, found {len(found)}"
        return found[0]


class _TreeBuilder(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {})

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(body: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(body)
    builder.close()
    return builder.root


def dom(server, path: str) -> Element:
    status, _, body = server.get(path)
    assert status == 200, f"{path}: {status}"
    return parse(body)


def raw_get(server, path: str) -> tuple[int, dict, bytes]:
    """Send `path` exactly as written: http.client does not resolve '..' or decode '%2e'."""
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def chapter_titles(list_element: Element) -> list[str]:
    return [li.text().strip() for li in list_element.select("li")]


# ---------------------------------------------------------------------------------------------
# Home and pack pages


def test_home_lists_every_good_pack_by_title(site):
    titles = [card.one("h2").text().strip() for card in dom(site, "/").select("section", "pack-card")]
    assert titles == ["Coding club", "Other pack"]


def test_home_lists_workshop_chapters_in_their_order_field(site):
    card = next(c for c in dom(site, "/").select("section", "pack-card") if "Coding club" in c.text())
    assert "Workshop: Web basics" in card.text()
    chapters = card.one("ol", "chapters")
    assert chapter_titles(chapters) == ["Starting out", "Routes and variables", "Finishing up"]
    assert [a.attrs["href"] for a in chapters.select("a")] == [
        "/p/club/w/c-start", "/p/club/w/b-routes", "/p/club/w/a-finish"]


def test_home_lists_transcripts(site):
    page = dom(site, "/")
    assert [a.text() for a in page.select("a", href=TRANSCRIPT_PAGE)] == ["Panel on pairing"]


def test_home_lists_import_problems_with_the_file_name(site):
    problems = dom(site, "/").one("details", "problems")
    listed = [li.text() for li in problems.select("li")]
    assert any("talks/bad.vtt" in line and "WEBVTT" in line for line in listed), listed
    assert any("pack.toml" in line and "'version'" in line for line in listed), listed


def test_home_problem_shows_the_path_where_the_file_is(site):
    problems = dom(site, "/").one("details", "problems")
    shown = [code.text() for code in problems.select("code")]
    assert "broken/pack.toml" in shown, shown


def test_pack_page_shows_the_pack_and_its_documents(site):
    page = dom(site, "/p/club/")
    assert page.one("h1").text() == "Coding club"
    assert "Test Author" in page.one("p", "meta").text()
    assert "CC-BY-4.0" in page.one("p", "meta").text()
    hrefs = {a.attrs.get("href") for a in page.select("a")}
    assert {"/p/club/w/c-start", TRANSCRIPT_PAGE, GUIDE_PAGE} <= hrefs


# ---------------------------------------------------------------------------------------------
# Chapter pages


def test_chapter_table_of_contents_links_to_anchors_in_the_page(site):
    page = dom(site, CHAPTER)
    links = page.one("ul", "sections").select("a")
    headings = [a.text() for a in links]
    assert headings == ["Install Flask", "Check the version", "Exercise: Say hello by name",
                        "Templates come next"]
    ids = {e.attrs["id"] for e in page.iter() if "id" in e.attrs}
    for link in links:
        assert link.attrs["href"].startswith("#")
        assert link.attrs["href"][1:] in ids, f"{link.attrs['href']} has no element in the page"


def test_chapter_shows_its_objectives(site):
    objectives = dom(site, CHAPTER).one("div", "objectives")
    assert chapter_titles(objectives) == ["Install Flask from a wheel folder", "Write your first route"]


def test_chapter_code_is_highlighted_on_the_server(site):
    block = dom(site, CHAPTER).select("code", "language-python")[0]
    keywords = [span.text() for span in block.select("span", "k")]
    assert "def" in keywords and "return" in keywords
    assert block.one("span", "nf").text() == "hello"


def test_chapter_exercise_has_its_solution_folded_below_it(site):
    article = dom(site, CHAPTER).one("article")
    exercise = article.one("section", "exercise")
    assert exercise.attrs["id"] == "ex-say-hello-by-name"
    assert "Say hello by name" in exercise.one("h3").text()
    assert "marmot" in exercise.text()
    blocks = [c for c in article.children if isinstance(c, Element)]
    solution = blocks[blocks.index(exercise) + 1]
    assert solution.tag == "details" and "solution" in solution.classes
    assert "open" not in solution.attrs
    assert solution.one("summary").text() == "Show solution"
    assert 'f"Hello, {name}!"' in solution.text()


@pytest.mark.parametrize("path, previous, following", [
    ("/p/club/w/c-start", None, "/p/club/w/b-routes"),
    ("/p/club/w/b-routes", "/p/club/w/c-start", "/p/club/w/a-finish"),
    ("/p/club/w/a-finish", "/p/club/w/b-routes", None),
], ids=["first-has-no-previous", "middle", "last-has-no-next"])
def test_previous_and_next_links_follow_the_chapter_order(site, path, previous, following):
    nav = dom(site, path).one("nav", "prev-next")
    assert [a.attrs["href"] for a in nav.select("a", rel="prev")] == ([previous] if previous else [])
    assert [a.attrs["href"] for a in nav.select("a", rel="next")] == ([following] if following else [])


def test_chapter_image_is_served_from_the_pack(site):
    image = dom(site, CHAPTER).one("img")
    status, headers, body = raw_get(site, urlsplit(urljoin(site.url + CHAPTER, image.attrs["src"])).path)
    assert (status, headers["content-type"]) == (200, "image/png")
    assert body == png_bytes()


# ---------------------------------------------------------------------------------------------
# Transcripts and HTML pages


def test_transcript_passage_shows_speaker_and_timestamp(site):
    passages = dom(site, TRANSCRIPT_PAGE).select("section", "passage")
    shown = [(p.one("span", "speaker").text(), p.one("a", "stamp").text()) for p in passages]
    assert shown == [("Amina", "00:00:05"), ("Bo", "00:01:10"), ("Amina", "00:02:30")]


def test_transcript_passage_has_an_anchor_and_a_link_to_itself(site):
    passages = dom(site, TRANSCRIPT_PAGE).select("section", "passage")
    assert [p.attrs["id"] for p in passages] == ["t-00-00-05", "t-00-01-10", "t-00-02-30"]
    for passage in passages:
        assert passage.one("a", "stamp").attrs["href"] == "#" + passage.attrs["id"]


def test_transcript_text_that_looks_like_html_is_shown_as_text(site):
    status, _, body = site.get(TRANSCRIPT_PAGE)
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    page = parse(body)
    assert page.select("img") == []
    assert "<img src=x onerror=alert(1)>" in page.one("section", id="t-00-01-10").text()


def test_html_page_from_a_pack_is_shown_without_scripts(site):
    status, _, body = site.get(GUIDE_PAGE)
    page = parse(body)
    article = page.one("article")
    assert "Bring a kettle." in article.text()
    assert all(script.text() == "" and script.attrs["src"].startswith("/static/")
               for script in page.select("script"))
    assert "owned" not in body and "onclick" not in body and "track.js" not in body
    assert all("src" not in img.attrs for img in article.select("img"))


# ---------------------------------------------------------------------------------------------
# Search page


def test_search_results_link_to_passage_anchors_with_marked_snippets(site):
    results = dom(site, "/search?q=lantern").select("li", "result")
    assert len(results) >= 4
    for result in results:
        href = result.one("a", "result-title").attrs["href"]
        assert re.fullmatch(r"/p/[a-z0-9-]+/[^#]+#[\w-]+", href), href
        marks = result.one("p", "snippet").select("mark")
        assert marks and all(m.text().lower().startswith("lantern") for m in marks)


def test_search_filters_by_pack(site):
    everywhere = dom(site, "/search?q=lantern").select("a", "result-title")
    in_other = dom(site, "/search?q=lantern&pack=other").select("a", "result-title")
    assert any(a.attrs["href"].startswith("/p/club/") for a in everywhere)
    assert in_other and all(a.attrs["href"].startswith("/p/other/") for a in in_other)


def test_search_filters_by_kind(site):
    everywhere = dom(site, "/search?q=lantern").select("span", "result-meta")
    transcripts = dom(site, "/search?q=lantern&kind=transcript").select("span", "result-meta")
    assert {m.text().split(" · ")[0] for m in everywhere} == {"chapter", "transcript", "page"}
    assert transcripts and {m.text().split(" · ")[0] for m in transcripts} == {"transcript"}


def test_search_says_when_nothing_matches(site):
    page = dom(site, "/search?q=zebrafinch")
    assert page.select("li", "result") == []
    assert "Nothing in the library matches “zebrafinch”" in page.one("p", "notice").text()


def test_search_says_when_it_relaxed_the_query(site):
    page = dom(site, "/search?q=quokka+zebrafinch")
    assert "No passage has all of these words" in page.one("p", "notice").text()
    assert [a.attrs["href"] for a in page.select("a", "result-title")] == [CHAPTER + "#s-top"]


@pytest.mark.parametrize("query", ['"', "AND", "*", "(", "NEAR(", "lantern AND", 'a"b'])
def test_malformed_query_on_search_page_is_not_a_server_error(site, query):
    status, _, body = site.get("/search?q=" + quote(query))
    assert status == 200
    assert parse(body).one("h1").text() == "Search"


@pytest.mark.parametrize("query", ['"', "AND", "*"])
def test_malformed_query_on_api_is_not_a_server_error(site, query):
    status, hits = site.get_json("/api/search?q=" + quote(query))
    assert status == 200 and isinstance(hits, list)


def test_search_query_is_escaped_in_the_page(site):
    status, _, body = site.get("/search?q=" + quote("<script>alert(1)</script>"))
    assert status == 200
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert all(script.text() == "" and script.attrs["src"].startswith("/static/")
               for script in parse(body).select("script"))


def test_search_page_with_unknown_kind_is_400(site):
    status, headers, body = site.get("/search?q=lantern&kind=video")
    assert status == 400
    assert "kind must be one of chapter, transcript, page" in parse(body).one("main").text()


# ---------------------------------------------------------------------------------------------
# JSON API


def test_api_search_items_have_the_promised_fields(site):
    status, hits = site.get_json("/api/search?q=lantern")
    assert status == 200 and hits
    for hit in hits:
        assert set(hit) == {"title", "pack", "kind", "url", "snippet", "score", "heading", "speaker",
                            "start"}       # not the passage's whole text, nor its row id
        assert isinstance(hit["score"], (int, float)) and hit["url"].startswith(f"/p/{hit['pack']}/")
        assert "<mark>" in hit["snippet"]


@pytest.mark.parametrize("query, expected_anchor", [
    ("kettle", "guide"),
    ("sockets", "rooms"),
    ("marmot", "ex-say-hello-by-name"),
    ("xylophone", "s-templates-come-next"),
    ("navigator", "t-00-00-05"),
    ("quokka", "s-top"),
    ("okapi", "s-top"),
], ids=["page-section", "page-subsection", "exercise", "chapter-section", "transcript",
        "chapter-intro", "page-intro"])
def test_api_search_url_points_at_an_anchor_on_its_page(site, query, expected_anchor):
    status, hits = site.get_json("/api/search?q=" + query)
    assert status == 200 and len(hits) == 1
    path, _, anchor = hits[0]["url"].partition("#")
    assert anchor == expected_anchor
    status, _, body = site.get(path)
    assert status == 200
    assert f'id="{anchor}"' in body


def test_api_search_honours_limit(site):
    _, all_hits = site.get_json("/api/search?q=lantern&limit=100")
    status, two = site.get_json("/api/search?q=lantern&limit=2")
    assert len(all_hits) > 2
    assert status == 200 and two == all_hits[:2]


@pytest.mark.parametrize("limit", ["0", "abc", "1000", "-1", "101", "", "%C2%B2"],
                         ids=["zero", "word", "too-big", "negative", "just-over", "empty",
                              "superscript-two"])
def test_api_search_bad_limit_is_a_400_json_error(site, limit):
    status, body = site.get_json("/api/search?q=lantern&limit=" + limit)
    assert status == 400
    assert body == {"error": "limit must be a whole number from 1 to 100"}


def test_api_search_bad_kind_is_a_400_json_error(site):
    status, body = site.get_json("/api/search?q=lantern&kind=video")
    assert status == 400
    assert "kind must be one of" in body["error"]


# ---------------------------------------------------------------------------------------------
# Not found, assets, path traversal


@pytest.mark.parametrize("path", ["/p/nowhere/", "/p/nowhere/w/c-start", "/p/club/w/no-such-chapter",
                                  "/p/club/talks/panel.txt"])
def test_unknown_pack_or_document_is_a_404_page(site, path):
    status, headers, body = site.get(path)
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert parse(body).one("h1").text() == "Not Found"


@pytest.mark.parametrize("path, content_type, filename", [
    ("/p/club/w/images/flow.png", "image/png", "flow.png"),
    ("/p/club/w/images/map.svg", "image/svg+xml", "map.svg"),
])
def test_pack_image_is_served_with_its_content_type(site, library_dirs, path, content_type, filename):
    status, headers, body = raw_get(site, path)
    assert status == 200
    assert headers["content-type"].split(";")[0] == content_type
    assert body == (library_dirs[0] / "club" / "w" / "images" / filename).read_bytes()


@pytest.mark.parametrize("path", [
    "/p/club/../../secret.png",
    "/p/club/w/images/../../../../secret.png",
    "/p/club/%2e%2e/%2e%2e/secret.png",
    "/p/club/..%2f..%2fsecret.png",
    "/p/club/..%5c..%5csecret.png",
    "/p/club/" + "../" * 12 + "etc/passwd",
    "/p/club/%2e%2e/" * 12 + "etc/passwd",
    "ABSOLUTE",
    "ABSOLUTE-ENCODED",
    "/p/club//etc/passwd",
    "/p/club/pack.toml",
    "/p/club/w/c-start.md",
    "/p/club/w/workshop.toml",
], ids=["dot-dot", "dot-dot-from-images", "encoded-dots", "encoded-slash", "backslash",
        "etc-passwd", "encoded-etc-passwd", "absolute", "absolute-encoded", "absolute-etc-passwd",
        "pack-toml", "markdown-source", "workshop-toml"])
def test_path_outside_the_pack_or_not_an_asset_is_a_404(site, tmp_path, path):
    secret = (tmp_path / "secret.png").as_posix()
    path = {"ABSOLUTE": "/p/club/" + secret,
            "ABSOLUTE-ENCODED": "/p/club/" + quote(secret, safe="")}.get(path, path)
    status, _, body = raw_get(site, path)
    assert status == 404
    assert SECRET not in body and b"root:" not in body and b"title =" not in body


# ---------------------------------------------------------------------------------------------
# Headers, escaping and offline-ness of every page

HTML_PAGES = ["/", "/p/club/", CHAPTER, "/p/club/w/a-finish", TRANSCRIPT_PAGE, GUIDE_PAGE,
              "/search", "/search?q=lantern", "/search?q=zebrafinch", "/p/nowhere/",
              "/search?q=x&kind=video", "/ask"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_every_html_response_has_a_content_security_policy_and_nosniff(site, path):
    _, headers, _ = raw_get(site, path)
    assert headers["content-type"].startswith("text/html")
    policy = [part.strip() for part in headers["content-security-policy"].split(";")]
    assert "default-src 'self'" in policy
    assert headers["x-content-type-options"] == "nosniff"


EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)


@pytest.mark.parametrize("path", HTML_PAGES)
def test_no_page_refers_to_an_external_resource(site, path):
    _, _, raw = raw_get(site, path)
    body = raw.decode()
    for element in parse(body).iter():
        if element.tag in ("link", "script", "img", "source", "iframe", "audio", "video", "embed"):
            for attribute in ("src", "href", "srcset"):
                value = element.attrs.get(attribute) or ""
                assert not EXTERNAL.match(value), f"<{element.tag} {attribute}={value!r}>"
    assert "@import" not in body


@pytest.mark.parametrize("path", ["/static/style.css", "/static/code.css"])
def test_stylesheets_load_nothing_from_outside(site, path):
    status, _, body = site.get(path)
    assert status == 200
    assert "@import" not in body
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", body, re.I)
