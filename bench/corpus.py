"""Loaders for the benchmark images: corpus parts, PSD layers, the project's sample art.

Every loader yields :class:`Item` (an image to mesh) or :class:`Skipped` (what
could not be loaded, with the reason); none raises for a bad file or layer.

``Item.rgba`` is (H, W, 4) uint8, straight (not premultiplied) alpha.
``HandMesh`` holds an artist's mesh from ``parts/hand_made_meshes.json`` in image
pixels: vertices = uvs x (width, height). Spine's mesh ``uvs`` are relative to the
region with v pointing *down* (0 = top row, like the image), so no y flip is
needed; the corpus check in ``docs/benchmarks.md`` confirms it (flipping v clips
far more pixels on every asymmetric part).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

MAX_DIMENSION = 4096
SETS = ("parts", "parts-more", "psd", "samples")


def shared_dir() -> Path:
    """``$SPINELIFT_SHARED`` if set, else ``<repo>/../shared``."""
    env = os.environ.get("SPINELIFT_SHARED")
    if env:
        return Path(env).resolve()
    return (Path(__file__).resolve().parents[1] / ".." / "shared").resolve()


@dataclass(frozen=True, eq=False)
class HandMesh:
    """A hand-made mesh in image pixels.

    ``vertices`` (n, 2) float64; ``triangles`` (m, 3) int32; the first
    ``hull_count`` vertices are the hull, in order.
    """

    vertices: npt.NDArray[np.float64]
    triangles: npt.NDArray[np.int32]
    hull_count: int
    width: int
    height: int


@dataclass(frozen=True, eq=False)
class Item:
    """One image to mesh: ``rgba`` (H, W, 4) uint8."""

    set: str
    name: str
    rgba: npt.NDArray[np.uint8]
    hand_made: HandMesh | None = None
    note: str = field(default="")


@dataclass(frozen=True)
class Skipped:
    """An image or layer that could not be loaded, and why."""

    set: str
    name: str
    reason: str


Loaded = Item | Skipped


def load(which: str, limit: int | None = None) -> Iterator[Loaded]:
    """Items of one set (``parts``, ``parts-more``, ``psd``, ``samples``) or ``all``;
    at most ``limit`` Items."""
    sets = SETS if which == "all" else (which,)
    count = 0
    for name in sets:
        loaders = {"parts": parts, "parts-more": parts_more, "psd": psd_layers, "samples": samples}
        loader = loaders[name]
        for entry in loader():
            if isinstance(entry, Item):
                if limit is not None and count >= limit:
                    return
                count += 1
            yield entry


def _read_png(path: Path) -> npt.NDArray[np.uint8]:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()


def parts(root: Path | None = None, folder: str = "parts") -> Iterator[Loaded]:
    """The 32 character parts with their hand-made meshes (sorted by file name).

    ``folder`` names another set in the same form (``parts-more``: 161 parts).
    """
    base = (root or shared_dir() / "corpus") / folder
    try:
        entries = json.loads((base / "hand_made_meshes.json").read_text())
    except Exception as exc:  # the bench reports it and goes on
        yield Skipped(folder, str(base), f"{type(exc).__name__}: {exc}")
        return
    for entry in sorted(entries, key=lambda e: e["image"]):
        name = Path(entry["image"]).stem
        try:
            rgba = _read_png(base / "images" / entry["image"])
            hand = hand_mesh(entry["mesh"])
            if (hand.width, hand.height) != (rgba.shape[1], rgba.shape[0]):
                raise ValueError(
                    f"mesh is {hand.width}x{hand.height}, image {rgba.shape[1]}x{rgba.shape[0]}"
                )
        except Exception as exc:
            yield Skipped(folder, name, f"{type(exc).__name__}: {exc}")
            continue
        yield Item(folder, name, rgba, hand)


def parts_more(root: Path | None = None) -> Iterator[Loaded]:
    """The 161 parts of ``parts-more`` (other artists), like :func:`parts`."""
    return parts(root, "parts-more")


def hand_mesh(mesh: dict[str, object]) -> HandMesh:
    """A Spine mesh attachment's ``uvs``/``triangles``/``hull``/``width``/``height`` in pixels."""
    w, h = int(mesh["width"]), int(mesh["height"])  # type: ignore[call-overload]
    uvs = np.asarray(mesh["uvs"], dtype=np.float64).reshape(-1, 2)
    tris = np.asarray(mesh["triangles"], dtype=np.int32).reshape(-1, 3)
    verts = uvs * np.array([w, h], dtype=np.float64)  # v is down, like image rows
    return HandMesh(verts, tris, int(mesh["hull"]), w, h)  # type: ignore[call-overload]


def psd_layers(root: Path | None = None) -> Iterator[Loaded]:
    """Every layer with pixels of every PSD/PSB in the corpus (groups are skipped).

    Each file and each layer is tried on its own: an exception becomes a
    :class:`Skipped` with the reason; so do layers with an empty bounding box or
    larger than :data:`MAX_DIMENSION`.
    """
    base = (root or shared_dir() / "corpus") / "psd"
    files = sorted(p for p in base.iterdir() if p.suffix.lower() in (".psd", ".psb"))
    for path in files:
        try:
            from psd_tools import PSDImage

            doc = PSDImage.open(path)
            layers = list(doc.descendants())
        except Exception as exc:
            yield Skipped("psd", path.name, f"file: {type(exc).__name__}: {exc}")
            continue
        for index, layer in enumerate(layers):
            name = f"{path.name}#{index}:{getattr(layer, 'name', '?')}"
            try:
                if layer.is_group():
                    continue
                left, top, right, bottom = layer.bbox
                w, h = right - left, bottom - top
                if w <= 0 or h <= 0:
                    yield Skipped("psd", name, f"empty bbox ({layer.kind})")
                    continue
                if max(w, h) > MAX_DIMENSION:
                    yield Skipped("psd", name, f"{w}x{h} larger than {MAX_DIMENSION}")
                    continue
                if not layer.has_pixels():
                    yield Skipped("psd", name, f"no pixels ({layer.kind})")
                    continue
                image = layer.topil()
                if image is None:
                    yield Skipped("psd", name, f"topil() gave nothing ({layer.kind})")
                    continue
                rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8).copy()
            except Exception as exc:
                yield Skipped("psd", name, f"layer: {type(exc).__name__}: {exc}")
                continue
            yield Item("psd", name, rgba, note=str(layer.kind))


def samples() -> Iterator[Loaded]:
    """The layers of ``spinelift.samples.draw_character()``, if that module exists."""
    try:
        from spinelift.samples import draw_character

        layers = list(draw_character())
    except Exception as exc:
        yield Skipped("samples", "draw_character", f"unavailable: {type(exc).__name__}: {exc}")
        return
    for layer in layers:
        try:
            rgba = np.ascontiguousarray(np.asarray(layer.rgba, dtype=np.uint8))
            if rgba.ndim != 3 or rgba.shape[2] != 4:
                raise ValueError(f"rgba has shape {rgba.shape}")
        except Exception as exc:
            yield Skipped("samples", str(getattr(layer, "name", "?")), str(exc))
            continue
        yield Item("samples", str(layer.name), rgba)
