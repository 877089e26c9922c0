"""Texture atlas pages and loose images: what the skeleton's attachment paths point at.

:func:`pack_atlas` lays region images (name -> ``(h, w, 4) uint8``) out on one or more
pages (:mod:`spinelift.spine.packing`), draws the pages and makes the atlas text
(:mod:`spinelift.spine.atlas_format`); :func:`write_atlas` writes ``<name>.atlas`` and
the page PNGs; :func:`write_loose_images` writes ``<folder>/<path>.png`` per region
instead (Spine's images folder). Every write is atomic (:mod:`spinelift.io.files`).

Region names are attachment paths and become file paths here, so they must already be
safe (:func:`spinelift.spine.paths.safe_path` / ``unique_paths``); anything else is
refused, never used raw.

Between regions there are always ``padding`` fully transparent pixels: no region
bleeds into another. ``extrude`` repeats each region's edge pixels outwards (inside its
own padding) so linear filtering at the region's border samples its own colours;
``bleed`` gives fully transparent pixels inside a region the colour of their nearest
opaque neighbours (alpha stays 0) to avoid dark fringes with straight alpha.

Size: over 300 lines, on purpose: packing, drawing and writing the pages share the
bleed and padding rules stated above.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from spinelift.atomic import write_atomic
from spinelift.errors import InvalidParametersError
from spinelift.io.image import encode_png, write_png
from spinelift.spine.atlas_format import AtlasPage, AtlasRegion, atlas_text
from spinelift.spine.packing import pack_rects
from spinelift.spine.paths import is_safe_path

RgbaArray = npt.NDArray[np.uint8]

DEFAULT_MAX_PAGE_SIZE = 2048


@dataclass(frozen=True, eq=False)
class PackedAtlas:
    """Pages drawn and described: ``images[i]`` is the ``(H, W, 4) uint8`` of ``pages[i]``."""

    name: str
    pages: tuple[AtlasPage, ...]
    images: tuple[RgbaArray, ...]

    @property
    def text(self) -> str:
        """The atlas file's text (:func:`spinelift.spine.atlas_format.atlas_text`)."""
        return atlas_text(self.pages)

    def region(self, name: str) -> tuple[int, AtlasRegion]:
        """``(page index, region)`` for a region name; ``KeyError`` if absent."""
        for index, page in enumerate(self.pages):
            for region in page.regions:
                if region.name == name:
                    return index, region
        raise KeyError(name)


def pack_atlas(
    images: Mapping[str, RgbaArray],
    *,
    name: str = "skeleton",
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE,
    padding: int = 2,
    power_of_two: bool = False,
    extrude: int = 0,
    bleed: int = 0,
    premultiply_alpha: bool = False,
    texture_filter: tuple[str, str] = ("Linear", "Linear"),
) -> PackedAtlas:
    """Pack ``images`` (region name -> ``(h, w, 4) uint8``) on pages of at most
    ``max_page_size`` px a side; pages are ``<name>.png``, ``<name>_2.png``, ...

    Deterministic: the same images give the same pages and text, whatever the mapping's
    order. No region is rotated. Raises :class:`InvalidParametersError` for an unsafe
    region or atlas name, bad settings, or a region too large for a page (with what to
    do about it); ``ValueError`` for an array that is not ``(h, w, 4) uint8``.
    """
    _check_settings(name, max_page_size, padding, extrude, bleed)
    if not images:
        raise InvalidParametersError("an atlas needs at least one image")
    for region_name, rgba in images.items():
        _check_image(region_name, rgba)
    _check_region_names(list(images))
    pad = 2 * extrude
    sizes = {n: (int(a.shape[1]) + pad, int(a.shape[0]) + pad) for n, a in images.items()}
    too_large = sorted(n for n, (w, h) in sizes.items() if max(w, h) + 2 * padding > max_page_size)
    if too_large:
        shapes = {n: f"{images[n].shape[1]}x{images[n].shape[0]}" for n in too_large}
        raise InvalidParametersError(
            f"{len(too_large)} image(s) do not fit on a {max_page_size} px atlas page with "
            f"{padding} px padding and {extrude} px extrusion: "
            + ", ".join(f"{n} ({s})" for n, s in shapes.items())
            + ". Raise the maximum page size (Spine's runtimes handle 4096 on most devices), "
            "scale the layer down (e.g. the [scale:0.5] layer tag), or split the layer.",
            details={"regions": shapes, "max_page_size": max_page_size},
        )
    layout = pack_rects(sizes, max_size=max_page_size, padding=padding, power_of_two=power_of_two)
    canvases = [np.zeros((h, w, 4), dtype=np.uint8) for w, h in layout.page_sizes]
    regions: list[list[AtlasRegion]] = [[] for _ in layout.page_sizes]
    for region_name in sorted(images):
        place = layout.placements[region_name]
        rgba = images[region_name]
        h, w = rgba.shape[:2]
        canvas = canvases[place.page]
        if extrude:
            bled = _bleed(rgba, bleed) if bleed else rgba
            block = np.pad(bled, ((extrude, extrude), (extrude, extrude), (0, 0)), mode="edge")
            bh, bw = block.shape[:2]
            canvas[place.y : place.y + bh, place.x : place.x + bw] = block
        else:  # straight onto the page: no copy of the region
            _bleed(rgba, bleed, out=canvas[place.y : place.y + h, place.x : place.x + w])
        regions[place.page].append(
            AtlasRegion(region_name, place.x + extrude, place.y + extrude, int(w), int(h))
        )
    if premultiply_alpha:
        canvases = [_premultiply(c) for c in canvases]
    pages = tuple(
        AtlasPage(
            name=f"{name}.png" if i == 0 else f"{name}_{i + 1}.png",
            width=w,
            height=h,
            regions=tuple(regions[i]),
            min_filter=texture_filter[0],
            mag_filter=texture_filter[1],
            pma=premultiply_alpha,
        )
        for i, (w, h) in enumerate(layout.page_sizes)
    )
    try:
        atlas_text(pages)  # every name and bound checked once, here
    except ValueError as exc:
        raise InvalidParametersError(str(exc)) from exc
    return PackedAtlas(name, pages, tuple(canvases))


