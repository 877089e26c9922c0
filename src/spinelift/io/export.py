"""Document -> Spine project on disk: skeleton JSON, atlas + pages (or loose images),
and a preview. The main job of ``spinelift convert``.

Steps: plan each layer's role (:mod:`spinelift.io.rig`), make each layer's export image
(:mod:`spinelift.io.export_image`: trim, scale, padding), mesh every image (worker
processes, :mod:`spinelift.io.meshing`) unless a stored mesh is given, build the skeleton
(:mod:`spinelift.io.assemble`), pack the images, then write. Everything is written into a
fresh temporary folder next to the output and moved into place at the end, skeleton JSON
last, so an interrupted export never leaves a skeleton pointing at missing images; a
``.zip`` is written to a temporary file and renamed.

Size: over 300 lines, on purpose: the export's steps (plan, image, mesh, place, pack,
write) read top to bottom in one place; each step's logic lives in its own module.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from spinelift.atomic import write_atomic
from spinelift.core import Mesh
from spinelift.errors import (
    EmptyDocumentError,
    ImageTooLargeError,
    InvalidParametersError,
    SpineLiftError,
)
from spinelift.io.assemble import Placement, assemble
from spinelift.io.atlas import (
    EncodedAtlas,
    encode_atlas,
    pack_atlas,
    write_encoded_atlas,
    write_loose_images,
)
from spinelift.io.character_preview import (
    PlacedMesh,
    compose_character,
    draw_character_meshes,
    render_character_preview,
)
from spinelift.io.document import Document
from spinelift.io.export_image import (
    ExportImage,
    image_in_box,
    layer_export_image,
    layer_mesh_settings,
    mesh_max_dimension,
)
from spinelift.io.export_options import ExportOptions
from spinelift.io.image import write_png
from spinelift.io.meshing import LayerProgress, MeshJob, MeshOutcome, mesh_all
from spinelift.io.rig import LayerRole, origin_point, plan_roles
from spinelift.spine import Skeleton, safe_path, skeleton_dumps

__all__ = ["ExportOptions", "ExportResult", "LayerReport", "export_document"]

MAX_RUNTIME_PAGE = 16384
"""The largest atlas page the export grows to for one big image (GPU texture limit)."""


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
    is left, :class:`EmptyDocumentError` is raised and nothing is written.

    ``meshes``: precomputed meshes by layer position in ``document.layers``, each made
    from :func:`~spinelift.io.export_image.document_export_image` of that layer with the
    same options; those layers are not meshed again (skeleton, atlas and preview use
    the given mesh; a linked mesh's is ignored: it uses its source's). A mesh whose size
    is not its export image's raises :class:`InvalidParametersError` naming the layer."""
    options = options or ExportOptions()
    if not 0 < options.scale <= 16:
        raise InvalidParametersError(
            f"scale must be in (0, 16], got {options.scale}", details={"fields": {"scale": "range"}}
        )
    roles = plan_roles(document, include_hidden=options.include_hidden)
    if not roles:
        raise EmptyDocumentError(
            f"{document.source_name}: no layer to export"
            + (f"; skipped: {_skipped_text(document.skipped)}" if document.skipped else ""),
            details={"skipped": [list(s) for s in document.skipped]},
        )
    name = safe_path(Path(document.source_name).stem, fallback="skeleton").replace("/", "_")
    early: list[EncodedAtlas] = []  # the atlas, packed while the workers mesh
    backdrop: list[np.ndarray] = []  # the preview's layers, drawn while the workers mesh

    def meanwhile(jobs: list[MeshJob], made: dict[int, ExportImage]) -> None:
        early.extend(_early_atlas(jobs, name, options))
        if options.preview:
            backdrop.extend(_early_backdrop(document, roles, made))

    if meshes or any(r.linked is not None for r in roles):  # images not all meshed here
        images, outcomes = _mesh(document, roles, options, progress, dict(meshes or {}))
    else:
        images, outcomes = _mesh(document, roles, options, progress, {}, meanwhile)
    ox, oy = origin_point(document, options.origin)
    place = Placement(ox, oy, options.scale)
    reports = [_report(r, o) for r, o in zip(roles, outcomes, strict=True)]
    if all(o.mesh is None for o in outcomes):
        first = next((r.error for r in reports if r.error is not None), None)
        raise EmptyDocumentError(
            f"{document.source_name}: no layer could be meshed"
            + (f" (first error: {first})" if first else ""),
            details={"layers": [r.name for r in reports]},
        )
    skeleton = assemble(name, roles, images, [o.mesh for o in outcomes], place)
    pngs = {r.region: i.rgba for r, i, o in zip(roles, images, outcomes, strict=True) if o.mesh}
    placed = [_placed(r, i, o) for r, i, o in zip(roles, images, outcomes, strict=True)]
    ready = next((e for e in early if e.made_from(pngs)), None)  # else some layer failed
    files = _write(output, name, skeleton, pngs, placed, document, options, ready, backdrop)
    return ExportResult(Path(output), tuple(files), tuple(reports), document.skipped)


