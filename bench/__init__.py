"""Benchmarks, run as scripts (`.venv/bin/python bench/<name>.py`); a package only so that tests
can run a short version of one (tests/test_classroom_load.py)."""
