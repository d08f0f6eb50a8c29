"""The socket guard in conftest.py is what makes the whole suite an offline test; prove it works.

Each deliberate attempt is taken back out of BLOCKED_ATTEMPTS afterwards, so it does not fail
the run; any other attempt a test makes stays recorded and still does.
"""
from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import BLOCKED_ATTEMPTS, NetworkBlocked

TEST_NET = ("203.0.113.1", 80)       # TEST-NET-3 (RFC 5737): documentation only, never routed


@pytest.fixture
def deliberate_attempts():
    """Forget the attempts this test makes on purpose (and only those) when it ends."""
    before = len(BLOCKED_ATTEMPTS)
    yield
    made_here = BLOCKED_ATTEMPTS[before:]
    del BLOCKED_ATTEMPTS[before:]
    BLOCKED_ATTEMPTS.extend(a for a in made_here if a not in (repr(TEST_NET), repr(("example.invalid", 80))))


def test_connect_outside_loopback_is_refused_at_once(deliberate_attempts):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)       # if the guard failed, do not hang on an unrouted address
        started = time.perf_counter()
        with pytest.raises(NetworkBlocked, match="203.0.113.1"):
            sock.connect(TEST_NET)
        assert time.perf_counter() - started < 0.5


def test_connect_outside_loopback_is_recorded(deliberate_attempts):
    before = len(BLOCKED_ATTEMPTS)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect(TEST_NET)
    assert BLOCKED_ATTEMPTS[before:] == [repr(TEST_NET)]


def test_connect_ex_is_guarded_too(deliberate_attempts):
    before = len(BLOCKED_ATTEMPTS)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect_ex(TEST_NET)
    assert BLOCKED_ATTEMPTS[before:] == [repr(TEST_NET)]


def test_connect_to_a_host_name_is_refused_before_any_lookup(deliberate_attempts):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect(("example.invalid", 80))


def test_loopback_connections_are_allowed():
    before = list(BLOCKED_ATTEMPTS)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        for host in ("127.0.0.1", "localhost"):
            with socket.create_connection((host, listener.getsockname()[1]), timeout=5):
                listener.accept()[0].close()
    assert BLOCKED_ATTEMPTS == before
