"""Convert speed: ``spinelift convert`` against the floor of decoding the PSD's layers.

For each PSD it times, best of ``--runs``:

* **decode floor**: psd-tools alone opening the file and decoding every pixel
  layer's stored raster to an array (``layer.numpy()``): what any PSD tool pays;
* **composite floor**: psd-tools drawing every layer as Photoshop shows it
  (``layer.composite()``, masks and effects applied): what a tool pays to get
  each layer's look the straightforward way;
* **read**: SpineLift's reader (the floor plus masks, clipping, tags, trimming);
* **convert**: the whole job as the CLI runs it (read, mesh every layer in worker
  processes, pack the atlas, write JSON, atlas, pages and preview).

and prints the ratio convert / floor (target: under 1.5x). Inputs: the sample
PSD, a synthetic 30-layer 2048x2048 PSD (target: under 2 s on 2 cores), and the
largest PSDs of the corpus.

    python -m bench.convert_speed
    python -m bench.convert_speed --runs 5 --corpus 6 --markdown
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from psd_tools import PSDImage

from bench.corpus import shared_dir
from spinelift.errors import SpineLiftError
from spinelift.io.export import ExportOptions, export_document
from spinelift.io.psd import read_psd, write_sample_psd


def synthetic_psd(path: Path, *, size: int = 2048, layers: int = 30) -> Path:
    """A ``size``-square PSD of ``layers`` anti-aliased character-part-like layers."""
    rng = np.random.default_rng(7)
    psd = PSDImage.new("RGB", (size, size), color=(255, 255, 255))
    for i in range(layers):
        w, h = (int(v) for v in rng.integers(size // 10, size // 4, 2))
        rgba = np.zeros((h, w, 4), dtype=np.uint8)
        colour = (*(int(c) for c in rng.integers(40, 220, 3)), 255)
        cv2.ellipse(
            rgba, (w // 2, h // 2), (w // 2 - 4, h // 3), 0, 0, 360, colour, -1, cv2.LINE_AA
        )
        pts = rng.integers(4, [w - 4, h - 4], (5, 2)).astype(np.int32)
        cv2.fillPoly(rgba, [pts], colour, cv2.LINE_AA)
        left, top = (int(v) for v in rng.integers(0, [size - w, size - h]))
        psd.create_pixel_layer(
            Image.fromarray(rgba, "RGBA"), name=f"part{i:02d}", top=top, left=left
        )
    buffer = BytesIO()
    psd.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def decode_floor(path: Path) -> int:
    """psd-tools alone: open and decode every pixel layer; returns the pixels decoded."""
    psd = PSDImage.open(path)
    pixels = 0
    for layer in psd.descendants():
        if layer.is_group() or not layer.has_pixels():
            continue
        array = layer.numpy()
        if array is not None:
            pixels += int(array.shape[0] * array.shape[1])
    return pixels


def composite_floor(path: Path) -> int:
    """psd-tools drawing each layer as Photoshop shows it (``layer.composite()``): the
    cost of getting every layer's look, masks and effects included."""
    psd = PSDImage.open(path)
    drawn = 0
    for layer in psd.descendants():
        if layer.is_group() or not layer.has_pixels():
            continue
        if layer.composite() is not None:
            drawn += 1
    return drawn


def best(runs: int, job: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(path: Path, runs: int, out: Path) -> dict[str, object]:
    document = read_psd(path)
    floor = best(runs, lambda: decode_floor(path))
    drawn = best(runs, lambda: composite_floor(path))
    read = best(runs, lambda: read_psd(path))
    convert = best(runs, lambda: export_document(read_psd(path), out / path.stem, ExportOptions()))
    return {
        "file": path.name,
        "canvas": f"{document.width}x{document.height}",
        "layers": len(document.layers),
        "floor_s": floor,
        "composite_s": drawn,
        "read_s": read,
        "convert_s": convert,
        "ratio": convert / floor if floor > 0 else float("nan"),
        "ratio_composite": convert / drawn if drawn > 0 else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=int, default=4, help="largest corpus PSDs to time")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs = [
            write_sample_psd(work / "sample.psd"),
            synthetic_psd(work / "synthetic-30x2048.psd"),
        ]
        corpus = shared_dir() / "corpus" / "psd"
        if corpus.is_dir():
            files = sorted(
                (p for p in corpus.iterdir() if p.suffix.lower() in (".psd", ".psb")),
                key=lambda p: -p.stat().st_size,
            )
            for candidate in files:
                if len(inputs) >= 2 + args.corpus:
                    break
                try:  # only files that convert have a time to report
                    export_document(read_psd(candidate), work / "probe", ExportOptions())
                except SpineLiftError as exc:
                    print(f"skipped {candidate.name}: {exc}")
                    continue
                inputs.append(candidate)
        rows = [measure(p, args.runs, work / "out") for p in inputs]
    print(f"cores: {os.cpu_count()}, best of {args.runs} runs, seconds")
    head = ["file", "canvas", "layers", "decode floor", "composite floor", "read", "convert",
            "convert / decode", "convert / composite"]  # fmt: skip
    lines = [
        [str(r["file"]), str(r["canvas"]), str(r["layers"]), f"{r['floor_s']:.3f}",
         f"{r['composite_s']:.3f}", f"{r['read_s']:.3f}", f"{r['convert_s']:.3f}",
         f"{r['ratio']:.2f}x", f"{r['ratio_composite']:.2f}x"]
        for r in rows
    ]  # fmt: skip
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
        print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        for line in lines:
            print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    ratios = [float(r["ratio"]) for r in rows]  # type: ignore[arg-type]
    composite_ratios = [float(r["ratio_composite"]) for r in rows]  # type: ignore[arg-type]
    print(f"median convert / decode floor: {statistics.median(ratios):.2f}x")
    print(f"median convert / composite floor: {statistics.median(composite_ratios):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
