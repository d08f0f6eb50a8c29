"""Incremental indexing: only what changed is read, and nothing indexed is lost to a bad edit."""
from __future__ import annotations

import os
import shutil

import pytest

import kit.library.index_db
import kit.library.indexer
from kit.library.index_db import connect
from kit.library.indexer import build_index
from kit.library.search import search_passages
from tests.conftest import write_pack

FILES = {
    "zebras.txt": "Amina 00:01\nZebras sleep standing up.\n",
    "lions.txt": "Ben 00:01\nLions sleep most of the day.\n",
    "w/01-giraffes.md": "---\ntitle: Giraffes\n---\n## Necks\n\nGiraffes have long necks.\n",
}
BROKEN_PACK_TOML = 'title = "Animals"\n'


@pytest.fixture
def animals(library_dirs, make_settings):
    """A pack of three files, indexed once: (pack folder, settings)."""
    content, _ = library_dirs
    root = write_pack(content, "animals", FILES)
    settings = make_settings()
    first = build_index(settings)
    assert (first.added, first.problems) == (3, [])
    return root, settings


def finds(settings, query: str) -> list[str]:
    """The document slugs search returns for `query`, read through a fresh read-only connection."""
    conn = connect(settings.index_path, readonly=True)
    try:
        return sorted(hit.doc_slug for hit in search_passages(conn, query).hits)
    finally:
        conn.close()


