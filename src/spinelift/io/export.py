"""Document -> Spine project on disk: skeleton JSON, atlas + pages (or loose images),
and a preview. The main job of ``spinelift convert``.

Steps: plan each layer's role (:mod:`spinelift.io.rig`), pad each layer image so
the mesh has room for its margin, mesh every layer (worker processes,
:mod:`spinelift.io.meshing`), place each mesh on its bone in skeleton space,
pack the images, then write. Everything is written into a fresh temporary
folder next to the output and moved into place at the end, skeleton JSON last,
so an interrupted export never leaves a skeleton pointing at missing images;
a ``.zip`` is written to a temporary file and renamed.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from spinelift.core import Mesh
from spinelift.errors import EmptyDocumentError, InvalidParametersError, SpineLiftError
from spinelift.io.atlas import pack_atlas, write_atlas, write_loose_images
from spinelift.io.character_preview import PlacedMesh, render_character_preview
from spinelift.io.document import Document
from spinelift.io.export_image import ExportImage, layer_export_image, layer_mesh_settings
from spinelift.io.export_options import ExportOptions
from spinelift.io.files import write_atomic
from spinelift.io.image import write_png
from spinelift.io.meshing import LayerProgress, MeshJob, MeshOutcome, mesh_all
from spinelift.io.rig import ROOT, LayerRole, plan_roles
from spinelift.spine import (
    BLEND_MODES,
    BlendMode,
    Bone,
    Skeleton,
    Skin,
    Slot,
    mesh_attachment_for_layer,
    region_attachment_for_layer,
    safe_path,
    skeleton_dumps,
    slot_color,
)

__all__ = ["ExportOptions", "ExportResult", "LayerReport", "export_document"]


@dataclass(frozen=True, eq=False)
class LayerReport:
    """One line of the summary: what became of a layer."""

    name: str
    attachment: str
    slot: str
    vertices: int
    hull: int
    triangles: int
    overdraw: float
    seconds: float
    error: SpineLiftError | None = None


@dataclass(frozen=True, eq=False)
class ExportResult:
    """What was written and how each layer went."""

    output: Path
    files: tuple[str, ...]
    layers: tuple[LayerReport, ...]
    skipped: tuple[tuple[str, str], ...]

    @property
    def failed(self) -> tuple[LayerReport, ...]:
        return tuple(r for r in self.layers if r.error is not None)


def export_document(
    document: Document,
    output: str | Path,
    options: ExportOptions | None = None,
    progress: LayerProgress | None = None,
    *,
    meshes: Mapping[int, Mesh] | None = None,
) -> ExportResult:
    """Mesh and write ``document`` as a Spine project at ``output`` (a folder, or a file
    ending in ``.zip``). Layers that fail to mesh are reported and left out; if none
    is left, :class:`InvalidParametersError` is raised and nothing is written.

    ``meshes``: precomputed meshes by layer position in ``document.layers``, each made
    from :func:`~spinelift.io.export_image.layer_export_image` of that layer with the
    same options; those layers are not meshed again (skeleton, atlas and preview use
    the given mesh). A mesh whose size is not its export image's raises
    :class:`InvalidParametersError` naming the layer."""
    options = options or ExportOptions()
    if not 0 < options.scale <= 16:
        raise InvalidParametersError(
            f"scale must be in (0, 16], got {options.scale}", details={"fields": {"scale": "range"}}
        )
    roles = plan_roles(document, include_hidden=options.include_hidden)
    if not roles:
        raise EmptyDocumentError(
            f"{document.source_name}: no layer to export"
            + (f" ({len(document.skipped)} skipped: see the report)" if document.skipped else ""),
            details={"skipped": [list(s) for s in document.skipped]},
        )
    given = dict(meshes or {})
    position = {id(layer): k for k, layer in enumerate(document.layers)}
    images: list[ExportImage] = []
    jobs: list[MeshJob] = []
    todo: list[int] = []
    outcomes: list[MeshOutcome | None] = []
    for k, role in enumerate(roles):
        settings = layer_mesh_settings(role.layer, options)
        image = layer_export_image(role.layer, options, settings)
        images.append(image)
        mesh = given.get(position[id(role.layer)])
        if mesh is None:
            todo.append(k)
            jobs.append(MeshJob(role.region, image.rgba, settings))
            outcomes.append(None)
            continue
        if (mesh.width, mesh.height) != (image.width, image.height):
            raise InvalidParametersError(
                f"layer {role.layer.raw_name!r}: the given mesh is {mesh.width}x{mesh.height}, "
                f"its export image {image.width}x{image.height}: mesh layer_export_image()",
                details={"layer": role.layer.raw_name},
            )
        outcomes.append(MeshOutcome(role.region, mesh, None, 0.0))
    made = mesh_all(
        jobs, max_dimension=options.max_dimension, workers=options.workers, progress=progress
    )
    for k, outcome in zip(todo, made, strict=True):
        outcomes[k] = outcome
    done = [o for o in outcomes if o is not None]
    name = safe_path(Path(document.source_name).stem, fallback="skeleton").replace("/", "_")
    skeleton, pngs, placed, reports = _assemble(document, roles, images, done, options, name)
    files = _write(output, name, skeleton, pngs, placed, document, options)
    return ExportResult(Path(output), tuple(files), tuple(reports), document.skipped)


def _assemble(
    document: Document,
    roles: list[LayerRole],
    exported: list[ExportImage],
    outcomes: list[MeshOutcome],
    options: ExportOptions,
    name: str,
) -> tuple[Skeleton, dict[str, np.ndarray], list[PlacedMesh], list[LayerReport]]:
    ox, oy = options.origin.point(document.width, document.height)
    scale = options.scale
    bones = _bones(roles, outcomes, ox, oy, scale)
    world = {b.name: (b.x, b.y) for b in bones}  # bones are unrotated: accumulate below
    for bone in bones:
        if bone.parent is not None:
            px, py = world[bone.parent]
            world[bone.name] = (px + bone.x, py + bone.y)
    slots: dict[str, Slot] = {}
    skins: dict[str, dict[str, dict[str, Any]]] = {}
    images: dict[str, np.ndarray] = {}
    placed: list[PlacedMesh] = []
    reports: list[LayerReport] = []
    for role, image, outcome in zip(roles, exported, outcomes, strict=True):
        layer = role.layer
        left, top = image.left, image.top
        mesh = outcome.mesh
        placed.append(
            PlacedMesh(image.rgba, round(left), round(top), layer.opacity, layer.visible, mesh)
        )
        if mesh is None:
            reports.append(
                LayerReport(
                    layer.raw_name,
                    role.attachment,
                    role.slot,
                    0,
                    0,
                    0,
                    0.0,
                    outcome.seconds,
                    outcome.error,
                )
            )
            continue
        bx, by = world[role.bone]
        common: dict[str, Any] = {
            "canvas_left": left,
            "canvas_top": top,
            "bone_world_x": bx,
            "bone_world_y": by,
            "origin_x": ox,
            "origin_y": oy,
            "scale": scale,
            "path": role.region,
        }
        attachment = (
            mesh_attachment_for_layer(mesh, **common)
            if role.as_mesh
            else region_attachment_for_layer(mesh.width, mesh.height, **common)
        )
        images[role.region] = image.rgba
        skin = skins.setdefault(role.skin, {}).setdefault(role.slot, {})
        key = role.attachment
        while key in skin:
            key += "_"
        skin[key] = attachment
        if role.slot not in slots:
            slots[role.slot] = Slot(
                name=role.slot,
                bone=role.bone,
                color=slot_color(max(0.0, min(1.0, layer.opacity))),
                attachment=key if layer.visible else None,
                blend=_blend(layer.blend_mode),
            )
        elif slots[role.slot].attachment is None and layer.visible:
            old = slots[role.slot]
            slots[role.slot] = Slot(old.name, old.bone, old.color, key, old.blend)
        reports.append(
            LayerReport(
                layer.raw_name,
                key,
                role.slot,
                mesh.vertex_count,
                mesh.hull_count,
                mesh.triangle_count,
                mesh.overdraw(),
                outcome.seconds,
            )
        )
    if not images:
        first = next((r.error for r in reports if r.error is not None), None)
        raise EmptyDocumentError(
            f"{document.source_name}: no layer could be meshed"
            + (f" (first error: {first})" if first else ""),
            details={"layers": [r.name for r in reports]},
        )
    used_bones = {s.bone for s in slots.values()}
    kept = [b for b in bones if b.name == ROOT or _has_user(b.name, bones, used_bones)]
    skin_list = [Skin("default", skins.pop("default", {}))]
    skin_list += [Skin(n, skins[n]) for n in sorted(skins)]
    skeleton = Skeleton(
        name=name,
        bones=tuple(kept),
        slots=tuple(slots.values()),
        skins=tuple(skin_list),
        images="./images/",
    )
    return skeleton, images, placed, reports


def _blend(mode: str) -> BlendMode:
    """The layer's blend mode as Spine's (the PSD reader already maps what Spine has)."""
    for known in BLEND_MODES:
        if mode == known:
            return known  # type: ignore[return-value]  # BLEND_MODES holds BlendMode values
    return "normal"


def _bones(
    roles: list[LayerRole], outcomes: list[MeshOutcome], ox: float, oy: float, scale: float
) -> list[Bone]:
    """The root at the origin, then each tagged bone at the centre of its layers' box."""
    boxes: dict[str, list[float]] = {}
    parents: dict[str, str] = {}
    for role in roles:
        layer = role.layer
        x0, y0 = float(layer.left), float(layer.top)
        x1, y1 = x0 + layer.width, y0 + layer.height
        for depth, bone in enumerate(role.bones):
            parents.setdefault(bone, role.bones[depth - 1] if depth else ROOT)
            box = boxes.setdefault(bone, [x0, y0, x1, y1])
            box[:] = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
    world: dict[str, tuple[float, float]] = {ROOT: (0.0, 0.0)}
    out = [Bone(ROOT)]
    for bone in boxes:  # insertion order: a parent is always met before its children
        x0, y0, x1, y1 = boxes[bone]
        wx, wy = ((x0 + x1) / 2 - ox) * scale, (oy - (y0 + y1) / 2) * scale
        world[bone] = (round(wx, 2), round(wy, 2))
        parent = parents[bone]
        px, py = world[parent]
        out.append(Bone(bone, parent, round(world[bone][0] - px, 2), round(world[bone][1] - py, 2)))
    return out


