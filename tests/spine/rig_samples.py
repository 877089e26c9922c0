"""Small synthetic Spine 4.2 skeletons and their images, for the ``spinelift rig`` tests.

:func:`arm_skeleton` is an arm of two bones (``upper``, ``lower``) under ``root``, with:

* ``arm``: a region on ``upper`` whose image (220 x 40 px) spans both bones;
* ``badge``: a small region on ``root`` far from every bone segment (no bone crosses it);
* ``flag``: an unweighted mesh on ``tip`` (a zero-length bone at the end of ``lower``),
  with a deform key in the ``wave`` animation;
* ``knob``: a zero-length bone without art over ``arm`` (a control bone); ``squash``: a
  bone scaled to 0 in the setup pose, carrying the ``ghost`` region;
* a second skin ``alt`` with a linked mesh of ``flag`` (image ``flag-alt``) and its own
  ``arm`` region (image ``arm-alt``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

IMAGES = {
    "arm": (220, 40),
    "arm-alt": (220, 40),
    "badge": (20, 20),
    "flag": (40, 30),
    "flag-alt": (40, 30),
    "ghost": (16, 16),
}


def rgba(width: int, height: int, inset: int = 2) -> np.ndarray:
    """An opaque rounded bar with a transparent border of ``inset`` pixels."""
    out = np.zeros((height, width, 4), dtype=np.uint8)
    out[inset : height - inset, inset : width - inset] = (200, 120, 60, 255)
    out[inset : inset + 3, inset : inset + 3, 3] = 0  # a notch, so the hull is not a box
    return out


def write_images(folder: Path, names: dict[str, tuple[int, int]] | None = None) -> Path:
    """Write ``NAME.png`` for each sample image into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (w, h) in (names or IMAGES).items():
        Image.fromarray(rgba(w, h), "RGBA").save(folder / f"{name}.png")
    return folder


def arm_skeleton() -> dict[str, Any]:
    """The sample skeleton (see the module docstring) as a parsed JSON document."""
    flag_uvs = [0, 0, 1, 0, 1, 1, 0, 1]
    flag_vertices = [-20, 15, 20, 15, 20, -15, -20, -15]
    return {
        "skeleton": {"hash": "sample", "spine": "4.2.22", "x": -50, "y": -50, "width": 400},
        "bones": [
            {"name": "root"},
            {"name": "upper", "parent": "root", "length": 100, "rotation": 10},
            {"name": "lower", "parent": "upper", "x": 100, "length": 100, "rotation": -20},
            {"name": "tip", "parent": "lower", "x": 100},
            {"name": "knob", "parent": "upper", "x": 50, "y": 5},
            {"name": "squash", "parent": "root", "x": -80, "scaleX": 0, "scaleY": 0},
        ],
        "slots": [
            {"name": "arm", "bone": "upper", "attachment": "arm"},
            {"name": "badge", "bone": "root", "attachment": "badge"},
            {"name": "flag", "bone": "tip", "attachment": "flag"},
            {"name": "ghost", "bone": "squash", "attachment": "ghost"},
        ],
        "skins": [
            {
                "name": "default",
                "attachments": {
                    "arm": {"arm": {"x": 100, "y": 2, "rotation": 3, "width": 220, "height": 40}},
                    "badge": {"badge": {"x": -60, "y": -140, "width": 20, "height": 20}},
                    "flag": {
                        "flag": {
                            "type": "mesh",
                            "uvs": flag_uvs,
                            "triangles": [0, 1, 2, 2, 3, 0],
                            "vertices": [
                                v + (10 if i % 2 == 0 else 0) for i, v in enumerate(flag_vertices)
                            ],
                            "hull": 4,
                            "width": 40,
                            "height": 30,
                        }
                    },
                    "ghost": {"ghost": {"width": 16, "height": 16}},
                },
            },
            {
                "name": "alt",
                "attachments": {
                    "arm": {
                        "arm": {
                            "path": "arm-alt",
                            "x": 100,
                            "scaleX": 1.5,
                            "scaleY": -1,
                            "width": 146.667,
                            "height": 40,
                        }
                    },
                    "flag": {
                        "flag": {
                            "type": "linkedmesh",
                            "path": "flag-alt",
                            "skin": "default",
                            "parent": "flag",
                            "width": 40,
                            "height": 30,
                        }
                    },
                },
            },
        ],
        "animations": {
            "wave": {
                "bones": {
                    "lower": {"rotate": [{"value": 0}, {"time": 1, "value": 80}]},
                    "upper": {"rotate": [{"value": 0}, {"time": 1, "value": -30}]},
                },
                "attachments": {
                    "default": {
                        "flag": {"flag": {"deform": [{"time": 0.5, "vertices": [0, 5, 0, 5]}]}}
                    }
                },
            },
            "still": {},
        },
    }
