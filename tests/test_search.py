"""Search over the index (`kit.library.search.search_passages`): ranking, query syntax, snippets, links,
filters, and the fallbacks that keep any typed query from failing."""
from __future__ import annotations

import re

import pytest

from kit.library.index_db import connect

from kit.library.indexer import build_index
from kit.library.search import search_passages
from tests.conftest import write_pack

FILLER = ("The garden club meets on Saturdays near the library and everybody brings a "
          "notebook a pencil and something to share with the others at the table")   # 26 words

CHAPTER = f"""\
---
title: Garden basics
order: 1
---
## Watering

{FILLER}.

## Tools

{FILLER} and remember watering.

## Cutting back

pruning pruning pruning {FILLER}.

## Trimming

pruning {FILLER} again again.

## Layouts

Write templates for your beds; a template saves time, {FILLER}.

## Soil

Compost makes the soil rich, {FILLER}.
"""

TALK = f"""\
Amina 00:01:00
I saw the quick brown fox jump over the fence. {FILLER}. {FILLER}.

Ben 00:02:00
The fox was brown and very quick. {FILLER}. {FILLER}.

Amina 00:03:00
I was running home with compost and the <b> tag was in my notes. {FILLER}. {FILLER}.

Ben 00:04:00
Every morning I run before breakfast, and my plans were unbalanced. {FILLER}. {FILLER}.
"""   # each turn is over MIN_WORDS, so each is its own passage

PAGE = """\
<html><head><title>Seeds</title></head><body><main>
<h1>Seeds</h1><p>Store seeds in a dry jar. Compost the old ones.</p>
<h2 id="labels">Labels</h2><p>Write the date on every jar of zebra beans.</p>
</main></body></html>
"""

OTHER_PACK_TALK = f"Kofi 00:00:10\nWe built a compost heap behind the school. {FILLER}.\n"


@pytest.fixture
def conn(library_dirs, make_settings):
    """A read-only connection to an index of two packs with chapters, transcripts and a page."""
    content, _ = library_dirs
    write_pack(content, "garden", {"growing/01-basics.md": CHAPTER, "talks/visit.txt": TALK,
                                   "docs/seeds.html": PAGE})
    write_pack(content, "school", {"heap.txt": OTHER_PACK_TALK})
    settings = make_settings()
    report = build_index(settings)
    assert (report.added, report.problems) == (4, [])
    connection = connect(settings.index_path, readonly=True)
    yield connection
    connection.close()


def anchors(result) -> list[str]:
    return [hit.anchor for hit in result.hits]


# ---------------------------------------------------------------------------------------------
# Ranking (BM25)

def test_heading_match_outranks_a_single_mention_in_the_body(conn):
    assert anchors(search_passages(conn, "watering")) == ["s-watering", "s-tools"]


def test_more_occurrences_rank_higher(conn):
    assert anchors(search_passages(conn, "pruning")) == ["s-cutting-back", "s-trimming"]


def test_scores_are_higher_for_better_hits(conn):
    scores = [hit.score for hit in search_passages(conn, "pruning").hits]
    assert scores[0] > scores[1] > 0


# ---------------------------------------------------------------------------------------------
# Query syntax

def test_phrase_query_matches_only_adjacent_words(conn):
    result = search_passages(conn, '"quick brown"')
    assert [(hit.doc_slug, hit.anchor) for hit in result.hits] == [("talks/visit", "t-00-01-00")]


def test_words_without_quotes_match_in_any_order(conn):
    assert sorted(anchors(search_passages(conn, "quick brown"))) == ["t-00-01-00", "t-00-02-00"]


def test_prefix_query_matches_word_beginnings(conn):
    [hit] = search_passages(conn, "templ*").hits
    assert hit.anchor == "s-layouts"
    assert "<mark>templates</mark>" in hit.snippet and "<mark>template</mark>" in hit.snippet


def test_stemming_finds_other_forms_of_a_word(conn):
    assert sorted(anchors(search_passages(conn, "running"))) == ["t-00-03-00", "t-00-04-00"]
    assert sorted(anchors(search_passages(conn, "run"))) == ["t-00-03-00", "t-00-04-00"]


# ---------------------------------------------------------------------------------------------
# Snippets and links

def test_snippet_marks_the_matched_words(conn):
    [hit] = search_passages(conn, "breakfast").hits
    assert "<mark>breakfast</mark>" in hit.snippet


