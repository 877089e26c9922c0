"""Save the bundled sample character as PNG layers: ``make_sample_art.py OUT_DIR``.

Writes, all 8-bit RGBA PNG:

- ``OUT_DIR/layers/<name>.png``: one trimmed image per body part;
- ``OUT_DIR/composite.png``: every part drawn over the others on the canvas;
- ``OUT_DIR/layers.json``: the canvas size and, back to front, each part's
  ``name``, ``file`` (relative to OUT_DIR), ``left``, ``top``, ``width``, ``height``.

The drawing itself is :mod:`spinelift.samples` (pure, deterministic); this
script only writes files, so the same scale gives byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image

from spinelift.samples import canvas_size, composite, draw_character


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--scale", type=float, default=1.0, help="0.1-2 (default 1: 512x768)")
    args = parser.parse_args(argv)

    out: Path = args.out_dir
    layer_dir = out / "layers"
    layer_dir.mkdir(parents=True, exist_ok=True)
    layers = draw_character(args.scale)
    size = canvas_size(args.scale)
    listing = []
    for layer in layers:
        path = layer_dir / f"{layer.name}.png"
        Image.fromarray(layer.rgba).save(path)
        listing.append(
            {
                "name": layer.name,
                "file": path.relative_to(out).as_posix(),
                "left": layer.left,
                "top": layer.top,
                "width": layer.width,
                "height": layer.height,
            }
        )
    Image.fromarray(composite(layers, size)).save(out / "composite.png")
    document = {"canvas": {"width": size[0], "height": size[1]}, "layers": listing}
    (out / "layers.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(layers)} layers, composite.png and layers.json to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
