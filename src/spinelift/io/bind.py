"""``spinelift rig``'s work: every region and unweighted mesh of a skeleton becomes a
weighted mesh bound to the bones, in memory (files are the caller's).

For each attachment (every skin): its image (:class:`ImageSource`) is meshed by the
engine (``build_mesh``: 0 clipped pixels), placed so every texel sits where the original
attachment drew it in the setup pose (:func:`~spinelift.spine.bound_mesh.texel_placement`),
given interior vertices along the bones that cross it
(:func:`~spinelift.core.bind_mesh.add_bone_vertices`), bound to the bones chosen by
:func:`~spinelift.core.bind_bones.choose_bones` (or named by the user) with
:func:`~spinelift.core.weights.bone_weights`, and written in the weighted layout.
Everything else in the document is kept as it was. Deform timelines of flat meshes
follow them onto the new weighted mesh (:mod:`spinelift.spine.deform`); those of meshes
that were already weighted (``reweight``) are dropped, each named in ``warnings``.

Size: just over 300 lines, on purpose: reading the skeleton, finding images, binding
each attachment and reporting are the one `spinelift rig` flow.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from spinelift.core.bind_bones import ChoiceRules, choose_bones
from spinelift.core.bind_mesh import add_bone_vertices
from spinelift.core.mesh import Mesh
from spinelift.core.settings import MeshSettings
from spinelift.core.weights import Method, bone_weights
from spinelift.errors import ImageNotFoundError, InvalidParametersError
from spinelift.spine.bind_geometry import art_samples, bone_roles, to_pixels, world_placement
from spinelift.spine.bone_pose import bone_parents, bone_segments, world_transforms
from spinelift.spine.bound_mesh import is_weighted, weighted_mesh
from spinelift.spine.deform import reexpress_keys
from spinelift.spine.skeleton_data import AttachmentRef, SkeletonData, read_skeleton
from spinelift.spine.timelines import deform_timelines, drop_deform_timelines

FloatArray = npt.NDArray[np.float64]
RgbaArray = npt.NDArray[np.uint8]


class ImageSource(Protocol):
    """Where attachment images come from (a folder of PNGs, an atlas)."""

    def has(self, path: str) -> bool: ...

    def image(self, path: str) -> RgbaArray: ...

    def describe(self, path: str) -> str: ...


MeshBuilder = Callable[[RgbaArray, MeshSettings], Mesh]


@dataclass(frozen=True, slots=True)
class RigOptions:
    """``settings``: mesh settings for the hulls; ``max_influences`` per vertex;
    ``bones``: attachment -> bone names to use (keys: ``name``, ``slot/name`` or
    ``skin/slot/name``); ``reweight``: also rebind meshes that are already weighted;
    ``method``: weight formula (:mod:`spinelift.core.weights`); ``only``: the
    attachments to bind (``skin/slot/name``), None for all."""

    settings: MeshSettings = field(default_factory=MeshSettings)
    max_influences: int = 4
    bones: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reweight: bool = False
    method: Method = "blend"
    rules: ChoiceRules = field(default_factory=ChoiceRules)
    only: frozenset[str] | None = None
    """bind only these attachments (``skin/slot/name``); None: every one"""


@dataclass(frozen=True, slots=True)
class BoundAttachment:
    """One attachment's outcome: ``status`` ``weighted``, ``kept`` (left as it was, with
    ``reason``); the bones used, vertex count, time in ms; ``mesh``/``weights``/
    ``world_vertices`` for previews."""

    label: str
    status: str
    reason: str = ""
    bones: tuple[str, ...] = ()
    vertices: int = 0
    milliseconds: float = 0.0
    image: RgbaArray | None = None
    mesh: Mesh | None = None
    weights: FloatArray | None = None
    bone_pixels: FloatArray | None = None


@dataclass(frozen=True, slots=True)
class RigResult:
    """The rewritten document, one outcome per attachment considered, and warnings."""

    document: dict[str, Any]
    attachments: list[BoundAttachment]
    warnings: list[str]


def rig_skeleton(
    document: Any,
    images: ImageSource,
    options: RigOptions = RigOptions(),
    build: MeshBuilder | None = None,
) -> RigResult:
    """Bind every region and unweighted mesh attachment of ``document`` (a parsed
    skeleton JSON, left untouched: the result is a copy). Raises the skeleton errors of
    :func:`~spinelift.spine.skeleton_data.read_skeleton`, :class:`ImageNotFoundError`
    (naming every missing image) before any work, and :class:`InvalidParametersError`
    for ``bones`` naming unknown attachments or bones."""
    data = read_skeleton(copy.deepcopy(document))
    if build is None:
        from spinelift.core.pipeline import build_mesh

        build = build_mesh
    world = world_transforms(data.bones, data.constraints)
    segments = bone_segments(data.bones, world)
    parents = bone_parents(data.bones)
    det = world[:, 0, 0] * world[:, 1, 1] - world[:, 0, 1] * world[:, 1, 0]
    usable = np.abs(det) > 1e-9
    art_bones, control_bones = bone_roles(data)
    targets, outcomes = _targets(data, options)
    # control points: zero-length leaf bones without art (a face's look-at control)
    lengths_all = np.hypot(*(segments[:, 1] - segments[:, 0]).T)
    leaf = np.ones(len(data.bones), dtype=bool)
    leaf[parents[parents >= 0]] = False
    handles = leaf & (lengths_all < 1e-6) & ~art_bones & ~control_bones
    _check_images(targets, images)
    chosen_by_user = _user_bones(data, targets, options.bones)
    meshes: dict[str, Mesh] = {}
    flat_meshes: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for ref in targets:
        started = time.perf_counter()
        slot_bone = data.slots[ref.slot]
        if not usable[slot_bone] and not is_weighted(ref.mapping):
            outcomes.append(
                BoundAttachment(
                    ref.label, "kept", "its slot's bone is scaled to 0 in the setup pose"
                )
            )
            continue
        rgba = images.image(ref.path)
        base = meshes.get(ref.path)
        if base is None:
            base = build(rgba, options.settings)
            meshes[ref.path] = base
        to_world = world_placement(ref.mapping, rgba, world, slot_bone, data)
        samples = art_samples(rgba, options.settings.alpha_threshold)
        art = to_world(samples)
        user = chosen_by_user.get(ref.label)
        if user is not None:
            bones = np.asarray(user, dtype=np.int64)
            bias = np.where(bones == slot_bone, options.rules.slot_bias, options.rules.child_bias)
        else:
            blocked = art_bones.copy()
            blocked[slot_bone] = False
            choice = choose_bones(
                segments,
                parents,
                slot_bone,
                art,
                usable=usable,
                blocked=blocked,
                excluded=control_bones,
                controls=handles,
                rules=options.rules,
            )
            bones, bias = choice.bones, choice.bias
        pixel_segments = to_pixels(segments[bones], samples, art)
        # one bone moves the art rigidly: interior vertices would bend nothing
        mesh = (
            add_bone_vertices(base, pixel_segments, min_angle=options.settings.min_angle)
            if len(bones) > 1
            else base
        )
        world_vertices = to_world(mesh.vertices)
        broad = handles[bones] & (bones != slot_bone)
        weights = bone_weights(
            world_vertices,
            mesh.triangles,
            segments[bones],
            bias=bias,
            broad=broad,
            method=options.method,
            max_influences=options.max_influences,
        )
        size = _nonessential_size(ref.mapping, rgba)
        new = weighted_mesh(ref.mapping, mesh, world_vertices, bones, weights, world, size=size)
        if ref.kind == "mesh" and not is_weighted(ref.mapping):
            key = (ref.skin, ref.slot, ref.name)
            flat_meshes[key] = (
                ref.mapping,
                new,
                mesh.vertices,
                (mesh.width, mesh.height),
                slot_bone,
            )
        _replace(data, ref, new)
        outcomes.append(
            BoundAttachment(
                ref.label,
                "weighted",
                bones=tuple(data.bones[int(b)].name for b in bones),
                vertices=mesh.vertex_count,
                milliseconds=(time.perf_counter() - started) * 1000.0,
                image=rgba,
                mesh=mesh,
                weights=weights,
                bone_pixels=pixel_segments,
            )
        )
    changed = {(r.skin, r.slot, r.name) for r in targets} - set(flat_meshes)
    for _, key, timelines in deform_timelines(data.document):
        if key in flat_meshes:  # a flat mesh's keys follow it onto the new mesh
            old, new, pixels, size, bone = flat_meshes[key]
            timelines["deform"] = reexpress_keys(
                timelines["deform"], old, new, pixels, size, world, bone
            )
    warnings = [
        f"deform timeline dropped: animation {anim!r}, attachment {skin}/{slot}/{name} "
        "(it moved the old vertices; the attachment is now weighted)"
        for anim, skin, slot, name in drop_deform_timelines(data.document, changed)
    ]
    return RigResult(document=data.document, attachments=outcomes, warnings=warnings)


def _targets(
    data: SkeletonData, options: RigOptions
) -> tuple[list[AttachmentRef], list[BoundAttachment]]:
    targets: list[AttachmentRef] = []
    kept: list[BoundAttachment] = []
    for ref in data.attachments():
        kind = ref.kind
        if kind not in ("region", "mesh") or (
            options.only is not None and ref.label not in options.only
        ):
            continue
        if "sequence" in ref.mapping:
            kept.append(BoundAttachment(ref.label, "kept", "image sequences are not bound"))
        elif kind == "mesh" and "parent" in ref.mapping:
            continue  # linked meshes follow their parent
        elif kind == "mesh" and is_weighted(ref.mapping) and not options.reweight:
            kept.append(BoundAttachment(ref.label, "kept", "already weighted (--reweight rebinds)"))
        else:
            targets.append(ref)
    return targets, kept


def _check_images(targets: list[AttachmentRef], images: ImageSource) -> None:
    missing = [(ref, images.describe(ref.path)) for ref in targets if not images.has(ref.path)]
    if missing:
        listing = "; ".join(f"{ref.label} needs {where}" for ref, where in missing[:10])
        more = f" (and {len(missing) - 10} more)" if len(missing) > 10 else ""
        raise ImageNotFoundError(
            f"{len(missing)} image(s) missing: {listing}{more}",
            details={
                "attachment": missing[0][0].label,
                "path": missing[0][0].path,
                "looked_for": [where for _, where in missing],
            },
        )


def _user_bones(
    data: SkeletonData, targets: list[AttachmentRef], choices: Mapping[str, tuple[str, ...]]
) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    used: set[str] = set()
    for ref in targets:
        for key in (ref.label, f"{ref.slot}/{ref.name}", ref.name):
            if key in choices:
                used.add(key)
                names = choices[key]
                unknown = [n for n in names if n not in {b.name for b in data.bones}]
                if unknown or not names:
                    raise InvalidParametersError(
                        f"--bones {key}: unknown bone(s) {', '.join(unknown) or '(none given)'}",
                        details={"fields": {"bones": key}},
                    )
                slot_bone = data.slots[ref.slot]
                indices = [data.bone_index(n) for n in names]
                out[ref.label] = indices if slot_bone in indices else [slot_bone, *indices]
                break
    known: set[str] = set()
    for ref in data.attachments():
        known.update((ref.label, f"{ref.slot}/{ref.name}", ref.name))
    unknown_keys = sorted(set(choices) - used - known)
    if unknown_keys:
        raise InvalidParametersError(
            f"--bones names attachment(s) the skeleton does not have: {', '.join(unknown_keys)}",
            details={"fields": {"bones": unknown_keys}},
        )
    return out


def _nonessential_size(mapping: Mapping[str, Any], rgba: RgbaArray) -> tuple[float, float]:
    if "width" in mapping and "height" in mapping:
        return float(mapping["width"]), float(mapping["height"])
    return float(rgba.shape[1]), float(rgba.shape[0])


def _replace(data: SkeletonData, ref: AttachmentRef, new: dict[str, Any]) -> None:
    for skin in data.document.get("skins") or []:
        if str(skin.get("name", "")) == ref.skin:
            skin["attachments"][ref.slot][ref.name] = new
            return
