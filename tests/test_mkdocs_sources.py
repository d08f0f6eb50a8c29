"""MkDocs sources written the way published tutorials write them (issue 20, issue 21): code kept
in files of its own and included (`{!…!}`, `--8<--`, `{* … *}`), pymdownx `///` blocks, a
translation whose mkdocs.yml only INHERITs the original, and terminal blocks coloured with HTML.
The site is ours (a kite-flying workshop), made here in the shapes FastAPI's docs use; it is
imported with the real `kit import`, read back through the real app and the real index.
"""
from __future__ import annotations

import os
import re
import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.cli import main
from kit.library.formats.mkdocs_blocks import plain_consoles, rewrite_blocks
from kit.library.indexer import build_index
from tests.test_formats import write_tree

from tests.test_formats import problems, search

EN_CONFIG = """\
    site_name: Kite Workshop
    theme:
      name: material
      language: en
    markdown_extensions:
      mdx_include:
        base_path: docs
      pymdownx.snippets:
        base_path: [docs/snips]
      pymdownx.blocks.admonition:
    nav:
    - index.md
    - Flying:
      - launch.md
      - landing.md
    """

SITE = {
    "kite_src/launch.py": "import kites\n\nline = kites.reel_out_line(metres=30)\nkites.hold_steady(line)\n",
    "kite_src/wind.py": "# --8<-- [start:gauge]\ngauge = read_windsock()\n# --8<-- [end:gauge]\nprint(gauge)\n",
    "docs/en/mkdocs.yml": EN_CONFIG,
    "docs/en/docs/snips/checklist.md": "Check the bridle knots before every launch.\n",
    "docs/en/docs/index.md": "# Kite Workshop\n\nWe build and fly kites.\n",
    "docs/en/docs/launch.md": """\
        # Launching

        Write the launch script:

        ```Python hl_lines="3"
        {!../../../kite_src/launch.py!}
        ```

        --8<-- "checklist.md"

        {* ../../kite_src/wind.py ln[2:2] title["wind.py"] *}

        ```python
        --8<-- "../../../../kite_src/wind.py:gauge"
        ```

        /// tip | "Mind the trees"

        Launch far from branches.

        ///

        //// tab | Linux

        Start the reel with `reel start`.

        /// note

        The reel hums.

        ///

        ////

        //// tab | Windows

        Start the reel with `reel.exe start`.

        ////

        /// details | Spare parts
            open: true

        Carry a spare spar.

        ///

        ## Watch it fly { #watch }

        Then read [Landing](landing.md){.internal-link target=_blank}.

        <div class="termy">

        ```console
        $ <font color="#4E9A06">kite</font> fly <u style="text-decoration-style:single">--height</u> 30
        <span style="background-color:#C4A000">Kite up at &apos;30 m&apos;</span>
        ```

        </div>
        """,
    "docs/en/docs/landing.md": "# Landing\n\nWind the line in slowly.\n",
    "docs/fr/mkdocs.yml": "INHERIT: ../en/mkdocs.yml\n",
    "docs/fr/docs/index.md": "# Atelier cerf-volant\n\nNous construisons des cerfs-volants.\n",
    "docs/fr/docs/launch.md": "# Lancer\n\nLe script :\n\n```Python\n{!../../../kite_src/launch.py!}\n```\n\n"
                              "/// tip | Astuce\n\nLoin des arbres.\n\n///\n",
}


def kit_import(library_dirs, path: Path, expect_ok: bool = True):
    content, data = library_dirs
    result = CliRunner().invoke(main, ["import", str(path), "--data", str(data), "--content", str(content)])
    assert (result.exit_code == 0) is expect_ok, result.output
    return result


def pack_toml(library_dirs, pack_id: str) -> dict:
    return tomllib.loads((library_dirs[1] / "packs" / pack_id / "pack.toml").read_text(encoding="utf-8"))


