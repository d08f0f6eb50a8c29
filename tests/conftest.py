"""Shared test set-up: a network guard, pack folders in temp dirs, and a real waitress server.

The guard makes the whole suite an offline test: any attempt to open a connection to an address
outside loopback raises and is recorded, and the run fails at the end if one happened.
"""
from __future__ import annotations

import ipaddress
import json
import socket
import textwrap
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from kit.app import create_app
from kit.library.indexer import build_index
from kit.web.services import Services, services_of
from kit.web.live import MAX_STREAMS
from kit.web.server import make_server
from kit.settings import load_settings
from tests.engine_state import SHARED_ENGINE_DIR

# ---------------------------------------------------------------------------------------------
# Offline guard
BLOCKED_ATTEMPTS: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkBlocked(RuntimeError):
    pass


def _is_local(address) -> bool:
    if not isinstance(address, tuple):      # AF_UNIX paths
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False                        # a host name: would need DNS, so not local


def _guarded(real):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
            BLOCKED_ATTEMPTS.append(repr(address))
            raise NetworkBlocked(f"test tried to reach {address!r}: Lantern must work offline")
        return real(self, address)
    return connect


def pytest_configure(config):
    socket.socket.connect = _guarded(_real_connect)
    socket.socket.connect_ex = _guarded(_real_connect_ex)


def pytest_sessionfinish(session, exitstatus):
    if BLOCKED_ATTEMPTS and session.exitstatus == 0:
        print(f"\nOutbound network attempts were blocked: {BLOCKED_ATTEMPTS}")
        session.exitstatus = 1


# ---------------------------------------------------------------------------------------------
# Packs in temp folders

PACK_TOML = textwrap.dedent("""\
    title = "{title}"
    description = "A pack made by a test."
    language = "en"
    licence = "CC-BY-4.0"
    authors = ["Test Author"]
    version = "1.0.0"
    """)


def write_pack(parent: Path, name: str, files: dict[str, str | bytes], title: str | None = None,
               pack_toml: str | None = None) -> Path:
    """A pack folder `parent/name` with a valid pack.toml (unless given) and these files."""
    root = parent / name
    root.mkdir(parents=True, exist_ok=True)
    (root / "pack.toml").write_text(pack_toml if pack_toml is not None
                                    else PACK_TOML.format(title=title or name), encoding="utf-8")
    for relpath, body in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(textwrap.dedent(body), encoding="utf-8")
    return root


@pytest.fixture
def library_dirs(tmp_path):
    """(content folder, data folder) in a fresh temp dir."""
    content, data = tmp_path / "content", tmp_path / "data"
    content.mkdir()
    return content, data


@pytest.fixture(scope="session")
def engine_dir() -> Path:
    """Where the run remembers the CPU variant (tests/engine_state.py)."""
    return SHARED_ENGINE_DIR


@pytest.fixture
def make_settings(library_dirs, engine_dir):
    content, data = library_dirs

    def make(**overrides):
        return load_settings(environ={}, **{"content_dirs": (content,), "data_dir": data,
                                            "engine_dir": engine_dir, **overrides})
    return make


@pytest.fixture
def page(make_settings):
    """page(path, headers) -> the HTML the real app serves (a Flask test client; one app per test,
    made on first use, so after the test has written its packs)."""
    apps = []

    def get(path: str, headers: dict | None = None) -> str:
        if not apps:
            apps.append(create_app(make_settings()))
        response = apps[0].test_client().get(path, headers=headers or {})
        assert response.status_code == 200, path
        return response.get_data(as_text=True)
    yield get
    for app in apps:
        services_of(app).close()


# ---------------------------------------------------------------------------------------------
# A real waitress server on loopback

@dataclass
class LiveServer:
    url: str
    app: object

    @property
    def services(self) -> Services:
        """The running app's store, tutor, queue, caches (kit/web/services.py)."""
        return services_of(self.app)

    def get(self, path: str) -> tuple[int, dict, str]:
        """(status, headers, body text) — errors are returned, not raised."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def get_json(self, path: str):
        status, _, body = self.get(path)
        return status, json.loads(body)


@pytest.fixture
def serve():
    """Start the real app on waitress at 127.0.0.1:<free port>; stopped after the test."""
    servers = []

    def start(settings) -> LiveServer:
        app = create_app(settings)
        server = make_server(app, "127.0.0.1", 0, threads=4, max_request_kb=256)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread, app))
        return LiveServer(f"http://127.0.0.1:{server.effective_port}", app)

    yield start
    for server, thread, app in servers:
        services_of(app).activity.close()     # live teacher streams end instead of being waited for
        for _ in range(MAX_STREAMS):          # ... and have ended (each gives its place back)
            services_of(app).live_streams.acquire(timeout=2)
        # close from inside waitress's own loop, so it is not left waiting on closed sockets
        try:
            server.trigger.pull_trigger(server.close)
        except OSError:
            # A race in waitress: a worker's own wake-up ran our close before our write reached
            # the trigger, so the trigger's pipe is already closed -- and so is the server.
            pass
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        services_of(app).close()     # its files may be opened again by the next app


@pytest.fixture(scope="module")
def index_path(bundled_content, tmp_path_factory) -> Path:
    """An index of the bundled content, built once for the module's tests."""
    settings = load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR, content_dirs=(bundled_content,),
                             data_dir=tmp_path_factory.mktemp("bundled-data"))
    build_index(settings)
    return settings.index_path


@pytest.fixture(scope="session")
def bundled_content() -> Path:
    return Path(__file__).resolve().parent.parent / "content"


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium (tests/chromium.py), one per browser test module."""
    from tests.chromium import headless_chromium
    with headless_chromium() as browser:
        yield browser
