"""Kiwix ZIM files as packs: `kit import FILE.zim` (run as a real program), the articles as
sanitised pages found by the kit's own search, images streamed from the ZIM, and bad input.

Every ZIM here is made by the test with libzim.writer (tests/zim_fixture.py).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kit.app import create_app
from kit.library.index_db import connect
from kit.library.indexer import build_index
from kit.library.search import search_passages
from kit.settings import load_settings
from kit.web.services import services_of
from tests.zim_fixture import ARTICLES, PNG, write_zim

PACK = "test-lighthouses-en"      # slugified from the ZIM's Name metadata


def kit(*args, env_extra=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], capture_output=True,
                          text=True, env={**env, **(env_extra or {})}, timeout=120)


@pytest.fixture
def library(tmp_path):
    """(content folder, data folder, settings) of an empty library."""
    content, data = tmp_path / "content", tmp_path / "data"
    content.mkdir()
    return content, data, load_settings(environ={}, content_dirs=(content,), data_dir=data)


def import_zim(library, zim: Path) -> subprocess.CompletedProcess:
    content, data, _ = library
    return kit("import", zim, "--data", data, "--content", content)


def documents(settings, pack=PACK) -> dict[str, str]:
    """{ZIM path: title} of the pack's documents in the index."""
    conn = connect(settings.index_path, readonly=True)
    try:
        return {row["relpath"]: row["title"] for row in
                conn.execute("SELECT relpath, title FROM documents WHERE pack=?", (pack,))}
    finally:
        conn.close()


def search(settings, words: str) -> list[str]:
    conn = connect(settings.index_path, readonly=True)
    try:
        return [hit.url for hit in search_passages(conn, words).hits]
    finally:
        conn.close()


@pytest.fixture
def imported(library, tmp_path):
    """The fixture ZIM imported with `kit import`; returns the finished process."""
    result = import_zim(library, write_zim(tmp_path / "lighthouses.zim"))
    assert result.returncode == 0, result.stderr
    return result


# ---------------------------------------------------------------------------------------------
# Importing

def test_import_says_it_detected_a_zim_and_takes_id_and_title_from_its_metadata(library, imported):
    _, data, _ = library
    assert "Detected format: Kiwix ZIM file (zim)." in imported.stdout
    assert f"Imported '{PACK}'" in imported.stdout
    pack_folder = data / "packs" / PACK
    pack_toml = tomllib.loads((pack_folder / "pack.toml").read_text(encoding="utf-8"))
    assert pack_toml == {"title": "Test Lighthouse Library", "description": "A ZIM made by Lantern's tests.",
                         "language": "en", "licence": "CC-BY-SA-4.0", "version": "2026-12-01",
                         "authors": ["Lantern tests"], "format": "zim"}
    assert (pack_folder / "lighthouses.zim").is_file(), "a stick carries the pack folder: the ZIM must be in it"


def test_flags_win_over_the_zim_metadata(library, tmp_path):
    content, data, _ = library
    zim = write_zim(tmp_path / "l.zim")
    result = kit("import", zim, "--data", data, "--content", content, "--title", "Phares", "--language", "fr")
    assert result.returncode == 0, result.stderr
    pack_toml = tomllib.loads((data / "packs" / PACK / "pack.toml").read_text(encoding="utf-8"))
    assert (pack_toml["title"], pack_toml["language"], pack_toml["licence"]) == ("Phares", "fr", "CC-BY-SA-4.0")


def test_a_zim_without_metadata_is_named_after_its_file(library, tmp_path):
    result = import_zim(library, write_zim(tmp_path / "Old Docs.zim", metadata={}))
    assert result.returncode == 0, result.stderr
    _, data, settings = library
    pack_toml = tomllib.loads((data / "packs" / "old-docs" / "pack.toml").read_text(encoding="utf-8"))
    assert pack_toml["title"] == "Old Docs" and pack_toml["licence"] == "unknown"
    assert set(documents(settings, "old-docs")) == set(ARTICLES)