def test_included_code_blocks_and_terminal_text_reach_the_page_and_the_index(
        tmp_path, library_dirs, make_settings, page):
    repo = write_tree(tmp_path / "repo", SITE)
    kit_import(library_dirs, repo / "docs" / "en")
    html = page("/p/kite-workshop/docs/launch")
    assert "reel_out_line" in html and "hold_steady" in html                  # {!…!}
    assert "Check the bridle knots" in html                                  # --8<-- "file"
    assert "read_windsock" in html and "print(gauge)" not in html             # ln[2:2], :section
    assert re.search(r'<figcaption class="filename">wind.py</figcaption>', html)
    assert re.search(r'<div class="admonition tip">\s*<p class="admonition-title">Mind the trees</p>', html)
    assert re.search(r'<p class="tab-label">Linux</p>.*The reel hums.*<p class="tab-label">Windows</p>', html, re.S)
    assert re.search(r'<details class="section" id="spare-parts" open(?:="")?>\s*<summary>Spare parts</summary>', html)
    assert re.search(r'<h2 id="watch">Watch it fly</h2>', html)
    for raw in ("{!", "{*", "--8<--", "///", "<font", "&amp;apos;", "[start:gauge]", "internal-link",
                "{ #watch", "{#watch"):
        assert raw not in html, raw
    assert search(make_settings, "reel_out_line") == ["/p/kite-workshop/docs/launch#s-top"]
    assert search(make_settings, "kite fly --height") == ["/p/kite-workshop/docs/launch#watch"]
    assert search(make_settings, "apos") == [] and search(make_settings, "4E9A06") == []
    assert problems(make_settings) == []


def test_the_pack_reads_its_included_files_from_its_copy_when_the_source_is_gone(
        tmp_path, library_dirs, make_settings, page):
    repo = write_tree(tmp_path / "repo", SITE)
    kit_import(library_dirs, repo / "docs" / "en")
    shutil.rmtree(repo)
    make_settings().index_path.unlink()                 # read every page again, from the copy
    build_index(make_settings())
    assert search(make_settings, "reel_out_line") == ["/p/kite-workshop/docs/launch#s-top"]
    assert search(make_settings, "read_windsock") == ["/p/kite-workshop/docs/launch#s-top"]
    assert problems(make_settings) == []


def test_a_translation_that_inherits_its_config_gets_its_language_name_and_nav(
        tmp_path, library_dirs, make_settings, page):
    repo = write_tree(tmp_path / "repo", SITE)
    kit_import(library_dirs, repo / "docs" / "en")
    result = kit_import(library_dirs, repo / "docs" / "fr")
    assert "Pack 'kite-workshop-fr': \"Kite Workshop (fr)\", language fr" in result.output
    assert pack_toml(library_dirs, "kite-workshop-fr")["language"] == "fr"
    assert pack_toml(library_dirs, "kite-workshop")["language"] == "en"       # not replaced
    assert re.findall(r'<a href="/p/kite-workshop-fr/([^"]+)">', page("/p/kite-workshop-fr/")) == \
        ["docs/index", "docs/launch"]
    html = page("/p/kite-workshop-fr/docs/launch")
    assert "reel_out_line" in html and "Astuce" in html and "///" not in html
    found = [(pack, path, message) for pack, path, _, message in problems(make_settings)]
    assert found == [("kite-workshop-fr", "mkdocs.yml", "1 page(s) of the nav it inherits from "
                      "'../en/mkdocs.yml' are not in docs/ (landing.md): left out. Translate them, "
                      "or import the original language's folder.")]


