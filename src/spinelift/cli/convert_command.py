"""``spinelift convert ART -o OUT``: a PSD (or PNGs) in, a Spine project out.

OUT is a folder, or a file ending in ``.zip``. It receives ``NAME.json`` (the
skeleton), ``NAME.atlas`` with its page PNGs (or ``images/`` with
``--loose-images``) and ``preview.png`` (the character with every mesh drawn).
A table lists each layer's mesh; layers that fail are listed with their error and
the others are still exported (exit code 1).

Size: over 300 lines, on purpose: the convert command's flags and their help text are
most of it; the work is in io/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from spinelift.cli.exit_codes import EPILOG, OUTPUT_WRITE_FAILED, ExitCode, exit_code_for_codes
from spinelift.cli.report import print_failure, text_table
from spinelift.cli.settings_flags import add_settings_arguments, settings_from_args
from spinelift.core.settings import MeshSettings
from spinelift.errors import InvalidParametersError
from spinelift.io.origin import Origin
from spinelift.spine.versions import DEFAULT_SPINE_VERSION, SPINE_VERSIONS

if TYPE_CHECKING:  # imported when the command runs: `convert --help` stays light
    from spinelift.io.document import Document
    from spinelift.io.export import ExportOptions, ExportResult

DOCUMENT_NOTE = "(document)"
"""the name of a skipped entry that is a note on the whole document (a file without layers,
whose merged image is used), not a layer"""

DESCRIPTION = """\
Convert a layered PSD/PSB (or a PNG, or a folder of PNGs: one layer each) into a
Spine project: every layer a mesh attachment placed where it sat in the art.

