"""The pure mesh engine: arrays and values in, values out.

No file paths, sockets, clocks, environment or frameworks in here; the import
contracts in ``pyproject.toml`` check it.
"""

from typing import TYPE_CHECKING, Any

from spinelift.core.settings import HolePolicy, IslandPolicy, MeshSettings

if TYPE_CHECKING:
    from spinelift.core.mesh import Mesh
    from spinelift.core.pipeline import build_mesh

_LAZY = {"Mesh": "mesh", "build_mesh": "pipeline"}
"""loaded on first use: the settings alone (a CLI parser's flags) need no numpy or OpenCV"""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["HolePolicy", "IslandPolicy", "Mesh", "MeshSettings", "build_mesh"]
