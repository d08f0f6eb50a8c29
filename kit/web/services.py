"""The app's services in one typed object, made in one place.

`open_services(settings)` is the data folder's start-up step, shared by `kit serve` and
`create_app`: the library index brought up to date, the notices for the teacher view (learners'
data off the stick, an unreadable wheelhouse record), the classroom store, the tutor and its
queue, the index's readers, the page cache and the package index. `create_app` attaches it to
the app under one key; views and helpers read `services().store`, not string keys.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask, current_app

from kit.classroom.activity import ClassActivity, recorded_and_told
from kit.classroom.store import Store
from kit.library.indexer import IndexReport, build_index
from kit.library.index_db import ReaderPool
from kit.paths import data_dir_notice
from kit.settings import PAGE_THREADS, Settings
from kit.translations import lazy_text
from kit.tutor.answering import Tutor, engine_chooser
from kit.tutor.fair_queue import ModelQueue
from kit.web.learner_pages import LearnerPages, SessionFacts
from kit.web.page_cache import PageCache
from kit.web.readiness_job import ReadinessJob
from kit.wheels.fetches import FetchCounter
from kit.wheels.installers import Installers
from kit.wheels.wheelhouse import Wheelhouse, WheelhouseError, empty_record

_KEY = "lantern"       # the one app.extensions key: set by attach, read by services_of


@dataclass
class Services:
    settings: Settings
    index_report: IndexReport               # what bringing the index up to date found
    store: Store
    activity: ClassActivity                 # what learners do now: the think-first timer's clock
    tutor: Tutor
    model_queue: ModelQueue
    index_readers: ReaderPool
    page_cache: PageCache                   # the shared pages, rendered once
    learner_pages: LearnerPages             # joined learners' composed pages, same budget
    wheelhouse: Wheelhouse
    wheel_fetches: FetchCounter
    installers: Installers
    notices: list = field(default_factory=list)     # for the teacher view
    live_streams: threading.BoundedSemaphore | None = None   # the teacher's live pages: set by web/live.py
    readiness: ReadinessJob | None = None   # the self-test before class, in the background: set by web/live.py
    session_facts: SessionFacts | None = None    # needs the app's cookie signing: set by attach
    local_token: str | None = None          # `kit ask` beside `kit serve` (web/local_api.py)

    def close(self) -> None:
        """Let go of the data folder's files (the store's), so another app may open them."""
        self.store.close()
        self.index_readers.close()


def open_services(settings: Settings) -> Services:
    """The data folder opened for serving: index, notices, store and everything that uses them."""
    report = build_index(settings)
    notices = [notice for notice in [data_dir_notice(settings.data_dir)] if notice]
    # The store keeps the cookie-signing key, so learners stay joined across restarts.
    store = Store(settings.data_dir / "classroom", defaults=settings.class_defaults)
    activity = ClassActivity()
    index_readers = ReaderPool(settings.index_path)
    # One model, shared fairly: running answers hold a thread each, pages keep PAGE_THREADS;
    # model hosts (tutor/model_hosts.py) add their slots as they come and go.
    model_queue = ModelQueue(slots=settings.model_slots + len(settings.model_hosts),
                             max_waiting=max(1, settings.threads - PAGE_THREADS - settings.model_slots))
    tutor = Tutor(index_readers, engine_chooser(settings, on_capacity=model_queue.set_slots),
                  recorded_and_told(store.record_exchange, activity))
    return Services(settings=settings, index_report=report, store=store, activity=activity, tutor=tutor,
                    model_queue=model_queue,
                    index_readers=index_readers,
                    page_cache=PageCache(settings.index_path, settings.page_cache_mb * 1024 * 1024),
                    learner_pages=LearnerPages(settings.page_cache_mb * 1024 * 1024),
                    wheelhouse=_wheelhouse(settings, notices),
                    wheel_fetches=FetchCounter(settings.data_dir / "wheel-fetches.json"),
                    installers=Installers(settings.installers_folder), notices=notices)


def _wheelhouse(settings: Settings, notices: list[str]) -> Wheelhouse:
    """An unreadable wheelhouse record does not stop the kit: it serves no packages and the
    teacher view says why."""
    try:
        return Wheelhouse(settings.wheelhouse_folder)
    except WheelhouseError as error:
        notices.append(lazy_text("No Python packages are served: %(why)s", why=str(error)))
        return Wheelhouse(settings.wheelhouse_folder, empty_record())


def attach(app: Flask, services: Services) -> None:
    """The app's services, once its secret key is set (the fast lane reads its session cookie)."""
    services.session_facts = SessionFacts(app)
    app.extensions[_KEY] = services


def services_of(app: Flask) -> Services:
    return app.extensions[_KEY]


def services() -> Services:
    """The services of the app handling this request."""
    return current_app.extensions[_KEY]
