"""Art made by the project itself, for the demo, the tests and the benchmarks.

Pure drawing code (numpy + OpenCV): no files are read or written here, and
nothing is random. ``scripts/make_sample_art.py`` saves the layers as PNGs.
"""

from spinelift.samples.character import (
    CANVAS_SIZE,
    SampleLayer,
    canvas_size,
    composite,
    draw_character,
)

__all__ = ["CANVAS_SIZE", "SampleLayer", "canvas_size", "composite", "draw_character"]
