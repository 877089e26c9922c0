"""A small cartoon character drawn in code, one RGBA layer per body part.

The project ships no third-party art: the demo, the tests and the benchmarks
use this character instead. It is drawn with OpenCV on numpy arrays only (no
file access, no randomness), so the same ``scale`` always gives byte-identical
layers on every machine.

Contract:

- :func:`draw_character` returns the layers **back to front** (the order a
  compositor draws them in). Each :class:`SampleLayer` holds an RGBA
  ``(h, w, 4) uint8`` array with *straight* (not premultiplied) alpha, trimmed
  to the part plus :data:`MARGIN` transparent pixels where the canvas allows,
  and its ``left``/``top`` position on the canvas of :func:`canvas_size`.
- Edges are anti-aliased: every part has partially transparent border pixels
  (coverage computed by drawing at :data:`SUPERSAMPLE` times the size and
  averaging down).
- The parts exercise what a mesher must get right: ``eyes`` is ONE layer with
  two islands, ``belt_buckle`` is a ring with a hole, ``staff`` is a thin
  stroke a few pixels wide, ``hair`` has deep concavities between its spikes.
- Arrays are read-only; copy one before changing it.
- A ``scale`` outside 0.1-2 raises :class:`~spinelift.errors.InvalidParametersError`.

Size: over 300 lines, on purpose: one drawing per body part of the sample character.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from spinelift.errors import InvalidParametersError

RgbaArray = npt.NDArray[np.uint8]
"""(h, w, 4) uint8, straight alpha"""

CANVAS_SIZE: tuple[int, int] = (512, 768)
"""(width, height) of the character's canvas at scale 1"""

MARGIN = 4
"""transparent pixels kept around each trimmed part (where the canvas has room)"""

SUPERSAMPLE = 4
"""parts are drawn this many times larger, then averaged down for anti-aliasing"""

_SHIFT = 4  # OpenCV's fixed-point bits: coordinates are passed as value * 2**_SHIFT
Point = tuple[float, float]
Colour = tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class SampleLayer:
    """One body part: an RGBA image and where it sits on the canvas.

    ``rgba``: (height, width, 4) uint8, straight alpha, read-only.
    ``left``, ``top``: canvas position of ``rgba[0, 0]`` in pixels.
    """

    name: str
    rgba: RgbaArray
    left: int
    top: int

    @property
    def width(self) -> int:
        return int(self.rgba.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])


def canvas_size(scale: float = 1.0) -> tuple[int, int]:
    """(width, height) in pixels of the canvas the layers of ``scale`` sit on."""
    _check_scale(scale)
    return round(CANVAS_SIZE[0] * scale), round(CANVAS_SIZE[1] * scale)


class _Pen:
    """Draws filled shapes in canvas coordinates (scale 1) onto a supersampled mask."""

    def __init__(self, scale: float) -> None:
        self.factor = scale * SUPERSAMPLE
        width, height = canvas_size(scale)
        self.mask: npt.NDArray[np.uint8] = np.zeros(
            (height * SUPERSAMPLE, width * SUPERSAMPLE), np.uint8
        )

    def _fixed(self, p: Point) -> tuple[int, int]:
        one = 1 << _SHIFT
        return round(p[0] * self.factor * one), round(p[1] * self.factor * one)

    def _length(self, value: float) -> int:
        return max(1, round(value * self.factor))

    def ellipse(self, centre: Point, axes: Point, angle: float = 0.0, ink: int = 1) -> None:
        one = 1 << _SHIFT
        size = (round(axes[0] * self.factor * one), round(axes[1] * self.factor * one))
        cv2.ellipse(
            self.mask, self._fixed(centre), size, angle, 0, 360, ink, -1, cv2.LINE_8, _SHIFT
        )

    def arc(self, centre: Point, axes: Point, start: float, end: float, thickness: float) -> None:
        """A stroke along part of an ellipse (angles in degrees, clockwise on screen)."""
        one = 1 << _SHIFT
        size = (round(axes[0] * self.factor * one), round(axes[1] * self.factor * one))
        cv2.ellipse(
            self.mask,
            self._fixed(centre),
            size,
            0,
            start,
            end,
            1,
            self._length(thickness),
            cv2.LINE_8,
            _SHIFT,
        )

    def polygon(self, points: Sequence[Point], ink: int = 1) -> None:
        pts = np.array([self._fixed(p) for p in points], np.int32).reshape(-1, 1, 2)
        cv2.fillPoly(self.mask, [pts], ink, cv2.LINE_8, _SHIFT)

    def capsule(self, a: Point, b: Point, radius: float) -> None:
        """A stroke of width 2 x ``radius`` with round ends."""
        cv2.line(
            self.mask,
            self._fixed(a),
            self._fixed(b),
            1,
            self._length(2 * radius),
            cv2.LINE_8,
            _SHIFT,
        )
        self.ellipse(a, (radius, radius))
        self.ellipse(b, (radius, radius))


