"""Commands on this computer using the kit that is serving the same data folder.

`kit serve` holds the data folder's lock (kit/cli/instance_lock.py), so `kit ask` could not
open the classroom store while a class was running. Instead, the serving kit writes
SERVING_FILE into the data folder — its loopback address and a random token, readable by this
user only — and removes it when it stops. `kit ask` finds it and asks through the kit's own
API (POST /api/ask with the token, kit/web/local_api.py): the question takes its turn in the same fair
queue as the learners', and is logged in the same store. Whoever can read the data folder can
read the whole store anyway, so the token gives nothing more than that.
"""
from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.request
from pathlib import Path

from kit.cli.instance_lock import process_running
from kit.web.local_api import TOKEN_HEADER

SERVING_FILE = "kit.serving.json"
ASK_PATH = "/api/ask"


class RunningKitError(RuntimeError):
    """The running kit could not be asked; str() says what to do."""


def announce(data_dir: Path, host: str, port: int) -> str:
    """Write SERVING_FILE for the kit serving on `host:port`; the token it holds."""
    token = secrets.token_urlsafe(32)
    address = "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host
    if ":" in address:
        address = "[::1]" if address == "::" else f"[{address}]"
    record = {"url": f"http://{address}:{port}", "token": token, "pid": os.getpid()}
    path = Path(data_dir) / SERVING_FILE
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(temp, path)
    return token


def withdraw(data_dir: Path, token: str) -> None:
    """Remove SERVING_FILE if it is still this kit's (another may have started since)."""
    path = Path(data_dir) / SERVING_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("token") == token:
            path.unlink()
    except (OSError, ValueError):
        pass


def serving_kit(data_dir: Path) -> dict | None:
    """{"url", "token", "pid"} of the kit serving `data_dir`, or None (none, or it died
    without removing the file)."""
    try:
        record = json.loads((Path(data_dir) / SERVING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ("url", "token")):
        return None
    if not isinstance(record.get("pid"), int) or not process_running(record["pid"]):
        return None
    return record


def ask_running_kit(kit: dict, payload: dict, timeout_s: float = 600):
    """The running kit's answer to `payload` ({question, mode, tried}) as (event, data) pairs,
    as they stream; RunningKitError when it refuses (with its reason) or cannot be reached."""
    request = urllib.request.Request(
        kit["url"] + ASK_PATH, json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", TOKEN_HEADER: kit["token"]})
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as error:
        try:
            reason = json.loads(error.read()).get("error") or error.reason
        except ValueError:
            reason = error.reason
        raise RunningKitError(f"The kit serving this data folder ({kit['url']}) refused the "
                              f"question: {reason}") from None
    except OSError as error:
        raise RunningKitError(f"The kit serving this data folder ({kit['url']}, PID {kit['pid']}) "
                              f"did not answer: {error}. Try again, or stop it and ask again.") from None
    with response:
        yield from read_events(response)


def read_events(lines):
    """(event, data) pairs from a text/event-stream (bytes lines); comments skipped."""
    name, data = None, []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if name is not None:
                yield name, json.loads("\n".join(data)) if data else None
            name, data = None, []
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
