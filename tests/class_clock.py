"""The bundled library served for a class whose time the test moves: the class activity's clock
(kit/classroom/activity.py) is a Clock the test sets forward, so a think-first timer or a learner
with no progress for ten minutes takes no waiting. Shared by the timer, glance and browser tests."""
from __future__ import annotations

from kit.settings import load_settings
from tests.engine_state import SHARED_ENGINE_DIR
from tests.web_client import WebClient


class Clock:
    """Seconds, as time.time() gives them; `t` moves only when a test moves it."""

    def __init__(self):
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def class_on_a_clock(serve, bundled_content, tmp_path, pin: str, environ: dict | None = None):
    """The real app on waitress over the bundled packs; `site.clock` is its class's clock."""
    site = serve(load_settings(environ=environ or {}, engine_dir=SHARED_ENGINE_DIR,
                               content_dirs=(bundled_content,), data_dir=tmp_path / "data"))
    site.services.store.set_teacher_pin(pin)
    site.clock = site.services.activity.now = Clock()
    return site


def joined(site, nickname: str) -> WebClient:
    """A learner's browser that joined from the home."""
    learner = WebClient(site.url)
    assert learner.post("/join", {"nickname": nickname, "next": "/"}).status == 303
    return learner
