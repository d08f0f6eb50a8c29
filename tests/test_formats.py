"""Published sources imported as they are published (docs/packs.md, "Published sources"):
GitBook/HonKit books, MkDocs folders and Sphinx builds, each made here by the test, imported
with `kit import` and read back through the real app's pages and the real SQLite index.
"""
from __future__ import annotations

import gzip
import json
import re
import textwrap
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.cli import main
from kit.library.index_db import connect
from kit.library.indexer import build_index
from kit.library.search import search_passages

BOOK = {
    "book.json": json.dumps({"title": "Robot Sailing Club", "language": "en",
                             "variables": {"robot_version": "4.2"}}),
    "README.md": "# Welcome aboard\n\nThe club builds sailing robots.\n",
    "SUMMARY.md": """\
        # Summary

        * [Introduction](./README.md)
        * [Installation](install/README.md)
            * [On Linux](install/linux.md)
        * [Rigging](rigging%2Emd)
        """,
    "install/README.md": """\
        # Installation

        ## Get ready {#ready}

        Install with `pip install robots~={{ book.robot_version }}`.

        {% include "/shared/steps.md" %}

        {% filename %}ship/deck.py{% endfilename %}
        ```python
        print("ahoy")
        ```

        <!--sec data-title="On Windows" data-id="windows_install" data-collapse=true ces-->
        Windows sailors open the command prompt first.
        <!--endsec-->

        {% raw %}Templates write {{ crew.name }} like this.{% endraw %}
        """,
    "install/linux.md": "# On Linux\n\n{% include \"./apt.md\" %}\n\n{% hint style='warning' %}\n"
                        "Never run **apt** as the ship's cat.\n{% endhint %}\n",
    "install/apt.md": "Linux sailors use the package manager barnacle.\n",
    "shared/steps.md": "First hoist the mainsail, then trim the jib.\n",
    "rigging.md": """\
        # Rigging

        A halyard raises a sail.<br>

        <img src="images/mast.png" alt="The mast">
        <iframe src="https://video.example/rigging"></iframe>
        <script>alert("boo")</script>
        """,
    "GLOSSARY.md": "## Halyard\n\nA rope that raises a sail.\n",
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relpath, body in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    return root


def kit_import(library_dirs, path: Path, *options: str):
    content, data = library_dirs
    result = CliRunner().invoke(main, ["import", str(path), "--data", str(data),
                                       "--content", str(content), *options])
    assert result.exit_code == 0, result.output
    return result


def search(make_settings, query: str, pack: str | None = None) -> list[str]:
    conn = connect(make_settings().index_path, readonly=True)
    try:
        return [hit.url for hit in search_passages(conn, query, pack=pack).hits]
    finally:
        conn.close()


def problems(make_settings) -> list[tuple]:
    conn = connect(make_settings().index_path, readonly=True)
    try:
        return [tuple(row) for row in conn.execute("SELECT pack, path, line, message FROM problems")]
    finally:
        conn.close()


@pytest.fixture
def book(tmp_path, library_dirs):
    """The test's HonKit book, imported: the `kit import` result."""
    return kit_import(library_dirs, write_tree(tmp_path / "source" / "en", BOOK))


# -- HonKit: import, order, nesting ---------------------------------------------------------

def test_import_says_the_format_and_takes_id_and_title_from_book_json(book, library_dirs):
    assert "Detected format: GitBook/HonKit book (honkit)" in book.output
    written = tomllib.loads((library_dirs[1] / "packs" / "robot-sailing-club" / "pack.toml").read_text())
    assert (written["title"], written["format"], written["language"]) == ("Robot Sailing Club", "honkit", "en")


def test_the_contents_follow_summary_order_with_sub_pages_nested(book, make_settings, page):
    html = page("/p/robot-sailing-club/")
    links = re.findall(r'<a href="/p/robot-sailing-club/([^"]+)">([^<]+)</a>', html)
    assert links == [("README", "Introduction"), ("install/README", "Installation"),
                     ("install/linux", "On Linux"), ("rigging", "Rigging"), ("GLOSSARY", "Glossary")]
    nested = re.search(r'Installation</a>\s*<ol class="contents-sub">\s*<li><a href="/p/robot-sailing-club/'
                       r'install/linux">', html)
    assert nested, html
    assert "SUMMARY" not in html


def test_a_page_shows_its_title_once(book, make_settings, page):
    html = page("/p/robot-sailing-club/rigging")
    assert html.count("<h1") == 1 and re.search(r"<h1[^>]*>Rigging</h1>", html)


def test_a_page_is_headed_by_its_own_h1_and_listed_by_its_summary_label(book, make_settings, page):
    html = page("/p/robot-sailing-club/README")                # SUMMARY.md: "Introduction"
    assert html.count("<h1") == 1 and re.search(r"<h1[^>]*>Welcome aboard</h1>", html)
    assert '<strong aria-current="page">Introduction</strong>' in html


def test_html_in_a_page_is_kept_sanitised_local_images_only(book, make_settings, page):
    html = page("/p/robot-sailing-club/rigging")
    assert '<img src="images/mast.png" alt="The mast">' in html and "<br>" in html
    assert "iframe" not in html and "video.example" not in html and "alert(" not in html
    assert search(make_settings, "br") == []                  # tags are not words to search


def test_includes_are_resolved_from_the_root_and_relative_and_searchable(book, make_settings, page):
    assert search(make_settings, "mainsail") == ["/p/robot-sailing-club/install/README#ready"]
    assert search(make_settings, "barnacle") == ["/p/robot-sailing-club/install/linux#s-top"]
    assert "{% include" not in page("/p/robot-sailing-club/install/README")


def test_book_variables_are_applied_and_raw_text_is_kept_as_written(book, make_settings, page):
    html = page("/p/robot-sailing-club/install/README")
    assert "robots~=4.2" in html and "book.robot_version" not in html
    assert "Templates write {{ crew.name }} like this." in html


def test_a_filename_becomes_the_caption_of_its_code_block(book, make_settings, page):
    html = page("/p/robot-sailing-club/install/README")
    figure = re.search(r'<figure class="code">\s*<figcaption class="filename">ship/deck.py</figcaption>\s*<pre[^>]*>'
                       r'.*?ahoy.*?</pre>\s*</figure>', html, re.S)
    assert figure, html
    assert "filename %}" not in html


def test_a_sec_block_is_a_collapsed_section_with_its_title(book, make_settings, page):
    html = page("/p/robot-sailing-club/install/README")
    section = re.search(r'<details class="section" id="windows-install">\s*<summary>On Windows</summary>\s*'
                        r'<p>Windows sailors open the command prompt first.</p>\s*</details>', html)
    assert section, html
    assert "<!--sec" not in html and "&lt;!--sec" not in html and "endsec" not in html


def test_heading_ids_are_anchors_and_leave_the_heading_text(book, make_settings, page):
    html = page("/p/robot-sailing-club/install/README")
    assert re.search(r'<h2 id="ready">Get ready</h2>', html)
    assert '<a href="#ready">Get ready</a>' in html          # the chapter's table of contents
    assert "{#ready}" not in html


def test_a_hint_is_a_box_with_its_markdown_read(book, page):
    html = page("/p/robot-sailing-club/install/linux")
    assert re.search(r'<div class="admonition warning">\s*<p>Never run <strong>apt</strong> as the ship', html)
    assert "hint" not in html.split('<article')[1].split("</article>")[0]


def test_the_glossary_is_a_page_of_the_book(book, make_settings):
    assert search(make_settings, "rope") == ["/p/robot-sailing-club/GLOSSARY#s-halyard"]


def test_a_multi_language_book_becomes_one_pack_per_language(tmp_path, library_dirs, make_settings, page):
    source = tmp_path / "club"
    write_tree(source, {"LANGS.md": "# Languages\n\n* [English](en/)\n* [Français](fr/)\n",
                        "book.json": json.dumps({"title": "Robot Sailing Club"}),
                        **{f"en/{k}": v for k, v in BOOK.items()},
                        "fr/book.json": json.dumps({"title": "Club de voile robotique"}),
                        "fr/SUMMARY.md": "* [Introduction](README.md)\n",
                        "fr/README.md": "# Bienvenue\n\nIl faut évaluer le vent avant de partir.\n"})
    result = kit_import(library_dirs, source)
    assert "Pack 'robot-sailing-club-en'" in result.output and "Pack 'robot-sailing-club-fr'" in result.output
    french = page("/p/robot-sailing-club-fr/README")
    # the kit's words are in the browser's language (English here), the pack's text says its own
    assert '" lang="fr" dir="ltr">' in french and "Club de voile robotique" in french
    english = page("/p/robot-sailing-club-en/README")
    assert '<html lang="en" dir="ltr">' in english and '" lang="en" dir="ltr">' not in english


def test_a_book_in_the_folder_book_json_names_is_found_and_its_problems_name_files_in_the_pack(
        tmp_path, library_dirs, make_settings, page):
    files = {f"content/{k}": v for k, v in BOOK.items() if k != "book.json"}
    files["content/rigging.md"] = "# Rigging\n\n{% include \"./nowhere.md\" %}\n"
    kit_import(library_dirs, write_tree(tmp_path / "club", {
        **files, "book.json": json.dumps({"title": "Robot Sailing Club", "root": "content/",
                                          "variables": {"robot_version": "4.2"}})}))
    assert "On Linux" in page("/p/robot-sailing-club/content/install/README")
    assert [(path, line) for _, path, line, _ in problems(make_settings)] == [("content/rigging.md", 3)]


WHOLE_BOOK = {"LANGS.md": "* [English](en/)\n* [Français](fr/)\n",
              "book.json": json.dumps({"title": "Robot Sailing Club", "variables": {"robot_version": "4.2"}}),
              **{f"en/{k}": v for k, v in BOOK.items() if k != "book.json"},
              "fr/SUMMARY.md": "* [Introduction](README.md)\n",
              "fr/README.md": "# Bienvenue\n\nVersion {{ book.robot_version }}.\n"}


@pytest.mark.parametrize("imported", ["the whole book", "its English folder"])
def test_a_language_of_a_book_gets_the_whole_books_variables(imported, tmp_path, library_dirs, make_settings, page):
    source = write_tree(tmp_path / "club", WHOLE_BOOK)
    result = kit_import(library_dirs, source if imported == "the whole book" else source / "en")
    assert "Pack 'robot-sailing-club-en'" in result.output and "language en" in result.output
    assert "robots~=4.2" in page("/p/robot-sailing-club-en/install/README")
    assert problems(make_settings) == []


# -- Pack language and search ------------------------------------------------------------------

def test_a_french_pack_is_found_without_accents_and_english_stemming_still_works(
        tmp_path, library_dirs, make_settings, page):
    french = write_tree(tmp_path / "fr-book", {
        "book.json": json.dumps({"title": "Apprendre", "language": "fr"}),
        "SUMMARY.md": "* [Tests](tests.md)\n",
        "tests.md": "# Tests\n\nIl faut évaluer chaque réponse.\n"})
    kit_import(library_dirs, french)
    kit_import(library_dirs, write_tree(tmp_path / "source" / "en", BOOK))
    assert search(make_settings, "evaluer") == ["/p/apprendre/tests#s-top"]
    assert search(make_settings, "évaluer") == ["/p/apprendre/tests#s-top"]
    assert sorted(search(make_settings, "raising")) == ["/p/robot-sailing-club/GLOSSARY#s-halyard",
                                                        "/p/robot-sailing-club/rigging#s-top"]
    # French stemming on French, never English: "évaluations" is a form of "évaluer" (Snowball's
    # French), "evaluated" is not (Porter would make both "evalu")
    assert search(make_settings, "évaluations") == ["/p/apprendre/tests#s-top"]
    assert search(make_settings, "evaluated") == []
    assert '" lang="fr" dir="ltr">' in page("/p/apprendre/tests")


# -- Bad input -----------------------------------------------------------------------------------

def test_broken_include_missing_page_and_include_cycle_are_named_and_the_rest_imported(
        tmp_path, library_dirs, make_settings):
    broken = {**BOOK,
              "SUMMARY.md": BOOK["SUMMARY.md"] + "* [Knots](knots.md)\n* [Loop](loop.md)\n",
              "rigging.md": "# Rigging\n\nA halyard raises a sail.\n\n{% include \"./nowhere.md\" %}\n",
              "loop.md": "# Loop\n\nRound and round.\n{% include \"./loop-back.md\" %}\n",
              "loop-back.md": "Back again.\n{% include \"/loop.md\" %}\n"}
    kit_import(library_dirs, write_tree(tmp_path / "source" / "en", broken))
    found = {(path, line): message for _, path, line, message in problems(make_settings)}
    assert "'./nowhere.md' cannot be included" in found[("rigging.md", 5)]
    assert "the contents list 'knots.md', but the book has no such file" in found[("SUMMARY.md", 7)]
    assert "would include the page in itself (loop.md → loop-back.md → loop.md)" in found[("loop-back.md", 2)]
    assert search(make_settings, "halyard raises") and search(make_settings, "round")
    assert search(make_settings, "mainsail")                    # the other pages are all there


def test_a_variable_book_json_does_not_define_is_named_with_its_line_and_left_as_written(
        tmp_path, library_dirs, make_settings, page):
    kit_import(library_dirs, write_tree(tmp_path / "source" / "en", {
        **BOOK, "rigging.md": "# Rigging\n\nUse rope of {{ book.rope_size }} mm.\n"}))
    [(path, line, message)] = [row[1:] for row in problems(make_settings)]
    assert (path, line) == ("rigging.md", 3)
    assert 'Add "rope_size" under "variables" in book.json' in message
    assert "{{ book.rope_size }}" in page("/p/robot-sailing-club/rigging")


def test_an_include_is_never_read_from_outside_the_book(tmp_path, library_dirs, make_settings):
    (tmp_path / "source" / "secret.md").parent.mkdir(parents=True)
    (tmp_path / "source" / "secret.md").write_text("The treasure lies under the oak.\n")
    kit_import(library_dirs, write_tree(tmp_path / "source" / "en", {
        **BOOK, "rigging.md": "# Rigging\n\n{% include \"../secret.md\" %}\n{% include \"/../secret.md\" %}\n"}))
    assert search(make_settings, "treasure") == []
    lines = sorted(line for _, path, line, _ in problems(make_settings) if path == "rigging.md")
    assert lines == [3, 4]


def test_a_broken_book_json_is_refused_naming_the_line_and_nothing_is_imported(tmp_path, library_dirs):
    source = write_tree(tmp_path / "source" / "en", {**BOOK, "book.json": '{\n  "title": "Robots",\n  oops\n}'})
    content, data = library_dirs
    result = CliRunner().invoke(main, ["import", str(source), "--data", str(data), "--content", str(content)])
    assert result.exit_code == 1
    assert "book.json, line 3: not valid JSON" in result.output and "Nothing was imported." in result.output
    assert not (data / "packs").exists() or not any((data / "packs").iterdir())


def test_a_2_gb_page_is_left_out_with_a_problem_and_the_rest_imported(tmp_path, library_dirs, make_settings):
    source = write_tree(tmp_path / "source" / "en", {**BOOK, "SUMMARY.md": BOOK["SUMMARY.md"] + "* [Log](log.md)\n"})
    with (source / "log.md").open("wb") as huge:          # sparse: takes no room on the disk
        huge.truncate(2 * 1024 ** 3)
    result = kit_import(library_dirs, source)
    assert "log.md: not copied: the file is 2048 MB, over the 20 MB limit" in result.output
    assert not (library_dirs[1] / "packs" / "robot-sailing-club" / "log.md").exists()
    assert search(make_settings, "mainsail")


def test_a_page_that_breaks_on_reimport_keeps_its_previous_version(tmp_path, library_dirs, make_settings):
    source = write_tree(tmp_path / "source" / "en", BOOK)
    kit_import(library_dirs, source)
    (source / "rigging.md").write_bytes(b"# Rigging\n\nA halyard \xff raises.\n")   # not UTF-8
    kit_import(library_dirs, source)
    assert search(make_settings, "halyard raises") != []
    assert any(path == "rigging.md" and "UTF-8" in message for _, path, _, message in problems(make_settings))


# -- Sphinx builds -------------------------------------------------------------------------------

def sphinx_page(title: str, next_page: str | None, crumbs: list[tuple[str, str]], body: str) -> str:
    next_link = f'<link rel="next" title="x" href="{next_page}" />' if next_page else ""
    bar = "".join(f'<li class="nav-item nav-item-{n}"><a href="{href}">{name}</a> &#187;</li>'
                  for n, (href, name) in enumerate(crumbs, 1))
    return (f'<!DOCTYPE html><html lang="en"><head><title>{title} — Knots 1.0</title>{next_link}</head>'
            f'<body><div class="related" role="navigation"><ul><li class="nav-item nav-item-0">'
            f'<a href="#">Knots</a></li>{bar}</ul></div>'
            f'<div class="document"><div class="body" role="main"><section id="s"><h1>{title}</h1>'
            f'<p>{body}</p></section></div></div>'
            f'<div class="sphinxsidebar" role="navigation"><h3>Quick search</h3><p>sidebarword</p></div>'
            f'</body></html>')


def test_a_sphinx_build_is_read_in_its_next_link_order_main_content_only(tmp_path, library_dirs, make_settings, page):
    build = write_tree(tmp_path / "html", {
        "index.html": sphinx_page("Knots", "zebra/intro.html", [], "The knot book."),
        "zebra/intro.html": sphinx_page("Tying in", "alpha/bowline.html", [], "Tying starts here."),
        "alpha/bowline.html": sphinx_page("Bowline", None, [("../zebra/intro.html", "Tying in")],
                                          "The bowline makes a fixed loop."),
        "searchindex.js": "Search.setIndex({})",
        "genindex.html": sphinx_page("Index", None, [], "index words"),
    })
    result = kit_import(library_dirs, build)
    assert "Detected format: Sphinx HTML build (sphinx)" in result.output
    assert "Pack 'knots-1-0': \"Knots 1.0 documentation\"" in result.output     # from the <title>
    html = page("/p/knots-1-0/")
    assert re.findall(r'<a href="/p/[^/]+/([^"]+)">', html) == ["index.html", "zebra/intro.html", "alpha/bowline.html"]
    assert re.search(r'Tying in</a>\s*<ol class="contents-sub">\s*<li><a href="/p/[^/]+/alpha/bowline.html">', html)
    assert search(make_settings, "sidebarword") == []
    assert search(make_settings, "fixed loop") == ["/p/knots-1-0/alpha/bowline.html#s"]
    intro = page("/p/knots-1-0/zebra/intro.html")
    assert 'rel="next" href="/p/knots-1-0/alpha/bowline.html"' in intro


def three_page_sphinx_build(tmp_path):
    """index → a → b, with an objects.inv naming the project and its version."""
    return write_tree(tmp_path / "html", {
        "index.html": sphinx_page("Knots", "a.html", [], "The knot book."),
        "a.html": sphinx_page("Reef knot", "b.html", [], "Square and flat."),
        "b.html": sphinx_page("Hitch", None, [], "A hitch ties to a post."),
        "objects.inv": "# Sphinx inventory version 2\n# Project: Knots\n# Version: 1.0\n"})


def test_a_changed_sphinx_page_is_the_only_one_read_again(tmp_path, library_dirs, make_settings):
    build = three_page_sphinx_build(tmp_path)
    kit_import(library_dirs, build)
    target = library_dirs[1] / "packs" / "knots-1-0"
    assert tomllib.loads((target / "pack.toml").read_text())["version"] == "1.0"      # from objects.inv
    (target / "b.html.gz").write_bytes(gzip.compress(        # pages are kept gzip'd
        sphinx_page("Hitch", None, [], "A clove hitch grips a spar.").encode()))
    again = build_index(make_settings())
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 1, 2, 0)
    assert search(make_settings, "spar") == ["/p/knots-1-0/b.html#s"]
    assert search(make_settings, "square") == ["/p/knots-1-0/a.html#s"]
    pack_toml = target / "pack.toml"          # a new language re-reads every page, for its tokenizer
    pack_toml.write_text(pack_toml.read_text().replace('language = "en"', 'language = "fr"'))
    assert build_index(make_settings()).updated == 3


