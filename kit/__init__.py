"""Lantern: an offline learning kit. The map, top down:

app.py      the web app: create_app and every URL          cli/       the `kit` command
web/        Flask helpers (the services object, identity,  stick/     the USB stick
            CSRF, SSE, server, pages rendered once and served as bytes)
classroom/  learners' and the teacher's saved state
tutor/      questions answered from the library by a local model (engines/)
library/    content in, one SQLite index (index_db), pages and search out
wheels/     Python packages for learners' pip: downloaded per target, served as an index
translations/  the UI's six languages and their catalogs
settings.py, paths.py, durable.py, errors.py (errors that carry their HTTP status),
translations/: for everyone.
"""

# Who may import whom, the map as data: tests/test_layout.py checks the code against it, and
# the README's Layout names every package listed here. A package may import itself, SHARED
# and the packages (or modules) listed for it.
SHARED = ("kit.settings", "kit.paths", "kit.durable", "kit.errors", "kit.translations")
DEPENDS_ON = {
    "library": (),
    "tutor": ("library",),
    "classroom": ("library", "tutor"),
    "wheels": (),
    "web": ("library", "tutor", "classroom", "wheels"),
    "stick": ("library", "tutor.manifests", "wheels"),
    "app": ("library", "tutor", "classroom", "web", "wheels"),
    "cli": ("library", "tutor", "classroom", "web", "stick", "app", "wheels"),
    "__main__": ("cli", "tutor.engines.worker"),
}
