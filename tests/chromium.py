"""Debian's Chromium for the browser tests: where it is, how it is started, and the skip when it
is missing (the tests never download a browser; `make test` installs the Debian package).

It is found on PATH, as the Makefile's `command -v chromium` finds it. In CI (`CI` set) the
browser tests are required, so a missing Chromium fails the run instead of skipping it."""
from __future__ import annotations

import shutil
from contextlib import contextmanager

from tests.required import missing


def chromium_path() -> str | None:
    return shutil.which("chromium")


# No background traffic of Chromium's own: the tests assert every request stays on the kit.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def skip_module_without_chromium() -> None:
    """Call at the top of a browser test module, before importing playwright."""
    if chromium_path() is None:
        message = ("chromium is not on PATH (Debian package `chromium`; `make test` installs it); "
                   "the browser tests never download a browser")
        missing(message, module=True)


@contextmanager
def headless_chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
