"""Learners' and the teacher's saved state: the store, its rules and reports (no Flask)."""
