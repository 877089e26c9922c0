"""Seed files and structure-aware mutations for fuzzing the readers.

Shared by ``tests/fuzz/test_fuzz_readers.py`` (Hypothesis draws the mutations) and
``bench/fuzz_readers.py`` (atheris draws them, coverage-guided). Everything here is
pure bytes in, bytes out, and deterministic: a mutation is a list of :data:`Op`
applied in order by :func:`apply`.

Besides blind edits (flip, truncate, insert, delete, duplicate), :func:`psd_fields`
and :func:`png_fields` locate the integer fields that size things (canvas width and
height, depth, channels, colour mode, section and record lengths, layer count,
layer bounds, channel lengths, chunk lengths, IHDR fields) so that a ``field`` op can
overwrite one of them with an extreme value: that is where a reader that trusts a
declared size allocates too much or indexes out of range.
"""

from __future__ import annotations

import contextlib
import io
import struct
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

PSD_SEEDS = (
    "1layer.psd",
    "transparentbg-gimp.psd",
    "third-party-psds/cactus_top.psd",
    "16bit5x5.psd",
    "16bit5x5.psb",
    "2layers.psb",
    "layers-minimal/pixel-layer.psd",
    "colormodes/4x4_8bit_grayscale.psd",
    "colormodes/4x4_1bit_bitmap.psd",
)
"""small corpus files (paths under ``corpus/psd``): PSD and PSB, 8/16/1-bit, several modes"""

