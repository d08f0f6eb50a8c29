"""Content in, one SQLite index, pages and search out (no Flask)."""
