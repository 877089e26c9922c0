"""The pure mesh engine: arrays and values in, values out.

No file paths, sockets, clocks, environment or frameworks in here; the import
contracts in ``pyproject.toml`` check it.
"""

from spinelift.core.mesh import Mesh
from spinelift.core.pipeline import build_mesh
from spinelift.core.settings import HolePolicy, IslandPolicy, MeshSettings

__all__ = ["HolePolicy", "IslandPolicy", "Mesh", "MeshSettings", "build_mesh"]
