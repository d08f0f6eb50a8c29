"""A question in, passages from the library, a model's guarded answer out (no Flask)."""
