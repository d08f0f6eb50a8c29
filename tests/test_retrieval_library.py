"""The tutor's retrieval on a library of many pages (issue 20): it answers from the page that
teaches, never from an index page, refuses a question the library only brushes against, keeps
one long passage from filling the prompt, and never mixes languages. Small libraries written
here, indexed for real in a temp folder."""
from __future__ import annotations

import pytest

from kit.library.formats.sphinx import LINK_PAGE_SHARE, link_share
from kit.library.index_db import connect
from kit.library.indexer import build_index
from kit.library.page_roles import INDEX, REFERENCE, RELEASE_NOTES, TUTORIAL, page_role
from kit.tutor.retrieval import estimate_tokens, identifier_parts, question_language, retrieve
from tests.conftest import PACK_TOML, write_pack


def opened(settings):
    build_index(settings)
    return connect(settings.index_path, readonly=True)


def pack_toml(language: str) -> str:
    return PACK_TOML.format(title="A pack").replace('language = "en"', f'language = "{language}"')


def page_of(hit) -> str:
    return hit.url.split("#")[0]


# -- page roles ------------------------------------------------------------------------------------

@pytest.mark.parametrize("relpath, title, part, role", [
    ("whatsnew/3.11.html", "What's New In Python 3.11", "", RELEASE_NOTES),
    ("releases/4.2.html", "Django 4.2 release notes", "", RELEASE_NOTES),
    ("docs/en/docs/release-notes.md", "Release Notes", "", RELEASE_NOTES),
    ("changes.html", "Changes", "", RELEASE_NOTES),
    ("NEWS.md", "News", "", RELEASE_NOTES),
    ("genindex.html", "Index", "", INDEX),
    ("glossary.html", "Glossary", "", INDEX),
    ("GLOSSARY.md", "Glossary", "", INDEX),
    ("py-modindex.html", "Python Module Index", "", INDEX),
    ("tutorial/inputoutput.html", "Input and Output", "", TUTORIAL),
    ("intro/tutorial01.html", "Writing your first app", "", TUTORIAL),
    ("howto/sorting.html", "Sorting HOW TO", "", TUTORIAL),
    ("docs/en/docs/advanced/events.md", "Events", "Advanced User Guide", TUTORIAL),
    ("ref/models/fields.html", "Model field reference", "API Reference", REFERENCE),
    ("library/os.html", "os — Miscellaneous operating system interfaces", "", REFERENCE),
    ("api.html", "API", "", REFERENCE),
    ("about.html", "About these documents", "", ""),
    ("w/01-routes.md", "Routes", "", TUTORIAL),     # a workshop chapter teaches (kind below)
])
def test_a_pages_role_comes_from_the_sources_own_conventions(relpath, title, part, role):
    kind = "chapter" if relpath.startswith("w/") else "page"
    assert page_role(relpath, title, part, kind) == role


def test_a_sphinx_page_made_of_links_is_a_contents_page_and_one_that_teaches_is_not():
    links = "".join(f'<li><a href="m{n}.html">module number {n}</a></li>' for n in range(30))
    contents = f'<div role="main"><h1>Modules</h1><ul>{links}</ul></div>'
    teaching = ('<div role="main"><h1>Files</h1><p>Open a file with <a href="f.html">open()</a>, '
                'then read it whole with its read method; close it when you are done.</p></div>')
    assert link_share(contents) > LINK_PAGE_SHARE > link_share(teaching)


def sphinx_page(title: str, body: str, part: str = "") -> str:
    crumb = f'<li class="nav-item nav-item-1"><a href="../index.html">{part}</a> &#187;</li>' if part else ""
    return (f'<!DOCTYPE html><html lang="en"><head><title>{title} — Knots 1.0</title></head><body>'
            f'<div class="related" role="navigation"><ul><li class="nav-item nav-item-0"><a href="#">Knots'
            f'</a></li>{crumb}</ul></div><div class="body" role="main"><section id="s"><h1>{title}</h1>'
            f'{body}</section></div></body></html>')


def test_a_sphinx_builds_pages_get_their_roles_in_the_index(library_dirs, make_settings):
    content, _ = library_dirs
    links = "".join(f'<li><a href="p{n}.html">Knot number {n}</a></li>' for n in range(20))
    write_pack(content, "knots", {
        "index.html": sphinx_page("Knots", "<p>The knot book for sailors and climbers.</p>"),
        "contents.html": sphinx_page("Contents", f"<ul>{links}</ul>"),
        "whatsnew/1.0.html": sphinx_page("What's new in 1.0", "<p>The bowline page was added.</p>"),
        "tutorial/first.html": sphinx_page("Your first knot", "<p>Tie a bowline first.</p>"),
        "library/bowline.html": sphinx_page("bowline — the knot", "<p>The bowline makes a loop.</p>"),
        "notes/2.0.html": sphinx_page("Knots 2.0", "<p>Faster knots.</p>", part="Release notes"),
        "objects.inv": "# Sphinx inventory version 2\n# Project: Knots\n# Version: 1.0\n",
    }, pack_toml=PACK_TOML.format(title="Knots") + 'format = "sphinx"\n')
    conn = opened(make_settings())
    roles = dict(conn.execute("SELECT relpath, role FROM documents WHERE pack = 'knots'").fetchall())
    assert roles == {"index.html": "", "contents.html": INDEX, "whatsnew/1.0.html": RELEASE_NOTES,
                     "tutorial/first.html": TUTORIAL, "library/bowline.html": REFERENCE,
                     "notes/2.0.html": RELEASE_NOTES}