def test_a_page_deleted_from_a_sphinx_build_leaves_the_index_and_the_unchanged_pages_stay(
        tmp_path, library_dirs, make_settings):
    build = three_page_sphinx_build(tmp_path)
    kit_import(library_dirs, build)
    (library_dirs[1] / "packs" / "knots-1-0" / "b.html.gz").unlink()
    again = build_index(make_settings())
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 2, 1)
    assert search(make_settings, "hitch") == [] and search(make_settings, "square") == ["/p/knots-1-0/a.html#s"]


def test_an_imported_sphinx_build_keeps_its_pages_gzipd_and_its_images_plain_and_serves_both(
        tmp_path, library_dirs, make_settings, page, monkeypatch):
    """The pack folder is read only to build the index, so its pages are stored compressed;
    a full rebuild reads them back, and images are served as they are."""
    body = "The bowline makes a fixed loop. " * 50
    build = write_tree(tmp_path / "html", {
        "index.html": sphinx_page("Knots", "a.html", [], f'<img src="_images/loop.png"> {body}'),
        "a.html": sphinx_page("Reef knot", None, [], "Square and flat."),
        "_images/loop.png": "not really a PNG",
        "objects.inv": "# Sphinx inventory version 2\n# Project: Knots\n# Version: 1.0\n"})
    kit_import(library_dirs, build)
    target = library_dirs[1] / "packs" / "knots-1-0"
    kept = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert kept == ["_images/loop.png", "a.html.gz", "index.html.gz", "objects.inv", "pack.toml"]
    assert (target / "index.html.gz").stat().st_size < (build / "index.html").stat().st_size / 5
    import kit.library.index_db
    monkeypatch.setattr(kit.library.index_db, "INDEX_VERSION", "rebuilt-from-the-gzipd-pages")
    assert build_index(make_settings()).added == 2
    assert set(search(make_settings, "fixed loop")) == {"/p/knots-1-0/index.html#s"}
    assert "Square and flat." in page("/p/knots-1-0/a.html")
    assert page("/p/knots-1-0/_images/loop.png") == "not really a PNG"


