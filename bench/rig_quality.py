"""Automatic weights against rigs weighted by professional artists (issue #18).

For each character in ``corpus/rigs`` (NAME/NAME-pro.json, Spine 4.2, images in NAME/images):

1. the official runtime (``tools/spine-check/track.mjs``) gives the setup pose; each mesh's
   world vertices are fitted by a region on its slot's bone (``bench.rig_strip.fit_region``);
   a mesh whose fit is off somewhere by more than ``--max-fit-residual`` px (default 0.5: on
   the five rigs unbent meshes fit within 0.08 px, bent ones are off by 1.5 px or more) was
   bent by the artist in the setup pose and is dropped;
2. the *stripped* skeleton keeps bones, slots, constraints, animations and regions, with
   every mesh replaced by its fitted region and their deform keys dropped: it is the rigid
   rig, and the input of ``spinelift rig STRIPPED --images NAME/images -o OURS``
   (``named``: also ``--bones-file`` with the artist's bones per attachment);
3. the *naive* rig: the artist's own meshes and bones per mesh, weights 1/d² to the bone
   segments (``bench.rig_strip.naive``);
4. every animation is played at ``--fps`` in each rig; a grid of opaque texels (every
   ``--step`` px, alpha >= ``--alpha``) of every mesh the artist weighted is followed
   through every frame its slot shows it (``bench.rig_compare``).

Figures per rig against the artist's: ratio = summed distance / the rigid regions' summed
distance on the same point-frames (rigid = 1, artist = 0), mean and p95 distance (px),
opaque grid points outside the rig's mesh, flipped triangle-frames (%), seconds of
``spinelift rig``. Run: ``python -m bench.rig_quality [--characters spineboy,tank] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.corpus import shared_dir
from bench.rig_compare import Tally, compare, positions
from bench.rig_geometry import Floats, opaque_grid
from bench.rig_report import RIGS, main_rig, notes, per_attachment, pooled, table
from bench.rig_strip import (
    Key,
    RegionFit,
    artist_bones,
    attachments,
    bones_file,
    fit_region,
    image_name,
    naive,
    strip,
)
from bench.rig_track import TrackError, TrackResult, run_track

CHARACTERS = ("spineboy", "stretchyman", "goblins", "alien", "tank")


def rigs_dir() -> Path:
    return shared_dir() / "corpus" / "rigs"


def spinelift_command() -> list[str] | None:
    """How to run ``spinelift``, or None when ``spinelift rig`` does not exist (yet)."""
    exe = Path(sys.executable).with_name("spinelift")
    cmd = (
        [str(exe)] if exe.exists() else ([found] if (found := shutil.which("spinelift")) else None)
    )
    if cmd is None:
        return None
    probe = subprocess.run([*cmd, "rig", "--help"], capture_output=True, text=True, check=False)
    return cmd if probe.returncode == 0 else None


def run_rig(cmd: list[str], skeleton: Path, images: Path, out: Path, extra: list[str]) -> float:
    """Run ``spinelift rig``; its wall time in seconds. Raises RuntimeError with its stderr."""
    start = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "rig", str(skeleton), "--images", str(images), "-o", str(out), *extra],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"spinelift rig exit {proc.returncode}: {proc.stderr.strip()[-1500:]}")
    return seconds


def alpha_of(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGBA"))[:, :, 3]


def prepare(
    name: str, work: Path, *, max_residual: float
) -> tuple[TrackResult, dict[Key, RegionFit], list[dict[str, Any]], list[Key]]:
    """Fit regions, write ``stripped.json``, ``naive.json`` and ``bones.txt`` into ``work``.

    Returns the artist's setup track, the fits kept, the dropped (bent) meshes and the keys
    of the meshes to follow (artist-weighted, not bent)."""
    source = rigs_dir() / name / f"{name}-pro.json"
    skeleton = json.loads(source.read_text(encoding="utf-8"))
    setup = run_track(source, setup_only=True)
    slot_bone = {s["name"]: s["bone"] for s in skeleton["slots"]}
    bones = {b.name: b for b in setup.bones}
    images = rigs_dir() / name / "images"
    fits: dict[Key, RegionFit] = {}
    sizes: dict[Key, tuple[int, int]] = {}
    bent: list[dict[str, Any]] = []
    weighted = artist_bones(skeleton)
    for key, att in attachments(skeleton):
        if att.get("type") not in ("mesh", "linkedmesh"):
            continue
        with Image.open(images / f"{image_name(key, att)}.png") as img:
            sizes[key] = img.size
        tracked = setup.attachments[key]
        fit = fit_region(bones[slot_bone[key[1]]], tracked.setup, tracked.uvs, *sizes[key])
        if fit.residual <= max_residual:
            fits[key] = fit
        else:
            bent.append(
                {
                    "attachment": "/".join(key),
                    "residual_px": round(fit.residual, 3),
                    "weighted": key in weighted,
                }
            )
    follow = [key for key in weighted if key in fits]
    (work / "stripped.json").write_text(json.dumps(strip(skeleton, fits, sizes)), encoding="utf-8")
    chosen = {key: weighted[key] for key in follow}
    setup_world = {key: setup.attachments[key].setup for key in follow}
    (work / "naive.json").write_text(
        json.dumps(naive(skeleton, setup.bones, setup_world, chosen)), encoding="utf-8"
    )
    (work / "bones.txt").write_text(bones_file(chosen), encoding="utf-8")
    return setup, fits, bent, follow


def measure(
    name: str, work: Path, *, spinelift: list[str] | None, fps: float = 10.0, step: int = 8,
    alpha: int = 128, max_residual: float = 0.5, named: bool = True,
    rig_args: tuple[str, ...] = (),
) -> dict[str, Any]:  # fmt: skip
    """Every figure of one character (see the module docstring); rigs that could not run carry
    ``error``. ``rig_args`` are passed on to every ``spinelift rig``."""
    work.mkdir(parents=True, exist_ok=True)
    source = rigs_dir() / name / f"{name}-pro.json"
    images = rigs_dir() / name / "images"
    _, _, bent, follow = prepare(name, work, max_residual=max_residual)
    artist = run_track(source, follow, fps=fps)
    durations = {a: d for a, d, _ in artist.animations}
    skeletons = {"artist": source, "rigid": work / "stripped.json", "naive": work / "naive.json"}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    if spinelift is None:
        errors["ours"] = errors["named"] = "spinelift rig not available"
    else:
        variants = {"ours": [*rig_args]}
        if named:
            variants["named"] = [*rig_args, "--bones-file", str(work / "bones.txt")]
        for rig, extra in variants.items():
            try:
                seconds[rig] = run_rig(
                    spinelift, work / "stripped.json", images, work / f"{rig}.json", extra
                )
                skeletons[rig] = work / f"{rig}.json"
            except RuntimeError as exc:
                errors[rig] = str(exc)
    tracks: dict[str, TrackResult] = {"artist": artist}
    for rig, path in skeletons.items():
        if rig != "artist":
            try:
                tracks[rig] = run_track(path, follow, fps=fps, durations=durations)
            except TrackError as exc:
                errors[rig] = str(exc)
    skeleton = json.loads(source.read_text(encoding="utf-8"))
    grids: dict[Key, Floats] = {}
    for key, att in attachments(skeleton):
        if key in follow:
            grids[key] = opaque_grid(alpha_of(images / f"{image_name(key, att)}.png"), step, alpha)
    tallies = {rig: Tally() for rig in tracks}
    per_attachment: dict[str, dict[str, float | None]] = {}
    for key in follow:
        mine, rigid = artist.attachments[key], tracks["rigid"].attachments[key]
        for rig, result in tracks.items():
            tally = compare(mine, rigid, result.attachments[key], grids[key])
            tallies[rig].add(tally)
            per_attachment.setdefault("/".join(key), {})[rig] = tally.figures()["ratio"]
    rigs = {rig: {"error": error} for rig, error in errors.items()}
    rigs.update({rig: _figures(tally, seconds.get(rig)) for rig, tally in tallies.items()})
    return {
        "character": name,
        "attachments": len(follow),
        "points": sum(int(positions(artist.attachments[k], grids[k])[1].sum()) for k in follow),
        "frames": sum(n for _, _, n in artist.animations),
        "animations": len(artist.animations),
        "bent": bent,
        "per_attachment": per_attachment,
        "rigs": {rig: rigs[rig] for rig in RIGS if rig in rigs},
        "_tallies": tallies,
    }


def _figures(tally: Tally, seconds: float | None) -> dict[str, Any]:
    return {**tally.figures(), "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--characters", default=",".join(CHARACTERS), help="comma-separated subset")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--step", type=int, default=8, help="texture point grid step, px")
    parser.add_argument("--alpha", type=int, default=128, help="opaque: alpha >= this (0-255)")
    parser.add_argument(
        "--max-fit-residual",
        type=float,
        default=0.5,
        help="px; a mesh its region fits worse than this was bent in the setup pose",
    )
    parser.add_argument(
        "--no-ours", action="store_true", help="baselines only (do not run spinelift rig)"
    )
    parser.add_argument("--no-named", action="store_true", help="skip the --bones-file row")
    parser.add_argument(
        "--rig-arg", action="append", default=[], metavar="ARG",
        help="pass ARG on to spinelift rig (repeat; e.g. --rig-arg=--weights --rig-arg=heat)",
    )  # fmt: skip
    parser.add_argument(
        "--per-attachment", action="store_true", help="also print each attachment's ratios"
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the skeletons written here (default: a temp dir)"
    )
    parser.add_argument(
        "--figures-out", type=Path, help="also write the table (and notes) to this file"
    )
    args = parser.parse_args(argv)
    names = [n for n in args.characters.split(",") if n]
    unknown = [n for n in names if not (rigs_dir() / n / f"{n}-pro.json").exists()]
    if unknown:
        parser.error(f"no rig for {', '.join(unknown)} in {rigs_dir()}")
    spinelift = None if args.no_ours else spinelift_command()
    with tempfile.TemporaryDirectory(prefix="rig-quality-") as tmp:
        base = args.keep or Path(tmp)
        results = [
            measure(
                n,
                base / n,
                spinelift=spinelift,
                fps=args.fps,
                step=args.step,
                alpha=args.alpha,
                max_residual=args.max_fit_residual,
                named=not args.no_named,
                rig_args=tuple(args.rig_arg),
            )
            for n in names
        ]
    rows = [*results, pooled(results)]
    clean = [{k: v for k, v in r.items() if k != "_tallies"} for r in rows]
    text = table(rows) + "\n" + "\n".join(notes(results, main_rig(rows[-1])))
    if args.figures_out:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        command = "python -m bench.rig_quality " + " ".join(sys.argv[1:] if argv is None else argv)
        detail = "\n".join(per_attachment(results))
        args.figures_out.write_text(f"# {stamp}: {command}\n{text}\n{detail}\n", encoding="utf-8")
    if args.per_attachment and not args.json:
        text += "\n" + "\n".join(per_attachment(results))
    print(json.dumps(clean, indent=2) if args.json else text)
    return 0 if all(r["rigs"]["artist"].get("ratio") in (0.0, None) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
