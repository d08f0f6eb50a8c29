"""A book in several languages (issue 21 items 3 and 5): the home page puts the learner's
language first and names the book's other languages, a chapter links to the same chapter in
them, and HonKit's built-in variables are read from what the book says. Each book here is
written by the test, in our own words, and imported with `kit import`."""
from __future__ import annotations

import json
import re

import pytest

from kit.library.catalog import book_key, language_name

from tests.test_formats import kit_import, problems, write_tree
from tests.test_mkdocs_sources import SITE
from tests.test_mkdocs_sources import kit_import as import_site
from tests.test_mkdocs_sources import write_tree as write_site


LANGS = {
    "LANGS.md": "# Languages\n\n* [English](en/)\n* [Français](fr/)\n",
    "book.json": json.dumps({"title": "Kite Making"}),
    "en/book.json": json.dumps({"title": "Kite Making"}),
    "en/SUMMARY.md": "* [Introduction](README.md)\n* [Frames](frames.md)\n* [Tails](tails.md)\n",
    "en/README.md": "# Kite Making\n\nThis book is written in {{ book.language }}.\n",
    "en/frames.md": "# Frames\n\nThis page is '{{ page.title }}' of '{{ config.title }}'."
                    " Bamboo sticks make a light frame.\n\n{{ book.string_length }}\n",
    "en/tails.md": "# Tails\n\nA long tail keeps the kite steady.\n",
    "fr/book.json": json.dumps({"title": "Fabriquer un cerf-volant"}),
    "fr/SUMMARY.md": "* [Introduction](README.md)\n* [Armatures](frames.md)\n",
    "fr/README.md": "# Fabriquer un cerf-volant\n\nCe livre est écrit en {{ book.language }}.\n",
    "fr/frames.md": "# Armatures\n\nDes baguettes de bambou font une armature légère."
                    " {{ book.title }}.\n\n{{ book.string_length }}\n",
}


@pytest.fixture
def kites(tmp_path, library_dirs):
    return kit_import(library_dirs, write_tree(tmp_path / "kites", LANGS))


def test_honkits_built_ins_are_read_from_the_book_and_only_unknown_variables_are_reported(
        kites, make_settings, page):
    assert "This book is written in en." in page("/p/kite-making-en/README")
    assert "Ce livre est écrit en fr." in page("/p/kite-making-fr/README")
    assert "This page is 'Frames' of 'Kite Making'" in page("/p/kite-making-en/frames")
    assert "Fabriquer un cerf-volant." in page("/p/kite-making-fr/frames")
    found = [(pack, path, line) for pack, path, line, _ in problems(make_settings)]
    assert sorted(found) == [("kite-making-en", "frames.md", 5), ("kite-making-fr", "frames.md", 5)]


def test_a_file_included_by_two_pages_has_its_problem_listed_once(tmp_path, library_dirs, make_settings):
    kit_import(library_dirs, write_tree(tmp_path / "kites", {
        **LANGS, "en/shared.md": "Wind speed: {{ book.wind }}.\n",
        "en/tails.md": "# Tails\n\n{% include \"./shared.md\" %}\n",
        "en/README.md": "# Kite Making\n\n{% include \"./shared.md\" %}\n"}))
    found = [(pack, path, line) for pack, path, line, _ in problems(make_settings)]
    assert found.count(("kite-making-en", "shared.md", 1)) == 1


@pytest.fixture
def read_as(page):
    """read_as(language, path) -> the page the real app serves to a browser asking for that language."""
    return lambda language, path: page(path, headers={"Accept-Language": language})


def titles_in_order(html: str) -> list[str]:
    return re.findall(r'<section class="pack-card">\s*<h2[^>]*><a href="[^"]*">([^<]*)</a>', html)


def test_the_home_lists_the_learners_language_first_and_names_each_books_other_languages(
        kites, tmp_path, library_dirs, read_as):
    kit_import(library_dirs, write_tree(tmp_path / "anchors", {
        "book.json": json.dumps({"title": "Anchors", "language": "en"}),
        "SUMMARY.md": "* [Anchors](README.md)\n", "README.md": "# Anchors\n\nDrop it slowly.\n"}))
    french = read_as("fr", "/")
    assert titles_in_order(french) == ["Fabriquer un cerf-volant", "Anchors", "Kite Making"]
    english = read_as("en", "/")
    assert titles_in_order(english) == ["Anchors", "Kite Making", "Fabriquer un cerf-volant"]
    card = english.split('<section class="pack-card">')[2]          # Kite Making
    assert re.search(r'Also in: <a href="/p/kite-making-fr/" lang="fr" hreflang="fr">Français</a>', card)
    assert 'hreflang="en"' not in card
    anchors = english.split('<section class="pack-card">')[1]
    assert "Also in" not in anchors                                   # a book in one language
    assert "Aussi en" in french.split('<section class="pack-card">')[1]


def test_a_chapter_links_to_the_same_chapter_in_the_books_other_languages(kites, read_as):
    english = read_as("en", "/p/kite-making-en/frames")
    assert re.search(r'Read this in: <a href="/p/kite-making-fr/frames" lang="fr" hreflang="fr">Français</a>', english)
    assert 'href="/p/kite-making-en/frames" lang="en"' in read_as("en", "/p/kite-making-fr/frames")
    assert "Read this in" not in read_as("en", "/p/kite-making-en/tails")   # not translated yet


def test_packs_named_like_another_language_of_a_book_are_one_book_only_when_they_follow_the_naming():
    assert book_key("kite-making-fr", "fr") == book_key("kite-making-en", "en") == "kite-making"
    assert book_key("fastapi", "en") == book_key("fastapi-pt-br", "pt-BR") == "fastapi"
    assert book_key("french-fr", "en") == "french-fr"          # its suffix is not its language
    assert book_key("fr", "fr") == "fr"
    assert language_name("fr") == "Français" and language_name("de") == "Deutsch"
    assert language_name("xx") == "xx"


def test_a_language_folder_imported_alone_joins_the_book_its_langs_md_belongs_to(
        tmp_path, library_dirs, read_as):
    source = write_tree(tmp_path / "kites", LANGS)
    kit_import(library_dirs, source / "en")
    result = kit_import(library_dirs, source / "fr")
    assert "Pack 'kite-making-fr'" in result.output          # the whole book's name, not its own title
    assert "Read this in" in read_as("en", "/p/kite-making-fr/frames")


def test_an_mkdocs_translation_is_the_same_site_in_another_language(tmp_path, library_dirs, read_as):
    repo = write_site(tmp_path / "repo", SITE)
    import_site(library_dirs, repo / "docs" / "en")
    import_site(library_dirs, repo / "docs" / "fr")
    french = read_as("fr", "/")
    assert titles_in_order(french)[0] == "Kite Workshop (fr)"
    assert 'href="/p/kite-workshop/" lang="en" hreflang="en">English</a>' in french
    assert 'href="/p/kite-workshop-fr/docs/launch" lang="fr"' in read_as("en", "/p/kite-workshop/docs/launch")