# -- MkDocs folders --------------------------------------------------------------------------------

MKDOCS = {
    "mkdocs.yml": """\
        site_name: Garden Robots
        theme:
          name: material
          language: en
        markdown_extensions:
          - pymdownx.emoji:
              emoji_index: !!python/name:material.extensions.emoji.twemoji
        nav:
          - Home: index.md
          - Sensors:
            - Moisture: sensors/moisture.md
          - Watering: watering.md
        """,
    "docs/index.md": "# Garden robots\n\nRobots that water plants.\n",
    "docs/watering.md": """\
        # Watering

        !!! note "Mind the pump"
            The pump needs priming.

        ??? tip "Hidden trick"
            Water at dawn.

        === "Linux"
            Run the linuxwater script.

        === "Windows"
            Run the winwater program.
        """,
    "docs/sensors/moisture.md": "# Moisture\n\nA probe measures soil moisture.\n",
}


def test_an_mkdocs_folder_keeps_nav_order_admonitions_and_tabs(tmp_path, library_dirs, make_settings, page):
    result = kit_import(library_dirs, write_tree(tmp_path / "site", MKDOCS))
    assert "Detected format: MkDocs site (source folder) (mkdocs)" in result.output
    contents = page("/p/garden-robots/")
    assert re.findall(r'<a href="/p/garden-robots/([^"]+)">', contents) == \
        ["docs/index", "docs/sensors/moisture", "docs/watering"]
    assert re.search(r'<span class="part">Sensors</span>\s*<ol class="contents-sub">\s*'
                     r'<li><a href="/p/garden-robots/docs/sensors/moisture">Moisture</a>\s*</li>\s*</ol>', contents)
    html = page("/p/garden-robots/docs/watering")
    assert re.search(r'<div class="admonition note">\s*<p class="admonition-title">Mind the pump</p>', html)
    assert re.search(r'<details class="admonition tip[^"]*">\s*<summary class="admonition-title">Hidden trick'
                     r'</summary>\s*<p>Water at dawn.</p>\s*</details>', html), html
    assert re.search(r'<p class="tab-label">Linux</p>\s*<p>Run the linuxwater script.</p>', html)
    assert re.search(r'<p class="tab-label">Windows</p>\s*<p>Run the winwater program.</p>', html)
    assert "===" not in html and "!!!" not in html
    assert search(make_settings, "priming") == ["/p/garden-robots/docs/watering#s-top"]


