"""Limits checked before anything is decoded: the PSD/PSB header, the PNG header, and
the document budget (how many layers, how many pixels across them).

A PSD starts with a fixed 26-byte header: ``8BPS``, version (1 = PSD, 2 = PSB),
6 reserved bytes, channel count, height, width, bits per channel and colour
mode, all big-endian. :func:`read_header` reads only these bytes and
:func:`check_header` refuses what SpineLift will not open, so a huge or strange
file is turned away before psd-tools parses (or allocates) anything.

:class:`DocumentBudget` bounds what decoding a whole document may cost: after
psd-tools has parsed the layer records (compressed channel data, no pixels), and
before any layer is drawn, :func:`check_budget` counts the drawable layers and the
pixels of their boxes; :func:`check_png_budget` does the same from PNG headers. Every
decoded layer is at most its box, kept as 8-bit RGBA, so a document within the budget
holds at most ``4 * max_pixels`` bytes of layer pixels at once.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from spinelift.errors import (
    DocumentError,
    DocumentTooLargeError,
    ImageLoadError,
    ImageTooLargeError,
    UnsupportedDocumentError,
)

DEFAULT_MAX_CANVAS = 16384
"""largest width or height accepted (Photoshop's own PSD limit is 30000)"""
DEFAULT_MAX_PIXELS = 8192 * 8192
"""largest width x height accepted"""
DEFAULT_MAX_ALLOC_BYTES = 1024**3
"""psd-tools' ceiling on each allocation while decoding (its own default is 4 GiB)"""

COLOR_MODES = {
    0: "Bitmap",
    1: "Grayscale",
    2: "Indexed",
    3: "RGB",
    4: "CMYK",
    7: "Multichannel",
    8: "Duotone",
    9: "Lab",
}
"""the PSD colour modes by header number"""

DEFAULT_MAX_DOCUMENT_LAYERS = 500
"""most drawable layers one document may hold (the web app's default)"""
DEFAULT_MAX_DOCUMENT_PIXELS = 24 * 1024 * 1024
"""most pixels across all layers' boxes (the web app's default: 96 MiB as RGBA)"""
DEFAULT_MAX_LAYER_PIXELS = 4096 * 4096
"""most pixels in one layer's box (drawing one layer costs ~50 bytes per pixel at peak)"""

_HEADER = struct.Struct(">4sH6sHIIHH")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IHDR = struct.Struct(">I4sII")


@dataclass(frozen=True)
class DocumentBudget:
    """What one document may hold: ``max_layers`` drawable layers, ``max_pixels`` pixels
    across their boxes (each layer's box, clipped to the canvas) and ``max_layer_pixels``
    in the largest box."""

    max_layers: int = DEFAULT_MAX_DOCUMENT_LAYERS
    max_pixels: int = DEFAULT_MAX_DOCUMENT_PIXELS
    max_layer_pixels: int = DEFAULT_MAX_LAYER_PIXELS

    def check(self, label: str, layers: int, pixels: int, largest: int = 0) -> None:
        """:class:`DocumentTooLargeError` naming the limit when over one (``largest``:
        the pixels of the largest layer box)."""
        if largest > self.max_layer_pixels:
            raise DocumentTooLargeError(
                f"{label} has a layer of {largest} pixels; the limit is "
                f"{self.max_layer_pixels} per layer (max_layer_pixels): crop or split it",
                details={
                    "source": label,
                    "limit": "max_layer_pixels",
                    "value": largest,
                    "max": self.max_layer_pixels,
                },
            )
        if layers > self.max_layers:
            raise DocumentTooLargeError(
                f"{label} has {layers} layers; the limit is {self.max_layers} "
                "(max_document_layers): merge or remove layers",
                details={
                    "source": label,
                    "limit": "max_document_layers",
                    "value": layers,
                    "max": self.max_layers,
                },
            )
        if pixels > self.max_pixels:
            raise DocumentTooLargeError(
                f"{label} has {pixels} pixels across its layers; the limit is "
                f"{self.max_pixels} (max_document_pixels): crop layers to their content "
                "or split the document",
                details={
                    "source": label,
                    "limit": "max_document_pixels",
                    "value": pixels,
                    "max": self.max_pixels,
                },
            )


@dataclass(frozen=True)
class PsdHeader:
    """The header fields: ``version`` 1 (PSD) or 2 (PSB), ``mode`` a :data:`COLOR_MODES` name."""

    version: int
    channels: int
    width: int
    height: int
    depth: int
    mode: str


def read_header(stream: IO[bytes], label: str) -> PsdHeader:
    """Read the 26-byte header at ``stream``'s position (the position is restored).

    Raises :class:`DocumentError` when the bytes are not a PSD/PSB header.
    """
    start = stream.tell()
    data = stream.read(_HEADER.size)
    stream.seek(start)
    if len(data) < _HEADER.size:
        raise DocumentError(
            f"{label} is not a PSD file (it is empty or shorter than a PSD header)",
            details={"source": label},
        )
    signature, version, _, channels, height, width, depth, mode = _HEADER.unpack(data)
    if signature != b"8BPS":
        raise DocumentError(
            f"{label} is not a PSD or PSB file (no 8BPS signature); save it from Photoshop as .psd",
            details={"source": label},
        )
    if version not in (1, 2) or not 1 <= channels <= 56 or depth not in (1, 8, 16, 32):
        raise DocumentError(
            f"{label} has a damaged PSD header (version {version}, {channels} channels, "
            f"{depth}-bit); re-save it from Photoshop",
            details={"source": label, "version": version, "channels": channels, "depth": depth},
        )
    if mode not in COLOR_MODES:
        raise UnsupportedDocumentError(
            f"{label} uses an unknown colour mode ({mode}); convert it to RGB "
            "(Image > Mode > RGB Color) and save again",
            details={"source": label, "color_mode": mode},
        )
    return PsdHeader(version, channels, width, height, depth, COLOR_MODES[mode])


def check_header(header: PsdHeader, label: str, max_canvas: int, max_pixels: int) -> None:
    """Refuse an empty or too large canvas: :class:`DocumentError` / :class:`ImageTooLargeError`.

    ``details``: source, width, height, max_canvas, max_pixels.
    """
    details = {
        "source": label,
        "width": header.width,
        "height": header.height,
        "max_canvas": max_canvas,
        "max_pixels": max_pixels,
    }
    if header.width <= 0 or header.height <= 0:
        raise DocumentError(
            f"{label} has an empty canvas ({header.width}x{header.height})", details=details
        )
    if max(header.width, header.height) > max_canvas:
        raise ImageTooLargeError(
            f"{label} has a {header.width}x{header.height} px canvas; the limit is "
            f"{max_canvas} px per side (reduce the canvas size in Photoshop)",
            details=details,
        )
    if header.width * header.height > max_pixels:
        raise ImageTooLargeError(
            f"{label} has {header.width * header.height} pixels; the limit is {max_pixels}",
            details=details,
        )


def check_budget(psd: Any, label: str, width: int, height: int, budget: DocumentBudget) -> None:
    """Check a parsed (not yet drawn) psd-tools document against ``budget``: the layers
    that hold pixels (not groups) and their boxes clipped to the ``width`` x ``height``
    canvas. Reads layer records only; no channel is decoded."""
    count = 0
    pixels = 0
    largest = 0
    for layer in psd.descendants():
        if layer.is_group():
            continue
        count += 1
        left, top, right, bottom = (int(v) for v in layer.bbox)
        w = max(0, min(right, width) - max(left, 0))
        h = max(0, min(bottom, height) - max(top, 0))
        pixels += w * h
        largest = max(largest, w * h)
    if count == 0:  # a flat file: its merged image is the one layer
        count, pixels, largest = 1, width * height, width * height
    budget.check(label, count, pixels, largest)


def png_size(head: bytes, label: str) -> tuple[int, int]:
    """(width, height) from the first 24 bytes of a PNG (its IHDR chunk), before any
    decoding; :class:`ImageLoadError` when they are not a PNG header."""
    if len(head) < 24 or not head.startswith(_PNG_SIGNATURE):
        raise ImageLoadError(f"{label} is not a PNG file", details={"source": label})
    _, kind, width, height = _PNG_IHDR.unpack(head[8:24])
    if kind != b"IHDR" or width <= 0 or height <= 0:
        raise ImageLoadError(f"{label} has a damaged PNG header", details={"source": label})
    return int(width), int(height)


def check_png_budget(
    sizes: Iterable[tuple[int, int]], label: str, budget: DocumentBudget, max_side: int
) -> None:
    """PNG files as one document (one layer each, sizes from :func:`png_size`): each side
    at most ``max_side`` (:class:`ImageTooLargeError`), then ``budget``."""
    count = 0
    pixels = 0
    largest = 0
    for width, height in sizes:
        if max(width, height) > max_side:
            raise ImageTooLargeError(
                f"{label}: a {width}x{height} px image; the limit is {max_side} px per side",
                details={"source": label, "width": width, "height": height, "max": max_side},
            )
        count += 1
        pixels += width * height
        largest = max(largest, width * height)
    budget.check(label, count, pixels, largest)
