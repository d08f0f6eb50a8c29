"""Lantern: an offline learning kit. The map, top down:

app.py      the web app: create_app and every URL          cli/       the `kit` command
web/        Flask helpers (the services object, identity,  stick/     the USB stick
            CSRF, SSE, server, pages rendered once and served as bytes)
classroom/  learners' and the teacher's saved state
tutor/      questions answered from the library by a local model (engines/)
library/    content in, one SQLite index, pages and search out
wheels/     Python packages for learners' pip: downloaded per target, served as an index
translations/  the UI's six languages and their catalogs
settings.py, paths.py, durable.py, errors.py (errors that carry their HTTP status),
translations/: for everyone.
"""
