"""ZIM files made by the tests themselves with libzim.writer (never a third-party ZIM in the
repo): a few HTML articles, one with an image, a redirect, and items that are not articles.

libzim is an optional extra (GPL-3.0-or-later), installed by the test extra. Where it is
missing the ZIM tests are skipped on a developer's machine and FAIL in CI (`CI` set).
"""
from __future__ import annotations

from pathlib import Path

from tests.required import missing

# The smallest valid PNG (1×1, transparent): real bytes whose type the test can check.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")

ARTICLES = {
    # path: (title, body)
    "A/Home": ("Welcome to the test library", """
        <h1>Welcome</h1><p>This library holds <a href="Lighthouses">lighthouses</a>.</p>
        <p><img src="../I/lamp.png" alt="a lamp"></p>"""),
    "A/Lighthouses": ("Lighthouses", """
        <h1>Lighthouses</h1><p>A lighthouse guides ships with a Fresnel lens.</p>
        <h2>Keepers</h2><p>Keepers trimmed the wicks every night.</p>"""),
    "A/Tides": ("Tides and the moon", """
        <h1>Tides</h1><p onclick="steal()">Tides follow the moon's gravitation.</p>
        <script>alert("from the zim")</script><iframe src="https://example.org/"></iframe>"""),
}


def require_libzim():
    """libzim.writer, or a skip that is a failure in CI."""
    try:
        from libzim import writer
    except ImportError:
        message = ("libzim is not installed: the ZIM tests need it "
                   "(pip install 'lantern-kit[test]' installs it)")
        missing(message)
    return writer


def item_class(writer):
    """libzim.writer's Item made from (path, title, mimetype, content, front article?)."""

    class Item(writer.Item):
        def __init__(self, item_path, title, mimetype, content, front):
            super().__init__()
            self.values = item_path, title, mimetype, content, front

        def get_path(self):
            return self.values[0]

        def get_title(self):
            return self.values[1]

        def get_mimetype(self):
            return self.values[2]

        def get_contentprovider(self):
            return writer.StringProvider(self.values[3])

        def get_hints(self):
            return {writer.Hint.FRONT_ARTICLE: self.values[4]}

    return Item


def write_zim(path: Path, articles: dict[str, tuple[str, str]] | None = None,
              metadata: dict[str, str] | None = None, extras: bool = True,
              main_path: str = "A/Home") -> Path:
    """A ZIM at `path`: `articles` as front HTML articles, and with `extras` an image, a
    stylesheet, a script and a redirect ("A/Start" → main page)."""
    writer = require_libzim()

    Item = item_class(writer)

    articles = ARTICLES if articles is None else articles
    metadata = {"Title": "Test Lighthouse Library", "Name": "test_lighthouses_en",
                "Language": "eng", "Description": "A ZIM made by Lantern's tests.",
                "Creator": "Lantern tests", "License": "CC-BY-SA-4.0",
                "Date": "2026-12-01"} if metadata is None else metadata
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer.Creator(str(path)).config_indexing(False, "eng") as creator:
        if main_path:
            creator.set_mainpath(main_path)
        for name, value in metadata.items():
            creator.add_metadata(name, value)
        for item_path, (title, body) in articles.items():
            html = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
            creator.add_item(Item(item_path, title, "text/html", html, True))
        if extras:
            creator.add_item(Item("I/lamp.png", "", "image/png", PNG, False))
            creator.add_item(Item("-/style.css", "", "text/css", "body { color: red }", False))
            creator.add_item(Item("-/app.js", "", "application/javascript", "alert(1)", False))
            creator.add_redirection("A/Start", "Start here", main_path, {writer.Hint.FRONT_ARTICLE: False})
    return path
