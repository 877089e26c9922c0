"""``spinelift rig SKELETON.json (--images DIR | --atlas FILE) -o OUT.json``: bind meshes to bones.

Every region attachment and every unweighted mesh attachment, in every skin, becomes a
weighted mesh (see :mod:`spinelift.io.bind`); everything else in the skeleton is kept.
The skeleton and every image are checked before any work; OUT is written atomically
(nothing is written when anything fails), previews after it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from spinelift.cli.exit_codes import EPILOG
from spinelift.cli.settings_flags import add_settings_arguments, settings_from_args
from spinelift.errors import InvalidParametersError, SkeletonError

DESCRIPTION = """\
Bind a Spine skeleton's attachments to its bones as weighted meshes.

Every region and unweighted mesh attachment in every skin is replaced by a mesh from
SpineLift's engine (every opaque pixel covered), placed exactly where the attachment
drew its image in the setup pose, with interior vertices along the bones that cross
it, and weighted to the bones chosen for it: its slot's bone and the bones of its
branch that run over its art (or the bones named with --bones). Bones, slots,
constraints, events and animations are kept; deform keys of flat meshes follow them
onto the new mesh (those of --reweight-ed meshes are dropped with a warning). Images
are DIR/PATH.png (PATH: the attachment's path or name) or the regions of an atlas."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``rig`` subcommand."""
    parser = subparsers.add_parser(
        "rig",
        help="bind a Spine skeleton's attachments to its bones as weighted meshes",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("skeleton", type=Path, metavar="SKELETON", help="Spine 4.x skeleton JSON")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", type=Path, metavar="DIR", help="folder of PATH.png images")
    source.add_argument("--atlas", type=Path, metavar="FILE", help="texture atlas (.atlas)")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="OUT", help="skeleton JSON to write"
    )
    parser.add_argument(
        "--max-bones-per-vertex",
        type=int,
        default=4,
        metavar="N",
        help="most bones one vertex follows [default: 4]",
    )
    parser.add_argument(
        "--bones",
        action="append",
        nargs="+",
        default=[],
        metavar="ATTACHMENT=BONE,BONE",
        help="bones an attachment may use (ATTACHMENT: name, slot/name or skin/slot/name)",
    )
    parser.add_argument(
        "--bones-file",
        type=Path,
        metavar="FILE",
        help="ATTACHMENT=BONE,BONE lines (# comments), or a JSON object attachment -> [bones]",
    )
    parser.add_argument(
        "--reweight", action="store_true", help="also rebind meshes already weighted"
    )
    parser.add_argument(
        "--weights",
        choices=("blend", "heat", "inverse_square"),
        default="blend",
        help="weight formula [default: blend of heat diffusion and inverse-square]",
    )
    parser.add_argument(
        "--preview",
        type=Path,
        metavar="DIR_OR_PNG",
        help="draw bones, mesh and weights: one PNG per attachment in DIR, or one sheet.png",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    add_settings_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``spinelift rig``; return the exit code (errors are raised)."""
    from spinelift.io.bind import RigOptions, rig_skeleton
    from spinelift.io.bind_images import AtlasImageSource, FolderImages
    from spinelift.io.files import write_json

    settings = settings_from_args(args)
    if args.max_bones_per_vertex < 1:
        raise InvalidParametersError(
            f"--max-bones-per-vertex must be at least 1, got {args.max_bones_per_vertex}",
            details={"fields": {"max_bones_per_vertex": args.max_bones_per_vertex}},
        )
    choices = read_bone_choices([item for group in args.bones for item in group], args.bones_file)
    document = read_skeleton_file(args.skeleton)
    if args.images is not None:
        if not args.images.is_dir():
            raise InvalidParametersError(f"--images {args.images} is not a folder", details={})
        images: Any = FolderImages(args.images)
    else:
        images = AtlasImageSource(args.atlas)
    options = RigOptions(
        settings=settings,
        max_influences=args.max_bones_per_vertex,
        bones=choices,
        reweight=args.reweight,
        method=args.weights,
    )
    started = time.perf_counter()
    result = rig_skeleton(document, images, options)
    seconds = time.perf_counter() - started
    if args.output.parent and not args.output.parent.exists():
        args.output.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.output, result.document)
    previews: list[str] = []
    if args.preview is not None:
        from spinelift.io.bind_preview import write_previews

        previews = [str(p) for p in write_previews(result.attachments, args.preview)]
    if args.json:
        print(json.dumps(_summary(result, args.output, seconds, previews), indent=2), flush=True)
    else:
        _print_table(result, args.output, seconds)
    return 0


def run_reimport(args: argparse.Namespace, document: Any) -> int:
    """``spinelift convert ART --skeleton RIGGED.json -o OUT``: re-import ``document`` (the
    art, already read) into the rigged skeleton (:mod:`spinelift.io.reimport`)."""
    from spinelift.io.bind import RigOptions
    from spinelift.io.reimport import reimport
    from spinelift.io.rig import Origin

    settings = settings_from_args(args)
    skeleton = read_skeleton_file(args.skeleton)
    output = Path(args.output)
    if output.suffix.lower() == ".zip":
        raise InvalidParametersError("--skeleton writes a folder, not a .zip", details={})
    started = time.perf_counter()
    result = reimport(
        document,
        skeleton,
        output,
        name=args.skeleton.stem,
        origin=Origin(args.origin),
        scale=args.scale,
        options=RigOptions(settings=settings),
    )
    seconds = time.perf_counter() - started
    if args.json:
        report = _summary(result.rig, result.skeleton, seconds, [])
        report.update(matched=result.matched, added=result.added, kept=result.kept)
        print(json.dumps(report, indent=2), flush=True)
        return 0
    _print_table(result.rig, result.skeleton, seconds)
    for label in result.added:
        print(f"added (new slot on the root bone): {label}")
    for label in result.kept:
        print(f"kept (no layer matched): {label}")
    return 0


def read_skeleton_file(path: Path) -> Any:
    """The parsed JSON at ``path``; :class:`SkeletonError` when unreadable or not JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SkeletonError(
            f"cannot read skeleton {path}: {exc}", details={"path": str(path)}
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SkeletonError(
            f"{path} is not Spine skeleton JSON: {exc.msg} (line {exc.lineno})",
            details={"path": str(path)},
        ) from exc


def read_bone_choices(items: list[str], file: Path | None) -> dict[str, tuple[str, ...]]:
    """``ATTACHMENT=BONE,BONE`` items (and the lines or JSON object of ``file``) as a map."""
    lines: list[str] = []
    out: dict[str, tuple[str, ...]] = {}
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidParametersError(
                f"cannot read --bones-file {file}: {exc}", details={}
            ) from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
        else:
            if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
                raise InvalidParametersError(
                    f"--bones-file {file}: a JSON file must map attachment -> [bone, ...]",
                    details={},
                )
            out.update({str(k): tuple(str(b) for b in v) for k, v in data.items()})
    for item in [*lines, *items]:
        if not item:
            continue
        name, sep, bones = item.partition("=")
        names = tuple(b.strip() for b in bones.split(",") if b.strip())
        if not sep or not name.strip() or not names:
            raise InvalidParametersError(
                f"--bones expects ATTACHMENT=BONE,BONE..., got {item!r}",
                details={"fields": {"bones": item}},
            )
        out[name.strip()] = names
    return out


def _summary(result: Any, output: Path, seconds: float, previews: list[str]) -> dict[str, Any]:
    return {
        "output": str(output),
        "seconds": round(seconds, 3),
        "attachments": [
            {
                "attachment": a.label,
                "status": a.status,
                "reason": a.reason,
                "bones": list(a.bones),
                "vertices": a.vertices,
                "milliseconds": round(a.milliseconds, 1),
            }
            for a in result.attachments
        ],
        "warnings": result.warnings,
        "previews": previews,
    }


def _print_table(result: Any, output: Path, seconds: float) -> None:
    rows = [
        (
            a.label,
            ", ".join(a.bones) or f"(kept: {a.reason})",
            str(a.vertices),
            f"{a.milliseconds:.0f}",
        )
        for a in result.attachments
    ]
    head = ("attachment", "bones", "vertices", "ms")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for row in [head, *rows]:
        left = f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}"
        print(f"{left}  {row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}")
    for warning in result.warnings:
        print(f"warning: {warning}")
    bound = sum(a.status == "weighted" for a in result.attachments)
    print(f"{bound} attachment(s) bound in {seconds:.2f} s -> {output}", flush=True)
