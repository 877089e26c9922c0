"""The convert benchmark's character PSD: 38 real character parts on a 2048x1112 canvas.

Built at bench time from the shared corpus (``parts/images``: all 32; then the first 6
of ``parts-more/images`` by name), never committed: the art stays in ``../shared``.
The parts are laid out on shelves, tallest first, 2 px from the canvas edge, each a
pixel layer named after its file, so the file is what an artist's character sheet
looks like to a converter: ~4.6 Mpx of anti-aliased parts, some with several islands.

    python -m bench.character_psd build/character-38.psd
"""

from __future__ import annotations

import argparse
from io import BytesIO
from pathlib import Path

from PIL import Image
from psd_tools import PSDImage

from bench.corpus import shared_dir

WIDTH = 2048
MARGIN = 2
PARTS_MORE = 6


def part_files(root: Path | None = None) -> list[Path]:
    """The 38 PNGs, in layer order (bottom first): the parts, then 6 of parts-more."""
    corpus = (root or shared_dir()) / "corpus"
    parts = sorted((corpus / "parts" / "images").glob("*.png"))
    more = sorted((corpus / "parts-more" / "images").glob("*.png"))[:PARTS_MORE]
    if not parts:
        raise FileNotFoundError(f"no corpus parts in {corpus} (set SPINELIFT_SHARED)")
    return parts + more


def layout(sizes: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], int]:
    """Shelf layout of ``sizes`` (w, h), tallest first: (left, top) per size and the
    canvas height."""
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i][1], i))
    places: list[tuple[int, int]] = [(0, 0)] * len(sizes)
    x = y = shelf = 0
    for i in order:
        w, h = sizes[i]
        if x + w > WIDTH - 2 * MARGIN:
            x, y, shelf = 0, y + shelf, 0
        places[i] = (MARGIN + x, MARGIN + y)
        x += w
        shelf = max(shelf, h)
    return places, y + shelf + 2 * MARGIN


def build(path: Path, root: Path | None = None) -> Path:
    """Write the character PSD to ``path`` (folders made) and return it; deterministic."""
    files = part_files(root)
    images = [Image.open(f).convert("RGBA") for f in files]
    places, height = layout([im.size for im in images])
    psd = PSDImage.new("RGB", (WIDTH, height), color=(255, 255, 255))
    for file, image, (left, top) in zip(files, images, places, strict=True):
        psd.create_pixel_layer(image, name=file.stem.replace("__", "-"), top=top, left=left)
    buffer = BytesIO()
    psd.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, nargs="?", default=Path("build/character-38.psd"))
    args = parser.parse_args(argv)
    path = build(args.output)
    psd = PSDImage.open(path)
    print(f"{path}: {psd.width}x{psd.height}, {len(list(psd.descendants()))} layers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
