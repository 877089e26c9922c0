"""Pictures of bound attachments: the art, its mesh, its bones, and weights as colours.

Each bone an attachment uses gets a colour; a vertex is drawn in the weighted mix of its
bones' colours and each triangle is filled with the mix of its corners (faintly, over the
art), so where one bone hands over to the next is visible at a glance. Bones are drawn as
lines from start to end with a dot at the start, in their colour.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from spinelift.io.bind import BoundAttachment
from spinelift.io.image import write_png

PALETTE = (
    (230, 25, 75),
    (60, 180, 75),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
)
SIZE = 320
"""Longest side of each attachment's picture, in pixels."""


def render_bound(attachment: BoundAttachment, size: int = SIZE) -> Image.Image:
    """One attachment drawn at ``size`` pixels on its longest side (see module docstring)."""
    assert attachment.image is not None and attachment.mesh is not None
    assert attachment.weights is not None
    rgba = attachment.image
    height, width = rgba.shape[:2]
    scale = size / max(width, height)
    margin = 12
    canvas = Image.new(
        "RGBA", (round(width * scale) + 2 * margin, round(height * scale) + 2 * margin), "white"
    )
    art = Image.fromarray(rgba, "RGBA").resize(
        (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR
    )
    canvas.alpha_composite(art, (margin, margin))
    colours = np.array(
        [PALETTE[i % len(PALETTE)] for i in range(attachment.weights.shape[1])], dtype=np.float64
    )
    mixed = attachment.weights @ colours
    points = attachment.mesh.vertices * scale + margin
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for tri in attachment.mesh.triangles:
        colour = tuple(int(c) for c in mixed[tri].mean(axis=0))
        corners = [tuple(points[i]) for i in tri]
        draw.polygon(corners, fill=(*colour, 110), outline=(40, 40, 40, 150))
    for (x, y), colour in zip(points, mixed, strict=True):
        draw.ellipse((x - 2.5, y - 2.5, x + 2.5, y + 2.5), fill=(*(int(c) for c in colour), 255))
    if attachment.bone_pixels is not None:
        for k, (start, end) in enumerate(attachment.bone_pixels * scale + margin):
            colour = PALETTE[k % len(PALETTE)]
            draw.line([tuple(start), tuple(end)], fill=(*colour, 255), width=3)
            draw.ellipse(
                (start[0] - 4, start[1] - 4, start[0] + 4, start[1] + 4), fill=(*colour, 255)
            )
    canvas.alpha_composite(overlay)
    rows = len(attachment.bones)
    framed = Image.new("RGBA", (canvas.width, canvas.height + 12 * rows + 18), "white")
    framed.alpha_composite(canvas, (0, 12 * rows + 18))
    legend = ImageDraw.Draw(framed)
    legend.text((4, 2), attachment.label, fill=(0, 0, 0, 255))
    for k, name in enumerate(attachment.bones):
        legend.text((4, 16 + 12 * k), name, fill=(*PALETTE[k % len(PALETTE)], 255))
    return framed


def write_previews(attachments: list[BoundAttachment], target: Path) -> list[Path]:
    """One PNG per weighted attachment in folder ``target``, or one sheet when ``target``
    ends with ``.png``; return the files written."""
    bound = [a for a in attachments if a.status == "weighted" and a.mesh is not None]
    pictures = [render_bound(a) for a in bound]
    if target.suffix.lower() == ".png":
        target.parent.mkdir(parents=True, exist_ok=True)
        write_png(target, np.asarray(_sheet(pictures)))
        return [target]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for attachment, picture in zip(bound, pictures, strict=True):
        name = attachment.label.replace("/", "__") + ".png"
        written.append(write_png(target / name, np.asarray(picture)))
    return written


def _sheet(pictures: list[Image.Image]) -> Image.Image:
    if not pictures:
        return Image.new("RGBA", (1, 1), "white")
    columns = max(1, math.ceil(math.sqrt(len(pictures))))
    cell_w = max(p.width for p in pictures)
    cell_h = max(p.height for p in pictures)
    rows = math.ceil(len(pictures) / columns)
    sheet = Image.new("RGBA", (columns * cell_w, rows * cell_h), "white")
    for k, picture in enumerate(pictures):
        sheet.alpha_composite(picture, ((k % columns) * cell_w, (k // columns) * cell_h))
    return sheet