def document_count(settings, pack: str) -> int:
    conn = connect(settings.index_path, readonly=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM documents WHERE pack=?", (pack,)).fetchone()[0]
    finally:
        conn.close()


def counts(report) -> tuple[int, int, int, int]:
    return report.added, report.updated, report.removed, report.unchanged


def test_second_run_finds_every_file_unchanged(animals):
    _, settings = animals
    assert counts(build_index(settings)) == (0, 0, 0, 3)


def test_unchanged_files_are_not_read_again(animals):
    root, settings = animals
    path = root / "zebras.txt"
    stat = path.stat()
    path.write_text("Amina 00:01\nOkapis sleep standing up.\n", encoding="utf-8")   # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert counts(build_index(settings)) == (0, 0, 0, 3)
    assert finds(settings, "okapis") == []


def test_modified_file_is_updated(animals):
    root, settings = animals
    (root / "zebras.txt").write_text("Amina 00:01\nZebras graze on the open grassland.\n",
                                     encoding="utf-8")
    assert counts(build_index(settings)) == (0, 1, 0, 2)
    assert finds(settings, "grassland") == ["zebras"]
    assert finds(settings, "standing") == []


def test_new_file_is_added(animals):
    root, settings = animals
    (root / "hippos.txt").write_text("Kofi 00:01\nHippos secrete a red sunscreen.\n",
                                     encoding="utf-8")
    assert counts(build_index(settings)) == (1, 0, 0, 3)
    assert finds(settings, "sunscreen") == ["hippos"]


def test_deleted_file_is_removed(animals):
    root, settings = animals
    (root / "lions.txt").unlink()
    assert counts(build_index(settings)) == (0, 0, 1, 2)
    assert finds(settings, "lions") == []


def test_file_that_turns_bad_keeps_its_previous_version_searchable(animals):
    root, settings = animals
    (root / "zebras.txt").write_bytes(b"Amina 00:01\nZebras \xff\xfe\n")
    report = build_index(settings)
    [(pack_id, problem)] = report.problems
    assert (pack_id, problem.path, problem.line) == ("animals", "zebras.txt", 2)
    assert finds(settings, "standing") == ["zebras"]


def test_file_that_turns_bad_is_reported_again_until_fixed(animals):
    root, settings = animals
    (root / "zebras.txt").write_bytes(b"\x00binary now")
    build_index(settings)
    assert [p.path for _, p in build_index(settings).problems] == ["zebras.txt"]


def test_pack_whose_pack_toml_breaks_keeps_its_documents(animals):
    root, settings = animals
    (root / "pack.toml").write_text(BROKEN_PACK_TOML, encoding="utf-8")
    report = build_index(settings)
    [(pack_id, problem)] = report.problems
    assert (pack_id, problem.path) == ("animals", "pack.toml")
    assert report.removed == 0
    assert document_count(settings, "animals") == 3
    assert finds(settings, "necks") == ["w/01-giraffes"]


def test_removed_pack_folder_takes_its_documents_with_it(animals, library_dirs):
    root, settings = animals
    content, _ = library_dirs
    write_pack(content, "plants", {"ferns.txt": "Ferns sleep in the shade.\n"})
    build_index(settings)
    shutil.rmtree(root)
    report = build_index(settings)
    assert (report.removed, report.problems) == (3, [])
    assert document_count(settings, "animals") == 0
    assert finds(settings, "sleep") == ["ferns"]


def test_two_files_with_the_same_stem_are_a_clear_problem(animals):
    root, settings = animals
    (root / "zebras.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nStripes.\n",
                                     encoding="utf-8")
    report = build_index(settings)
    [(pack_id, problem)] = report.problems
    assert problem.path == "zebras.vtt"
    assert "same name" in problem.message and "Rename" in problem.message
    assert finds(settings, "standing") == ["zebras"]
    assert finds(settings, "stripes") == []


def test_bumping_the_index_version_rebuilds_everything(animals, monkeypatch):
    _, settings = animals
    monkeypatch.setattr(kit.library.index_db, "INDEX_VERSION", kit.library.index_db.INDEX_VERSION + "-next")
    assert counts(build_index(settings)) == (3, 0, 0, 0)
    assert finds(settings, "necks") == ["w/01-giraffes"]


def test_a_documents_html_is_stored_compressed_and_read_back_whole(library_dirs, make_settings):
    """The index keeps each page's HTML once, compressed. (An index with plain rows has an older
    INDEX_VERSION and is rebuilt: see test_bumping_the_index_version_rebuilds_everything.)"""
    from kit.library import catalog
    paragraph = "<p>" + "Giraffes have long necks and sleep little. " * 200 + "</p>"
    write_pack(library_dirs[0], "animals", {"giraffes.html": f"<h1>Giraffes</h1>{paragraph}"})
    settings = make_settings()
    build_index(settings)
    conn = connect(settings.index_path)
    try:
        stored = conn.execute("SELECT html FROM documents").fetchone()[0]
        html = catalog.get_document(conn, "animals", "giraffes.html")["html"]
        assert isinstance(stored, bytes) and len(stored) < len(html) / 5
        assert html.count("Giraffes have long necks") == 200
    finally:
        conn.close()


def word_index_is_whole(settings) -> bool:
    """FTS5's own check that each full-text table indexes exactly what its rows hold now."""
    from kit.library import fts
    conn = connect(settings.index_path)
    try:
        for table in fts.TABLES:
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES('integrity-check', 1)")
        return True
    finally:
        conn.close()


def test_a_passages_text_is_stored_once_compressed_and_search_still_marks_it(animals):
    """The full-text tables keep no copy of the text (external content): passages hold it,
    compressed, and snippets, pack and kind are read from there."""
    _, settings = animals
    conn = connect(settings.index_path, readonly=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert not {name for name in tables if name.endswith("_content")}
        stored = {row[0] for row in conn.execute("SELECT typeof(text) FROM passages")}
        assert stored == {"blob"}
        [hit] = search_passages(conn, "necks", pack="animals", kind="chapter").hits
        assert "<mark>necks</mark>" in hit.snippet and hit.text == "Giraffes have long necks."
        assert search_passages(conn, "necks", kind="transcript").hits == []
    finally:
        conn.close()


def test_the_word_index_stays_whole_through_edits_removals_and_a_language_change(animals):
    root, settings = animals
    (root / "zebras.txt").write_text("Amina 00:01\nZebras graze on the open grassland.\n",
                                     encoding="utf-8")
    (root / "lions.txt").unlink()
    build_index(settings)
    assert word_index_is_whole(settings)
    toml = (root / "pack.toml").read_text(encoding="utf-8")
    (root / "pack.toml").write_text(toml.replace('"en"', '"fr"'), encoding="utf-8")
    assert counts(build_index(settings)) == (0, 2, 0, 0)
    assert word_index_is_whole(settings)
    assert finds(settings, "grassland") == ["zebras"]


def word_index_blocks(conn) -> tuple:
    return conn.execute("SELECT count(*), sum(length(block)) FROM passages_fts_data").fetchone()


def test_a_build_that_changed_documents_leaves_one_merged_word_index_and_no_free_pages(animals):
    """Each document is written in its own transaction, and FTS5 keeps each one's words as a
    segment a query must read; a build that changed anything merges them (FTS5 'optimize')
    and hands the pages that freed back to the file system."""
    root, settings = animals
    (root / "zebras.txt").write_text("Amina 00:01\nZebras graze on the open grassland.\n",
                                     encoding="utf-8")
    assert counts(build_index(settings))[:2] == (0, 1)
    conn = connect(settings.index_path)
    try:
        merged = word_index_blocks(conn)
        with conn:
            conn.execute("INSERT INTO passages_fts(passages_fts) VALUES('optimize')")
        assert word_index_blocks(conn) == merged       # nothing left to merge
    finally:
        conn.close()
    assert finds(settings, "grassland") == ["zebras"] and word_index_is_whole(settings)


def test_search_asks_only_the_tables_holding_passages_and_ranks_across_both(animals, library_dirs):
    content, _ = library_dirs
    _, settings = animals
    conn = connect(settings.index_path, readonly=True)
    try:
        assert search_passages(conn, "sleep").hits        # English only: the other table is empty
    finally:
        conn.close()
    root = write_pack(content, "betes", {"chats.txt": "Chloé 00:01\nLes chats dorment (sleep) au soleil.\n"})
    toml = (root / "pack.toml").read_text(encoding="utf-8")
    (root / "pack.toml").write_text(toml.replace('"en"', '"fr"'), encoding="utf-8")
    build_index(settings)
    conn = connect(settings.index_path, readonly=True)
    try:
        hits = search_passages(conn, "sleep").hits
        assert {hit.pack for hit in hits} == {"animals", "betes"}
        assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    finally:
        conn.close()


def test_a_removed_packs_pages_are_given_back_so_the_index_file_shrinks(animals, library_dirs):
    content, _ = library_dirs
    _, settings = animals
    small = settings.index_path.stat().st_size
    words = [f"word{n}x{m}" for n in range(60) for m in range(40)]
    big = write_pack(content, "big", {f"part{n}.txt": "Ann 00:01\n" + " ".join(words[n::7]) + "\n"
                                      for n in range(7)})
    build_index(settings)
    with_big = settings.index_path.stat().st_size
    assert with_big > small + 50_000
    shutil.rmtree(big)
    assert counts(build_index(settings))[2] == 7
    conn = connect(settings.index_path)
    try:
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    finally:
        conn.close()
    assert settings.index_path.stat().st_size < with_big - 50_000


def test_an_index_from_an_older_kit_is_switched_to_giving_free_pages_back(animals):
    _, settings = animals
    conn = connect(settings.index_path)
    conn.execute("PRAGMA auto_vacuum=NONE")
    conn.execute("VACUUM")
    conn.close()
    build_index(settings)
    conn = connect(settings.index_path)
    try:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2      # incremental
    finally:
        conn.close()
    assert finds(settings, "necks") == ["w/01-giraffes"]
