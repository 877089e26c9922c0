"""Attachment images found as Spine finds them: a folder of PNGs, or a texture atlas.

:class:`FolderImages`: ``DIR/PATH.png`` with ``PATH`` the attachment's ``path`` (else its
name), folders included. :class:`AtlasImageSource`: the atlas region named ``PATH``,
rebuilt at its original size (:mod:`spinelift.io.atlas_read`). Both read each image once.
"""

from __future__ import annotations

from pathlib import Path

from spinelift.io.atlas_read import AtlasImages, read_atlas
from spinelift.io.image import RgbaArray, read_image

MAX_DIMENSION = 8192


class FolderImages:
    """Images under ``folder``: ``folder / (path + ".png")``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, RgbaArray] = {}

    def _file(self, path: str) -> Path:
        return self.folder / f"{path}.png"

    def has(self, path: str) -> bool:
        return self._file(path).is_file()

    def describe(self, path: str) -> str:
        return str(self._file(path))

    def image(self, path: str) -> RgbaArray:
        if path not in self._cache:
            self._cache[path] = read_image(
                self._file(path), max_dimension=MAX_DIMENSION, max_pixels=MAX_DIMENSION**2
            )
        return self._cache[path]


class AtlasImageSource:
    """Regions of the atlas file ``atlas`` (pages beside it)."""

    def __init__(self, atlas: Path) -> None:
        self.atlas_path = atlas
        self.atlas: AtlasImages = read_atlas(atlas)
        self._cache: dict[str, RgbaArray] = {}

    def has(self, path: str) -> bool:
        return path in self.atlas

    def describe(self, path: str) -> str:
        return f"region {path!r} in {self.atlas_path}"

    def image(self, path: str) -> RgbaArray:
        if path not in self._cache:
            self._cache[path] = self.atlas.image(path)
        return self._cache[path]