EXTREMES = (0, 1, 2, 3, 0x7F, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
"""values a ``field`` op writes (truncated to the field's width)"""


@dataclass(frozen=True)
class Field:
    """An unsigned big-endian integer field: ``width`` bytes at ``offset``."""

    offset: int
    width: int
    name: str


Op = tuple[str, int, int, bytes]
"""``(kind, a, b, payload)``; kind is one of flip, truncate, insert, delete, duplicate,
field (``a``: field index, ``b``: index into :data:`EXTREMES` or a raw value)."""


def apply(data: bytes, ops: list[Op], fields: list[Field]) -> bytes:
    """``data`` with each op applied in order. Positions wrap modulo the current length,
    so any integers make a valid op; ``fields`` are the seed's (offsets shift after
    an insert or delete, which is fine: it is still a mutation)."""
    out = bytearray(data)
    for kind, a, b, payload in ops:
        size = len(out)
        if kind == "flip" and size:
            out[a % size] ^= (b % 255) + 1
        elif kind == "truncate":
            del out[a % (size + 1) :]
        elif kind == "insert":
            position = a % (size + 1)
            out[position:position] = payload
        elif kind == "delete" and size:
            position = a % size
            del out[position : position + 1 + b % 4096]
        elif kind == "duplicate" and size:
            position = a % size
            piece = out[position : position + 1 + b % 4096]
            out[position:position] = piece
        elif kind == "field" and fields:
            target = fields[a % len(fields)]
            value = EXTREMES[b] if 0 <= b < len(EXTREMES) else b
            value %= 1 << (8 * target.width)
            end = target.offset + target.width
            if end <= len(out):
                out[target.offset : end] = value.to_bytes(target.width, "big")
    return bytes(out)


def fix_png_crcs(data: bytes) -> bytes:
    """Recompute every chunk CRC of a (possibly mutated) PNG, so a mutation reaches the
    decoder instead of stopping at the checksum. Bytes past a damaged chunk are kept."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data
    out = bytearray(data)
    position = 8
    while position + 8 <= len(out):
        length = int.from_bytes(out[position : position + 4], "big")
        end = position + 8 + length
        if end + 4 > len(out):
            break
        crc = zlib.crc32(bytes(out[position + 4 : end])) & 0xFFFFFFFF
        out[end : end + 4] = crc.to_bytes(4, "big")
        position = end + 4
    return bytes(out)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, data and a correct CRC."""
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_fields(data: bytes) -> list[Field]:
    """The IHDR fields and every chunk's length field of a PNG."""
    fields = [
        Field(16, 4, "IHDR width"),
        Field(20, 4, "IHDR height"),
        Field(24, 1, "IHDR bit depth"),
        Field(25, 1, "IHDR colour type"),
        Field(26, 1, "IHDR compression"),
        Field(28, 1, "IHDR interlace"),
    ]
    position = 8
    while position + 8 <= len(data):
        kind = data[position + 4 : position + 8].decode("latin-1")
        fields.append(Field(position, 4, f"{kind} length"))
        position += 12 + int.from_bytes(data[position : position + 4], "big")
    return [f for f in fields if f.offset + f.width <= len(data)]


def psd_fields(data: bytes) -> list[Field]:
    """The header fields, section lengths, layer count and every layer record's bounds,
    channel count, channel lengths and sub-lengths of a PSD/PSB (best effort: the
    walk stops where the file stops making sense)."""
    fields = [
        Field(4, 2, "version"),
        Field(12, 2, "channels"),
        Field(14, 4, "height"),
        Field(18, 4, "width"),
        Field(22, 2, "depth"),
        Field(24, 2, "colour mode"),
    ]
    with contextlib.suppress(IndexError, ValueError, struct.error):
        _walk_psd(data, fields)
    return [f for f in fields if f.offset + f.width <= len(data)]


def _walk_psd(data: bytes, fields: list[Field]) -> None:
    big = data[4:6] == b"\x00\x02"
    wide = 8 if big else 4

    def number(offset: int, width: int) -> int:
        if offset + width > len(data):
            raise IndexError(offset)
        return int.from_bytes(data[offset : offset + width], "big")

    position = 26
    for name in ("colour mode data", "image resources"):
        fields.append(Field(position, 4, f"{name} length"))
        position += 4 + number(position, 4)
    fields.append(Field(position, wide, "layer and mask info length"))
    position += wide
    fields.append(Field(position, wide, "layer info length"))
    position += wide
    fields.append(Field(position, 2, "layer count"))
    count = abs(struct.unpack(">h", data[position : position + 2])[0])
    position += 2
    for layer in range(min(count, 64)):
        for side in ("top", "left", "bottom", "right"):
            fields.append(Field(position, 4, f"layer {layer} {side}"))
            position += 4
        fields.append(Field(position, 2, f"layer {layer} channel count"))
        channels = number(position, 2)
        position += 2
        for channel in range(min(channels, 64)):
            fields.append(Field(position + 2, wide, f"layer {layer} channel {channel} length"))
            position += 2 + wide
        position += 12  # blend signature and key, opacity, clipping, flags, filler
        fields.append(Field(position, 4, f"layer {layer} extra data length"))
        extra_end = position + 4 + number(position, 4)
        position += 4
        for name in ("mask data", "blending ranges"):
            fields.append(Field(position, 4, f"layer {layer} {name} length"))
            position += 4 + number(position, 4)
        name_length = number(position, 1)
        position += (1 + name_length + 3) // 4 * 4
        while position + 12 <= extra_end:
            fields.append(Field(position + 8, 4, f"layer {layer} tagged block length"))
            length = number(position + 8, 4)
            position += 12 + length + (length & 1)
        position = extra_end


def seed_pngs() -> dict[str, bytes]:
    """Small PNGs made here: RGBA, RGB, L, P (with transparency), LA, 16-bit grey,
    16-bit RGBA, 1-bit and an interlaced RGBA."""
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, (9, 11, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(rgba[..., 3] > 100, 255, 0)
    seeds: dict[str, bytes] = {}

    def save(name: str, image: Image.Image, **options: object) -> None:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", **options)
        seeds[name] = buffer.getvalue()

    base = Image.fromarray(rgba, "RGBA")
    save("rgba.png", base)
    save("rgb.png", base.convert("RGB"))
    save("l.png", base.convert("L"))
    save("la.png", base.convert("LA"))
    save("p.png", base.convert("P"), transparency=0)
    save("one_bit.png", base.convert("1"))
    save("interlaced.png", base, interlace=1)
    grey16 = rng.integers(0, 65536, (7, 5), dtype=np.uint16)
    save("grey16.png", Image.fromarray(grey16))
    seeds["rgba16.png"] = _rgba16_png(rng.integers(0, 65536, (4, 6, 4), dtype=np.uint16))
    return seeds


def _rgba16_png(pixels: np.ndarray) -> bytes:
    """A 16-bit RGBA PNG written by hand (Pillow does not write that mode)."""
    height, width = pixels.shape[:2]
    big_endian = pixels.astype(">u2").tobytes()
    row = width * 8
    rows = b"".join(b"\x00" + big_endian[y * row : (y + 1) * row] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def seed_psds(corpus: Path | None) -> dict[str, bytes]:
    """The project's own sample PSD (scale 0.1) plus :data:`PSD_SEEDS` found under
    ``corpus`` (the ``corpus/psd`` folder; ``None`` or missing files: left out)."""
    from spinelift.io.psd import write_sample_psd

    seeds: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = write_sample_psd(Path(folder) / "sample.psd", scale=0.1)
        seeds["sample.psd"] = path.read_bytes()
    if corpus is not None:
        for relative in PSD_SEEDS:
            file = corpus / relative
            if file.is_file():
                seeds[relative] = file.read_bytes()
    return seeds
