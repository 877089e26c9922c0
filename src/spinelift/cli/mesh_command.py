"""``spinelift mesh IMAGE... -o OUT``: one Spine mesh attachment JSON per image.

One image file in: ``-o`` is the JSON file to write (or an existing folder to write
``NAME.json`` in) and ``--preview`` the preview PNG (or a folder). A folder, or
several images, in: ``-o`` and ``--preview`` are folders, holding ``NAME.json`` and
``NAME.preview.png`` for each image (folders contribute their ``*.png`` files,
sorted, not recursive). Everything is checked before any image is processed; each
file is written atomically, and an image that fails leaves no file behind.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from spinelift import __version__
from spinelift.atomic import write_atomic
from spinelift.cli import report
from spinelift.cli.exit_codes import (
    EPILOG,
    INTERNAL_ERROR,
    OUTPUT_WRITE_FAILED,
    ExitCode,
    exit_code_for_codes,
)
from spinelift.cli.settings_flags import add_settings_arguments, settings_from_args
from spinelift.core.mesh import Mesh
from spinelift.core.settings import MeshSettings
from spinelift.errors import InvalidParametersError, SpineLiftError
from spinelift.io.image import read_image, write_png
from spinelift.io.preview import render_preview
from spinelift.spine.attachment import mesh_attachment
from spinelift.spine.json_format import dumps

DESCRIPTION = """\
Mesh each image and write its Spine mesh attachment as JSON.

One image file: -o is the JSON file to write (or an existing folder to write
NAME.json in) and --preview the preview PNG (or a folder).
A folder or several images: -o and --preview are folders that receive NAME.json
and NAME.preview.png for each image (a folder contributes its *.png files, sorted,
not recursive).

Inputs and settings are all checked before any image is processed. Every file is
written atomically; an image that fails leaves no file behind and the others go on."""

JSON_SUFFIX = ".json"
PREVIEW_SUFFIX = ".preview.png"


class MeshBuilder(Protocol):
    """The engine's ``build_mesh`` signature (injected so tests can use a fake)."""

    def __call__(
        self,
        rgba: npt.NDArray[np.uint8],
        settings: MeshSettings = ...,
        progress: Callable[[int, str], None] | None = ...,
        *,
        max_dimension: int = ...,
    ) -> Mesh: ...