def _mesh(
    document: Document,
    roles: list[LayerRole],
    options: ExportOptions,
    progress: LayerProgress | None,
    given: dict[int, Mesh],
    meanwhile: Callable[[list[MeshJob], dict[int, ExportImage]], None] | None = None,
) -> tuple[list[ExportImage], list[MeshOutcome]]:
    """Each role's export image and mesh outcome (given, made here, or its source's)."""
    canvas = (document.width, document.height)
    position = {id(layer): k for k, layer in enumerate(document.layers)}
    images: dict[int, ExportImage] = {}
    outcomes: dict[int, MeshOutcome] = {}
    jobs: list[MeshJob] = []
    todo: list[int] = []
    for k, role in enumerate(roles):
        if role.linked is not None:
            continue
        settings = layer_mesh_settings(role.layer, options)
        image = layer_export_image(role.layer, options, settings, canvas=canvas)
        images[k] = image
        inner = (image.width - 2 * image.pad, image.height - 2 * image.pad)
        mesh = given.get(position[id(role.layer)])
        if max(inner) > options.max_dimension:
            error = ImageTooLargeError(
                f"layer {role.layer.raw_name!r}: its image is {inner[0]}x{inner[1]} px, over "
                f"the {options.max_dimension} px limit (lower [scale] or --max-dimension)",
                details={"layer": role.layer.raw_name, "max_dimension": options.max_dimension},
            )
            outcomes[k] = MeshOutcome(role.region, None, error, 0.0)
        elif mesh is None:
            todo.append(k)
            jobs.append(MeshJob(role.region, image.rgba, settings))
        elif (mesh.width, mesh.height) != (image.width, image.height):
            raise InvalidParametersError(
                f"layer {role.layer.raw_name!r}: the given mesh is {mesh.width}x{mesh.height}, "
                f"its export image {image.width}x{image.height}: mesh document_export_image()",
                details={"layer": role.layer.raw_name},
            )
        else:
            outcomes[k] = MeshOutcome(role.region, mesh, None, 0.0)
    limit = max((mesh_max_dimension(images[k], options) for k in todo), default=0)
    made = mesh_all(
        jobs,
        max_dimension=max(limit, options.max_dimension),
        workers=options.workers,
        progress=progress,
        meanwhile=None if meanwhile is None else lambda: meanwhile(jobs, images),
    )
    outcomes.update(zip(todo, made, strict=True))
    index = {id(role): k for k, role in enumerate(roles)}
    for k, role in enumerate(roles):
        if role.linked is None:
            continue
        source = index[id(role.linked)]
        src = images[source]
        images[k] = image_in_box(
            role.layer, src.box, (role.linked.tags.scale or 1.0) * options.scale, src.pad
        )
        made_source = outcomes[source]
        outcomes[k] = MeshOutcome(role.region, made_source.mesh, made_source.error, 0.0)
    order = range(len(roles))
    return [images[k] for k in order], [outcomes[k] for k in order]


def _report(role: LayerRole, outcome: MeshOutcome) -> LayerReport:
    mesh = outcome.mesh
    if mesh is None:
        return LayerReport(
            role.layer.raw_name, role.attachment, role.slot, 0, 0, 0, 0.0, outcome.seconds,
            outcome.error,
        )  # fmt: skip
    return LayerReport(
        role.layer.raw_name, role.attachment, role.slot, mesh.vertex_count, mesh.hull_count,
        mesh.triangle_count, mesh.overdraw(), outcome.seconds,
    )  # fmt: skip


def _placed(role: LayerRole, image: ExportImage, outcome: MeshOutcome) -> PlacedMesh:
    """The image and mesh in canvas pixels for the preview (a resampled image is drawn
    back at canvas size)."""
    layer, mesh = role.layer, outcome.mesh
    rgba = image.rgba
    if image.scale_x != 1.0 or image.scale_y != 1.0:
        size = (
            max(1, round(image.width / image.scale_x)),
            max(1, round(image.height / image.scale_y)),
        )
        back = Image.fromarray(np.ascontiguousarray(rgba), "RGBA").resize(
            size, Image.Resampling.BILINEAR
        )
        rgba = np.array(back, dtype=np.uint8)
        if mesh is not None:
            factor = np.array([size[0] / image.width, size[1] / image.height])
            mesh = Mesh(
                mesh.vertices * factor,
                mesh.triangles,
                mesh.hull_count,
                mesh.edges,
                size[0],
                size[1],
                mesh.stats,
            )
    return PlacedMesh(rgba, round(image.left), round(image.top), layer.opacity, layer.visible, mesh)