def test_inherit_loops_and_inherit_outside_the_parent_folder_stop_the_import(tmp_path, library_dirs):
    site = write_tree(tmp_path / "loop", {"a/mkdocs.yml": "INHERIT: ../b/mkdocs.yml\nsite_name: A\n",
                                          "b/mkdocs.yml": "INHERIT: ../a/mkdocs.yml\n", "a/docs/index.md": "# A\n"})
    result = kit_import(library_dirs, site / "a", expect_ok=False)
    assert "INHERIT loops back to '../a/mkdocs.yml'" in result.output and "Nothing was imported" in result.output
    far = write_tree(tmp_path / "far", {"x/y/mkdocs.yml": "INHERIT: ../../base.yml\n", "base.yml": "site_name: F\n",
                                        "x/y/docs/index.md": "# F\n"})
    result = kit_import(library_dirs, far / "x" / "y", expect_ok=False)
    assert "INHERIT '../../base.yml' is outside the folders an INHERIT may read" in result.output


BAD = {
    "docs/en/mkdocs.yml": EN_CONFIG.replace("      - landing.md\n", "      - landing.md\n      - bad.md\n"),
    "docs/en/docs/index.md": "# Home\n\nHello.\n",
    "docs/en/docs/launch.md": "# Launch\n\nUp.\n",
    "docs/en/docs/landing.md": "# Landing\n\nDown.\n",
    "docs/en/docs/bad.md": """\
        # Bad includes

        Escaping: {!../../../../secret.txt!}

        ```
        {!/etc/hostname!}
        ```

        {!../../../kite_src/missing.py!}

        --8<-- "loop_a.md"

        {!../../../kite_src/huge.py!}

        {!../../../.env!}

        {!https://example.com/code.py!}

        The page still reads to the end.
        """,
    "docs/en/docs/snips/loop_a.md": "A says hi.\n--8<-- \"loop_b.md\"\n",
    "docs/en/docs/snips/loop_b.md": "B says hi.\n--8<-- \"loop_a.md\"\n",
    ".env": "PASSWORD=hunter2\n",
    "kite_src/launch.py": "print('ok')\n",
}


