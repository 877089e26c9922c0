"""The bundled sample character as a layered PSD (for the demo and the tests).

:func:`write_sample_psd` writes :func:`spinelift.samples.draw_character`'s layers
into an 8-bit RGB PSD with groups and PhotoshopToSpine tags, so that
:func:`~spinelift.io.psd.read_psd` reads back every part at the same position.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from PIL import Image
from psd_tools import PSDImage

from spinelift.atomic import write_atomic
from spinelift.samples import canvas_size, draw_character

GROUPS: dict[str, tuple[str, ...]] = {
    "arm_left [bone:arm_left]": ("upper_arm_left", "lower_arm_left"),
    "head [bone:head]": ("head", "eyes", "mouth"),
    "arm_right [bone:arm_right]": ("upper_arm_right", "lower_arm_right", "staff"),
}
"""group name (with tags) -> the parts it holds; every other part sits at the top level"""
TAGGED: dict[str, str] = {
    "eyes": "eyes [folder:face]",
    "mouth": "mouth [folder:face]",
    "hair": "hair [detail_factor:0.005]",
}
"""part -> its layer name in the PSD, when it carries a tag"""


def write_sample_psd(path: str | os.PathLike[str], scale: float = 1.0) -> Path:
    """Write the sample character of ``scale`` (0.1-2) as a PSD at ``path``, atomically.

    Layers keep the parts' back-to-front order; consecutive parts of one entry of
    :data:`GROUPS` go in that group. Deterministic: same scale, same bytes.
    """
    width, height = canvas_size(scale)
    psd = PSDImage.new("RGB", (width, height), color=(255, 255, 255))
    group_of = {part: group for group, parts in GROUPS.items() for part in parts}
    groups: dict[str, object] = {}
    for part in draw_character(scale):
        image = Image.fromarray(part.rgba.copy(), "RGBA")
        name = TAGGED.get(part.name, part.name)
        group_name = group_of.get(part.name)
        parent = psd
        if group_name is not None:
            if group_name not in groups:
                groups[group_name] = psd.create_group(name=group_name)
            parent = groups[group_name]  # type: ignore[assignment]
        parent.create_pixel_layer(image, name=name, top=part.top, left=part.left)
    buffer = BytesIO()
    psd.save(buffer)
    return write_atomic(path, buffer.getvalue())
