"""Flask helpers that are not routes (identity, CSRF, SSE, the server) and the templates."""