@dataclass(frozen=True, slots=True)
class Job:
    """One image to mesh and where its files go."""

    name: str
    source: Path
    output: Path
    preview: Path | None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``mesh`` subcommand."""
    parser = subparsers.add_parser(
        "mesh",
        help="turn images into Spine mesh attachment JSON",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "images", nargs="+", type=Path, metavar="IMAGE", help="PNG files or folders"
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="OUT", help="JSON file or folder"
    )
    parser.add_argument(
        "--preview", type=Path, metavar="PATH", help="preview PNG file (one image) or folder"
    )
    parser.add_argument(
        "--max-dimension",
        type=_positive_int,
        default=4096,
        metavar="PX",
        help="refuse images wider or taller than this (default: 4096)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one machine-readable JSON summary on stdout"
    )
    add_settings_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, builder: MeshBuilder | None = None) -> int:
    """Run ``spinelift mesh``; return the exit code.

    Raises :class:`InvalidParametersError` (exit 2) for bad settings or inputs before
    anything is processed; per-image failures are reported and counted instead.
    """
    settings = settings_from_args(args)
    jobs = plan_jobs(args.images, args.output, args.preview)
    build = builder or _load_builder()
    results: list[report.ImageResult] = []
    with report.progress_display(len(jobs), enabled=len(jobs) > 1 and not args.json) as bar:
        for job in jobs:
            bar.start(job.name)
            result = _process(job, settings, build, args.max_dimension, bar.update)
            bar.finish()
            results.append(result)
            if not result.ok:
                bar.error(
                    result.error_code or INTERNAL_ERROR, f"{job.name}: {result.error_message}"
                )
            elif not args.json:
                bar.log(report.summary_line(result))
    code = _exit_code(results)
    failed = sum(not r.ok for r in results)
    if args.json:
        document: dict[str, Any] = {
            "spinelift": __version__,
            "settings": settings.to_dict(),
            "images": [report.result_record(r) for r in results],
            "succeeded": len(results) - failed,
            "failed": failed,
            "exit_code": int(code),
        }
        if failed:
            first = next(r for r in results if not r.ok)
            document["error"] = {
                "code": first.error_code,
                "message": f"{failed} of {len(results)} images failed; first: {first.name}: "
                f"{first.error_message}",
                "details": {"failed": [r.name for r in results if not r.ok]},
            }
        print(json.dumps(document, indent=2), flush=True)
    elif len(results) > 1:
        print(f"{len(results) - failed} of {len(results)} images meshed", flush=True)
    return int(code)


def plan_jobs(images: list[Path], output: Path, preview: Path | None) -> list[Job]:
    """Where each input's files go (see the module docstring).

    Raises :class:`InvalidParametersError` for a missing input, a folder with no PNG,
    two inputs with the same name, or an output that is a file where a folder is
    needed.
    """
    sources: list[Path] = []
    for image in images:
        if image.is_dir():
            found = sorted(p for p in image.iterdir() if p.suffix.lower() == ".png" and p.is_file())
            if not found:
                raise _usage(f"no .png images in folder {image}", image)
            sources.extend(found)
        elif image.exists():
            sources.append(image)
        else:
            raise _usage(f"{image} does not exist", image)
    single = len(images) == 1 and not images[0].is_dir()
    if single:
        name = _name(sources[0])
        out = output / (name + JSON_SUFFIX) if output.is_dir() else output
        prev = None
        if preview is not None:
            prev = preview / (name + PREVIEW_SUFFIX) if preview.is_dir() else preview
        return [Job(name, sources[0], out, prev)]
    for folder in (output, preview):
        if folder is not None and folder.exists() and not folder.is_dir():
            raise _usage(f"{folder} is a file; with several images it must be a folder", folder)
    jobs: list[Job] = []
    seen: dict[str, Path] = {}
    for source in sources:
        name = _name(source)
        if name in seen:
            raise _usage(f"{seen[name]} and {source} would both write {name}{JSON_SUFFIX}", source)
        seen[name] = source
        prev = None if preview is None else preview / (name + PREVIEW_SUFFIX)
        jobs.append(Job(name, source, output / (name + JSON_SUFFIX), prev))
    return jobs


def _process(
    job: Job,
    settings: MeshSettings,
    build: MeshBuilder,
    max_dimension: int,
    progress: Callable[[int, str], None],
) -> report.ImageResult:
    """Mesh one image and write its files; every failure becomes an error result."""
    try:
        rgba = read_image(job.source, max_dimension=max_dimension, max_pixels=max_dimension**2)
        started = time.perf_counter()
        mesh = build(rgba, settings, progress, max_dimension=max_dimension)
        milliseconds = (time.perf_counter() - started) * 1000.0
        text = dumps(mesh_attachment(mesh)) + "\n"
        picture = None if job.preview is None else render_preview(rgba, mesh)
    except SpineLiftError as exc:
        return _failed(job, exc.code, exc.message, exc.details)
    except Exception as exc:  # a bug must not become a traceback for users
        return _failed(job, INTERNAL_ERROR, f"{type(exc).__name__}: {exc} (please report this)")
    try:
        for path in (job.output, job.preview):
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(job.output, text.encode("utf-8"))
        if job.preview is not None and picture is not None:
            write_png(job.preview, picture)
    except OSError as exc:
        target = exc.filename or job.output
        message = f"cannot write {target}: {exc.strerror or exc}"
        return _failed(job, OUTPUT_WRITE_FAILED, message, {"path": str(target)})
    return report.ImageResult(
        name=job.name,
        source=job.source,
        output=job.output,
        preview=job.preview,
        vertices=mesh.vertex_count,
        hull_vertices=mesh.hull_count,
        triangles=mesh.triangle_count,
        overdraw_percent=mesh.overdraw() * 100.0,
        milliseconds=milliseconds,
    )


def _failed(
    job: Job, code: str, message: str, details: dict[str, object] | None = None
) -> report.ImageResult:
    return report.ImageResult(
        name=job.name,
        source=job.source,
        error_code=code,
        error_message=message,
        error_details=dict(details or {}),
    )


def _exit_code(results: list[report.ImageResult]) -> ExitCode:
    """The gravest row of the table: an unreadable image is a bad input (2) like a
    missing one; an image that could not be meshed is 1."""
    return exit_code_for_codes(r.error_code for r in results if not r.ok)


def _load_builder() -> MeshBuilder:
    """The real engine, imported late so ``--help`` stays fast."""
    from spinelift.core.pipeline import build_mesh

    return build_mesh


def _name(path: Path) -> str:
    return path.stem


def _usage(message: str, path: Path) -> InvalidParametersError:
    return InvalidParametersError(message, details={"path": str(path)})


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