@dataclass(frozen=True)
class _Part:
    name: str
    fill: Colour
    draw: Callable[[_Pen], None]
    outline: float = 2.0  # width of the darker rim, canvas pixels at scale 1


def _hair(pen: _Pen) -> None:
    # a cap of spikes behind the head: deep bays between the spike tips
    cx, cy = 256.0, 170.0
    points: list[Point] = []
    spikes = 9
    for i in range(2 * spikes + 1):
        angle = np.pi + np.pi * i / (2 * spikes)  # left, over the top, to the right
        radius = 150.0 if i % 2 else 98.0
        points.append((cx + radius * float(np.cos(angle)), cy + radius * float(np.sin(angle))))
    pen.polygon([*points, (cx + 80.0, cy + 40.0), (cx - 80.0, cy + 40.0)])
    pen.ellipse((cx, cy + 10.0), (100.0, 70.0))


def _leg(x_hip: float, x_foot: float, toe: float) -> Callable[[_Pen], None]:
    def draw(pen: _Pen) -> None:
        pen.capsule((x_hip, 470.0), (x_foot, 690.0), 24.0)
        pen.ellipse((x_foot + toe, 708.0), (38.0, 18.0))

    return draw


def _upper_arm(shoulder: Point, elbow: Point) -> Callable[[_Pen], None]:
    def draw(pen: _Pen) -> None:
        pen.capsule(shoulder, elbow, 19.0)

    return draw


def _lower_arm(elbow: Point, wrist: Point) -> Callable[[_Pen], None]:
    def draw(pen: _Pen) -> None:
        pen.capsule(elbow, wrist, 15.0)
        pen.ellipse(wrist, (21.0, 21.0))  # the hand

    return draw


def _torso(pen: _Pen) -> None:
    # a trapezoid with rounded corners: the inset shape grown by a disc
    radius = 16.0
    inset: list[Point] = [(204.0, 318.0), (308.0, 318.0), (290.0, 456.0), (222.0, 456.0)]
    pen.polygon(inset)
    for a, b in zip(inset, inset[1:] + inset[:1], strict=True):
        pen.capsule(a, b, radius)


def _buckle(pen: _Pen) -> None:
    pen.ellipse((256.0, 452.0), (28.0, 21.0))
    pen.ellipse((256.0, 452.0), (14.0, 9.0), ink=0)  # the hole


def _head(pen: _Pen) -> None:
    pen.ellipse((256.0, 195.0), (92.0, 102.0))
    pen.ellipse((162.0, 200.0), (14.0, 22.0))  # ears
    pen.ellipse((350.0, 200.0), (14.0, 22.0))


def _eyes(pen: _Pen) -> None:
    pen.ellipse((221.0, 188.0), (14.0, 20.0))
    pen.ellipse((291.0, 188.0), (14.0, 20.0))


def _mouth(pen: _Pen) -> None:
    pen.arc((256.0, 236.0), (32.0, 18.0), 20.0, 160.0, 6.0)


def _staff(pen: _Pen) -> None:
    pen.capsule((396.0, 560.0), (452.0, 150.0), 2.0)


_PARTS: tuple[_Part, ...] = (
    _Part("hair", (118, 68, 40), _hair),
    _Part("leg_left", (62, 64, 96), _leg(228.0, 214.0, -10.0)),
    _Part("leg_right", (62, 64, 96), _leg(284.0, 298.0, 10.0)),
    _Part("upper_arm_left", (72, 122, 200), _upper_arm((200.0, 320.0), (152.0, 410.0))),
    _Part("lower_arm_left", (246, 205, 170), _lower_arm((152.0, 410.0), (140.0, 512.0))),
    _Part("torso", (72, 122, 200), _torso),
    _Part("belt_buckle", (232, 190, 62), _buckle),
    _Part("head", (246, 205, 170), _head),
    _Part("eyes", (40, 40, 62), _eyes, outline=0.0),
    _Part("mouth", (160, 50, 62), _mouth, outline=0.0),
    _Part("staff", (150, 100, 52), _staff, outline=0.0),
    _Part("upper_arm_right", (72, 122, 200), _upper_arm((312.0, 320.0), (362.0, 405.0))),
    _Part("lower_arm_right", (246, 205, 170), _lower_arm((362.0, 405.0), (414.0, 470.0))),
)