# -- ranking by role --------------------------------------------------------------------------------

def test_the_tutorial_page_is_the_source_and_the_index_page_never(library_dirs, make_settings):
    content, _ = library_dirs
    big_library(content, {})      # other pages, so the question's words are rare
    write_pack(content, "docs", {
        "whatsnew/2-0.md": "# What's new in 2.0\n\n## Changes\n\nThe quokka module reads quokka files "
                           "faster. Quokka parsing of quokka headers was fixed. Quokka quokka.\n",
        "glossary.md": "# Glossary\n\n## Terms\n\nquokka: see the quokka module. Quokka quokka quokka.\n",
        "tutorial/quokka.md": "# Reading files\n\n## Reading a quokka file\n\nTo read a quokka file, "
                              "open it with the quokka module and call its read function.\n",
        "about.md": "# About\n\n## Us\n\nWe write documentation about many things.\n",
    })
    conn = opened(make_settings())
    result = retrieve(conn, "How do I read a quokka file?")
    assert result.grounded
    assert page_of(result.passages[0]) == "/p/docs/tutorial/quokka"
    assert all(page_of(hit) != "/p/docs/glossary" for hit in result.passages + result.nearest)
    ranks = [page_of(hit) for hit in result.nearest]
    assert ranks.index("/p/docs/tutorial/quokka") < ranks.index("/p/docs/whatsnew/2-0")


# -- coverage on a big library ------------------------------------------------------------------------

TOPICS = ["files", "loops", "lists", "strings", "functions", "classes", "modules", "errors",
          "numbers", "dates", "sockets", "threads", "tests", "packages", "logging", "paths"]


def big_library(content, extra: dict[str, str]):
    """~200 pages about programming, a few sentences each, with `extra` pages added."""
    pages = {}
    for n in range(200):
        topic, other = TOPICS[n % len(TOPICS)], TOPICS[(n * 7 + 3) % len(TOPICS)]
        pages[f"library/page{n:03}.md"] = (
            f"# Working with {topic} {n}\n\n## Using {topic}\n\nThis page shows how {topic} work "
            f"together with {other}. Read the {topic} section first, then try the example with "
            f"{other} and print the result.\n")
    write_pack(content, "reference", {**pages, **extra})


def filler_pages(words: list[str], count: int = 40) -> dict[str, str]:
    """Pages of made-up sentences from `words`, so a small pack's words are not all common."""
    return {f"more/page{n:02}.md": f"# {words[n % len(words)]} {n}\n\n## {words[(n + 1) % len(words)]}\n\n"
            + " ".join(words[(n * k) % len(words)] for k in range(1, 9)) + ".\n" for n in range(count)}


def test_a_question_whose_one_library_word_is_a_stray_is_refused(library_dirs, make_settings):
    content, _ = library_dirs
    big_library(content, {
        "library/config.md": "# Config files\n\n## Sections\n\nA section name is written in capital "
                             "letters, like the capital of a column.\n",
        "library/keya.md": "# Keya\n\n## The keya option\n\nSet keya to turn on the keyed cache.\n",
    })
    conn = opened(make_settings())
    kenya = retrieve(conn, "What is the capital of Kenya?")
    assert not kenya.grounded and kenya.passages == []
    assert "keya" not in kenya.keywords      # a rare library word is not a spelling of "kenya"
    assert retrieve(conn, "How do I write a section name in a config file?").grounded


def test_a_word_that_starts_with_a_digit_is_one_word_and_can_mark_a_question_out_of_scope(
        library_dirs, make_settings):
    """'3D' was the digit and the letter apart, both too short to count: a question about 3D
    models kept only the words it shares with the library and was answered from them."""
    content, _ = library_dirs
    big_library(content, {
        "library/shapes.md": "# Shapes in pages\n\n## Showing a shape\n\nA page template can show a "
                             "model of a shape: the template draws the model with three lines.\n",
    })
    conn = opened(make_settings())
    assert "3d" in retrieve(conn, "show a 3D model").keywords
    assert not retrieve(conn, "How do I show a 3D model?").grounded
    assert retrieve(conn, "How do I show a model of a shape?").grounded