@dataclass(frozen=True, eq=False)
class EncodedAtlas:
    """An atlas ready to write: ``files`` are (file name, bytes), the page PNGs first and
    the ``.atlas`` text last; ``images`` the region images it was packed from."""

    images: Mapping[str, RgbaArray]
    files: tuple[tuple[str, bytes], ...]

    def made_from(self, images: Mapping[str, RgbaArray]) -> bool:
        """Whether this atlas holds exactly ``images``: the same names, the same arrays."""
        return images.keys() == self.images.keys() and all(
            images[k] is self.images[k] for k in images
        )


def encode_atlas(atlas: PackedAtlas, images: Mapping[str, RgbaArray]) -> EncodedAtlas:
    """Encode ``atlas`` (packed from ``images``) for :func:`write_encoded_atlas`."""
    files = [
        (page.name, encode_png(rgba)) for page, rgba in zip(atlas.pages, atlas.images, strict=True)
    ]
    files.append((f"{atlas.name}.atlas", atlas.text.encode("utf-8")))
    return EncodedAtlas(dict(images), tuple(files))


def write_encoded_atlas(encoded: EncodedAtlas, folder: str | os.PathLike[str]) -> list[Path]:
    """Write an encoded atlas's files into ``folder`` (made if missing), atomically, pages
    before the ``.atlas`` file (a reader that finds the atlas finds its pages)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    return [write_atomic(target / name, data) for name, data in encoded.files]


def write_atlas(atlas: PackedAtlas, folder: str | os.PathLike[str]) -> list[Path]:
    """Write ``<folder>/<name>.atlas`` and its page PNGs atomically; return the paths.

    The folder is created if missing. Pages are written before the atlas file, so a
    reader that finds the atlas finds its pages.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = [
        write_png(target / page.name, rgba)
        for page, rgba in zip(atlas.pages, atlas.images, strict=True)
    ]
    written.append(write_atomic(target / f"{atlas.name}.atlas", atlas.text.encode("utf-8")))
    return written


