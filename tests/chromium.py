"""Debian's Chromium for the browser tests: where it is, how it is started, and the skip when it
is missing (the tests never download a browser; `make test` installs the Debian package)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No background traffic of Chromium's own: the tests assert every request stays on the kit.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def skip_module_without_chromium() -> None:
    """Call at the top of a browser test module, before importing playwright."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`); the browser "
                    "tests never download a browser", allow_module_level=True)


@contextmanager
def headless_chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
