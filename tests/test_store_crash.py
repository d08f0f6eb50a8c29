"""Crash test: a process serving store writes over HTTP is killed with SIGKILL at random moments.

Each round starts a child process that opens kit.classroom.store.Store on the same folder and answers
HTTP POSTs on 127.0.0.1 with 200 only after the store call returned. Client threads write as
fast as they can (new learners, exchanges, notes, chapters done) while the test kills the
child at a random moment. Then a fresh Store loads the folder: every write that was answered
200 must be there, and no file may be damaged. 100+ rounds on one folder, so the files grow and
every round starts from what the previous crash left.

SIGKILL is not a power cut (the kernel still writes what it was given), so this proves the
atomic-replace protocol and group commit against a process dying at any instruction; the
fsyncs that make the same hold for power loss cannot be tested without pulling a plug.
The web layer gets its own end-to-end version; this one proves the storage.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kit.classroom.store import Store

pytestmark = [pytest.mark.crash,
              pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")]

ROUNDS = 100
CLIENTS = 3
SESSION = "crash"

SERVER = '''
import http.server, json, sys
from pathlib import Path
from kit.classroom.store import Store

store = Store(Path(sys.argv[1]), session=sys.argv[2])

def write(kind, body):
    if kind == "learner":
        return store.create_learner(body["token"])["id"]
    if kind == "exchange":
        return store.record_exchange({"question": body["token"]}, body["learner"])
    if kind == "note":
        return store.save_note(body["learner"], "crash", body["token"], body["token"])
    if kind == "done":
        return store.set_chapter_done(body["learner"], "crash", body["token"], True)
    raise ValueError(kind)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        result = write(self.path.strip("/"), body)        # returns once the write is durable
        payload = json.dumps({"result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
'''


REFUSED, CUT_OFF = "refused", "cut off"


def post(port: int, kind: str, body: dict) -> tuple[str, object]:
    """("ok", result) for a 200; REFUSED if the server was already gone; CUT_OFF if it died
    while the request was being sent or answered."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.connect()
    except (ConnectionRefusedError, ConnectionResetError):   # killed before or while accepting:
        return REFUSED, None                                  # nothing was sent
    try:
        connection.request("POST", "/" + kind, json.dumps(body),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            return f"HTTP {response.status}", None
        return "ok", json.loads(payload)["result"]
    except (OSError, http.client.HTTPException, ValueError):
        return CUT_OFF, None
    finally:
        connection.close()


def client(port: int, name: str, acked: list, interrupted: list, first_ack: threading.Event,
           stop: threading.Event) -> None:
    """Join as a learner, then write until the server dies; record each write answered 200,
    and each write that was cut off (in flight when the server was killed)."""
    outcome, learner = post(port, "learner", {"token": name})
    if outcome != "ok":
        interrupted.extend([name] if outcome == CUT_OFF else [])
        return
    acked.append(("learner", name, learner))
    first_ack.set()
    for n in range(10_000):
        if stop.is_set():
            return
        kind = ("exchange", "note", "done")[n % 3]
        token = f"{name}-{n}"
        outcome, _ = post(port, kind, {"learner": learner, "token": token})
        if outcome != "ok":
            interrupted.extend([token] if outcome == CUT_OFF else [])
            return
        acked.append((kind, token, learner))


def start_server(script: Path, folder: Path) -> tuple[subprocess.Popen, int]:
    child = subprocess.Popen([sys.executable, str(script), str(folder), SESSION],
                             stdout=subprocess.PIPE, text=True)
    return child, int(child.stdout.readline())


def missing_writes(folder: Path, acked: list) -> list:
    """The acknowledged writes a fresh Store cannot find, and any damage warnings."""
    store = Store(folder, session=SESSION)
    try:
        nicknames = {learner["nickname"] for learner in store.learners()}
        questions = {exchange["question"] for exchange in store.exchanges()}
        progress = store.all_progress()
        missing = list(store.warnings)
        for kind, token, learner in acked:
            found = {
                "learner": lambda: token in nicknames,
                "exchange": lambda: token in questions,
                "note": lambda: store.note(learner, "crash", token) == token,
                "done": lambda: ["crash", token] in progress.get(learner, {}).get(
                    "chapters_done", []),
            }[kind]()
            if not found:
                missing.append((kind, token))
        return missing
    finally:
        store.close()


def test_every_acknowledged_write_survives_sigkill_at_random_moments(tmp_path):
    script, folder = tmp_path / "store_server.py", tmp_path / "classroom"
    script.write_text(SERVER, encoding="utf-8")
    randomly = random.Random(20261123)
    acked: list = []
    interrupted: list = []
    rounds_with_data_writes = 0         # rounds where exchanges, notes or "done" were acknowledged
    started = time.monotonic()
    for round_ in range(ROUNDS):
        child, port = start_server(script, folder)
        stop, first_ack = threading.Event(), threading.Event()
        clients = [threading.Thread(target=client, args=(port, f"r{round_}c{n}", acked,
                                                         interrupted, first_ack, stop))
                   for n in range(CLIENTS)]
        acked_before = len(acked)
        for thread in clients:
            thread.start()
        # kill among the writes, not before them: every round must have written something
        assert first_ack.wait(timeout=60), f"round {round_}: no write was acknowledged"
        time.sleep(randomly.uniform(0, 0.1))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
        stop.set()
        for thread in clients:
            thread.join(timeout=10)
        assert not any(thread.is_alive() for thread in clients)
        acked_this_round = acked[acked_before:]
        assert any(write[0] == "learner" for write in acked_this_round), \
            f"round {round_}: no acknowledged write to check after the kill"
        rounds_with_data_writes += any(write[0] != "learner" for write in acked_this_round)
        missing = missing_writes(folder, acked)
        assert missing == [], f"round {round_}: acknowledged but lost after SIGKILL: {missing}"
    elapsed = time.monotonic() - started
    print(f"\n{ROUNDS} SIGKILL rounds, {len(acked)} acknowledged writes, none lost "
          f"({rounds_with_data_writes} rounds acknowledged more than joins); "
          f"{len(interrupted)} writes were cut off mid-request by the kill ({elapsed:.1f} s)")
    assert len(acked) >= ROUNDS and interrupted, "no kill landed in the middle of a write"
    assert rounds_with_data_writes, "only joins were put to the test, no other write"
