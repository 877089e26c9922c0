"""SpineLift: layered art in, Spine mesh attachments out.

The public entry points are :func:`spinelift.core.pipeline.build_mesh` and
:class:`spinelift.core.settings.MeshSettings`; everything else is an adapter.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spinelift")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
