"""Lantern: an offline learning kit. The web app is `kit.app.create_app`; the CLI is `kit.cli`."""
