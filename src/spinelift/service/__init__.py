"""ADAPTER: the FastAPI mesh service (seed 004's mesh API, seed 000's extract_layers).

:func:`create_app` builds the app for some settings; routes are thin (parse, call
:mod:`spinelift.jobs`, answer), errors are mapped once in :mod:`.errors`.
"""

from spinelift.service.app import create_app

__all__ = ["create_app"]
