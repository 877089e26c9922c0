"""Is the whole PSD there? The top-level sections' lengths checked against the file's size.

psd-tools reads a cut file leniently: a PSD truncated in its layer records or its merged
image often parses, with layers or pixels silently missing. A PSD's top level is five
sections one after another (Adobe's file format specification): the 26-byte header;
colour mode data, image resources and layer and mask information, each a length (4 bytes,
8 for the last in a PSB) and that many bytes; then the merged image data, a 2-byte
compression method and the pixels. :func:`check_complete` walks the lengths without
reading the sections and refuses a file that ends before its layer information does,
with the same :class:`DocumentError` as any damaged file. The merged image matters only
to a document without layers (it becomes the one layer) and some writers leave it short,
so a short merged image is returned, not raised, for the reader to raise when it uses
it. What the format lets us know of its size: raw data has a fixed size, RLE data a table
of row byte counts whose sum is its size; ZIP data is checked only for being present.
"""

from __future__ import annotations

import struct
from typing import IO

from spinelift.errors import DocumentError
from spinelift.io.psd.limits import PsdHeader

HEADER_BYTES = 26
RAW, RLE = 0, 1


def check_complete(stream: IO[bytes], header: PsdHeader, label: str) -> DocumentError | None:
    """Raise :class:`DocumentError` when ``stream`` (positioned at the header, a seekable
    binary stream) ends before the PSD's layer information does; return the error for a
    merged image cut short (``None`` when it is whole). The position is restored."""
    start = stream.tell()
    try:
        size = stream.seek(0, 2) - start
        offset = HEADER_BYTES
        for section in ("colour mode data", "image resources"):
            offset = _skip(stream, start, offset, size, label, section, wide=False)
        offset = _skip(
            stream, start, offset, size, label, "layer information", wide=header.version == 2
        )
        try:
            _check_image_data(stream, start, offset, size, header, label)
        except DocumentError as short:
            return short
        return None
    finally:
        stream.seek(start)


def _skip(
    stream: IO[bytes], start: int, offset: int, size: int, label: str, section: str, *, wide: bool
) -> int:
    """The offset after the length-prefixed section at ``offset``."""
    field = 8 if wide else 4
    length = _read_int(stream, start, offset, field, size, label, section)
    end = offset + field + length
    if end > size:
        raise _truncated(label, section, size, end)
    return end


def _check_image_data(
    stream: IO[bytes], start: int, offset: int, size: int, header: PsdHeader, label: str
) -> None:
    compression = _read_int(stream, start, offset, 2, size, label, "merged image")
    rows = header.channels * header.height
    if compression == RAW:
        end = offset + 2 + rows * ((header.width * header.depth + 7) // 8)
    elif compression == RLE:
        count_bytes = 4 if header.version == 2 else 2
        table_end = offset + 2 + rows * count_bytes
        if table_end > size:
            raise _truncated(label, "merged image", size, table_end)
        stream.seek(start + offset + 2)
        counts = struct.unpack(
            f">{rows}{'I' if count_bytes == 4 else 'H'}", stream.read(table_end - offset - 2)
        )
        end = table_end + sum(counts)
    else:  # ZIP, with or without prediction: its size is not written down
        return
    if end > size:
        raise _truncated(label, "merged image", size, end)


def _read_int(
    stream: IO[bytes], start: int, offset: int, width: int, size: int, label: str, section: str
) -> int:
    if offset + width > size:
        raise _truncated(label, section, size, offset + width)
    stream.seek(start + offset)
    return int.from_bytes(stream.read(width), "big")


def _truncated(label: str, section: str, size: int, needed: int) -> DocumentError:
    return DocumentError(
        f"{label} is truncated: its {section} needs {needed} bytes but the file has {size};"
        " the file is damaged or was cut short, save it again from Photoshop",
        details={"source": label, "reason": "truncated", "section": section, "size": size},
    )
