"""SpineLift: layered art in, Spine mesh attachments out.

The public entry points are :func:`spinelift.core.pipeline.build_mesh` and
:class:`spinelift.core.settings.MeshSettings`; everything else is an adapter.
"""

from spinelift._version import __version__

__all__ = ["__version__"]
