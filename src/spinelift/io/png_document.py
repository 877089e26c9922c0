"""PNG files -> a Document, so ``spinelift convert`` takes a PNG or a folder of PNGs too.

Each PNG is one layer. PNGs of the canvas's size (layers exported from an art
tool with "trim" off) keep their place on the canvas; every layer is trimmed to
its visible pixels with its offset kept. The canvas is the largest image.
Layers are stacked in file-name order, the first at the bottom.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from spinelift.errors import InvalidParametersError
from spinelift.io.document import Document, Layer
from spinelift.io.image import read_image
from spinelift.io.psd.tags import parse_name

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png_document(paths: Sequence[Path], *, name: str, max_dimension: int = 8192) -> Document:
    """One layer per PNG (names from the file names, tags included); raises an
    :class:`~spinelift.errors.ImageLoadError` subclass for a bad file."""
    if not paths:
        raise InvalidParametersError("no PNG file to convert")
    return _document([(p, read_image(p, max_dimension=max_dimension)) for p in paths], name)


def read_png_bytes(data: bytes, *, name: str, max_dimension: int = 8192) -> Document:
    """A one-layer Document from a PNG file's bytes (an upload); the layer is named
    after ``name``'s stem."""
    return _document([(Path(name), read_image(data, max_dimension=max_dimension))], name)


def _document(images: list[tuple[Path, np.ndarray]], name: str) -> Document:
    width = max(int(img.shape[1]) for _, img in images)
    height = max(int(img.shape[0]) for _, img in images)
    layers = []
    skipped = []
    for index, (path, rgba) in enumerate(images):
        parsed = parse_name(path.stem)
        rows = np.flatnonzero(rgba[:, :, 3].any(axis=1))
        cols = np.flatnonzero(rgba[:, :, 3].any(axis=0))
        if rows.size == 0:
            skipped.append((path.name, "no visible pixel"))
            continue
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        layers.append(
            Layer(
                name=parsed.name or path.stem,
                raw_name=path.stem,
                rgba=np.ascontiguousarray(rgba[top:bottom, left:right]),
                left=int(left),
                top=int(top),
                opacity=1.0,
                blend_mode="normal",
                psd_blend_mode="normal",
                visible=True,
                has_mask=False,
                kind="pixel",
                group_path=(),
                group_tags=(),
                tags=parsed.tags,
                index=index,
            )
        )
    return Document(width, height, tuple(layers), name, skipped=tuple(skipped))
