"""The built program, run from a stick made by `kit stick build`, as a teacher would run it.

Builds the Linux program with PyInstaller first (build/build.py, onedir, about a minute on two
cores) when build/dist/linux/ is missing or older than the code it was built from. Then:
a stick with the program and the embedded SmolLM2 model; the program started from the stick
with the working directory elsewhere; the home page, a search and a streamed tutor answer
with a source; learners' data and the model's faster Q8_0 copy written on the stick;
`kit stick verify` passing, then failing
after a byte of the model is flipped and after a file is deleted.
"""
from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kit.paths import os_name
from tests.test_cli import clean_env, kit
from tests.test_ollama_launcher import STAND_IN as OLLAMA_STAND_IN

pytestmark = [pytest.mark.exe,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CI builds on Linux")]

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "build" / "dist"
PROGRAM = DIST / os_name() / "lantern"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUILT_FROM = ("kit", "content", "model_manifests", "build/lantern.spec", "build/build.py")


def newest_source_mtime() -> float:
    newest = 0.0
    for name in BUILT_FROM:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                                and "__pycache__" not in p.parts]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


@pytest.fixture(scope="module")
def program() -> Path:
    if not PROGRAM.is_file() or PROGRAM.stat().st_mtime < newest_source_mtime():
        started = time.perf_counter()
        run = subprocess.run([sys.executable, str(ROOT / "build" / "build.py"), "--onedir"],
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        print(f"\nbuilt {PROGRAM} in {time.perf_counter() - started:.0f} s")
    return PROGRAM


class Browser:
    """Keeps the session cookie and sends the page's CSRF token, like ask.js. Long timeouts:
    on a busy two-core machine the first answer can take a while."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.url + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def join(self, nickname: str) -> int:
        """Pick a nickname (asking the tutor needs one); the status of the form's answer."""
        _, page = self.get("/join")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
        form = urllib.parse.urlencode({"nickname": nickname, "csrf_token": token.group(1)}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.url + "/join", data=form), timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def post_json(self, path: str, payload: dict) -> tuple[int, str]:
        _, page = self.get("/")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
        request = urllib.request.Request(
            self.url + path, data=json.dumps(payload).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     "X-CSRF-Token": token.group(1) if token else ""})
        try:
            with self.opener.open(request, timeout=180) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def stick(program, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("usb") / "STICK"
    empty = tmp_path_factory.mktemp("no-ollama")
    ollama_bin = tmp_path_factory.mktemp("ollama-bin")     # a stand-in `ollama serve`
    (ollama_bin / os_name()).mkdir()
    (ollama_bin / os_name() / "ollama").write_text(OLLAMA_STAND_IN.format(python=sys.executable))
    (ollama_bin / os_name() / "ollama").chmod(0o755)
    result = kit("stick", "build", dest, "--executables", DIST, "--model", "smollm2-135m-instruct",
                 "--ollama-store", empty, "--ollama-bin", ollama_bin,
                 "--data", tmp_path_factory.mktemp("organiser-data"))
    assert result.returncode == 0, result.stderr
    assert (dest / "Lantern" / os_name() / "lantern").is_file()
    assert (dest / "models" / GGUF).is_file()
    return dest


@pytest.fixture(scope="module")
def running(stick, tmp_path_factory):
    """The program from the stick, started from another folder, HOME pointed at a temp dir
    (so a write to the per-user folder would show)."""
    home, elsewhere = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("cwd")
    port = free_port()
    log = open(elsewhere / "lantern.out", "w+")
    started = time.perf_counter()
    process = subprocess.Popen([str(stick / "Lantern" / os_name() / "lantern"), "serve",
                                "--port", str(port)], cwd=elsewhere, stdout=log,
                               stderr=subprocess.STDOUT, env={**clean_env(), "HOME": str(home)})
    client = Browser(f"http://127.0.0.1:{port}")
    try:
        while True:
            assert process.poll() is None, (elsewhere / "lantern.out").read_text()
            assert time.perf_counter() - started < 60, "the program did not answer in 60 s"
            try:
                if client.get("/")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        print(f"\nfirst HTTP 200 from the stick after {time.perf_counter() - started:.2f} s")
        yield client, home
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_the_home_page_lists_the_sticks_packs(running):
    client, _ = running
    status, page = client.get("/")
    assert status == 200 and "Your first web app" in page


def test_a_search_finds_passages(running):
    client, _ = running
    status, body = client.get("/api/search?q=flask+route")
    hits = json.loads(body)
    assert status == 200 and hits and hits[0]["pack"] == "first-web-app"


def sse_events(body: str) -> list[tuple[str, object]]:
    events = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if "event" in lines:
            events.append((lines["event"], json.loads(lines.get("data", "null"))))
    return events


def test_the_tutor_streams_an_answer_with_sources_from_the_sticks_model(running, stick):
    client, _ = running
    assert client.join("Stick tester") == 200
    question = {"question": "How do I start a Flask app?", "mode": "explain"}
    status, body = client.post_json("/api/ask", question)
    assert status == 200, body
    events = sse_events(body)
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done", names
    assert len(events[0][1]) >= 1 and events[0][1][0]["url"].startswith("/p/")
    # the material's quote first, then the tutor's words: the model's sentences the material
    # supports (a sentence at a time), or the plain line saying the quotes are the material's
    assert "quote" in names and names.index("quote") < names.index("token"), names
    assert "".join(d["text"] for n, d in events if n == "token").strip()
    done = events[-1][1]
    assert done["engine"] == "embedded" and done["model"] == GGUF and done["grounded"]
    assert done["tokens"] > 0, "the stick's model was asked and wrote"


def test_learner_data_is_written_on_the_stick_not_in_the_user_folder(running, stick):
    client, home = running
    logs = list((stick / "data" / "classroom").glob("questions-*.json"))
    assert logs and "How do I start a Flask app?" in logs[0].read_text()
    assert "Stick tester" in (stick / "data" / "classroom" / "learners.json").read_text()
    assert not (home / ".local" / "share" / "lantern").exists()


def test_the_frozen_kit_made_its_faster_copy_of_the_model_on_the_stick(running, stick):
    copies = [p.name for p in (stick / "data" / "fast-models").iterdir()]
    assert len(copies) == 1 and copies[0].startswith(GGUF.split(".Q4_1")[0] + ".Q8_0."), copies


def test_the_frozen_kit_carries_the_portable_engine_and_remembers_its_probe_on_the_stick(running, stick):
    libraries = {p.name for p in (stick / "Lantern" / os_name()).rglob("libggml-cpu-*")}
    assert {"libggml-cpu-sse42.so", "libggml-cpu-haswell.so", "libggml-cpu-x64.so"} <= libraries
    remembered = stick / "data" / "engine" / "cpu-variant.json"
    deadline = time.monotonic() + 120              # the kit probes in the background as it starts
    while not remembered.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    memory = json.loads(remembered.read_text())
    assert f"libggml-cpu-{memory['chosen']}.so" in libraries


def test_the_frozen_program_answers_on_a_cpu_without_avx(stick, tmp_path):
    """The stick's program answers `kit ask` with its model worker under qemu emulating a 2008
    CPU (SSE4.2, no AVX): the probe picks the sse42 variant. The worker is the program itself,
    started by the program (run directly under qemu, PyInstaller's launcher re-executes
    itself natively, so the emulated CPU would not be the one that answers)."""
    from tests.test_engine_worker import needs_qemu
    qemu = needs_qemu()
    program = stick / "Lantern" / os_name() / "lantern"
    env = {**clean_env(), "LANTERN_WORKER_PREFIX": f"{qemu} -cpu Nehalem", "LANTERN_ENGINE": "embedded",
           "LANTERN_ENGINE_START_TIMEOUT": "600", "LANTERN_MODELS": str(stick / "models")}
    run = subprocess.run([str(program), "ask", "How do I start a Flask app?", "--data", str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=900, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    memory = json.loads((tmp_path / "data" / "engine" / "cpu-variant.json").read_text())
    assert memory["chosen"] == "sse42" and memory["scores"]["haswell"] == 0, memory
    assert "embedded" in run.stdout and "tokens" in run.stdout


def test_the_sticks_ollama_is_started_with_the_users_library_path_and_the_sticks_models(
        stick, tmp_path):
    """A PyInstaller program puts its own folder on LD_LIBRARY_PATH; `ollama serve` must get
    the user's (LD_LIBRARY_PATH_ORIG), and the stick's models folder and a HOME on the stick."""
    program = stick / "Lantern" / os_name() / "lantern"
    env = {**clean_env(), "LD_LIBRARY_PATH": "/opt/users-own-lib",
           "LANTERN_OLLAMA_PORT": str(free_port())}
    data = stick / "data-ask"     # the stick's served kit holds data/ (one kit per data folder)
    run = subprocess.run([str(program), "ask", "What is Flask?", "--engine", "ollama",
                          "--data", str(data)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    record = json.loads((stick / "ollama" / os_name() / "record.json").read_text())
    assert record["argv"][1:] == ["serve"], run.stderr
    child = record["env"]
    assert child["LD_LIBRARY_PATH"] == "/opt/users-own-lib"
    assert child["OLLAMA_MODELS"] == str(stick / "models" / "ollama")
    assert child["HOME"].startswith(str(data))


def test_verify_passes_then_fails_after_a_flip_and_after_a_deletion(running, stick):
    assert kit("stick", "verify", stick, "--full").returncode == 0   # learners' data is not checked
    model = stick / "models" / GGUF
    with open(model, "r+b") as stream:
        stream.seek(4096)
        byte = stream.read(1)
        stream.seek(4096)
        stream.write(bytes([byte[0] ^ 1]))
    flipped = kit("stick", "verify", stick, "--full")
    assert flipped.returncode == 1 and f"DAMAGED     models/{GGUF}" in flipped.stderr
    (stick / "README.txt").unlink()
    deleted = kit("stick", "verify", stick)
    assert deleted.returncode == 1 and "MISSING     README.txt" in deleted.stderr