def test_an_mkdocs_folder_without_nav_reads_pages_in_file_order_index_first(
        tmp_path, library_dirs, make_settings, page):
    kit_import(library_dirs, write_tree(tmp_path / "site", {
        "mkdocs.yml": "site_name: Bees\ndocs_dir: pages\n",
        "pages/b-hives.md": "# Hives\n\nWooden boxes.\n", "pages/a-flowers.md": "# Flowers\n\nPollen.\n",
        "pages/index.md": "# Bees\n\nA beginner's guide.\n", "pages/z/index.md": "# Deeper\n\nMore.\n"}))
    assert re.findall(r'<a href="/p/bees/([^"]+)">([^<]+)</a>', page("/p/bees/")) == [
        ("pages/index", "Bees"), ("pages/a-flowers", "Flowers"), ("pages/b-hives", "Hives"),
        ("pages/z/index", "Deeper")]


def test_an_mkdocs_nav_entry_without_its_page_is_named_with_its_line(tmp_path, library_dirs, make_settings):
    watering = "  - Watering: watering.md\n"
    config = textwrap.dedent(MKDOCS["mkdocs.yml"]).replace(watering, watering + "  - Pruning: pruning.md\n")
    kit_import(library_dirs, write_tree(tmp_path / "site", {**MKDOCS, "mkdocs.yml": config}))
    found = [(path, line, message) for _, path, line, message in problems(make_settings)]
    assert found == [("mkdocs.yml", 13, "nav lists 'pruning.md', but docs/ has no such page. Fix the nav "
                                         "entry, or add the page and import again.")]
    assert search(make_settings, "priming") == ["/p/garden-robots/docs/watering#s-top"]


def test_unchanged_source_is_not_read_again_and_its_problems_still_show(tmp_path, library_dirs, make_settings):
    kit_import(library_dirs, write_tree(tmp_path / "source" / "en",
                                        {**BOOK, "SUMMARY.md": BOOK["SUMMARY.md"] + "* [Knots](knots.md)\n"}))
    again = build_index(make_settings())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert [p.path for _, p in again.problems] == ["SUMMARY.md"]
