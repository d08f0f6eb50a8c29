"""`kit ask` while `kit serve` runs on the same data folder: real programs on loopback. The
question goes through the running kit's API (kit/cli/running_kit.py, kit/web/local_api.py)
instead of failing on the folder's lock, and is logged in the class's store like any other."""
from __future__ import annotations

import json
import stat
import time
import urllib.error
import urllib.request

from kit.cli.running_kit import SERVING_FILE
from kit.web.local_api import TOKEN_HEADER
from tests.conftest import write_pack
from tests.test_cli import CHAPTER, KitServer, kit


def test_kit_ask_while_the_kit_serves_asks_through_it(library_dirs):
    content, data = library_dirs
    write_pack(content, "garden", CHAPTER, title="Garden club")
    server = KitServer("--data", data, "--content", content)
    try:
        server.wait_for("Press Ctrl+C to stop.")
        serving = data / SERVING_FILE
        record = json.loads(serving.read_text())
        assert record["url"] == f"http://127.0.0.1:{server.port}"
        assert stat.S_IMODE(serving.stat().st_mode) == 0o600        # this user's only

        result = kit("ask", "--data", data, "--content", content, "What do worms turn peelings into?")
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"The kit serving this data folder answers: http://127.0.0.1:{server.port}" in result.stderr
        assert "/p/garden/w/01-soil#s-compost" in result.stdout      # the passage it found
        assert "already using the data folder" not in result.stderr

        # Logged by the serving kit in the class's store (the teacher sees it).
        log = next((data / "classroom").glob("questions-*.json"))
        deadline = time.monotonic() + 10
        while "What do worms turn peelings into?" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "What do worms turn peelings into?" in log.read_text()

        # Without the token the API is the learners' one: no session, no CSRF token, refused.
        for token in (None, "not-the-token"):
            request = urllib.request.Request(f"{record['url']}/api/ask", json.dumps(
                {"question": "What do worms turn peelings into?"}).encode(),
                {"Content-Type": "application/json", **({TOKEN_HEADER: token} if token else {})})
            try:
                urllib.request.urlopen(request, timeout=10)
                raise AssertionError("asked without the data folder's token")
            except urllib.error.HTTPError as refused:
                assert refused.code == 400

        bad = kit("ask", "--data", data, "--content", content, "--mode", "hint", "help with compost")
        assert bad.returncode == 2 and "Think first" in bad.stderr
    finally:
        server.stop()
    assert not (data / SERVING_FILE).exists()          # withdrawn when the kit stops
    offline = kit("ask", "--data", data, "--content", content, "What do worms turn peelings into?")
    assert offline.returncode == 0 and "The kit serving" not in offline.stderr, offline.stderr
    assert offline.stdout == result.stdout       # the same answer, asked here or through the kit