OUT is a folder, or a .zip file. Layer-name tags as Spine's Import PSD reads them
([ignore], [merge], [bone], [slot], [skin], [folder], [mesh], [scale:X], [pad:N],
[path], [trim], [overlay], [origin], ...; see docs/psd.md) shape the rig, and a tag naming a
mesh setting ([detail_factor:0.005]) tunes that layer's mesh."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``convert`` subcommand."""
    parser = subparsers.add_parser(
        "convert",
        help="turn a PSD (or PNGs) into a Spine project",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("art", type=Path, metavar="ART", help="PSD/PSB file, PNG file or folder")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT",
        help="output folder, or a file ending in .zip",
    )
    parser.add_argument(
        "--layer",
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE[,KEY=VALUE]",
        help="mesh settings for one layer by name, e.g. 'hair:detail_factor=0.005' (repeatable)",
    )
    parser.add_argument(
        "--spine-version",
        default=DEFAULT_SPINE_VERSION,
        choices=sorted(SPINE_VERSIONS),
        help="Spine version of the JSON (default: 4.2)",
    )
    parser.add_argument(
        "--loose-images",
        action="store_true",
        help="write images/<name>.png instead of a packed atlas",
    )
    parser.add_argument(
        "--max-page-size",
        type=int,
        default=2048,
        metavar="PX",
        help="largest atlas page side (default: 2048)",
    )
    parser.add_argument(
        "--atlas-padding",
        type=int,
        default=2,
        metavar="PX",
        help="transparent pixels between atlas regions (default: 2)",
    )
    parser.add_argument(
        "--image-padding",
        type=int,
        default=2,
        metavar="PX",
        help="transparent pixels added around each layer image (default: 2)",
    )
    parser.add_argument(
        "--origin",
        choices=[o.value for o in Origin],
        default=Origin.BOTTOM_CENTER.value,
        help="canvas point of the skeleton origin when the PSD has no [origin] layer "
        "or guides (default: bottom-center)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="resample every image by this (times a layer's [scale:X]); the skeleton is "
        "in scaled pixels (default: 1.0)",
    )
    parser.add_argument(
        "--no-trim",
        action="store_true",
        help="every image is the canvas size (the editor's Trim whitespace off; a "
        "layer's [trim] tag wins)",
    )
    parser.add_argument(
        "--skip-hidden",
        action="store_true",
        help="leave hidden layers out (default: exported, not shown)",
    )
    parser.add_argument("--no-preview", action="store_true", help="do not write preview.png")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for meshing (default: one per core)",
    )
    parser.add_argument(
        "--max-dimension",
        type=int,
        default=4096,
        metavar="PX",
        help="refuse layers wider or taller than this (default: 4096)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report instead")
    parser.add_argument(
        "--skeleton",
        type=Path,
        metavar="RIGGED.json",
        help="re-import the art into this rigged skeleton: matched attachments get the new "
        "art meshed and bound to its bones (see spinelift rig); OUT gets NAME.json + images/",
    )
    add_settings_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``spinelift convert``; return the exit code."""
    if getattr(args, "skeleton", None) is not None:  # re-import into a rigged skeleton
        from spinelift.cli.rig_command import run_reimport

        return run_reimport(args, load_document(args.art))
    from spinelift.io.export import ExportOptions

    settings = settings_from_args(args)
    options = ExportOptions(
        settings=settings,
        layer_settings=_layer_settings(args.layer, settings),
        spine_version=args.spine_version,
        atlas=not args.loose_images,
        max_page_size=args.max_page_size,
        atlas_padding=args.atlas_padding,
        image_padding=args.image_padding,
        origin=Origin(args.origin),
        scale=args.scale,
        trim=not args.no_trim,
        include_hidden=not args.skip_hidden,
        preview=not args.no_preview,
        max_dimension=args.max_dimension,
        workers=args.workers,
    )
    start = time.perf_counter()
    try:
        document = load_document(args.art)
    except OSError as exc:  # unreadable (permissions, a folder where a file is due): bad input
        raise InvalidParametersError(
            f"{args.art}: cannot read it ({exc.strerror or exc})", details={"path": str(args.art)}
        ) from None
    try:
        result = _export(document, args, options)
    except OSError as exc:
        target = exc.filename or args.output
        message = f"cannot write {target}: {exc.strerror or exc}"
        code = ExitCode.OUTPUT_FAILED
        print_failure(OUTPUT_WRITE_FAILED, message, code, details={"path": str(target)},
                      as_json=args.json)  # fmt: skip
        return int(code)
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps(_report(result, seconds), indent=2), flush=True)
    else:
        _print_table(result, seconds)
    return int(_exit_code(result))


def _exit_code(result: ExportResult) -> ExitCode:
    """Layers that failed: exit 1 (the others were written), or the gravest row of
    :mod:`~spinelift.cli.exit_codes` when a failure was internal."""
    code = exit_code_for_codes(r.error.code for r in result.failed if r.error is not None)
    return ExitCode.ITEMS_FAILED if code is ExitCode.BAD_INPUT else code


def _export(document: Document, args: argparse.Namespace, options: ExportOptions) -> ExportResult:
    from spinelift.io.export import export_document

    show_bar = not args.json and sys.stderr.isatty()
    if show_bar:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        # no refresh thread: meshing forks worker processes only while no other thread runs
        console = Console(stderr=True)
        with Progress(*columns, console=console, transient=True, auto_refresh=False) as bar:
            task = bar.add_task("meshing", total=len(document.layers))
            result = export_document(
                document,
                args.output,
                options,
                lambda done, total, name: bar.update(
                    task, completed=done, description=name, refresh=True
                ),
            )
    else:
        result = export_document(document, args.output, options)
    return result


def load_document(art: Path) -> Document:
    """Read the art: a PSD/PSB, a PNG, or a folder of PNGs."""
    from spinelift.io.png_document import read_png_document
    from spinelift.io.psd import read_psd

    if art.is_dir():
        pngs = sorted(p for p in art.iterdir() if p.suffix.lower() == ".png")
        if not pngs:
            raise InvalidParametersError(f"{art}: the folder holds no .png file")
        return read_png_document(pngs, name=art.name)
    if not art.exists():
        raise InvalidParametersError(f"{art}: no such file")
    if art.suffix.lower() == ".png":
        return read_png_document([art], name=art.name)
    return read_psd(art)


def _layer_settings(specs: list[str], base: MeshSettings) -> dict[str, MeshSettings]:
    out: dict[str, MeshSettings] = {}
    for spec in specs:
        name, sep, pairs = spec.rpartition(":")
        if not sep or not name or "=" not in pairs:
            raise InvalidParametersError(
                f"--layer {spec!r}: expected NAME:KEY=VALUE[,KEY=VALUE], "
                "e.g. 'hair:detail_factor=0.005'"
            )
        values = dict(pair.partition("=")[::2] for pair in pairs.split(","))
        out[name] = base.with_text_values({k.strip(): v for k, v in values.items()})
    return out


def _report(result: ExportResult, seconds: float) -> dict[str, object]:
    from spinelift import __version__

    return {
        "spinelift": __version__,
        "output": str(result.output),
        "files": list(result.files),
        "seconds": round(seconds, 3),
        "layers": [
            {
                "name": r.name,
                "attachment": r.attachment,
                "slot": r.slot,
                "vertices": r.vertices,
                "hull_vertices": r.hull,
                "triangles": r.triangles,
                "overdraw_percent": round(r.overdraw * 100, 2),
                "milliseconds": round(r.seconds * 1000, 1),
                "error": None if r.error is None else r.error.body(),
            }
            for r in result.layers
        ],
        "skipped": [{"layer": n, "reason": why} for n, why in result.skipped],
        "exported": len(result.layers) - len(result.failed),
        "failed": len(result.failed),
        "total_layers": len(result.layers)
        + sum(name != DOCUMENT_NOTE for name, _ in result.skipped),
        "exit_code": int(_exit_code(result)),
    }


def _print_table(result: ExportResult, seconds: float) -> None:
    """The per-layer table, the errors and skipped layers, then the summary line: plain
    aligned text (no colour, nothing to import; the same whether printed to a terminal or
    a pipe)."""
    header = ("attachment", "slot", "vertices", "hull", "triangles", "overdraw", "ms")
    rows = [
        (r.attachment, r.slot, "-", "-", "-", "-", f"{r.seconds * 1000:.0f}")
        if r.error is not None
        else (
            r.attachment,
            r.slot,
            str(r.vertices),
            str(r.hull),
            str(r.triangles),
            f"{r.overdraw * 100:.1f}%",
            f"{r.seconds * 1000:.0f}",
        )
        for r in result.layers
    ]
    lines = [str(result.output), *text_table(header, rows, left=2)]
    for r in result.failed:
        assert r.error is not None
        lines.append(f"error: {r.error.code}: {r.name}: {r.error.message}")
    for name, why in result.skipped:
        label = "note" if name == DOCUMENT_NOTE else f"skipped: {name or '(unnamed layer)'}"
        lines.append(f"{label}: {why}")
    lines.append(summary_line(result, seconds))
    print("\n".join(lines), flush=True)


def summary_line(result: ExportResult, seconds: float) -> str:
    """``16 of 19 layers exported, 3 skipped: OUT (files) in 0.52 s``: every layer of the
    document counted, the skipped and failed ones named above it (a note on the whole
    document, such as a file without layers, is not a layer)."""
    skipped = [s for s in result.skipped if s[0] != DOCUMENT_NOTE]
    total = len(result.layers) + len(skipped)
    exported = len(result.layers) - len(result.failed)
    parts = [f"{exported} of {total} layer{'s' if total != 1 else ''} exported"]
    if result.failed:
        parts.append(f"{len(result.failed)} failed")
    if skipped:
        parts.append(f"{len(skipped)} skipped")
    return f"{', '.join(parts)}: {result.output} ({', '.join(result.files)}) in {seconds:.2f} s"
