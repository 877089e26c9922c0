"""Tiny images and a hand-made mesh for the io tests (made here, never third-party art)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import numpy as np
import pytest

from spinelift.core.mesh import Mesh


def _png_bytes(
    width: int, height: int, *, bit_depth: int = 8, colour_type: int = 6, rows: bytes = b""
) -> bytes:
    """A PNG written by hand: IHDR with any size claim, an IDAT of ``rows`` if given, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    body = chunk(b"IHDR", header)
    if rows:
        body += chunk(b"IDAT", zlib.compress(rows))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


PngBytes = Callable[..., bytes]


@pytest.fixture
def png_bytes() -> PngBytes:
    """``png_bytes(width, height, *, bit_depth=8, colour_type=6, rows=b"")``: see
    :func:`_png_bytes`."""
    return _png_bytes


@pytest.fixture
def ring() -> tuple[np.ndarray, Mesh]:
    """A 12 x 10 RGBA image of an orange ring and its mesh: hull, a hole, interior edges."""
    image = np.zeros((10, 12, 4), dtype=np.uint8)
    image[1:9, 1:11] = (200, 120, 60, 255)
    image[3:7, 4:8] = 0
    vertices = np.array(
        [[1, 1], [11, 1], [11, 9], [1, 9], [4, 3], [4, 7], [8, 7], [8, 3]], dtype=np.float64
    )
    triangles = np.array(
        [[0, 1, 7], [0, 7, 4], [1, 2, 6], [1, 6, 7], [2, 3, 5], [2, 5, 6], [3, 0, 4], [3, 4, 5]],
        dtype=np.int32,
    )
    edges = np.array(
        [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4]], dtype=np.int32
    )
    return image, Mesh(vertices, triangles, 4, edges, 12, 10)
