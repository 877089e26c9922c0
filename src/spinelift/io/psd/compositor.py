"""psd-tools' compositor, imported on first use, without the scipy it checks for.

On import, psd-tools checks that scipy is installed by importing ``scipy.interpolate``
(about 0.3 s and 30 MiB: scipy.special, sparse, linalg), which only its gradient and
curve adjustments use. :func:`load_compositor` registers that submodule first with the
standard library's :class:`importlib.util.LazyLoader`, so the check finds it without
running it; it is loaded, whole, the first time one of those adjustments touches it.
Effects that need ``scipy.ndimage`` import it themselves as before. Only in a process
running one thread (the CLI; see :func:`load_compositor`).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.Lock()


def load_compositor() -> Callable[..., Any]:
    """psd-tools' ``composite`` function (imported once; thread-safe).

    The lazy registration is made only while this process runs one thread (the CLI):
    Python 3.11's LazyLoader is not safe when two threads touch the module first at
    once, and a long-running worker with threads pays the import once anyway."""
    with _LOCK:  # worker threads may draw layers at once
        first = "psd_tools.composite" not in sys.modules and "scipy.interpolate" not in sys.modules
        if first and threading.active_count() == 1:
            register_lazily("scipy", "interpolate")
        from psd_tools.composite import composite
    return composite


def register_lazily(package: str, name: str) -> None:
    """Put ``package.name`` in ``sys.modules`` and on its package, not yet executed (a
    :class:`importlib.util.LazyLoader` runs it on first attribute access); nothing when it
    is not installed."""
    try:
        spec = importlib.util.find_spec(f"{package}.{name}")
    except ImportError:  # no such package: psd-tools says which layers it cannot draw
        return
    if spec is None or spec.loader is None:
        return
    parent = importlib.import_module(package)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    # `from scipy import interpolate` finds the attribute and touches nothing in it
    setattr(parent, name, module)