def test_each_html_article_becomes_a_document_with_its_title_and_nothing_else_does(library, imported):
    _, _, settings = library
    assert documents(settings) == {path: title for path, (title, _) in ARTICLES.items()}


def test_article_html_is_sanitised(library, imported):
    _, _, settings = library
    client = create_app(settings).test_client()
    page = client.get(f"/p/{PACK}/A/Tides")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Tides follow the moon" in body
    assert "from the zim" not in body and "steal()" not in body and "example.org" not in body


def test_an_article_page_shows_its_html_title_as_the_page_title_not_as_text(library, imported):
    _, _, settings = library
    page = create_app(settings).test_client().get(f"/p/{PACK}/A/Home").get_data(as_text=True)
    article = page[page.index("<article"):page.index("</article>")]
    assert "<title>Welcome to the test library" in page
    assert "Welcome to the test library" not in article and '<h1 id="s-1">Welcome</h1>' in article


def test_the_kits_own_search_finds_zim_articles_at_their_section(library, imported):
    _, _, settings = library
    assert search(settings, "wicks")[0].startswith(f"/p/{PACK}/A/Lighthouses#")
    assert search(settings, "gravitation")[0].startswith(f"/p/{PACK}/A/Tides")
    assert search(settings, "Fresnel")        # page titles and text, through FTS5
    assert not search(settings, "alert"), "script text must not be indexed"


@pytest.mark.parametrize("zim_language, pack_language", [
    ("eng", "en"), ("fra,eng", "fr"), ("por", "pt"), ("grc", "grc"), ("", "en")])
def test_the_zims_language_code_becomes_the_packs(zim_language, pack_language):
    from kit.library.formats.zim import pack_language as convert
    assert convert(zim_language) == pack_language


# ---------------------------------------------------------------------------------------------
# Serving what is inside the ZIM

def test_the_pack_page_starts_at_the_zims_main_page_and_lists_its_articles(library, imported):
    _, _, settings = library
    page = create_app(settings).test_client().get(f"/p/{PACK}/").get_data(as_text=True)
    assert f'Start at <a href="/p/{PACK}/A/Home">Welcome to the test library</a>' in page
    assert all(f'href="/p/{PACK}/{path}"' in page for path in ARTICLES)


def test_a_zim_article_has_no_previous_and_next_links_as_address_order_is_no_reading_order(library, imported):
    _, _, settings = library
    page = create_app(settings).test_client().get(f"/p/{PACK}/A/Lighthouses").get_data(as_text=True)
    assert 'class="prev-next"' not in page and 'rel="next"' not in page


def test_a_pack_of_many_pages_lists_the_first_ones_and_says_how_many_there_are(library, tmp_path, monkeypatch):
    from kit.library import catalog
    monkeypatch.setattr(catalog, "PAGES_LISTED", 2)
    result = import_zim(library, write_zim(tmp_path / "l.zim"))
    assert result.returncode == 0, result.stderr
    _, _, settings = library
    page = create_app(settings).test_client().get(f"/p/{PACK}/").get_data(as_text=True)
    assert page.count('<ul class="pages">') == 1
    assert "The first 2 of 3 pages are listed" in page
    assert f'href="/p/{PACK}/A/Tides"' not in page       # the third by address


def test_an_image_is_streamed_from_the_zim_with_its_type(library, imported):
    _, _, settings = library
    client = create_app(settings).test_client()
    page = client.get(f"/p/{PACK}/A/Home").get_data(as_text=True)
    assert 'src="../I/lamp.png"' in page          # resolves to /p/<pack>/I/lamp.png
    image = client.get(f"/p/{PACK}/I/lamp.png")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.get_data() == PNG


@pytest.mark.parametrize("path", ["I/missing.png", "-/app.js", "-/style.css", "../../pack.toml",
                                  "I/../../lighthouses.zim", "lighthouses.zim", "pack.toml"])
def test_missing_items_scripts_styles_and_paths_out_of_the_zim_are_404(library, imported, path):
    _, _, settings = library
    assert create_app(settings).test_client().get(f"/p/{PACK}/{path}").status_code == 404


