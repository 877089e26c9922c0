"""Convert speed against the floor of decoding the PSD's layers (``convert_speed --floors``).

In-process, best of ``runs``: psd-tools decoding every pixel layer (*decode floor*),
psd-tools compositing every layer (*composite floor*), SpineLift's reader (*read*) and
the whole export (*convert*), on the sample PSD, a synthetic 30-layer 2048x2048 PSD and
the largest corpus PSDs.
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
from bench.paired import print_table
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


def run_floors(runs: int, corpus_files: int, markdown: bool) -> int:
    """Print the floors table; returns 0."""
    args = argparse.Namespace(runs=runs, corpus=corpus_files, markdown=markdown)
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
    print_table(head, lines, markdown=args.markdown)
    ratios = [float(r["ratio"]) for r in rows]  # type: ignore[arg-type]
    composite_ratios = [float(r["ratio_composite"]) for r in rows]  # type: ignore[arg-type]
    print(f"median convert / decode floor: {statistics.median(ratios):.2f}x")
    print(f"median convert / composite floor: {statistics.median(composite_ratios):.2f}x")
    return 0