def draw_character(scale: float = 1.0) -> list[SampleLayer]:
    """Draw every part; back to front, trimmed, anti-aliased (see the module docstring).

    ``scale`` (0.1-2) multiplies the canvas and every part; 0.5 is handy in tests.
    """
    _check_scale(scale)
    return [_render(part, scale) for part in _PARTS]


def _render(part: _Part, scale: float) -> SampleLayer:
    pen = _Pen(scale)
    part.draw(pen)
    # work on the part's box only (aligned to whole canvas pixels, with a margin)
    rows = np.flatnonzero(pen.mask.any(axis=1)) // SUPERSAMPLE
    cols = np.flatnonzero(pen.mask.any(axis=0)) // SUPERSAMPLE
    if rows.size == 0:  # pragma: no cover - every part draws something at any allowed scale
        raise AssertionError(f"sample part {part.name!r} is empty")
    width, height = canvas_size(scale)
    top, bottom = max(0, int(rows[0]) - MARGIN), min(height, int(rows[-1]) + 1 + MARGIN)
    left, right = max(0, int(cols[0]) - MARGIN), min(width, int(cols[-1]) + 1 + MARGIN)
    s = SUPERSAMPLE
    mask = pen.mask[top * s : bottom * s, left * s : right * s]
    coverage = mask.astype(np.float32)
    inner = coverage
    rim = round(part.outline * scale * SUPERSAMPLE)
    if rim > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rim + 1, 2 * rim + 1))
        inner = cv2.erode(mask, kernel).astype(np.float32)
    fill = np.array(part.fill, np.float32)
    dark = fill * 0.45
    # premultiplied colour at high resolution: fill inside, a darker rim at the edge
    premultiplied = inner[..., None] * fill + (coverage - inner)[..., None] * dark
    size = (right - left, bottom - top)
    alpha = cv2.resize(coverage, size, interpolation=cv2.INTER_AREA)
    colour = cv2.resize(premultiplied, size, interpolation=cv2.INTER_AREA)
    safe = np.where(alpha > 0, alpha, 1.0)[..., None]
    rgba = np.zeros((size[1], size[0], 4), np.uint8)
    rgba[..., :3] = np.clip(np.rint(colour / safe), 0, 255).astype(np.uint8)
    rgba[..., 3] = np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8)
    rgba[rgba[..., 3] == 0] = 0  # fully transparent pixels carry no colour
    rgba.setflags(write=False)
    return SampleLayer(name=part.name, rgba=rgba, left=left, top=top)


def composite(layers: Sequence[SampleLayer], size: tuple[int, int]) -> RgbaArray:
    """Alpha-over of ``layers`` (back to front) on a transparent canvas.

    ``size``: (width, height) of the canvas. Returns (height, width, 4) uint8
    with straight alpha. Parts reaching past the canvas are clipped.
    """
    width, height = size
    colour = np.zeros((height, width, 3), np.float64)  # premultiplied
    alpha = np.zeros((height, width), np.float64)
    for layer in layers:
        x0, y0 = max(0, layer.left), max(0, layer.top)
        x1, y1 = min(width, layer.left + layer.width), min(height, layer.top + layer.height)
        if x0 >= x1 or y0 >= y1:
            continue
        src = layer.rgba[y0 - layer.top : y1 - layer.top, x0 - layer.left : x1 - layer.left]
        a = src[..., 3].astype(np.float64) / 255.0
        rgb = src[..., :3].astype(np.float64) * a[..., None]
        keep = 1.0 - a
        colour[y0:y1, x0:x1] = rgb + colour[y0:y1, x0:x1] * keep[..., None]
        alpha[y0:y1, x0:x1] = a + alpha[y0:y1, x0:x1] * keep
    out = np.zeros((height, width, 4), np.uint8)
    safe = np.where(alpha > 0, alpha, 1.0)[..., None]
    out[..., :3] = np.clip(np.rint(colour / safe), 0, 255).astype(np.uint8)
    out[..., 3] = np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8)
    return out


def _check_scale(scale: float) -> None:
    if not 0.1 <= scale <= 2.0:
        raise InvalidParametersError(
            f"sample scale must be between 0.1 and 2, got {scale}",
            details={"fields": {"scale": "must be between 0.1 and 2"}},
        )