def test_a_zim_redirect_leads_to_its_article(library, imported):
    _, _, settings = library
    response = create_app(settings).test_client().get(f"/p/{PACK}/A/Start")
    assert response.status_code == 302
    assert response.location.endswith(f"/p/{PACK}/A/Home")


# ---------------------------------------------------------------------------------------------
# Indexing again, and bad input

def test_indexing_again_reads_nothing_when_the_zim_is_unchanged(library, imported):
    _, _, settings = library
    report = build_index(settings)
    assert (report.added, report.updated, report.removed) == (0, 0, 0)
    assert report.unchanged == len(ARTICLES)


def test_a_zim_is_written_in_batches_and_each_article_counts_on_the_progress_line(library, imported, monkeypatch):
    from kit.library import indexer
    monkeypatch.setattr(indexer, "SOURCE_BATCH", 2)       # 3 articles: two transactions
    _, _, settings = library
    settings.index_path.unlink()
    counted: list[str] = []
    report = build_index(settings, on_document=counted.append)
    assert report.added == len(ARTICLES) and counted == [PACK] * len(ARTICLES)
    assert documents(settings) == {path: title for path, (title, _) in ARTICLES.items()}


def test_a_new_edition_of_the_zim_replaces_the_articles(library, imported, tmp_path):
    _, _, settings = library
    newer = dict(ARTICLES)
    del newer["A/Tides"]
    newer["A/Storms"] = ("Storms", "<p>Storm lanterns burn whale oil.</p>")
    result = import_zim(library, write_zim(tmp_path / "new" / "lighthouses.zim", newer))
    assert result.returncode == 0, result.stderr
    assert set(documents(settings)) == set(newer)
    assert search(settings, "whale") and not search(settings, "gravitation")


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b"<html>a web page saved with the wrong name</html>", "not a ZIM file"),
])
def test_a_file_named_zim_that_is_not_one_is_refused_and_nothing_is_lost(library, imported, tmp_path,
                                                                         content, expected):
    _, data, settings = library
    bad = tmp_path / "lighthouses-copy.zim"
    bad.write_bytes(content)
    result = import_zim(library, bad)
    assert result.returncode != 0
    assert str(bad) in result.stderr and expected in result.stderr
    assert "Download" in result.stderr and "Nothing was imported" in result.stderr
    assert sorted(p.name for p in (data / "packs").iterdir()) == [PACK]
    assert search(settings, "gravitation"), "the pack imported before must still be there"