def _write(
    output: str | Path,
    name: str,
    skeleton: Skeleton,
    images: dict[str, np.ndarray],
    placed: list[PlacedMesh],
    document: Document,
    options: ExportOptions,
    ready: EncodedAtlas | None = None,
    backdrop: list[np.ndarray] | None = None,
) -> list[str]:
    target = Path(output)
    as_zip = target.suffix.lower() == ".zip"
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        # the preview is drawn and encoded in a thread while this one packs and writes the
        # atlas and the skeleton (the PNG encoder and OpenCV release the GIL)
        with ThreadPoolExecutor(max_workers=1) as pool:
            preview: Future[Path] | None = None
            if options.preview:
                size = (document.width, document.height)
                path = staging / "preview.png"
                preview = pool.submit(_write_preview, path, size, placed, backdrop or [])
            if options.atlas:
                write_encoded_atlas(ready or _encoded_atlas(images, name, options), staging)
            else:
                write_loose_images(images, staging / "images")
            text = skeleton_dumps(skeleton, spine_version=options.spine_version, indent=2)
            write_atomic(staging / f"{name}.json", text.encode("utf-8"))
            if preview is not None:
                preview.result()
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        if as_zip:
            _zip(staging, files, target)
        else:
            _move_into(staging, files, target, skeleton_file=f"{name}.json")
        return files
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _encoded_atlas(
    images: Mapping[str, np.ndarray], name: str, options: ExportOptions
) -> EncodedAtlas:
    """The atlas of ``images``, packed and encoded: pages as large as the options allow
    (grown up to the runtimes' limit for one big padded image)."""
    biggest = max(max(i.shape[:2]) for i in images.values()) + 2 * options.atlas_padding
    page = max(options.max_page_size, min(MAX_RUNTIME_PAGE, biggest))
    atlas = pack_atlas(
        images, name=name, max_page_size=page, padding=options.atlas_padding, bleed=options.bleed
    )
    return encode_atlas(atlas, images)


def _early_atlas(jobs: list[MeshJob], name: str, options: ExportOptions) -> list[EncodedAtlas]:
    """The atlas the export will write if every job meshes, made while workers mesh; none
    when there is no atlas to make or it cannot be made (the export then packs what did
    mesh, and reports any problem, as it would have)."""
    if not options.atlas or not jobs:
        return []
    try:
        return [_encoded_atlas({j.name: j.rgba for j in jobs}, name, options)]
    except (SpineLiftError, ValueError):
        return []


def _early_backdrop(
    document: Document, roles: list[LayerRole], made: dict[int, ExportImage]
) -> list[np.ndarray]:
    """The preview's layers without meshes (:func:`compose_character`), drawn while the
    workers mesh: the layers' images and places do not depend on their meshes."""
    if len(made) != len(roles):
        return []
    shown = [_placed(r, made[k], _NO_MESH) for k, r in enumerate(roles)]
    return [compose_character((document.width, document.height), shown)]


_NO_MESH = MeshOutcome("", None, None, 0.0)


def _write_preview(
    path: Path, size: tuple[int, int], placed: list[PlacedMesh], backdrop: list[np.ndarray]
) -> Path:
    """Draw the character with its meshes (over ``backdrop``, its layers drawn already,
    if given) and write it (fast compression: a preview)."""
    if backdrop:
        picture = draw_character_meshes(backdrop[0], size, placed)
    else:
        picture = render_character_preview(size, placed)
    return write_png(path, picture, compress_level=1)


def _zip(staging: Path, files: list[str], target: Path) -> None:
    import zipfile  # only for a .zip output

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel in files:
            info = zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
            # PNGs are deflated already: stored as they are (deflating them again took
            # ~60 ms for a 1.5 MB page and saved under 1 %); text is deflated
            png = rel.lower().endswith(".png")
            info.compress_type = zipfile.ZIP_STORED if png else zipfile.ZIP_DEFLATED
            archive.writestr(info, (staging / rel).read_bytes())
    write_atomic(target, buffer.getvalue())


def _move_into(staging: Path, files: list[str], target: Path, *, skeleton_file: str) -> None:
    """Move each file into ``target``, the skeleton JSON last (it names the others)."""
    target.mkdir(parents=True, exist_ok=True)
    for rel in sorted(files, key=lambda f: f == skeleton_file):
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).replace(destination)


def _skipped_text(skipped: tuple[tuple[str, str], ...], shown: int = 3) -> str:
    """The first ``shown`` skipped layers as ``name (reason)``, for an error message."""
    text = "; ".join(f"{name or '(unnamed layer)'} ({why})" for name, why in skipped[:shown])
    return text + (f"; and {len(skipped) - shown} more" if len(skipped) > shown else "")
