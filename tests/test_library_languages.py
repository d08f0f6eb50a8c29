"""A book in several languages (issue 21 items 3 and 5): the home page puts the learner's
language first and names the book's other languages, a chapter links to the same chapter in
them, and HonKit's built-in variables are read from what the book says. Each book here is
written by the test, in our own words, and imported with `kit import`."""
from __future__ import annotations

import json

import pytest

from tests import test_formats
from tests.test_formats import kit_import, problems, write_tree

page = test_formats.page      # the fixture: the real app's pages

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
