"""A capability a test needs and this machine lacks: skipped on a developer's machine, a failure
in CI (`CI` set), where `make test` provides every capability the tests use (it installs
chromium, qemu-user and zbar-tools, runs as root, has the engine's model and a network card).
One owner of that rule, so no test can skip in CI by accident."""
from __future__ import annotations

import os

import pytest


def missing(message: str, *, module: bool = False) -> None:
    """Fail in CI, else skip (the whole module when `module`, called at import time)."""
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {message}", pytrace=False)
    pytest.skip(message, allow_module_level=module)
