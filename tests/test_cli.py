"""The `kit` command, run as a real program (the venv's console script) on packs in temp folders.

Every run gets an environment without LANTERN_* variables, so a developer's own settings never
leak in, and always names its data folder: nothing is written beside the checkout.
"""
from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from kit.library.index_db import connect
from kit.library.search import search_passages
from kit.web.server import lan_addresses
from tests.conftest import PACK_TOML, write_pack
from tests.required import missing

KIT = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kit"
CHAPTER = {"w/01-soil.md": """\
    ---
    title: Soil
    ---
    ## Compost
    Worms turn peelings into compost over the winter.
    """}


def clean_env(**variables) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    return {**env, "PYTHONUNBUFFERED": "1", **variables}


def kit(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(KIT), *map(str, args)], capture_output=True, text=True,
                          env=env or clean_env(), cwd=cwd, timeout=120)


def search(data: Path, words: str) -> list[str]:
    """URLs of the passages the index in `data` finds for `words`."""
    conn = connect(data / "index.sqlite", readonly=True)
    try:
        return [hit.url for hit in search_passages(conn, words).hits]
    finally:
        conn.close()


@pytest.fixture
def source(tmp_path) -> Path:
    """A folder outside the library holding packs to import."""
    return tmp_path / "src"


# ---------------------------------------------------------------------------------------------
# kit index, kit packs


def test_index_builds_the_index_and_says_what_it_added(library_dirs):
    content, data = library_dirs
    write_pack(content, "garden", CHAPTER)
    result = kit("index", "--data", data, "--content", content)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 added, 0 updated, 0 removed, 0 unchanged, 0 problem(s)")
    assert search(data, "worms") == ["/p/garden/w/01-soil#s-compost"]


def test_index_run_again_reads_nothing_that_is_unchanged(library_dirs):
    content, data = library_dirs
    write_pack(content, "garden", CHAPTER)
    kit("index", "--data", data, "--content", content)
    result = kit("index", "--data", data, "--content", content)
    assert result.stdout.startswith("0 added, 0 updated, 0 removed, 1 unchanged")


def test_index_names_the_file_it_could_not_import(library_dirs):
    content, data = library_dirs
    write_pack(content, "garden", {**CHAPTER, "talks/bad.vtt": "no header\n"})
    result = kit("index", "--data", data, "--content", content)
    assert result.returncode == 0
    assert "problem in pack 'garden': talks/bad.vtt, line 1:" in result.stderr
    assert "WEBVTT" in result.stderr


def test_packs_lists_each_pack_with_its_title_and_documents(library_dirs):
    content, data = library_dirs
    write_pack(content, "garden", CHAPTER, title="Garden club")
    result = kit("packs", "--data", data, "--content", content)
    assert result.returncode == 0
    [line] = result.stdout.splitlines()
    assert line.split()[:3] == ["garden", "1", "documents"]
    assert "Garden club" in line and "CC-BY-4.0" in line


def test_packs_in_an_empty_library_says_how_to_add_one(library_dirs):
    content, data = library_dirs
    result = kit("packs", "--data", data, "--content", content)
    assert result.stdout.strip() == "No packs. Add one with `kit import PATH`."


# ---------------------------------------------------------------------------------------------
# kit import


def test_import_copies_the_pack_into_the_data_folder_and_indexes_it(library_dirs, source):
    content, data = library_dirs
    write_pack(source, "garden-club", CHAPTER)
    result = kit("import", source / "garden-club", "--data", data, "--content", content)
    assert result.returncode == 0, result.stderr
    assert "Imported 'garden-club'" in result.stdout
    copied = data / "packs" / "garden-club"
    assert (copied / "w" / "01-soil.md").read_text() == (source / "garden-club" / "w" / "01-soil.md").read_text()
    assert search(data, "worms") == ["/p/garden-club/w/01-soil#s-compost"]


def test_import_lists_the_problems_of_the_packs_it_imported_only(library_dirs, source):
    """A book's second language imported later does not list the first's problems again."""
    content, data = library_dirs
    write_pack(source, "garden-club", {**CHAPTER, "talks/bad.vtt": "no header\n"})
    write_pack(source, "orchard-club", {"w/01-trees.md": "## Pruning\n\nCut in late winter.\n"})
    first = kit("import", source / "garden-club", "--data", data, "--content", content)
    assert "problem in pack 'garden-club': talks/bad.vtt" in first.stderr
    second = kit("import", source / "orchard-club", "--data", data, "--content", content)
    assert second.returncode == 0 and "Imported 'orchard-club'" in second.stdout
    assert "garden-club" not in second.stderr, second.stderr


