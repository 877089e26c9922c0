"""Reading images into RGBA arrays, safely, writing PNGs atomically, and clearing the
colour of transparent pixels (:func:`zero_transparent`).

:func:`read_image` looks at the header before decoding: an image larger than the
limits is refused without allocating its pixels, Pillow's decompression-bomb
warnings are errors, and every failure is one of SpineLift's errors with a message
a person can act on.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from spinelift.atomic import write_atomic
from spinelift.errors import ImageLoadError, ImageTooLargeError, UnsupportedImageError
from spinelift.io.files import open_path

RgbaArray = npt.NDArray[np.uint8]

DEFAULT_MAX_DIMENSION = 4096
DEFAULT_MAX_PIXELS = 4096 * 4096
SUPPORTED_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF", "TGA")
"""Pillow format names :func:`read_image` opens; anything else is refused unread."""

_VIA_RGBA = frozenset({"RGBA", "RGB", "LA", "L", "P", "PA", "1", "RGBa", "La"})
_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

ImageSource = str | os.PathLike[str] | bytes


def read_image(
    source: ImageSource,
    *,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> RgbaArray:
    """Decode an image file (a path, or its bytes) into ``(H, W, 4) uint8`` RGBA.

    Accepted formats: :data:`SUPPORTED_FORMATS`; of an animation, the first frame.
    Modes: RGBA as is; RGB, L and CMYK get opaque alpha; LA, P/PA (palette
    transparency honoured) and 1 are converted; 16-bit greyscale (``I;16*``, and ``I``
    read as 16-bit, values clipped to 0-65535) is scaled to 8 bits by rounding
    ``value / 257``.

    Raises, before decoding any pixel when it can:
    :class:`ImageTooLargeError` if width or height exceeds ``max_dimension`` or
    width x height exceeds ``max_pixels`` (``details``: width, height, max_dimension,
    max_pixels), also for Pillow's decompression-bomb warnings;
    :class:`UnsupportedImageError` for any other mode (``details["mode"]``);
    :class:`ImageLoadError` for missing, unreadable, empty, corrupt, truncated or
    non-image input. Never anything else.
    """
    label = "image data" if isinstance(source, bytes) else Path(source).name
    with _opened(source, label, max_dimension, max_pixels) as (image, stream):
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(label, stream, exc, max_dimension, max_pixels) from exc
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise _corrupt(label, exc) from exc
        return _to_rgba(image, label)


def probe_image(
    data: bytes,
    *,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[int, int]:
    """``(width, height)`` of an image from its header, checked like :func:`read_image`
    checks it, without decoding the pixels (a cheap check before queueing work).

    Raises :class:`ImageTooLargeError` or :class:`ImageLoadError` as :func:`read_image`.
    """
    with _opened(data, "image data", max_dimension, max_pixels) as (image, _):
        return image.size


FAST_PNG_LEVEL = 1
"""the default: run-length deflate after PNG's row filters, several times faster than
zlib's default level and about as small on layer art, atlas pages and previews (flat
colours, transparent space)"""


def write_png(
    path: str | os.PathLike[str], rgba: RgbaArray, *, compress_level: int = FAST_PNG_LEVEL
) -> Path:
    """Write ``rgba`` (``(H, W, 4) uint8``, or ``(H, W, 3)`` RGB for an opaque picture)
    as a PNG, atomically; return the path.

    Encoded by :func:`encode_png` (deterministic: same pixels, same bytes). The
    encoder releases the GIL, so several PNGs can be encoded at once in threads.
    Raises ``ValueError`` for an array of another shape or type (a programming error)
    and ``OSError`` when the file cannot be written.
    """
    return write_atomic(path, encode_png(rgba, compress_level=compress_level))


def encode_png(rgba: RgbaArray, *, compress_level: int = FAST_PNG_LEVEL) -> bytes:
    """``rgba`` (``(H, W, 4) uint8``) as 8-bit RGBA PNG bytes (no ancillary chunks); an
    ``(H, W, 3)`` array (an opaque picture) as 8-bit RGB.

    libpng, through OpenCV. ``compress_level`` 0-9 is zlib's: 0 stores; 1-5 use PNG's
    "up" row filter and deflate with run-length matches only (zlib's ``Z_RLE``): about
    four times faster than the defaults and within a few per cent of their size on layer
    art, atlas pages and previews (flat colours, transparent space); the level makes no
    difference in that mode. 6-9: libpng's adaptive filters and zlib's full matching
    (smaller on noisy pictures, several times slower). Deterministic for a given level;
    decoders see exactly ``rgba``. Raises ``ValueError`` for an array of another shape
    or type, or a level outside 0-9.
    """
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] not in (3, 4) or 0 in rgba.shape:
        raise ValueError(
            f"a PNG needs an (H, W, 4) or (H, W, 3) uint8 array, got {rgba.shape} {rgba.dtype}"
        )
    if not 0 <= compress_level <= 9:
        raise ValueError(f"compress_level must be 0-9, got {compress_level}")
    params = [cv2.IMWRITE_PNG_COMPRESSION, compress_level]
    if compress_level < 6:
        params += [cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
    swap = cv2.COLOR_RGBA2BGRA if rgba.shape[2] == 4 else cv2.COLOR_RGB2BGR  # OpenCV's order
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgba, swap), params)
    if not ok:  # libpng refuses only what the checks above already refused
        raise ValueError(f"OpenCV could not encode a {rgba.shape} image as PNG")
    return data.tobytes()


@contextmanager
def _opened(
    source: ImageSource, label: str, max_dimension: int, max_pixels: int
) -> Iterator[tuple[Image.Image, IO[bytes]]]:
    """The image opened lazily (header read, no pixel decoded) and its size checked, with
    Pillow's decompression-bomb warning turned into an error while it is open."""
    with _open_source(source, label) as stream, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(stream, formats=SUPPORTED_FORMATS)
        except UnidentifiedImageError as exc:
            raise _unidentified(label, stream) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(label, stream, exc, max_dimension, max_pixels) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _corrupt(label, exc) from exc
        with image:
            _check_size(label, image.size, max_dimension, max_pixels)
            yield image, stream


@contextmanager
def _open_source(source: ImageSource, label: str) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes):
        if not source:
            raise ImageLoadError("the image data is empty", details={"source": label})
        yield io.BytesIO(source)
        return
    with open_path(source, ImageLoadError, "an image") as handle:
        yield handle


