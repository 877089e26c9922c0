"""Write a layered 8-bit RGB PSD, one channel at a time (bounded memory).

For tests and benchmarks that need documents psd-tools' own writer would need gigabytes
to save (it holds every layer's channels, and the merged image, as Python objects): a
40-layer 4096x4096 document is written here holding one channel of one layer at a time.
Layer channels are ZIP-compressed (compression 2, zlib without prediction: what psd-tools
and Photoshop read); the merged image is an empty (transparent-black) RLE image, which
readers use only for flat files.

Layers are given bottom-most first, as :class:`WriteLayer`: a name, an (h, w, 4) uint8
RGBA image and its canvas position.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

_CHANNELS = (-1, 0, 1, 2)
"""alpha first (as Photoshop writes), then R, G, B; ids index the RGBA image via _PLANE"""
_PLANE = {-1: 3, 0: 0, 1: 1, 2: 2}


@dataclass(frozen=True)
class WriteLayer:
    """One pixel layer: ``rgba`` (h, w, 4) uint8 whose top-left pixel lies at canvas
    (``left``, ``top``)."""

    name: str
    rgba: npt.NDArray[np.uint8]
    left: int = 0
    top: int = 0
    opacity: int = 255
    visible: bool = True


def write_psd(stream: BinaryIO, width: int, height: int, layers: Sequence[WriteLayer]) -> None:
    """Write the document to ``stream`` (a binary file)."""
    if not 1 <= width <= 30000 or not 1 <= height <= 30000:
        raise ValueError(f"a PSD canvas is 1..30000 px per side, not {width}x{height}")
    stream.write(struct.pack(">4sH6sHIIHH", b"8BPS", 1, b"\0" * 6, 3, height, width, 8, 3))
    stream.write(struct.pack(">I", 0))  # colour mode data
    stream.write(struct.pack(">I", 0))  # image resources
    channel_data = [[_zip_channel(layer, c) for c in _CHANNELS] for layer in layers]
    records = b"".join(
        _record(layer, [len(data) for data in channels])
        for layer, channels in zip(layers, channel_data, strict=True)
    )
    info = struct.pack(">h", len(layers)) + records
    body_size = len(info) + sum(len(d) for channels in channel_data for d in channels)
    pad = body_size % 2
    layer_info_size = body_size + pad
    stream.write(struct.pack(">I", 4 + layer_info_size + 4))  # layer and mask section
    stream.write(struct.pack(">I", layer_info_size))
    stream.write(info)
    for channels in channel_data:
        for data in channels:
            stream.write(data)
    stream.write(b"\0" * pad)
    stream.write(struct.pack(">I", 0))  # global layer mask info
    _write_empty_merged(stream, width, height)


def _zip_channel(layer: WriteLayer, channel: int) -> bytes:
    """Compression 2 (zlib) of one channel plane, with its 2-byte compression tag."""
    plane = np.ascontiguousarray(layer.rgba[:, :, _PLANE[channel]])
    return struct.pack(">H", 2) + zlib.compress(plane.tobytes(), 6)


def _record(layer: WriteLayer, lengths: list[int]) -> bytes:
    height, width = int(layer.rgba.shape[0]), int(layer.rgba.shape[1])
    out = struct.pack(
        ">iiiiH", layer.top, layer.left, layer.top + height, layer.left + width, len(_CHANNELS)
    )
    for channel, length in zip(_CHANNELS, lengths, strict=True):
        out += struct.pack(">hI", channel, length)
    flags = 0 if layer.visible else 2
    out += b"8BIM" + b"norm" + struct.pack(">BBBB", layer.opacity, 0, flags, 0)
    name = layer.name.encode("latin-1", "replace")[:255]
    pascal = bytes([len(name)]) + name
    pascal += b"\0" * (-len(pascal) % 4)
    extra = struct.pack(">I", 0) + struct.pack(">I", 0) + pascal  # no mask, no ranges
    return out + struct.pack(">I", len(extra)) + extra


def _write_empty_merged(stream: BinaryIO, width: int, height: int) -> None:
    """An all-zero merged image (3 channels), RLE: each row a few PackBits runs."""
    row = b""
    left = width
    while left > 0:
        run = min(128, left)
        row += bytes([257 - run, 0]) if run > 1 else b"\0\0"
        left -= run
    rows = 3 * height
    stream.write(struct.pack(">H", 1))
    stream.write(struct.pack(">H", len(row)) * rows)
    for _ in range(rows):
        stream.write(row)
