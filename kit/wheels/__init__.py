"""A Python package index on the stick: wheels downloaded per target when an organiser builds
the stick (resolve.py, targets.py), kept in a wheelhouse with their sha256 (wheelhouse.py),
served to learners' pip as a PEP 503 simple index (simple_index.py), fetches counted (fetches.py)."""
