"""The HTTP edge both FastAPI adapters share (:mod:`spinelift.service`, :mod:`spinelift.web`).

- :mod:`.errors`: :class:`~spinelift.errors.SpineLiftError` -> HTTP status, seed 004's
  ``{"error": {"code","message","details"}}`` body and the exception handlers.
- :mod:`.middleware`: request ids, the body size limit, a 500 for anything unexpected.
- :mod:`.health`: seed 002's health document.
- :mod:`.deps`: dependencies every app takes the same way (the request id).

Knows no adapter: each app passes its differences in as parameters.
"""