def test_a_long_passage_is_cut_to_its_best_window_and_never_fills_the_budget(library_dirs, make_settings):
    content, _ = library_dirs
    big_library(content, {})
    filler = " ".join(f"Sentence {n} says something about pelican boats in the harbour." for n in range(24))
    write_pack(content, "boats", {
        "w/01-boats.md": f"# Boats\n\n## Everything about pelican boats\n\n{filler}\n\n"
                         "To launch a pelican boat, untie the mooring rope and push off.\n",
        "w/02-ropes.md": "# Ropes\n\n## Mooring ropes\n\nA mooring rope holds a pelican boat in place.\n",
    })
    conn = opened(make_settings())
    budget, at_most = 450, 3
    result = retrieve(conn, "How do I launch a pelican boat?", budget_tokens=budget, max_passages=at_most)
    whole = next(hit for hit in result.nearest if "Everything" in hit.heading)
    assert estimate_tokens(whole.text) > budget // at_most       # the stored passage is long
    assert len(result.passages) >= 2                           # so another source still fits
    window = next(hit for hit in result.passages if hit.passage_id == whole.passage_id)
    assert estimate_tokens(window.text) <= budget // at_most
    assert window.text in whole.text and "untie the mooring rope" in window.text


# -- language ------------------------------------------------------------------------------------------

def test_an_english_question_over_an_english_and_french_pair_gets_english_sources(library_dirs, make_settings):
    content, _ = library_dirs
    big_library(content, {})
    write_pack(content, "book-en", {"w/01-web.md": "# The web\n\n## What is a URL\n\nA URL is the "
                                                   "address of a page on the web.\n"})
    french = "fichier dossier page lire écrire boucle liste texte nombre date erreur module".split()
    write_pack(content, "book-fr", {"w/01-web.md": "# Le web\n\n## Une URL\n\nUne URL est une adresse "
                                                   "web : URL, URL, URL de la page.\n", **filler_pages(french)},
               pack_toml=pack_toml("fr"))
    conn = opened(make_settings())
    english = retrieve(conn, "What is a URL?")
    assert english.grounded and english.passages
    assert {hit.language for hit in english.passages + english.nearest} == {"en"}
    assert english.language == "en"
    french = retrieve(conn, "Qu'est-ce qu'une URL ?")
    assert french.passages and {hit.pack for hit in french.passages + french.nearest} == {"book-fr"}
    asked_on_a_french_page = retrieve(conn, "URL", context={"pack": "book-fr", "doc": "w/01-web"})
    assert {hit.pack for hit in asked_on_a_french_page.nearest} == {"book-fr"}
    assert {hit.pack for hit in retrieve(conn, "URL", language="en").nearest} == {"book-en"}


def test_a_pack_in_a_language_the_kit_has_no_words_for_still_searches(library_dirs, make_settings):
    content, _ = library_dirs
    made_up = "vonta mirel sanu teka lorim dafu pekko rina soma twel ubba kiru".split()
    write_pack(content, "xx-pack", {"w/01-a.md": "# Zorblat\n\n## Zorblat kree\n\nZorblat kree vonta "
                                                 "mirel, zorblat sanu.\n", **filler_pages(made_up)},
               pack_toml=pack_toml("xx"))
    conn = opened(make_settings())
    result = retrieve(conn, "zorblat kree?")
    assert result.grounded and [hit.language for hit in result.passages] == ["xx"]


def test_the_questions_language_is_guessed_among_the_librarys_languages_only():
    assert question_language("How do I open a file?", {"en", "fr"}) == "en"
    assert question_language("Comment ouvrir un fichier dans le dossier ?", {"en", "fr"}) == "fr"
    assert question_language("anything at all", {"xx"}) == "xx"
    assert question_language("zorblat kree", {"en", "xx"}) is None      # nothing tells them apart


# -- what the quote chooser sees ------------------------------------------------------------------------

def test_a_compound_identifiers_words_are_read_apart():
    parts = identifier_parts("app.add_middleware(CORSMiddleware, allow_origins=origins); APIRouter(); x = 1")
    assert parts.split() == ["add", "middleware", "cors", "middleware", "allow", "origins", "api", "router"]
    assert identifier_parts("Plain prose with no code at all.") == ""


def test_the_code_that_names_the_questions_words_reaches_the_quote_chooser(library_dirs, make_settings):
    content, _ = library_dirs
    talk = {f"web/{n}-talk.md": f"# CORS talk {n}\n\n## Frontend requests {n}\n\nA frontend sends requests to "
            f"the backend; CORS rules say whether the browser will allow requests from a frontend on another "
            f"origin ({n}).\n" for n in range(1, 6)}
    notes = {f"web/{n}-notes.md": f"# Notes {n}\n\n## Cors {n}\n\nNotes on cors and the frontend ({n}).\n"
             for n in range(6, 9)}
    big_library(content, talk | notes | {"web/9-setup.md": "# Setup\n\n## Middleware\n\nTo allow requests "
                "from your frontend, add this:\n\n```python\napp.add_middleware(CORSMiddleware, "
                "allow_origins=[\"http://localhost\"])\n```\n"})
    conn = opened(make_settings())
    result = retrieve(conn, "How do I allow cors requests from my frontend?")
    assert result.grounded
    setup = [n for n, hit in enumerate(result.nearest) if "CORSMiddleware" in hit.text]
    assert setup == [5]            # shown to the chooser, after the ranking's own five
    assert len(result.nearest) == 6     # the notes below it have no code: not added
    assert all("CORSMiddleware" not in hit.text for hit in result.passages)