def test_import_keeps_documents_images_and_toml_but_not_a_doc_sets_sources_or_scripts(library_dirs, source):
    """A Sphinx build's _sources/ and _static/ are never read or served: not copied twice."""
    content, data = library_dirs
    write_pack(source, "docs", {"index.html": "<h1>Docs</h1><p>Worms in the compost.</p>",
                                "_images/worm.png": b"\x89PNG", "_sources/index.rst.txt": "Docs",
                                "_static/doctools.js": "var x;", "_static/basic.css": "p{}",
                                ".git/config": "[core]"})
    result = kit("import", source / "docs", "--data", data, "--content", content)
    assert result.returncode == 0, result.stderr
    kept = sorted(p.relative_to(data / "packs" / "docs").as_posix()
                  for p in (data / "packs" / "docs").rglob("*") if p.is_file())
    assert kept == ["_images/worm.png", "index.html", "pack.toml"]
    assert search(data, "worms") == ["/p/docs/index.html#s-1"]


def test_import_of_a_folder_without_pack_toml_is_refused_and_says_what_to_do(library_dirs, source):
    content, data = library_dirs
    write_pack(source, "notes", CHAPTER)
    (source / "notes" / "pack.toml").unlink()
    result = kit("import", source / "notes", "--data", data, "--content", content)
    assert result.returncode == 2
    assert "has no pack.toml" in result.stderr and "--title" in result.stderr
    assert not (data / "packs").exists() or not any((data / "packs").iterdir())


def test_import_with_title_writes_a_pack_toml(library_dirs, source):
    content, data = library_dirs
    write_pack(source, "notes", CHAPTER)
    (source / "notes" / "pack.toml").unlink()
    result = kit("import", source / "notes", "--title", 'Ada\'s "notes"', "--licence", "CC0-1.0",
                 "--author", "Ada", "--author", "Grace", "--data", data, "--content", content)
    assert result.returncode == 0, result.stderr
    written = tomllib.loads((data / "packs" / "notes" / "pack.toml").read_text())
    assert written["title"] == 'Ada\'s "notes"'
    assert (written["licence"], written["authors"]) == ("CC0-1.0", ["Ada", "Grace"])
    assert not (source / "notes" / "pack.toml").exists()       # the teacher's folder is untouched
    assert search(data, "worms") == ["/p/notes/w/01-soil#s-compost"]


def test_import_of_a_pack_toml_missing_a_field_is_refused_naming_the_field(library_dirs, source):
    content, data = library_dirs
    write_pack(source, "garden", CHAPTER,
               pack_toml=PACK_TOML.format(title="Garden").replace('licence = "CC-BY-4.0"\n', ""))
    result = kit("import", source / "garden", "--data", data, "--content", content)
    assert result.returncode == 1
    assert "garden/pack.toml: field 'licence' is missing" in result.stderr
    assert "Nothing was imported." in result.stderr
    assert not (data / "packs" / "garden").exists()


def test_import_again_replaces_the_pack(library_dirs, source):
    content, data = library_dirs
    write_pack(source, "garden", {**CHAPTER, "w/02-bees.md": "# Bees\n\nBees visit the lavender.\n"})
    kit("import", source / "garden", "--data", data, "--content", content)
    (source / "garden" / "w" / "02-bees.md").unlink()
    (source / "garden" / "w" / "01-soil.md").write_text("---\ntitle: Soil\n---\n## Mulch\n\nMulch keeps moisture in.\n")
    result = kit("import", source / "garden", "--data", data, "--content", content)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (data / "packs").iterdir()) == ["garden"]   # no staging left
    assert not (data / "packs" / "garden" / "w" / "02-bees.md").exists()
    assert search(data, "lavender") == [] and search(data, "worms") == []
    assert search(data, "mulch") == ["/p/garden/w/01-soil#s-mulch"]


def test_import_of_the_current_folder_uses_its_name(library_dirs, source):
    content, data = library_dirs
    folder = write_pack(source, "garden-club", CHAPTER)
    result = kit("import", ".", "--data", data, "--content", content, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (data / "packs").iterdir()] == ["garden-club"]


# ---------------------------------------------------------------------------------------------
# Settings from the environment and from flags