def _check_size(label: str, size: tuple[int, int], max_dimension: int, max_pixels: int) -> None:
    width, height = size
    details: dict[str, Any] = {
        "source": label,
        "width": width,
        "height": height,
        "max_dimension": max_dimension,
        "max_pixels": max_pixels,
    }
    if width <= 0 or height <= 0:
        raise ImageLoadError(f"{label} has no pixels ({width}x{height})", details=details)
    if max(width, height) > max_dimension:
        raise ImageTooLargeError(
            f"{label} is {width}x{height} px; the limit is {max_dimension} px per side "
            "(scale it down or raise --max-dimension)",
            details=details,
        )
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"{label} has {width * height} pixels; the limit is {max_pixels}",
            details=details,
        )


def _to_rgba(image: Image.Image, label: str) -> RgbaArray:
    mode = image.mode
    if mode == "CMYK":
        image = image.convert("RGB")
        mode = "RGB"
    if mode in _VIA_RGBA:
        rgba = image if mode == "RGBA" else image.convert("RGBA")
        return np.array(rgba, dtype=np.uint8, copy=True)
    if mode in _SIXTEEN_BIT:
        wide = np.asarray(image).astype(np.float64)
        grey = np.rint(np.clip(wide, 0, 65535) / 257.0).astype(np.uint8)
        alpha = np.full_like(grey, 255)
        return np.ascontiguousarray(np.stack([grey, grey, grey, alpha], axis=-1))
    raise UnsupportedImageError(
        f"{label} uses colour mode {mode!r}, which SpineLift does not read; "
        "save it as 8-bit RGBA PNG",
        details={"source": label, "mode": mode},
    )


def _bomb(
    label: str, stream: IO[bytes], exc: BaseException, max_dimension: int, max_pixels: int
) -> ImageTooLargeError:
    """The error for Pillow's decompression-bomb guard (it fires inside ``Image.open``,
    before :func:`_check_size` can): a PNG's declared size gets :func:`_check_size`'s
    message and details; other formats keep Pillow's reason."""
    size = _declared_png_size(stream)
    if size is not None:
        try:
            _check_size(label, size, max_dimension, max_pixels)
        except ImageTooLargeError as too_large:
            too_large.details["reason"] = str(exc)
            return too_large
        except ImageLoadError:
            pass
    return ImageTooLargeError(
        f"{label} is too large to decode safely ({exc})",
        details={"source": label, "max_pixels": max_pixels, "reason": str(exc)},
    )


def _unidentified(label: str, stream: IO[bytes]) -> ImageLoadError:
    """The error for bytes Pillow does not recognise; a PNG whose header declares no
    pixels (0 wide or 0 high, which Pillow also refuses to identify) is named as such."""
    size = _declared_png_size(stream)
    if size is not None and 0 in size:
        width, height = size
        return ImageLoadError(
            f"{label} is a PNG of {width}x{height} pixels: an image needs at least one pixel",
            details={"source": label, "width": width, "height": height},
        )
    formats = ", ".join(SUPPORTED_FORMATS)
    return ImageLoadError(
        f"{label} is not an image SpineLift can read (accepted: {formats}); "
        "check the file is not empty, truncated or of another type",
        details={"source": label},
    )


def _declared_png_size(stream: IO[bytes]) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG's IHDR, or ``None`` if the bytes are not a PNG."""
    try:
        stream.seek(0)
        head = stream.read(24)
    except (OSError, ValueError):
        return None
    if len(head) < 24 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _corrupt(label: str, exc: BaseException) -> ImageLoadError:
    reason = str(exc) or type(exc).__name__
    return ImageLoadError(
        f"{label} could not be decoded ({reason}); the file is damaged or truncated, re-export it",
        details={"source": label, "reason": reason},
    )


def zero_transparent(rgba: RgbaArray) -> RgbaArray:
    """``rgba`` with every pixel of alpha 0 set to (0, 0, 0, 0): a new array, others kept
    as they are (OpenCV's masked AND: several times faster than boolean indexing)."""
    image = np.ascontiguousarray(rgba)
    seen = (image[..., 3] != 0).view(np.uint8)
    out: RgbaArray = np.asarray(cv2.bitwise_and(image, image, mask=seen), dtype=np.uint8)
    return out