def test_a_truncated_zim_is_refused_and_the_pack_it_would_replace_stays(library, imported, tmp_path):
    _, _, settings = library
    whole = write_zim(tmp_path / "whole" / "lighthouses.zim").read_bytes()
    cut = tmp_path / "lighthouses.zim"
    cut.write_bytes(whole[: len(whole) * 2 // 3])      # a copy that stopped part way
    result = import_zim(library, cut)
    assert result.returncode != 0
    assert str(cut) in result.stderr and "damaged or incomplete" in result.stderr
    assert documents(settings) == {path: title for path, (title, _) in ARTICLES.items()}


def test_a_pack_whose_zim_broke_on_disk_keeps_its_index_and_names_the_file(library, imported):
    _, data, settings = library
    zim = data / "packs" / PACK / "lighthouses.zim"
    data_bytes = zim.read_bytes()
    zim.unlink()                      # the import hard-linked it: do not write through the link
    zim.write_bytes(data_bytes[:300])
    report = build_index(settings)
    assert [(pack, problem.path) for pack, problem in report.problems] == [(PACK, "lighthouses.zim")]
    assert "damaged or incomplete" in report.problems[0][1].message
    assert set(documents(settings)) == set(ARTICLES)


def test_without_libzim_the_import_says_what_to_install_and_what_the_licence_means(library, tmp_path):
    zim = write_zim(tmp_path / "lighthouses.zim")
    blocker = tmp_path / "no-libzim" / "libzim"
    blocker.mkdir(parents=True)       # a libzim that fails to import, as an absent one does
    (blocker / "__init__.py").write_text("raise ImportError(\"No module named 'libzim'\")\n")
    content, data, _ = library
    result = kit("import", zim, "--data", data, "--content", content,
                 env_extra={"PYTHONPATH": os.pathsep.join(filter(None, [
                     str(blocker.parent), os.environ.get("PYTHONPATH")]))})
    assert result.returncode != 0
    assert "Detected format: Kiwix ZIM file (zim)" in result.stdout
    assert str(zim) in result.stderr
    assert "pip install 'lantern-kit[zim]'" in result.stderr and "GPL-3.0-or-later" in result.stderr
    assert "build/build.py --with-zim" in result.stderr        # the stick's program
    assert not (data / "packs" / PACK).exists()


def test_a_file_in_no_known_format_is_refused_saying_what_can_be_imported(library, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes")
    result = import_zim(library, notes)
    assert result.returncode != 0 and "cannot import as a pack" in result.stderr and ".zim" in result.stderr


def test_libzim_is_an_optional_extra_left_out_of_the_default_install_and_the_stick_program():
    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(d.startswith("libzim") for d in project["dependencies"])
    assert any(d.startswith("libzim") for d in project["optional-dependencies"]["zim"])
    assert any(d.startswith("libzim") for d in project["optional-dependencies"]["test"]), \
        "CI installs the test extra: the ZIM tests must run there"
    spec = (root / "build" / "lantern.spec").read_text(encoding="utf-8")
    assert 'GPL_EXTRAS = [] if options.with_zim else ["libzim"]' in spec and "*GPL_EXTRAS]" in spec
    assert "GPL" in (root / "README.md").read_text(encoding="utf-8")


def test_an_article_without_text_is_listed_as_a_problem_and_the_others_are_imported(library, tmp_path):
    articles = {**ARTICLES, "A/Blank": ("", "<p> </p><img src='../I/lamp.png'>")}
    result = import_zim(library, write_zim(tmp_path / "l.zim", articles))
    assert result.returncode == 0, result.stderr
    assert f"problem in pack '{PACK}': A/Blank: the page has no text" in result.stderr
    _, _, settings = library
    assert set(documents(settings)) == set(ARTICLES)
    again = build_index(settings)        # nothing read again, and the problem still listed
    assert again.unchanged == len(ARTICLES) and [p.path for _, p in again.problems] == ["A/Blank"]


def test_a_zim_is_read_one_article_at_a_time_with_libzims_cache_kept_small(library, imported):
    """Bounded memory: documents come from a generator while libzim's process-wide cluster
    cache is held small (bench/zim_import.py measures the RSS), and it is restored after."""
    from libzim import reader

    from kit.library.formats import format_named
    from kit.library.formats.zim_archive import IMPORT_CLUSTER_CACHE
    from kit.library.packs import load_pack
    _, data, settings = library
    before = reader.get_cluster_cache_max_size()
    documents = format_named("zim").documents(load_pack(data / "packs" / PACK), settings, [])
    first = next(documents)
    assert first.relpath == "A/Home" and first.meta == {"start": True}
    assert reader.get_cluster_cache_max_size() == IMPORT_CLUSTER_CACHE < before
    assert [doc.relpath for doc in documents] == ["A/Lighthouses", "A/Tides"]
    assert reader.get_cluster_cache_max_size() == before


def test_without_libzim_an_imported_zim_pack_keeps_its_pages_and_search_but_not_its_images(
        library, imported, monkeypatch):
    """The stick's default program has no libzim: a ZIM pack indexed by the organiser's kit still
    shows its articles and finds them (the index holds them), and its images are 404, not a crash."""
    from kit.library.formats import zim_archive
    monkeypatch.setitem(sys.modules, "libzim", None)      # `from libzim import reader` fails
    zim_archive._cached_archive.cache_clear()
    _, _, settings = library
    app = create_app(settings)
    report = services_of(app).index_report
    assert report.unchanged == len(ARTICLES) and not report.problems
    client = app.test_client()
    assert "Fresnel lens" in client.get(f"/p/{PACK}/A/Lighthouses").get_data(as_text=True)
    assert client.get(f"/p/{PACK}/I/lamp.png").status_code == 404
    assert search(settings, "Fresnel")
