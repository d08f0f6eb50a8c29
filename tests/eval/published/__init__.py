"""The eval on published material the kit was never tuned on (issue 20): learner questions about
Flask's and FastAPI's docs and Django's whole reference build, asked through the real tutor and
scored with criteria of this package's own. See README.md here."""
