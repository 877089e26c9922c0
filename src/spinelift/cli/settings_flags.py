"""Command-line flags for every :class:`MeshSettings` field, and ``--settings FILE``.

Flags are made from the dataclass fields, so a new setting gets a flag by itself
(its help text lives in :data:`HELP`; a test checks every field has one).
Precedence: defaults < ``--settings`` file < flags given on the command line.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from enum import Enum
from pathlib import Path
from typing import Any

from spinelift.core.settings import MeshSettings
from spinelift.errors import InvalidParametersError

HELP: dict[str, str] = {
    "detail_factor": "THE knob: lower keeps more hull vertices and less overdraw (0.001-0.05)",
    "alpha_threshold": "a pixel must be covered when its alpha is above this (0-255)",
    "concave_factor": "fill concavities shallower than this many pixels (0-100)",
    "internal_vertex_density": "interior vertices for deformation, 0 = none (0-100)",
    "blur_kernel_size": "Gaussian blur of the mask before thresholding, odd (1-21)",
    "binary_threshold": "threshold applied to the blurred mask (0-255)",
    "min_contour_area": "fill holes (and with drop_small, drop islands) below this px² (1-1000)",
    "density_scaling_factor": "kept px² per interior vertex at density 100 (100-10000)",
    "min_triangle_area": "skip interior vertices making triangles below this px² (0.1-100)",
    "padding": "margin in pixels kept around the art (0-64)",
    "max_hull_vertices": "hard budget of hull vertices, 0 = none (0 or 3-1000)",
    "island_policy": "several disconnected parts: join them, drop small ones, or keep the largest",
    "hole_policy": "holes inside the art: keep them when worth it, or fill them",
    "min_angle": "minimum triangle angle in degrees for interior vertices (0-34)",
    "hull_steiner_points": "let the triangulator split hull edges for better triangles",
}

_PREFIX = "setting_"


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--settings FILE`` and one ``--kebab-name`` flag per MeshSettings field."""
    group = parser.add_argument_group(
        "mesh settings", "precedence: the defaults below < --settings FILE < these flags"
    )
    group.add_argument(
        "--settings",
        metavar="FILE",
        type=Path,
        help="JSON object of mesh settings (field names as below, with underscores)",
    )
    defaults = MeshSettings()
    for f in fields(MeshSettings):
        default = getattr(defaults, f.name)
        flag = "--" + f.name.replace("_", "-")
        text = f"{HELP.get(f.name, f.name)} (default: {_show(default)})"
        dest = _PREFIX + f.name
        if isinstance(default, bool):
            group.add_argument(
                flag, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=text
            )
        elif isinstance(default, Enum):
            choices = [member.value for member in type(default)]
            group.add_argument(flag, dest=dest, choices=choices, default=None, help=text)
        else:
            kind = int if isinstance(default, int) else float
            metavar = "N" if kind is int else "X"
            group.add_argument(flag, dest=dest, type=kind, metavar=metavar, default=None, help=text)


def settings_from_args(args: argparse.Namespace) -> MeshSettings:
    """The validated settings the user asked for.

    Raises :class:`InvalidParametersError` for an unreadable or malformed settings
    file, unknown names in it, or out-of-range values anywhere.
    """
    values: dict[str, Any] = {}
    settings_file: Path | None = getattr(args, "settings", None)
    if settings_file is not None:
        values.update(_read_settings_file(settings_file))
    for key, value in vars(args).items():
        if key.startswith(_PREFIX) and value is not None:
            values[key.removeprefix(_PREFIX)] = value
    return MeshSettings.from_mapping(values)


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidParametersError(
            f"cannot read settings file {path}: {getattr(exc, 'strerror', None) or exc}",
            details={"settings_file": str(path)},
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParametersError(
            f"settings file {path} is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})",
            details={"settings_file": str(path)},
        ) from exc
    if not isinstance(data, dict):
        raise InvalidParametersError(
            f"settings file {path} must hold a JSON object of settings",
            details={"settings_file": str(path)},
        )
    return data


def _show(value: object) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)