def _has_user(bone: str, bones: list[Bone], used: set[str]) -> bool:
    if bone in used:
        return True
    return any(b.parent == bone and _has_user(b.name, bones, used) for b in bones)


def _write(
    output: str | Path,
    name: str,
    skeleton: Skeleton,
    images: dict[str, np.ndarray],
    placed: list[PlacedMesh],
    document: Document,
    options: ExportOptions,
) -> list[str]:
    target = Path(output)
    as_zip = target.suffix.lower() == ".zip"
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        # the PNG encoders release the GIL: atlas pages and preview encode side by side
        with ThreadPoolExecutor(max_workers=2) as pool:
            tasks: list[Future[object]] = []
            if options.atlas:
                atlas = pack_atlas(
                    images, name=name, max_page_size=options.max_page_size,
                    padding=options.atlas_padding, bleed=options.bleed,
                )  # fmt: skip
                tasks.append(pool.submit(write_atlas, atlas, staging))
            else:
                tasks.append(pool.submit(write_loose_images, images, staging / "images"))
            if options.preview:
                size = (document.width, document.height)
                tasks.append(pool.submit(_write_preview, staging / "preview.png", size, placed))
            for task in tasks:
                task.result()
        text = skeleton_dumps(skeleton, spine_version=options.spine_version, indent=2)
        write_atomic(staging / f"{name}.json", text.encode("utf-8"))
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        if as_zip:
            _zip(staging, files, target)
        else:
            _move_into(staging, files, target, skeleton_file=f"{name}.json")
        return files
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_preview(path: Path, size: tuple[int, int], placed: list[PlacedMesh]) -> Path:
    """Draw the character with its meshes and write it (fast compression: a preview)."""
    return write_png(path, render_character_preview(size, placed), compress_level=1)


def _zip(staging: Path, files: list[str], target: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel in files:
            info = zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (staging / rel).read_bytes())
    write_atomic(target, buffer.getvalue())


def _move_into(staging: Path, files: list[str], target: Path, *, skeleton_file: str) -> None:
    """Move each file into ``target``, the skeleton JSON last (it names the others)."""
    target.mkdir(parents=True, exist_ok=True)
    for rel in sorted(files, key=lambda f: f == skeleton_file):
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).replace(destination)
