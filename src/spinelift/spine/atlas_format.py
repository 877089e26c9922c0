"""The Spine 4 texture atlas text (libGDX-based), as the 4.x runtimes parse it.

Checked against spine-ts ``TextureAtlas.ts`` (the 4.x reader) and the atlases Esoteric
ships with the runtimes (``examples/spineboy/export/spineboy.atlas``)::

    skeleton.png
    \tsize: 256, 128
    \tfilter: Linear, Linear
    head
    \tbounds: 2, 2, 103, 81
    arm/left
    \tbounds: 107, 2, 40, 60

    skeleton_2.png
    ...

* A page starts with its image name (the reader trims it); ``key: value`` lines follow
  (``size``, ``format``, ``filter``, ``repeat``, ``pma``). The first line without a
  colon is a region name (taken verbatim, not trimmed), then that region's fields.
  An empty line ends the page.
* ``bounds: x, y, width, height`` place the region on the page, in pixels from the
  page's top-left corner, y down. Without ``offsets`` the region's original size is its
  size (nothing was stripped); without ``rotate`` it is not rotated.
* Values are split at commas and trimmed; indentation is optional (Spine writes a tab).
* ``pma: true`` marks premultiplied-alpha pages; absent means straight alpha.

So a name may not be empty, hold a line break or a ``:``, or start or end with blanks;
:func:`atlas_text` refuses such names (use :func:`spinelift.spine.paths.safe_path`).
Region names must be unique in an atlas: the runtimes' ``findRegion`` returns the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

TEXTURE_FILTERS = (
    "Nearest",
    "Linear",
    "MipMap",
    "MipMapNearestNearest",
    "MipMapLinearNearest",
    "MipMapNearestLinear",
    "MipMapLinearLinear",
)
"""The filter names the runtimes know (spine-ts ``TextureFilter``)."""


@dataclass(frozen=True)
class AtlasRegion:
    """One image on a page: ``x``, ``y`` from the page's top-left corner (y down)."""

    name: str
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class AtlasPage:
    """One page image and the regions on it."""

    name: str
    """the page image's file name, e.g. ``skeleton.png`` (relative to the atlas file)"""
    width: int
    height: int
    regions: tuple[AtlasRegion, ...]
    min_filter: str = "Linear"
    mag_filter: str = "Linear"
    pma: bool = False
    """the page's colours are premultiplied by alpha"""


def atlas_text(pages: Sequence[AtlasPage]) -> str:
    """The atlas file text for ``pages`` (tab-indented like Spine's packer, ends in a newline).

    Deterministic: pages and regions are written in the given order. Raises
    ``ValueError`` for a name the runtimes would misread, a duplicate region name, an
    unknown filter, or a region that is empty or does not lie inside its page.
    """
    if not pages:
        raise ValueError("an atlas needs at least one page")
    seen_pages: set[str] = set()
    seen_regions: set[str] = set()
    blocks: list[str] = []
    for page in pages:
        _check_name(page.name, "page")
        if page.name in seen_pages:
            raise ValueError(f"two atlas pages are named {page.name!r}")
        seen_pages.add(page.name)
        for filt in (page.min_filter, page.mag_filter):
            if filt not in TEXTURE_FILTERS:
                raise ValueError(f"unknown texture filter {filt!r}; use one of {TEXTURE_FILTERS}")
        if page.width <= 0 or page.height <= 0:
            raise ValueError(f"page {page.name!r} has size {page.width}x{page.height}")
        lines = [
            page.name,
            f"\tsize: {page.width}, {page.height}",
            f"\tfilter: {page.min_filter}, {page.mag_filter}",
        ]
        if page.pma:
            lines.append("\tpma: true")
        for region in page.regions:
            _check_region(region, page)
            if region.name in seen_regions:
                raise ValueError(f"two atlas regions are named {region.name!r}")
            seen_regions.add(region.name)
            lines.append(region.name)
            lines.append(f"\tbounds: {region.x}, {region.y}, {region.width}, {region.height}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _check_name(name: str, what: str) -> None:
    problem = None
    if not name or not name.strip():
        problem = "is empty"
    elif name != name.strip():
        problem = "starts or ends with blanks"
    elif ":" in name:
        problem = "contains ':' (the atlas reader would take the line for a field)"
    elif any(c in name for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        problem = "contains a line break"
    if problem:
        raise ValueError(f"atlas {what} name {name!r} {problem}")


def _check_region(region: AtlasRegion, page: AtlasPage) -> None:
    _check_name(region.name, "region")
    if region.width <= 0 or region.height <= 0:
        raise ValueError(f"region {region.name!r} is empty ({region.width}x{region.height})")
    inside = (
        region.x >= 0
        and region.y >= 0
        and region.x + region.width <= page.width
        and region.y + region.height <= page.height
    )
    if not inside:
        raise ValueError(f"region {region.name!r} does not lie inside page {page.name!r}")
