"""A PSD that exercises every Import PSD rule, built with psd-tools from plain shapes.

One group per rule, each with a control layer, on a 480 x 360 canvas. Every layer is an
opaque rectangle (no third-party art); :data:`BOXES` gives each layer's canvas box
``(left, top, right, bottom)``, so a test can check where the export puts its pixels.
Layers are created bottom first (psd-tools adds each new layer on top of its group).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image
from psd_tools import PSDImage
from psd_tools.constants import Resource
from psd_tools.psd.image_resources import GridGuidesInfo, ImageResource

CANVAS = (480, 360)
ORIGIN = (245.0, 305.0)
"""the centre of the ``[origin]`` layer"""


@dataclass(frozen=True)
class Rect:
    """A layer: its name (tags included), box, colour, and options."""

    name: str
    box: tuple[int, int, int, int]
    colour: tuple[int, int, int] = (90, 140, 200)
    visible: bool = True
    mask: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Group:
    name: str
    children: list[Rect | Group] = field(default_factory=list)


TREE: list[Rect | Group] = [
    Group(
        "overlays",
        [
            Rect("ov_base", (10, 10, 50, 50), (255, 255, 255)),
            Rect("shade [overlay]", (30, 30, 70, 70), (255, 0, 0)),
            Rect("ov_above", (40, 60, 70, 90), (255, 255, 255)),
        ],
    ),
    Group(
        "skins",
        [
            Group("[skin:red]", [Rect("fist", (110, 10, 130, 30), (220, 30, 30))]),
            Group("[skin:blue]", [Rect("fist", (112, 12, 132, 32), (30, 30, 220))]),
            Rect("fist_plain", (140, 10, 150, 20)),
        ],
    ),
    Group(
        "scale",
        [Rect("[scale:0.5] half", (160, 10, 200, 50)), Rect("full", (210, 10, 250, 50))],
    ),
    Group(
        "paths",
        [
            Rect("armimg [path:arm_picture]", (260, 10, 280, 30)),
            Group(
                "legs [path:p_*]",
                [Rect("leg", (290, 10, 300, 30)), Rect("[!path] foot", (305, 10, 315, 30))],
            ),
            Rect("plainpath", (320, 10, 330, 20)),
        ],
    ),
    Group(
        "patterns [name:L_*] [bone:b_*] [slot:s_*]",
        [
            Rect("hand [bone]", (340, 10, 360, 30)),
            Rect("[!name] [!slot] [!bone] foot2 [bone]", (365, 10, 380, 30)),
        ],
    ),
    Group(
        "trims",
        [
            Rect("[trim:canvas] canvasimg", (10, 100, 30, 120)),
            Rect("[trim:mask] maskimg", (40, 100, 50, 110), mask=(35, 95, 60, 120)),
            Rect("[trim] wsimg", (70, 100, 80, 110)),
            Rect("plaintrim", (85, 100, 95, 110)),
        ],
    ),
    Group(
        "pads",
        [
            Rect("[pad:0] nopad", (100, 100, 110, 110)),
            Rect("[pad:6] bigpad", (120, 100, 130, 110)),
            Group("padgroup [pad:4]", [Rect("padchild", (140, 100, 150, 110))]),
            Rect("padplain", (160, 100, 170, 110)),
        ],
    ),
    Group(
        "bonesgroup [bones]",
        [Rect("ba", (190, 100, 200, 110)), Rect("bb [!bones]", (210, 100, 220, 110))],
    ),
    Group(
        "slotsgroup [slots]",
        [
            Group("pair", [Rect("p1", (230, 100, 240, 110)), Rect("p2", (245, 100, 255, 110))]),
            Rect("[!slots] solo", (260, 100, 270, 110)),
        ],
    ),
    Group(
        "body [bone]",
        [
            Rect("torso", (290, 100, 340, 160)),
            Rect("chest", (300, 110, 310, 120)),
            Rect("hidden_top", (320, 140, 330, 150), visible=False),
        ],
    ),
    Rect("gem [slot:jewels/gem]", (360, 100, 370, 110)),
    Group(
        "capes [slot:cape]",
        [
            Rect("cape_src [mesh]", (380, 100, 420, 140)),
            Rect("cape_alt [mesh:cape_src]", (385, 105, 415, 135), (200, 60, 160)),
        ],
    ),
    Rect("plain", (400, 200, 440, 240)),
    Rect("o [origin]", (240, 300, 250, 310)),
]

BOXES: dict[str, tuple[int, int, int, int]] = {}


def _collect(nodes: list[Rect | Group]) -> None:
    for node in nodes:
        if isinstance(node, Group):
            _collect(node.children)
        else:
            BOXES.setdefault(node.name, node.box)


_collect(TREE)


def _add(parent: Any, nodes: list[Rect | Group]) -> None:
    for node in nodes:
        if isinstance(node, Group):
            group = parent.create_group(name=node.name)
            _add(group, node.children)
            continue
        left, top, right, bottom = node.box
        image = Image.new("RGBA", (right - left, bottom - top), (*node.colour, 255))
        layer = parent.create_pixel_layer(image, name=node.name, top=top, left=left)
        if node.mask is not None:
            ml, mt, mr, mb = node.mask
            if layer.has_mask():
                layer.remove_mask()
            layer.create_mask(Image.new("L", (mr - ml, mb - mt), 255), top=mt, left=ml)
        if not node.visible:
            layer.visible = False


def build(tree: list[Rect | Group], *, guides: list[tuple[float, int]] | None = None) -> bytes:
    """A PSD of ``tree`` on :data:`CANVAS`; ``guides``: (position px, 0 vertical | 1
    horizontal) written to the Grid and Guides resource."""
    psd = PSDImage.new("RGB", CANVAS, color=(255, 255, 255))
    _add(psd, tree)
    if guides:
        info = GridGuidesInfo(data=[(round(p * 32), d) for p, d in guides])
        psd.image_resources[Resource.GRID_AND_GUIDES_INFO] = ImageResource(
            key=Resource.GRID_AND_GUIDES_INFO, data=info
        )
    buffer = BytesIO()
    psd.save(buffer)
    return buffer.getvalue()


def write_feature_psd(path: Path) -> Path:
    """The feature PSD (:data:`TREE`) at ``path``."""
    path.write_bytes(build(TREE))
    return path