@pytest.mark.parametrize("how", ["environment", "flags"])
def test_data_and_content_folders_come_from_env_vars_or_flags(library_dirs, how):
    content, data = library_dirs
    write_pack(content, "garden", CHAPTER, title="Garden club")
    if how == "environment":
        result = kit("packs", env=clean_env(LANTERN_DATA=str(data), LANTERN_CONTENT=str(content)))
    else:
        result = kit("packs", "--data", data, "--content", content)
    assert result.returncode == 0, result.stderr
    assert "Garden club" in result.stdout
    assert (data / "index.sqlite").is_file()


def test_a_flag_wins_over_its_env_var(library_dirs, tmp_path):
    content, data = library_dirs
    elsewhere = tmp_path / "elsewhere"
    kit("index", "--data", data, "--content", content,
        env=clean_env(LANTERN_DATA=str(elsewhere), LANTERN_CONTENT=str(content)))
    assert (data / "index.sqlite").is_file()
    assert not elsewhere.exists()


@pytest.mark.parametrize("port", ["abc", "70000", "0"])
def test_a_bad_lantern_port_is_a_clear_error(library_dirs, port):
    content, data = library_dirs
    result = kit("serve", "--data", data, "--content", content, env=clean_env(LANTERN_PORT=port))
    assert result.returncode == 2
    assert f"LANTERN_PORT={port!r}" in result.stderr or f"LANTERN_PORT={port}" in result.stderr
    assert "give one from 1 to 65535" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------------
# kit serve


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return probe.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Addresses with a socket listening on `port`, from the kernel's tables (no connection)."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:      # 0A = LISTEN
                continue
            raw = bytes.fromhex(address)         # 32-bit words in host (little-endian) order
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


class KitServer:
    """`kit serve` as a child process; its output is collected line by line."""

    def __init__(self, *args):
        self.port = free_port()
        self.process = subprocess.Popen([str(KIT), "serve", "--port", str(self.port), *map(str, args)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env=clean_env())
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0 or self._queue.get(timeout=remaining) is None:
                    break
            except queue.Empty:
                break
        assert any(text in line for line in self.lines), f"no {text!r} in {self.lines}"

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            return response.status, response.read().decode()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def kit_serve(library_dirs):
    """Start `kit serve` on the test's library; waits until it says it is running."""
    content, data = library_dirs
    started = []

    def start(*flags) -> KitServer:
        server = KitServer("--data", data, "--content", content, *flags)
        started.append(server)
        server.wait_for("Press Ctrl+C to stop.")
        return server
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def garden(library_dirs):
    write_pack(library_dirs[0], "garden", CHAPTER, title="Garden club")


def test_serve_prints_its_address_and_serves_the_library(garden, kit_serve):
    server = kit_serve()
    assert f"Open http://127.0.0.1:{server.port}/ in a browser" in server.output
    status, body = server.get("/")
    assert status == 200 and "Garden club" in body


def test_serve_listens_on_loopback_only(garden, kit_serve):
    server = kit_serve()
    assert listening_addresses(server.port) == {"127.0.0.1"}


def test_serve_builds_the_index_on_first_run(garden, kit_serve, library_dirs):
    _, data = library_dirs
    data.mkdir()                              # a fresh stick: the data folder is there, empty
    server = kit_serve()
    assert "Index: 1 added" in server.output
    status, body = server.get("/api/search?q=worms")
    assert status == 200 and "/p/garden/w/01-soil#s-compost" in body
    assert (data / "index.sqlite").is_file()


def test_serve_stops_cleanly_on_ctrl_c(garden, kit_serve):
    server = kit_serve()
    assert server.get("/")[0] == 200          # the teacher stops a server that is serving
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=15) == 0, server.output
    server.wait_for("Stopped.", timeout=5)
    assert listening_addresses(server.port) == set()


def test_serve_lan_prints_an_address_for_each_network_interface(garden, kit_serve):
    addresses = lan_addresses()
    if not addresses:
        missing("this machine has no IPv4 address besides loopback")
    server = kit_serve("--lan")
    for address in addresses:
        assert f"http://{address}:{server.port}/" in server.output


def test_serve_lan_listens_on_every_interface(garden, kit_serve):
    server = kit_serve("--lan")
    assert listening_addresses(server.port) == {"0.0.0.0"}
    status, body = server.get("/")       # reached through loopback only
    assert status == 200 and "Garden club" in body
