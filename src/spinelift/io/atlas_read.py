"""Reading a Spine texture atlas back into one image per region (original size).

The ``.atlas`` text (spine-ts ``TextureAtlas``, 4.x format with ``bounds``/``offsets``/
``rotate``, and the 3.x ``xy``/``size``/``orig``/``offset`` form) lists pages and their
regions. :func:`read_atlas` parses it; :meth:`AtlasImages.image` cuts a region out of its
page PNG, turns it back upright (``rotate``: true/90, 180, 270) and pastes it into a
transparent canvas of the original size at its whitespace offsets, so region uvs and mesh
uvs (both relative to the original image) mean the same as with loose images.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spinelift.errors import ImageLoadError, ImageNotFoundError
from spinelift.io.image import RgbaArray, read_image


@dataclass(frozen=True, slots=True)
class AtlasEntry:
    """One region: its page file, box on the page (unrotated size), original size,
    offsets (from the bottom-left, Spine's y up) and rotation in degrees (0/90/180/270)."""

    page: str
    x: int
    y: int
    width: int
    height: int
    original_width: int
    original_height: int
    offset_x: int
    offset_y: int
    degrees: int


@dataclass
class AtlasImages:
    """Regions of an atlas file, cut out on demand (pages are read once)."""

    folder: Path
    regions: dict[str, AtlasEntry]
    _pages: dict[str, RgbaArray] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.regions

    def image(self, name: str) -> RgbaArray:
        """The region ``name`` as an RGBA image of its original size."""
        entry = self.regions.get(name)
        if entry is None:
            raise ImageNotFoundError(f"region {name!r} is not in the atlas", details={"path": name})
        page = self._pages.get(entry.page)
        if page is None:
            page = read_image(self.folder / entry.page, max_dimension=16384, max_pixels=16384**2)
            self._pages[entry.page] = page
        rotated = entry.degrees in (90, 270)
        w, h = (entry.height, entry.width) if rotated else (entry.width, entry.height)
        patch = page[entry.y : entry.y + h, entry.x : entry.x + w]
        if patch.shape[:2] != (h, w):
            raise ImageLoadError(
                f"region {name!r} lies outside its page {entry.page}", details={"path": name}
            )
        turns = {0: 0, 90: 3, 180: 2, 270: 1}[entry.degrees]
        upright = np.rot90(patch, turns)
        out = np.zeros((entry.original_height, entry.original_width, 4), dtype=np.uint8)
        top = entry.original_height - entry.offset_y - entry.height
        out[top : top + entry.height, entry.offset_x : entry.offset_x + entry.width] = upright
        return out


def read_atlas(path: Path) -> AtlasImages:
    """Parse the atlas at ``path`` (pages are looked up beside it).

    Raises :class:`ImageLoadError` when the file cannot be read or is not an atlas.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImageLoadError(
            f"cannot read atlas {path}: {exc}", details={"path": str(path)}
        ) from exc
    regions: dict[str, AtlasEntry] = {}
    page: str | None = None
    name: str | None = None
    values: dict[str, list[str]] = {}

    def flush() -> None:
        if page is not None and name is not None:
            regions[name] = _entry(page, name, values, path)

    for raw in [*text.splitlines(), ""]:
        line = raw.strip()
        if not line:
            flush()
            page, name, values = None, None, {}
            continue
        if ":" in line:
            key, _, value = line.partition(":")
            if name is not None:
                values[key.strip()] = [v.strip() for v in value.split(",")]
            continue
        if page is None:
            page = line
        else:
            flush()
            name, values = line, {}
    if not regions:
        raise ImageLoadError(f"{path} holds no atlas regions", details={"path": str(path)})
    return AtlasImages(folder=path.parent, regions=regions)


def _entry(page: str, name: str, values: dict[str, list[str]], path: Path) -> AtlasEntry:
    try:
        if "bounds" in values:
            x, y, w, h = (int(v) for v in values["bounds"])
        else:
            x, y = (int(v) for v in values["xy"])
            w, h = (int(v) for v in values["size"])
        if "offsets" in values:
            ox, oy, ow, oh = (int(v) for v in values["offsets"])
        else:
            ox, oy = (int(v) for v in values.get("offset", ["0", "0"]))
            ow, oh = (int(v) for v in values.get("orig", [str(w), str(h)]))
        rotate = values.get("rotate", ["false"])[0]
        degrees = {"true": 90, "false": 0}.get(rotate)
        if degrees is None:
            degrees = int(rotate)
        if degrees not in (0, 90, 180, 270):
            raise ValueError(f"rotate {rotate}")
    except (ValueError, KeyError) as exc:
        raise ImageLoadError(
            f"atlas {path}: region {name!r} is malformed ({exc})", details={"path": str(path)}
        ) from exc
    return AtlasEntry(page, x, y, w, h, ow, oh, ox, oy, degrees)
