"""A fake engine and tiny images for the CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from spinelift.cli import mesh_command
from spinelift.core.mesh import Mesh, MeshStats
from spinelift.core.settings import MeshSettings


def rect_mesh(width: int, height: int) -> Mesh:
    """The whole image as two triangles, hull clockwise on screen."""
    vertices = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    return Mesh(
        vertices,
        np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32),
        4,
        np.array([[0, 1], [1, 2], [2, 3], [3, 0]], dtype=np.int32),
        width,
        height,
        MeshStats(kept_pixels=width * height, islands=1, holes_kept=0),
    )


@dataclass
class FakeEngine:
    """Stands in for ``build_mesh``: records its calls, returns :func:`rect_mesh`."""

    calls: list[MeshSettings] = field(default_factory=list)
    fail_with: Exception | None = None

    def __call__(
        self,
        rgba: np.ndarray,
        settings: MeshSettings | None = None,
        progress: Callable[[int, str], None] | None = None,
        *,
        max_dimension: int = 4096,
    ) -> Mesh:
        self.calls.append(settings or MeshSettings())
        if progress is not None:
            progress(50, "Simplifying contour...")
        if self.fail_with is not None:
            raise self.fail_with
        return rect_mesh(rgba.shape[1], rgba.shape[0])


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(mesh_command, "_load_builder", lambda: fake)
    return fake


def write_image(path: Path, width: int = 6, height: int = 4, **_: Any) -> Path:
    """A tiny RGBA PNG: an opaque block with a transparent border."""
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    pixels[1:-1, 1:-1] = (90, 160, 220, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def make_image() -> Callable[..., Path]:
    return write_image
