"""The dependency holder of a job use: what its actor bodies need, one per process.

A Dramatiq actor body receives only a job id, so what it works with (stores, clients,
settings) is held per process: set once by whoever starts the process (a worker entry,
an app that runs jobs in-process, a test) and read by every actor body. Both uses hold
theirs in a :class:`Holder` (the mesh service's
:func:`~spinelift.jobs.mesh.context.get_context`, the web app's
:func:`~spinelift.jobs.projects.deps.current_deps`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Holder(Generic[T]):
    """One value per process. ``build``: how to make it when nobody set it (from the
    environment); without one, :meth:`get` before :meth:`set` is a programming error."""

    def __init__(self, what: str, build: Callable[[], T] | None = None) -> None:
        self.what = what
        self.build = build
        self._value: T | None = None

    def set(self, value: T | None) -> None:
        """Use ``value`` in this process (``None``: forget it)."""
        self._value = value

    def get(self) -> T:
        """The value set, or the one :attr:`build` makes on first use."""
        if self._value is None:
            if self.build is None:
                raise RuntimeError(f"{self.what} was not configured in this process")
            self._value = self.build()
        return self._value