def test_bad_includes_are_problems_naming_the_page_line_and_file_and_the_page_still_imports(
        tmp_path, library_dirs, make_settings, page):
    (tmp_path / "secret.txt").write_text("TOP SECRET above the repository\n", encoding="utf-8")
    repo = write_tree(tmp_path / "repo", BAD)
    (repo / "kite_src" / "huge.py").write_text("x = 1\n" * (10 * 1024 * 1024 // 6 + 1), encoding="utf-8")
    kit_import(library_dirs, repo / "docs" / "en")
    html = page("/p/kite-workshop/docs/bad")
    assert "The page still reads to the end." in html
    for leaked in ("TOP SECRET", "hunter2", "x = 1\nx = 1"):
        assert leaked not in html, leaked
    assert "[../../../../secret.txt: not included when this page was imported]" in html
    found = {line: message for pack, path, line, message in problems(make_settings) if path == "docs/bad.md"}
    assert "outside the folders an include may read (the imported folder and up to 2 folders above it)" \
        in found[3]
    assert "'/etc/hostname'" in found[6] and "absolute path" in found[6]
    assert "'../../../kite_src/missing.py'" in found[9] and "is not there" in found[9]
    assert "'loop_a.md' (through" in found[11] and "includes itself (a loop)" in found[11]
    assert "'../../../kite_src/huge.py'" in found[13] and "over the 1 MB" in found[13]
    assert "'../../../.env'" in found[15] and "hidden" in found[15]
    assert "web address" in found[17]
    assert len(found) == 7
    assert "A says hi." in html and "B says hi." in html        # the loop is cut, not the page
    assert not (library_dirs[1] / "packs" / "kite-workshop" / "_mkdocs_outside" / "files" / ".env").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_link_leading_out_of_the_allowed_folders_is_not_followed(tmp_path, library_dirs, make_settings, page):
    (tmp_path / "secret.txt").write_text("TOP SECRET through a link\n", encoding="utf-8")
    repo = write_tree(tmp_path / "repo", {**{k: v for k, v in BAD.items() if not k.endswith("bad.md")},
                                          "docs/en/docs/bad.md": "# Bad\n\n{!../../../kite_src/link.py!}\n"})
    os.symlink(tmp_path / "secret.txt", repo / "kite_src" / "link.py")
    kit_import(library_dirs, repo / "docs" / "en")
    assert "TOP SECRET" not in page("/p/kite-workshop/docs/bad")
    assert any("is a link to a file outside" in message for *_, message in problems(make_settings))


def test_blocks_nest_close_by_their_own_slashes_and_leave_code_and_unclosed_lines_alone():
    text = textwrap.dedent("""\
        //// tab | One

        /// warning | Careful

        Inside.

        ///

        ////

        ```js
        /// a comment in code
        ```

        /// not closed anywhere
        """)
    out = rewrite_blocks(text)
    assert re.search(r"^:{4,} tab One$", out, re.M)
    assert '!!! warning "Careful"\n\n    Inside.' in out
    assert "/// a comment in code" in out and "/// not closed anywhere" in out
    assert not re.search(r"^/{3,}\s*$", out, re.M)


def test_only_terminal_blocks_lose_their_colour_tags():
    text = ('```console\n$ <b>run</b> &amp; wait\n```\n\n```html\n<b>bold</b> &amp;\n```\n')
    assert plain_consoles(text) == '```console\n$ run & wait\n```\n\n```html\n<b>bold</b> &amp;\n```\n'


def test_an_include_never_reads_the_home_folder_of_whoever_imports(tmp_path, library_dirs, make_settings, page,
                                                                   monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    write_tree(home, {"diary.txt": "My private diary\n", "site/mkdocs.yml": "site_name: Diary Kites\n",
                      "site/docs/index.md": "# Kites\n\n{!../diary.txt!}\n"})
    kit_import(library_dirs, home / "site")
    assert "private diary" not in page("/p/diary-kites/docs/index")
    found = [message for *_, message in problems(make_settings)]
    assert len(found) == 1 and "is outside the folders an include may read (the imported folder)" in found[0]


def test_include_forms_line_choices_and_escapes(tmp_path):
    from kit.library.formats.mkdocs_includes import IncludeArea, Includer
    site = write_tree(tmp_path / "site", {"mkdocs.yml": "site_name: S\n",
                                          "code/steps.txt": "one\ntwo\nthree\nfour\n",
                                          "code/more.txt": "five\n"})
    problems_found: list = []
    includer = Includer(IncludeArea.of_source(site), {}, problems_found)
    text = textwrap.dedent("""\
        {! code/steps.txt[ln:2-3] !}
        {! code/steps.txt | lines=4 !}
        --8<-- "code/steps.txt:-2:"
        --8<--
        code/more.txt
        code/steps.txt:1:1
        --8<--
        \\{!code/steps.txt!} and ;--8<-- "code/more.txt"
        """)
    assert includer.expand(text, "docs/index.md").split("\n") == [
        "two", "three", "four", "three", "four", "five", "one",
        '{!code/steps.txt!} and ;--8<-- "code/more.txt"', ""]
    assert problems_found == []


def test_env_tags_give_their_default_and_the_child_wins_the_merge(tmp_path, monkeypatch):
    from kit.library.formats.mkdocs_config import read_site, site_identity
    from kit.library.formats.mkdocs_includes import IncludeArea
    monkeypatch.setenv("KITE_BASE", "../elsewhere.yml")       # never read: imports ignore the environment
    site = write_tree(tmp_path / "docs", {
        "pt/mkdocs.yml": "INHERIT: !ENV [KITE_BASE, '../en/mkdocs.yml']\ntheme:\n  palette: dark\n",
        "en/mkdocs.yml": "site_name: Kites\ntheme:\n  name: material\n  language: en\n  palette: light\n"})
    config = read_site(site / "pt", IncludeArea.of_source(site / "pt"))
    assert config.data["theme"] == {"name": "material", "language": "en", "palette": "dark"}
    assert site_identity(config, site / "pt") == ("kites-pt", "Kites (pt)", "pt")
    assert site_identity(read_site(site / "en", IncludeArea.of_source(site / "en")), site / "en") == \
        ("kites", "Kites", "en")