def test_snippet_escapes_html_in_the_passage_text(conn):
    [hit] = search_passages(conn, "tag").hits
    assert "&lt;b&gt; <mark>tag</mark>" in hit.snippet
    assert "<b>" not in hit.snippet


def test_every_hit_links_to_an_existing_passage_of_its_document(conn):
    hits = search_passages(conn, "compost", limit=50).hits
    assert {hit.kind for hit in hits} == {"chapter", "transcript", "page"}
    for hit in hits:
        match = re.fullmatch(r"/p/([a-z0-9-]+)/(.+)#(.+)", hit.url)
        assert match, hit.url
        pack, slug, anchor = match.groups()
        document = conn.execute("SELECT id FROM documents WHERE pack=? AND slug=?",
                                (pack, slug)).fetchone()
        assert document, hit.url
        assert conn.execute("SELECT 1 FROM passages WHERE doc_id=? AND anchor=?",
                            (document["id"], anchor)).fetchone(), hit.url


def test_html_page_hits_keep_the_page_file_name_in_the_link(conn):
    [hit] = search_passages(conn, "zebra").hits
    assert hit.url.startswith("/p/garden/docs/seeds.html#")


# ---------------------------------------------------------------------------------------------
# Filters

def test_pack_filter_keeps_only_that_packs_passages(conn):
    assert {hit.pack for hit in search_passages(conn, "compost").hits} == {"garden", "school"}
    assert [hit.url for hit in search_passages(conn, "compost", pack="school").hits] == [
        "/p/school/heap#t-00-00-10"]


def test_kind_filter_keeps_only_that_kind_of_document(conn):
    for kind in ("chapter", "transcript", "page"):
        hits = search_passages(conn, "compost", kind=kind).hits
        assert hits and {hit.kind for hit in hits} == {kind}


def test_pack_and_kind_filters_combine(conn):
    hits = search_passages(conn, "compost", pack="garden", kind="transcript").hits
    assert [hit.url for hit in hits] == ["/p/garden/talks/visit#t-00-03-00"]


# ---------------------------------------------------------------------------------------------
# Fallbacks: a typed query never raises

@pytest.mark.parametrize("query", ['"unbalanced', "AND", "*", "OR OR", "NEAR(", "title:", "-",
                                   "foo:bar", ")(", "'", '"', 'compost"s', "^", "NOT"])
def test_malformed_query_returns_results_or_nothing_without_raising(conn, query):
    result = search_passages(conn, query)
    assert isinstance(result.hits, list)


def test_unbalanced_quote_still_finds_the_word(conn):
    assert anchors(search_passages(conn, '"unbalanced')) == ["t-00-04-00"]


def test_column_like_word_is_searched_as_plain_words(conn):
    assert anchors(search_passages(conn, "compost:heap")) == ["t-00-00-10"]


def test_words_not_all_in_one_passage_fall_back_to_any_word(conn):
    result = search_passages(conn, "pruning zebra")
    assert result.relaxed is True
    assert sorted(anchors(result)) == sorted(["s-cutting-back", "s-trimming", "labels"])


def test_words_all_in_one_passage_are_not_relaxed(conn):
    result = search_passages(conn, "zebra beans")
    assert result.relaxed is False
    assert anchors(result) == ["labels"]


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_returns_nothing(conn, query):
    result = search_passages(conn, query)
    assert (result.hits, result.relaxed) == ([], False)


# ---------------------------------------------------------------------------------------------
# What a hit carries for the tutor, and the tutor's filters

def test_a_hit_carries_its_pages_role_and_its_packs_language(conn):
    hits = search_passages(conn, "compost", limit=20).hits
    roles = {hit.doc_slug: hit.role for hit in hits}
    assert roles["growing/01-basics"] == "tutorial"          # a workshop chapter teaches
    assert roles["docs/seeds.html"] == ""                     # a page nothing says more about
    assert {hit.language for hit in hits} == {"en"}


def test_packs_keeps_only_those_packs_and_an_empty_choice_finds_nothing(conn):
    assert {hit.pack for hit in search_passages(conn, "compost", limit=20, packs=("school",)).hits} == {"school"}
    assert search_passages(conn, "compost", packs=()).hits == []


def test_skip_roles_leaves_out_pages_of_those_roles(conn):
    every = search_passages(conn, "compost", limit=20).hits
    kept = search_passages(conn, "compost", limit=20, skip_roles=("tutorial",)).hits
    assert any(hit.role == "tutorial" for hit in every)
    assert kept and all(hit.role != "tutorial" for hit in kept)
