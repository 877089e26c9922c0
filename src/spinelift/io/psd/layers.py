"""Walk psd-tools' layer tree into flat :class:`~spinelift.io.document.Layer` values.

The rules (which layers are kept, skipped or merged, how opacity, visibility
and blend modes combine down the groups) are stated in :mod:`.reader`; this
module carries them out, bottom-most layer first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from psd_tools.api.layers import AdjustmentLayer, FillLayer
from psd_tools.constants import BlendMode

from spinelift.io.document import Layer, LayerTags
from spinelift.io.psd.composite import Box, clip_overlay, render_layer, render_stored
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
    child_bones: bool = False  # the enclosing group has [bones]
    child_slots: bool = False  # the enclosing group has [slots]


@dataclass(frozen=True, eq=False)
class _Overlay:
    """An ``[overlay]`` drawn (rgba, left, top) and how many layers lay below it."""

    drawn: tuple[Any, int, int]
    opacity: float
    mode: str
    below: int


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
        self._overlays: list[_Overlay] = []
        self.origin: tuple[float, float] | None = None
        """canvas centre of the top-most ``[origin]`` layer, once walked"""

    def walk(
        self,
    ) -> tuple[tuple[Layer, ...], tuple[tuple[str, str], ...], tuple[str, ...], int]:
        """Return (layers bottom to top, skipped, tag problems, layers that failed to draw)."""
        self._visit(self._psd, _Context())
        layers = list(self._layers)
        for overlay in self._overlays:
            for k in range(overlay.below):
                layer = layers[k]
                base = (layer.rgba, layer.left, layer.top)
                rgba = clip_overlay(base, overlay.drawn, overlay.opacity, overlay.mode)
                rgba.setflags(write=False)
                layers[k] = replace(layer, rgba=rgba)
        return tuple(layers), tuple(self._skipped), tuple(self._problems), self._failed

    def _visit(self, group: Any, context: _Context) -> None:
        for node in group:
            parsed = parse_name(node.name)
            self._problems.extend(parsed.problems)
            tags = _given_by_group(parsed.name, parsed.tags, context)
            label = "/".join((*context.raw_path, node.name))
            reason = self._skip_reason(node, parsed.name, tags)
            if reason:
                self._skipped.append((label, reason))
                continue
            if tags.origin:
                left, top, right, bottom = (int(v) for v in node.bbox)
                self.origin = ((left + right) / 2.0, (top + bottom) / 2.0)
                self._skipped.append((label, "[origin] tag: its centre is the skeleton's 0,0"))
                continue
            if tags.overlay:
                self._overlay(node, context, label)
                continue
            if node.is_group() and not tags.merge:
                self._visit(node, self._enter(node, parsed.name, tags, context))
                continue
            self._add(node, parsed.name, tags, context, label)

    def _overlay(self, node: Any, context: _Context, label: str) -> None:
        """Draw an ``[overlay]`` (a group merged first) for the layers below it."""
        viewport = self._viewport(node)
        visible = context.visible and bool(node.visible)
        drawn = None
        if visible and viewport is not None:
            try:
                drawn = self._draw(node, viewport, node.is_group())
            except Exception as exc:  # psd-tools raises many types on layers it cannot draw
                self._failed += 1
                reason = f"[overlay] could not be drawn ({type(exc).__name__})"
                self._skipped.append((label, reason))
                return
        if drawn is None:
            self._skipped.append((label, "[overlay] tag: hidden or empty, not drawn"))
            return
        blend = node.blend_mode
        self._overlays.append(
            _Overlay(
                drawn,
                context.opacity * node.opacity / 255.0,
                SPINE_BLEND_MODES.get(blend, "normal"),
                len(self._layers),
            )
        )
        self._skipped.append((label, "[overlay] tag: drawn into every layer below it"))

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
            child_bones=tags.bones,
            child_slots=tags.slots,
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
                mask_box=_mask_box(node),
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


def _given_by_group(name: str, tags: LayerTags, context: _Context) -> LayerTags:
    """``tags`` plus the ``[bone]`` / ``[slot]`` a ``[bones]`` / ``[slots]`` parent gives
    (unless the node has its own, or blocks it with ``[!bones]`` / ``[!slots]``)."""
    changes: dict[str, Any] = {}
    if context.child_bones and tags.bone is None and "bones" not in tags.escapes:
        changes["bone"] = name
    if context.child_slots and tags.slot is None and "slots" not in tags.escapes:
        changes["slot"] = name
    return replace(tags, **changes) if changes else tags


def _mask_box(node: Any) -> tuple[int, int, int, int] | None:
    """Canvas bounds of the layer's pixel mask, or ``None`` (no mask, or an empty one)."""
    try:
        mask = node.mask if node.has_mask() else None
        if mask is None:
            return None
        left, top, right, bottom = (int(v) for v in mask.bbox)
    except Exception:  # psd-tools raises many types on damaged mask records
        return None
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom
