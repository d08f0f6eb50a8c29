"""Starting `ollama serve` from the stick, tested with a stand-in `ollama` program.

The stand-in is a small Python script made executable in tmp_path. Like the real one it reads
OLLAMA_HOST to choose where to listen and answers `GET /api/version`; it also writes its argv
and environment to `record.json` beside itself, so the test can check exactly how the kit
started it. A `delay` file makes it slow to start; a `fail` file makes it exit at once.
"""
from __future__ import annotations

import json
import socket
import stat
import sys
import textwrap
import os
import time
from pathlib import Path

import pytest

from kit.tutor.engines import EngineError, choose_engine, stop_kit_ollama
from kit.tutor.engines.ollama_launcher import (OllamaServer, child_environment, ensure_kit_ollama,
                                         find_ollama_executable, server_version)

STAND_IN = textwrap.dedent("""\
    #!{python}
    import json, os, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from pathlib import Path

    here = Path(__file__).resolve().parent
    record = {{"argv": sys.argv, "env": dict(os.environ), "pid": os.getpid()}}
    (here / "record.json").write_text(json.dumps(record))
    if (here / "fail").exists():
        print("Error: listen tcp 127.0.0.1: bind: address already in use", file=sys.stderr)
        sys.exit(1)
    if (here / "delay").exists():
        time.sleep(float((here / "delay").read_text()))
    host, port = os.environ["OLLAMA_HOST"].rsplit(":", 1)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass
        def do_GET(self):
            body = b'{{"version": "0.0.0-stand-in"}}'
            self.send_response(200 if self.path == "/api/version" else 404)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    print(f"Listening on {{host}}:{{port}} (version 0.0.0-stand-in)", flush=True)
    HTTPServer((host, int(port)), Handler).serve_forever()
    """)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stand_in(tmp_path) -> Path:
    folder = tmp_path / "stick" / "ollama"
    folder.mkdir(parents=True)
    program = folder / "ollama"
    program.write_text(STAND_IN.format(python=sys.executable))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


@pytest.fixture
def server_for(tmp_path):
    """Build OllamaServer objects for the stand-in; stop every one after the test."""
    made = []

    def make(program: Path) -> OllamaServer:
        server = OllamaServer(program, tmp_path / "models" / "ollama", tmp_path / "data" / "home",
                              port=free_port(), log_path=tmp_path / "ollama.log")
        made.append(server)
        return server
    yield make
    for server in made:
        server.stop()


def record_of(program: Path) -> dict:
    return json.loads((program.parent / "record.json").read_text())


def test_starts_serve_on_its_own_loopback_port_with_the_kits_folders(stand_in, server_for, tmp_path):
    server = server_for(stand_in).start(deadline_s=15)
    record = record_of(stand_in)
    assert record["argv"][1:] == ["serve"]
    env = record["env"]
    assert env["OLLAMA_HOST"] == f"127.0.0.1:{server.port}"
    assert env["OLLAMA_MODELS"] == str(tmp_path / "models" / "ollama")
    assert env["OLLAMA_NOPRUNE"] == "1" and env["OLLAMA_NO_CLOUD"] == "1"
    assert env["HOME"] == env["USERPROFILE"] == str(tmp_path / "data" / "home")
    assert Path(env["HOME"]).is_dir() and Path(env["OLLAMA_MODELS"]).is_dir()
    assert server_version(server.url) == "0.0.0-stand-in"


def test_waits_until_api_version_answers(stand_in, server_for):
    (stand_in.parent / "delay").write_text("1.5")
    started = time.monotonic()
    server = server_for(stand_in).start(deadline_s=15)
    assert time.monotonic() - started >= 1.5
    assert server_version(server.url) == "0.0.0-stand-in"


def test_a_child_that_exits_early_is_reported_with_its_last_words(stand_in, server_for):
    (stand_in.parent / "fail").write_text("")
    started = time.monotonic()
    with pytest.raises(EngineError, match=r"stopped right after starting \(exit code 1\)"
                                          r"(.|\n)*address already in use"):
        server_for(stand_in).start(deadline_s=120)
    waited = time.monotonic() - started     # the exit is noticed, not waited out to the deadline
    assert waited < 60, f"{waited:.1f} s (load average {os.getloadavg()[0]:.1f})"


def test_a_child_that_never_answers_is_stopped_at_the_deadline(stand_in, server_for):
    (stand_in.parent / "delay").write_text("60")
    server = server_for(stand_in)
    with pytest.raises(EngineError, match="did not answer at http://127.0.0.1:.* within 2 s"):
        server.start(deadline_s=2)
    assert not server.running


def test_stop_ends_the_child_and_the_port_goes_quiet(stand_in, server_for):
    server = server_for(stand_in).start(deadline_s=15)
    process = server.process
    server.stop()
    assert process.poll() is not None
    assert server_version(server.url, timeout=0.5) is None


def test_refuses_any_address_but_loopback(stand_in, tmp_path):
    with pytest.raises(ValueError, match="loopback only"):
        OllamaServer(stand_in, tmp_path, tmp_path, host="0.0.0.0")


def test_frozen_app_gives_the_child_the_original_library_path(tmp_path):
    base = {"LD_LIBRARY_PATH": "/tmp/_MEI123", "LD_LIBRARY_PATH_ORIG": "/usr/local/lib",
            "OLLAMA_HOST": "0.0.0.0:11434"}
    env = child_environment(base, "127.0.0.1", 11435, tmp_path / "m", tmp_path / "h", frozen=True)
    assert env["LD_LIBRARY_PATH"] == "/usr/local/lib" and "LD_LIBRARY_PATH_ORIG" not in env
    assert env["OLLAMA_HOST"] == "127.0.0.1:11435"
    unfrozen = child_environment({"LD_LIBRARY_PATH": "/x"}, "127.0.0.1", 11435, tmp_path, tmp_path)
    assert unfrozen["LD_LIBRARY_PATH"] == "/x"


def test_finds_the_program_from_the_setting(stand_in, make_settings):
    assert find_ollama_executable(make_settings(ollama_bin=str(stand_in))) == stand_in
    assert find_ollama_executable(make_settings(ollama_bin=str(stand_in) + "-gone")) is None


def test_explicit_ollama_engine_starts_the_kits_server_and_reuses_it(stand_in, make_settings,
                                                                     library_dirs):
    _, data = library_dirs
    settings = make_settings(engine="ollama", model="qwen2.5-0.5b", ollama_bin=str(stand_in),
                             ollama_port=free_port(), ollama_host=f"127.0.0.1:{free_port()}")
    try:
        engine, reason = choose_engine(settings)
        assert engine.host == f"http://127.0.0.1:{settings.ollama_port}"
        assert f"started {stand_in}" in reason
        env = record_of(stand_in)["env"]
        assert env["HOME"] == str(data / "ollama-home")
        assert env["OLLAMA_MODELS"] == str(data / "models" / "ollama")
        first_pid = record_of(stand_in)["pid"]
        url, why = ensure_kit_ollama(settings)          # a second call finds it running
        assert url == engine.host and "running" in why
        assert record_of(stand_in)["pid"] == first_pid
    finally:
        stop_kit_ollama()
    assert server_version(f"http://127.0.0.1:{settings.ollama_port}", timeout=0.5) is None
