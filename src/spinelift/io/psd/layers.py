"""Walk psd-tools' layer tree into flat :class:`~spinelift.io.document.Layer` values.

The rules (which layers are kept, skipped or merged, how opacity, visibility
and blend modes combine down the groups) are stated in :mod:`.reader`; this
module carries them out, bottom-most layer first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psd_tools.api.layers import AdjustmentLayer, FillLayer
from psd_tools.constants import BlendMode

from spinelift.io.document import Layer, LayerTags
from spinelift.io.psd.composite import Box, render_layer, render_stored
from spinelift.io.psd.tags import parse_name

SPINE_BLEND_MODES = {
    BlendMode.NORMAL: "normal",
    BlendMode.PASS_THROUGH: "normal",
    BlendMode.LINEAR_DODGE: "additive",
    BlendMode.MULTIPLY: "multiply",
    BlendMode.SCREEN: "screen",
}
"""psd-tools blend mode -> Spine slot blend (every other mode maps to ``normal``)"""


@dataclass(frozen=True)
class _Context:
    """What the enclosing groups pass down to their children."""

    path: tuple[str, ...] = ()
    raw_path: tuple[str, ...] = ()
    tags: tuple[LayerTags, ...] = ()
    visible: bool = True
    opacity: float = 1.0
    blend: Any = None  # the nearest enclosing group's own (non pass-through) blend mode


class LayerWalker:
    """One pass over a document's layers: ``walk()`` once, then read the results."""

    def __init__(self, psd: Any, color_mode: str, canvas: tuple[int, int], max_pixels: int):
        self._psd = psd
        self._mode = color_mode
        self._canvas = canvas
        self._max_pixels = max_pixels
        self._layers: list[Layer] = []
        self._skipped: list[tuple[str, str]] = []
        self._problems: list[str] = []
        self._failed = 0

    def walk(
        self,
    ) -> tuple[tuple[Layer, ...], tuple[tuple[str, str], ...], tuple[str, ...], int]:
        """Return (layers bottom to top, skipped, tag problems, layers that failed to draw)."""
        self._visit(self._psd, _Context())
        return tuple(self._layers), tuple(self._skipped), tuple(self._problems), self._failed

    def _visit(self, group: Any, context: _Context) -> None:
        for node in group:
            parsed = parse_name(node.name)
            self._problems.extend(parsed.problems)
            label = "/".join((*context.raw_path, node.name))
            reason = self._skip_reason(node, parsed.name, parsed.tags)
            if reason:
                self._skipped.append((label, reason))
                continue
            if node.is_group() and not parsed.tags.merge:
                self._visit(node, self._enter(node, parsed.name, parsed.tags, context))
                continue
            self._add(node, parsed.name, parsed.tags, context, label)

    @staticmethod
    def _skip_reason(node: Any, name: str, tags: LayerTags) -> str | None:
        if tags.ignore:
            return "[ignore] tag"
        if node.clipping and not node.is_group():
            return "clipping mask: drawn into the layer it clips to"
        if isinstance(node, AdjustmentLayer):
            return f"adjustment layer ({node.kind}): Spine cannot apply it"
        if isinstance(node, FillLayer):
            return f"fill layer ({node.kind}): not supported, rasterize it to keep it"
        if tags.overlay:
            return "[overlay] tag: overlays are not supported yet"
        if not name and not node.is_group():
            return "the name is empty once its [tags] are removed"
        return None

    @staticmethod
    def _enter(node: Any, name: str, tags: LayerTags, context: _Context) -> _Context:
        own_blend = node.blend_mode
        blend = (
            context.blend if own_blend in (BlendMode.PASS_THROUGH, BlendMode.NORMAL) else own_blend
        )
        return _Context(
            path=(*context.path, name),
            raw_path=(*context.raw_path, node.name),
            tags=(*context.tags, tags),
            visible=context.visible and bool(node.visible),
            opacity=context.opacity * node.opacity / 255.0,
            blend=blend,
        )

    def _add(self, node: Any, name: str, tags: LayerTags, context: _Context, label: str) -> None:
        viewport = self._viewport(node)
        if viewport is None:
            self._skipped.append((label, "empty layer: no pixels"))
            return
        merging = node.is_group()
        try:
            drawn = self._draw(node, viewport, merging)
        except Exception as exc:  # psd-tools raises many types on layers it cannot draw
            self._failed += 1
            reason = str(exc).splitlines()[0] if str(exc) else ""
            self._skipped.append((label, f"could not be drawn ({type(exc).__name__}: {reason})"))
            return
        if drawn is None:
            self._skipped.append((label, "empty layer: every pixel is transparent"))
            return
        rgba, left, top = drawn
        rgba.setflags(write=False)
        blend = node.blend_mode
        if blend in (BlendMode.NORMAL, BlendMode.PASS_THROUGH) and context.blend is not None:
            blend = context.blend
        self._layers.append(
            Layer(
                name=name,
                raw_name=node.name,
                rgba=rgba,
                left=left,
                top=top,
                opacity=context.opacity * node.opacity / 255.0,
                blend_mode=SPINE_BLEND_MODES.get(blend, "normal"),
                psd_blend_mode=blend.name.lower(),
                visible=context.visible and bool(node.visible),
                has_mask=bool(node.has_mask() or node.has_vector_mask()),
                kind=str(node.kind),
                group_path=context.path,
                group_tags=context.tags,
                tags=tags,
                index=len(self._layers),
            )
        )

    def _draw(self, node: Any, viewport: Box, merging: bool) -> tuple[Any, int, int] | None:
        try:
            return render_layer(node, viewport, self._mode, self._includer(merging))
        except ImportError:
            # psd-tools draws vector shapes, strokes and gradients only with its
            # optional extras; the raster Photoshop stored is the next best thing
            if merging:
                raise
            drawn = render_stored(node, self._mode)
            if drawn is None:
                raise
            return drawn

    def _viewport(self, node: Any) -> Box | None:
        """The layer's box; only its part on the canvas when the whole is over the limit."""
        left, top, right, bottom = (int(v) for v in node.bbox)
        if right <= left or bottom <= top:
            return None
        if (right - left) * (bottom - top) > self._max_pixels:
            width, height = self._canvas
            left, top = max(left, 0), max(top, 0)
            right, bottom = min(right, width), min(bottom, height)
            if right <= left or bottom <= top:
                return None
        return left, top, right, bottom

    @staticmethod
    def _includer(merging: bool) -> Any:
        """Which other layers a render draws: visible clipped layers (and children)."""

        def include(other: Any) -> bool:
            if not other.visible:
                return False
            return not (merging and parse_name(other.name).tags.ignore)

        return include
