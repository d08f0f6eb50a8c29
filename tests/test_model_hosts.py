"""Model hosts on the LAN with real processes on loopback (kit/tutor/model_hosts.py): two real
llama-cpp-python servers (`python -m llama_cpp.server`, the OpenAI-compatible API) running the
bundled SmolLM2 share a class's questions; one killed in the middle of an answer loses no
question; with every host down this computer's own model answers, and the teacher view lists
the hosts with their state. The kit's real app on waitress, learners asking through /api/ask.
"""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kit.tutor.engines.worker_client import WorkerPool
from kit.tutor.manifests import bundled_gguf
from kit.tutor.model_hosts import helpers_of
from tests.engine_state import SHARED_ENGINE_DIR
from tests.required import missing
from tests.test_cli import free_port
from tests.test_tutor_api import COVERED, Learner, site_with
from tests.threads import run_at_once
from tests.web_client import WebClient

ROOT = Path(__file__).resolve().parent.parent
SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
# llama_cpp.server loads no CPU backend by itself here (shared/FIELD_NOTES.md: the variants
# are not loaded): register the one the kit's probe proved, as the kit's worker does, then run
# the server's own __main__ unchanged.
SERVER = """
import runpy, sys
from kit.tutor.engines.cpu_variants import llama_lib_folder
from kit.tutor.engines.worker import load_variant
load_variant(llama_lib_folder(), sys.argv[1])
sys.argv = ["llama_cpp.server"] + sys.argv[2:]
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""

if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("sse_starlette") is None:
    missing("llama-cpp-python's server needs its extras: pip install 'llama-cpp-python[server]'",
            module=True)


class LlamaServer:
    """`python -m llama_cpp.server` with the bundled SmolLM2 on a free loopback port."""

    def __init__(self, variant: str, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, variant, "--model", str(bundled_gguf(SMOLLM2)),
             "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048", "--n_threads", "1"],
            stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.log = log

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-2000:]
            try:
                urllib.request.urlopen(self.url + "/v1/models", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"llama_cpp.server did not start in {timeout} s")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def llama_servers(tmp_path):
    choice = WorkerPool(bundled_gguf(SMOLLM2), n_ctx=2048, state_folder=SHARED_ENGINE_DIR,
                        fast_folder=None).variant()
    if not choice.usable:
        missing("no llama.cpp CPU variant runs on this machine")
    servers = [LlamaServer(choice.chosen, tmp_path / f"llama-server-{n}.log") for n in range(2)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.kill()


def done_of(events) -> dict:
    names = [event.name for event in events]
    assert "error" not in names, [event.data for event in events if event.name == "error"]
    [done] = [event.data for event in events if event.name == "done"]
    assert done["grounded"] and done["tokens"] > 0, done
    return done


def test_two_hosts_share_the_questions_and_one_killed_mid_answer_loses_none(
        serve, bundled_content, tmp_path, llama_servers):
    first, second = llama_servers
    site = site_with(serve, bundled_content, tmp_path, answer_tokens=24,
                     model_hosts=(first.url, second.url), model_host_timeout_s=20)
    ana, ben = Learner(site, "Ana"), Learner(site, "Ben")
    both = run_at_once([(ana.ask, COVERED), (ben.ask, COVERED)], timeout=300)
    assert {done_of(events)["helper"] for events in both} == {first.url, second.url}, \
        [(h["host"], h["state"], h["reason"], h["answers_a_minute"]) for h in helpers_of(site.services.tutor)]

    tutor = site.services.tutor
    tutor.answer_tokens, tutor.stop_loops = 400, False     # long enough to be cut in the middle
    chloe = Learner(site, "Chloe")

    def kill_the_one_answering():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            busy = [h["host"] for h in helpers_of(tutor) if h["answering"] and h["host"] != "this computer"]
            if busy:
                time.sleep(0.5)                     # reading the prompt, or its first words
                victim = first if busy[0] == first.url else second
                victim.kill()
                return victim.url
            time.sleep(0.05)
        raise AssertionError("no host took the question")

    events, killed = run_at_once([(chloe.ask, COVERED), (kill_the_one_answering,)], timeout=300)
    done = done_of(events)
    survivor = second.url if killed == first.url else first.url
    assert done["helper"] == survivor                # answered by the other one
    states = {h["host"]: h for h in helpers_of(tutor)}
    assert states[killed]["state"] == "out" and states[killed]["reason"]
    assert states[survivor]["state"] == "up"
    moved = [event.data for event in events if event.name == "moved"]
    assert all("moving to another helper" in m["message"] for m in moved)
    record = site.services.store.exchanges(limit=1)[0]
    assert record["question"] == COVERED and record["answer"] and not record.get("error")


def test_with_every_host_down_this_computer_answers_and_the_teacher_sees_why(
        serve, bundled_content, tmp_path):
    dead = (f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}")
    site = site_with(serve, bundled_content, tmp_path, model_hosts=dead, model_host_timeout_s=5)
    done = done_of(Learner(site, "Ana").ask(COVERED))
    assert done["helper"] == "this computer"
    store = site.services.store
    store.set_teacher_pin("482913")
    teacher = WebClient(site.url)
    assert teacher.post("/teacher/login", {"pin": "482913"}).status == 303
    page = teacher.get("/teacher").text
    assert "Computers answering questions" in page
    for url in dead:
        assert url in page
    assert page.count("taken out:") == 2 and "This computer" in page