def write_loose_images(
    images: Mapping[str, RgbaArray], folder: str | os.PathLike[str]
) -> list[Path]:
    """Write each image as ``<folder>/<name>.png`` (sub-folders from ``/`` in the name).

    This is Spine's images folder: point the skeleton's ``images`` at ``folder`` and the
    editor finds each attachment's image by its path. Names must be safe paths, unique
    case-insensitively; the written paths are checked to stay inside ``folder``.
    Returns the paths in name order.
    """
    for region_name, rgba in images.items():
        _check_image(region_name, rgba)
    _check_region_names(list(images))
    root = Path(folder).resolve()
    written: list[Path] = []
    for region_name in sorted(images):
        path = (root / f"{region_name}.png").resolve()
        if not path.is_relative_to(root):  # unreachable for safe names: defence in depth
            raise InvalidParametersError(f"image path {region_name!r} leaves the output folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_png(path, images[region_name]))
    return written


def _check_settings(name: str, max_page_size: int, padding: int, extrude: int, bleed: int) -> None:
    problems: dict[str, str] = {}
    if not is_safe_path(name) or "/" in name:
        problems["name"] = f"{name!r} is not a safe file name (see spinelift.spine.safe_path)"
    if not 16 <= max_page_size <= 16384:
        problems["max_page_size"] = f"{max_page_size} is outside 16..16384"
    if padding < 0:
        problems["padding"] = f"{padding} is negative"
    if extrude < 0:
        problems["extrude"] = f"{extrude} is negative"
    if bleed < 0:
        problems["bleed"] = f"{bleed} is negative"
    if problems:
        raise InvalidParametersError(
            "invalid atlas settings: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
            details={"fields": problems},
        )


def _check_image(name: str, rgba: RgbaArray) -> None:
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4 or 0 in rgba.shape:
        raise ValueError(f"image {name!r} must be (h, w, 4) uint8, got {rgba.shape} {rgba.dtype}")


def _check_region_names(names: list[str]) -> None:
    unsafe = sorted(n for n in names if not is_safe_path(n))
    folded: dict[str, str] = {}
    clashes: list[str] = []
    for n in sorted(names):
        key = n.casefold()
        if key in folded:
            clashes.append(f"{folded[key]!r} and {n!r}")
        folded[key] = n
    if unsafe or clashes:
        raise InvalidParametersError(
            "region names must be unique safe paths (use spinelift.spine.unique_paths): "
            + "; ".join([f"unsafe: {n!r}" for n in unsafe] + [f"same file: {c}" for c in clashes]),
            details={"unsafe": unsafe, "clashes": clashes},
        )


def _bleed(rgba: RgbaArray, steps: int, out: RgbaArray | None = None) -> RgbaArray:
    """Fully transparent pixels take the mean colour of their already coloured 8-neighbours,
    ``steps`` rings deep; alpha never changes. Written into ``out`` (same shape, e.g. the
    region's place on an atlas page) when given, else into a copy; returns it.

    Each ring is worked out only where it grows (the transparent pixels next to coloured
    ones), adding the neighbours in a fixed order, so the result is the same, bit for bit,
    as summing shifted copies of the whole image, at a fraction of the cost and memory.
    A ring's coloured neighbours all belong to the ring before it (the image's own pixels
    for the first ring, whose sums are exact integers, so their order does not matter).
    """
    if out is None:
        out = rgba.copy()
    else:
        out[...] = rgba
    if steps == 0:
        return out
    h, w = rgba.shape[:2]
    stride = w + 2  # one transparent pixel around everything: every neighbour is in range
    seen = np.zeros((h + 2, stride), dtype=np.uint8)
    np.greater(rgba[:, :, 3], 0, out=seen[1:-1, 1:-1].view(bool))
    known = cv2.countNonZero(seen)
    if known in (0, h * w):
        return out
    moves = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
    offsets = np.array([[dy * stride + dx] for dy, dx in moves], dtype=np.intp)
    kernel = np.ones((3, 3), dtype=np.uint8)
    given = np.zeros(0, dtype=np.int32)  # column in `colours` of a pixel of the last ring
    colours = np.zeros((3, 1), dtype=np.float64)  # column 0: not in the last ring
    for step in range(steps):
        grown = cv2.dilate(seen, kernel)
        grown[0], grown[-1], grown[:, 0], grown[:, -1] = 0, 0, 0, 0
        at = np.flatnonzero(cv2.subtract(grown, seen).view(bool))
        if not at.size:
            break
        near = offsets + at  # (8, n): one row per neighbour, in the order of `moves`
        ys, xs = np.divmod(at, stride)
        ys -= 1
        xs -= 1
        if step == 0:  # the image's own colours: integer sums, exact in any order
            k = seen.reshape(-1)[near]
            pixels = np.ascontiguousarray(rgba).view(np.uint32).reshape(-1)
            inside = np.array([[dy * w + dx] for dy, dx in moves]) + (ys * w + xs)
            rgb = (np.take(pixels, inside, mode="clip") * k).view(np.uint8).reshape(8, -1, 4)
            total = np.add.reduce(rgb, axis=0, dtype=np.uint16)[:, :3].T  # at most 8 * 255
            mean = total / k.sum(axis=0, dtype=np.int32)
        else:  # the last ring's unrounded means (pixels of older rings are never near)
            rows = given[near]
            near_colours = np.take(colours, rows, axis=1)  # (3, 8, n)
            mean = near_colours[:, 0]
            for j in range(1, 8):  # the order of the sum is fixed: the same bits every time
                mean = mean + near_colours[:, j]
            mean /= (rows > 0).sum(axis=0, dtype=np.int32)
        out[ys, xs, :3] = np.round(mean).astype(np.uint8).T
        if step + 1 < steps:
            if not given.size:
                given = np.zeros(seen.size, dtype=np.int32)
            given[at] = np.arange(1, at.size + 1, dtype=np.int32)
            colours = np.concatenate([colours[:, :1], mean], axis=1)
            seen = grown
    return out


def _premultiply(rgba: RgbaArray) -> RgbaArray:
    out = rgba.copy()
    alpha = rgba[:, :, 3:4].astype(np.uint32)
    out[:, :, :3] = ((rgba[:, :, :3].astype(np.uint32) * alpha + 127) // 255).astype(np.uint8)
    return out
