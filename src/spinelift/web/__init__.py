"""ADAPTER: the web app's HTTP API (FastAPI): accounts, projects, uploads, layers,
exports, jobs, notifications and live progress (WebSocket with a polling fallback).

Thin modules of one shape: ``routes_*`` (HTTP) -> ``*_service`` (one unit of work per
request, committed at its end) -> :mod:`spinelift.storage.repositories` (all SQL, audited).
:func:`spinelift.web.app.create_app` builds the app.
"""
