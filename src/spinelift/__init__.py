"""SpineLift: layered art in, Spine mesh attachments out.

The public entry points are :func:`spinelift.core.pipeline.build_mesh` and
:class:`spinelift.core.settings.MeshSettings`; everything else is an adapter.
"""

from typing import Any

__all__ = ["__version__"]

__version__: str  # declared for type checkers; the value comes from __getattr__ below


def __getattr__(name: str) -> Any:
    """``__version__`` is read from the installed metadata on first use (importlib.metadata
    is slow to import, and ``spinelift --help`` should start fast)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("spinelift")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
