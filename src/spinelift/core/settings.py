"""MeshSettings: every knob of the mesh engine, validated, with its meaning.

The nine parameters of seed 004 keep their names, ranges and defaults; where
the seed's meaning was naive (it simplified with ``approxPolyDP`` on the largest
contour, which cuts into the art and drops a second eye), the meaning below is
ours and is the one the engine implements.

==========================  =========  ============  ===================================================
name                        default    range         meaning
==========================  =========  ============  ===================================================
detail_factor               0.01       0.001-0.05    THE knob: a hull vertex is kept only if removing it
                                                     would add more than (21 x detail_factor)^2 of the
                                                     kept area as overdraw (4.4% at the default, 0.04%
                                                     at 0.001, 110% at 0.05). Lower = more vertices,
                                                     tighter hull.
alpha_threshold             10         0-255         a pixel is *kept* (must be covered) if alpha > this
concave_factor              0.0        0-100         concavities (bays) shallower than this many pixels
                                                     are filled even when the detail knob would keep them
internal_vertex_density     0          0-100         interior vertices for deformation; 0 = none
blur_kernel_size            1          1-21 (odd)    Gaussian blur of the mask before thresholding; it
                                                     only smooths and closes gaps, never un-keeps a pixel
                                                     (even values are rounded up, as in the seed)
binary_threshold            128        0-255         threshold applied to the blurred mask
min_contour_area            10         1-1000        holes smaller than this (px^2) are filled; islands
                                                     smaller than this are dropped only with
                                                     ``island_policy="drop_small"``
density_scaling_factor      1000       100-10000     pixels of kept area per interior vertex at density
                                                     100 (density 50 = half as many vertices)
min_triangle_area           1.0        0.1-100       interior vertices that would make triangles smaller
                                                     than this (px^2) are not placed
padding                     0          0-64          margin in pixels kept around the art (where the image
                                                     has room): the hull covers the art dilated by this
max_hull_vertices           0          0 or 3-1000   hard vertex budget for the hull; 0 = no budget
island_policy               "bridge"   see below     several disconnected parts in one image
hole_policy                 "keep"     see below     holes inside the art
min_angle                   25.0       0-34          minimum triangle angle (degrees) asked of
                                                     Triangle's refinement; used with
                                                     ``hull_steiner_points`` (the default lattice of
                                                     interior vertices is near-equilateral by itself)
hull_steiner_points         False                    let Triangle refine quality by also splitting hull
                                                     and hole edges (adds hull vertices)
==========================  =========  ============  ===================================================

Island policies: ``bridge`` covers every island and joins them into one hull
with narrow bridges that the simplifier then widens where it is cheap (Spine
allows one hull per attachment); ``drop_small`` is ``bridge`` after dropping
islands smaller than ``min_contour_area``; ``largest`` keeps only the largest
island (the seed's behaviour: other islands are clipped, on purpose).

Hole policies: ``keep`` keeps a hole when it is larger than ``min_contour_area``
and saves more overdraw than its vertices cost (same rule as the detail knob);
``fill`` covers every hole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

from spinelift.errors import InvalidParametersError


class IslandPolicy(StrEnum):
    """What to do with several disconnected parts in one image."""

    BRIDGE = "bridge"
    DROP_SMALL = "drop_small"
    LARGEST = "largest"


class HolePolicy(StrEnum):
    """What to do with holes inside the art."""

    KEEP = "keep"
    FILL = "fill"


DETAIL_SCALE = 21.0
"""See :meth:`MeshSettings.overdraw_per_vertex`."""

# name -> (low, high) inclusive; ints and floats are told apart by the default's type
_RANGES: dict[str, tuple[float, float]] = {
    "detail_factor": (0.001, 0.05),
    "alpha_threshold": (0, 255),
    "concave_factor": (0.0, 100.0),
    "internal_vertex_density": (0, 100),
    "blur_kernel_size": (1, 21),
    "binary_threshold": (0, 255),
    "min_contour_area": (1.0, 1000.0),
    "density_scaling_factor": (100.0, 10000.0),
    "min_triangle_area": (0.1, 100.0),
    "padding": (0, 64),
    "max_hull_vertices": (0, 1000),
    "min_angle": (0.0, 34.0),
}


@dataclass(frozen=True, slots=True)
class MeshSettings:
    """Validated mesh settings; see the module docstring for each meaning.

    Construct with keywords; invalid values raise :class:`InvalidParametersError`
    whose ``details["fields"]`` maps each bad field to a reason.
    """

    detail_factor: float = 0.01
    alpha_threshold: int = 10
    concave_factor: float = 0.0
    internal_vertex_density: int = 0
    blur_kernel_size: int = 1
    binary_threshold: int = 128
    min_contour_area: float = 10.0
    density_scaling_factor: float = 1000.0
    min_triangle_area: float = 1.0
    padding: int = 0
    max_hull_vertices: int = 0
    island_policy: IslandPolicy = IslandPolicy.BRIDGE
    hole_policy: HolePolicy = HolePolicy.KEEP
    min_angle: float = 25.0
    hull_steiner_points: bool = False

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _RANGES:
                problem = _check_number(f.name, value, type(f.default))
                if problem:
                    problems[f.name] = problem
                elif f.default.__class__ is int:
                    object.__setattr__(self, f.name, int(value))
                else:
                    object.__setattr__(self, f.name, float(value))
        if "max_hull_vertices" not in problems and 0 < self.max_hull_vertices < 3:
            problems["max_hull_vertices"] = "must be 0 (no budget) or at least 3"
        if "blur_kernel_size" not in problems and self.blur_kernel_size % 2 == 0:
            # seed 004 rounds even kernels up to the next odd size
            object.__setattr__(self, "blur_kernel_size", self.blur_kernel_size + 1)
        for name, enum in (("island_policy", IslandPolicy), ("hole_policy", HolePolicy)):
            try:
                object.__setattr__(self, name, enum(getattr(self, name)))
            except ValueError:
                choices = ", ".join(m.value for m in enum)
                problems[name] = f"must be one of: {choices}"
        if not isinstance(self.hull_steiner_points, bool):
            problems["hull_steiner_points"] = "must be true or false"
        if problems:
            listing = "; ".join(f"{k} {v}" for k, v in problems.items())
            raise InvalidParametersError(
                f"invalid mesh parameters: {listing}", details={"fields": problems}
            )

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> MeshSettings:
        """Build from a plain mapping (JSON, CLI flags); unknown names are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidParametersError(
                f"unknown mesh parameter(s): {', '.join(unknown)}",
                details={"fields": dict.fromkeys(unknown, "unknown parameter")},
            )
        return cls(**values)

    def overdraw_per_vertex(self) -> float:
        """Overdraw, as a fraction of the kept area, that one hull vertex must save to stay.

        Quadratic in ``detail_factor`` so that the seed's range spans meshes from
        very detailed to a handful of vertices; 21 puts the default (0.01) at the
        hull vertex count professional artists draw on typical character parts.
        """
        return (DETAIL_SCALE * self.detail_factor) ** 2

    def with_text_values(self, values: Mapping[str, str]) -> MeshSettings:
        """A validated copy with some fields given as text (``--layer`` flags, layer-name
        tags): each value is read as its field's type (``"12"``, ``"0.005"``,
        ``"true"``, ``"largest"``); unknown names and unreadable values are refused with
        :class:`InvalidParametersError` like any bad value."""
        kinds = {f.name: type(f.default) for f in fields(self)}
        merged = self.to_dict()
        for name, text in values.items():
            merged[name] = _read_text(text.strip(), kinds.get(name, str))
        return MeshSettings.from_mapping(merged)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe mapping, in field order (stable: used in cache keys)."""
        out = asdict(self)
        out["island_policy"] = self.island_policy.value
        out["hole_policy"] = self.hole_policy.value
        return out

    def with_changes(self, **changes: Any) -> MeshSettings:
        """A validated copy with some fields changed."""
        return replace(self, **changes)


def parameter_ranges() -> dict[str, tuple[float, float]]:
    """Each numeric setting's inclusive (low, high) range (for schemas and forms)."""
    return dict(_RANGES)


def _read_text(text: str, kind: type) -> object:
    """``text`` as a value of ``kind``, or ``text`` itself when it does not read as one
    (validation then says what is wrong with it)."""
    if kind is bool:
        return {"true": True, "false": False, "1": True, "0": False}.get(text.lower(), text)
    if kind in (int, float):
        for reader in (int, float):
            try:
                return reader(text)
            except ValueError:
                continue
    return text


def _check_number(name: str, value: object, kind: type) -> str | None:
    low, high = _RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {type(value).__name__}"
    if not math.isfinite(value):
        return "must be finite"
    if kind is int and float(value) != int(value):
        return f"must be a whole number, got {value}"
    if not low <= value <= high:
        return f"must be between {low:g} and {high:g}, got {value:g}"
    return None
