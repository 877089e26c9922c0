"""The sample character as a boned Spine skeleton with region attachments: ``make_rig_demo.py OUT``.

Writes ``OUT/hero-bones.json`` (Spine 4.2: bones as an artist would set them up after
Spine's Import PSD, every part a region on its bone, a ``walk`` animation bending knees
and elbows) and ``OUT/images/<part>.png``; then ``spinelift rig OUT/hero-bones.json
--images OUT/images -o OUT/hero-rigged.json --preview OUT/preview`` binds it
(docs/rig.md's pictures come from this).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from PIL import Image

from spinelift.samples import canvas_size, draw_character

# bone -> (parent, start, end) in canvas pixels (y down); a None end is a zero-length bone
BONES: dict[str, tuple[str | None, tuple[float, float], tuple[float, float] | None]] = {
    "root": (None, (256, 768), None),
    "hip": ("root", (256, 445), None),
    "torso": ("hip", (256, 445), (256, 305)),
    "head": ("torso", (256, 300), (256, 110)),
    "face": ("head", (256, 200), None),
    "upper_arm_left": ("torso", (190, 312), (152, 418)),
    "lower_arm_left": ("upper_arm_left", (152, 418), (140, 530)),
    "upper_arm_right": ("torso", (326, 312), (368, 410)),
    "lower_arm_right": ("upper_arm_right", (368, 410), (430, 482)),
    "thigh_left": ("hip", (210, 452), (208, 588)),
    "shin_left": ("thigh_left", (208, 588), (205, 722)),
    "thigh_right": ("hip", (303, 452), (305, 588)),
    "shin_right": ("thigh_right", (305, 588), (308, 722)),
    "staff": ("lower_arm_right", (424, 560), (424, 150)),
}
SLOT_BONES = {
    "hair": "head",
    "leg_left": "thigh_left",
    "leg_right": "thigh_right",
    "upper_arm_left": "upper_arm_left",
    "lower_arm_left": "lower_arm_left",
    "torso": "torso",
    "belt_buckle": "hip",
    "head": "head",
    "eyes": "head",
    "mouth": "head",
    "staff": "staff",
    "upper_arm_right": "upper_arm_right",
    "lower_arm_right": "lower_arm_right",
}


def skeleton_point(x: float, y: float) -> tuple[float, float]:
    return x - 256.0, 768.0 - y


def build(out: Path) -> Path:
    """Write the skeleton and images into ``out``; return the skeleton's path."""
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    world: dict[str, tuple[float, float, float]] = {}  # name -> x, y, rotation (degrees)
    bones = []
    for name, (parent, start, end) in BONES.items():
        sx, sy = skeleton_point(*start)
        rotation = 0.0
        length = 0.0
        if end is not None:
            ex, ey = skeleton_point(*end)
            rotation = math.degrees(math.atan2(ey - sy, ex - sx))
            length = math.hypot(ex - sx, ey - sy)
        entry: dict[str, object] = {"name": name}
        if parent is None:
            world[name] = (sx, sy, 0.0)
        else:
            px, py, pr = world[parent]
            angle = math.radians(-pr)
            dx, dy = sx - px, sy - py
            entry["parent"] = parent
            entry["x"] = round(dx * math.cos(angle) - dy * math.sin(angle), 3)
            entry["y"] = round(dx * math.sin(angle) + dy * math.cos(angle), 3)
            entry["rotation"] = round(rotation - pr, 3)
            world[name] = (sx, sy, rotation)
        if length:
            entry["length"] = round(length, 3)
        bones.append(entry)
    slots, attachments = [], {}
    for layer in draw_character(1.0):
        Image.fromarray(layer.rgba).save(images / f"{layer.name}.png")
        bone = SLOT_BONES[layer.name]
        bx, by, br = world[bone]
        cx, cy = skeleton_point(layer.left + layer.width / 2, layer.top + layer.height / 2)
        angle = math.radians(-br)
        dx, dy = cx - bx, cy - by
        region = {
            "x": round(dx * math.cos(angle) - dy * math.sin(angle), 3),
            "y": round(dx * math.sin(angle) + dy * math.cos(angle), 3),
            "rotation": round(-br, 3),
            "width": layer.width,
            "height": layer.height,
        }
        slots.append({"name": layer.name, "bone": bone, "attachment": layer.name})
        attachments[layer.name] = {layer.name: region}
    width, height = canvas_size(1.0)
    bend = {"rotate": [{"value": 0}, {"time": 0.5, "value": 25}, {"time": 1, "value": 0}]}
    document = {
        "skeleton": {
            "hash": "hero-bones",
            "spine": "4.2.43",
            "x": -256,
            "y": 0,
            "width": width,
            "height": height,
            "images": "./images/",
            "audio": "",
        },
        "bones": bones,
        "slots": slots,
        "skins": [{"name": "default", "attachments": attachments}],
        "animations": {
            "walk": {
                "bones": {
                    "shin_left": bend,
                    "shin_right": {
                        "rotate": [
                            {"value": 0},
                            {"time": 0.5, "value": -25},
                            {"time": 1, "value": 0},
                        ]
                    },
                    "lower_arm_left": bend,
                    "head": {"translate": [{"x": 0}, {"time": 0.5, "x": 6}, {"time": 1, "x": 0}]},
                    "face": {"translate": [{"x": 0}, {"time": 0.5, "x": 8}, {"time": 1, "x": 0}]},
                }
            }
        },
    }
    path = out / "hero-bones.json"
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT")
    args = parser.parse_args(argv)
    print(build(args.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
