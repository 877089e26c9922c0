"""The PSD/PSB file header, read and checked before anything is decoded.

A PSD starts with a fixed 26-byte header: ``8BPS``, version (1 = PSD, 2 = PSB),
6 reserved bytes, channel count, height, width, bits per channel and colour
mode, all big-endian. :func:`read_header` reads only these bytes and
:func:`check_header` refuses what SpineLift will not open, so a huge or strange
file is turned away before psd-tools parses (or allocates) anything.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

from spinelift.errors import DocumentError, ImageTooLargeError, UnsupportedDocumentError

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

_HEADER = struct.Struct(">4sH6sHIIHH")


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
