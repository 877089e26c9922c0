"""Run ``tools/spine-check/track.mjs`` (the official spine-core 4.2 runtime) on a skeleton and
give its output as arrays: setup-pose bones, and per attachment its mesh (uvs, triangles)
and world vertices in every frame of every animation."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.rig_geometry import Floats, Ints
from bench.rig_strip import Bone, Key

REPO = Path(__file__).resolve().parents[1]
SPINE_CHECK = REPO / "tools" / "spine-check"
TRACK_SCRIPT = SPINE_CHECK / "track.mjs"


class TrackError(RuntimeError):
    """track.mjs failed (the runtime rejected the skeleton, or node is missing)."""


def track_problem() -> str | None:
    """Why tracking cannot run here (node or the npm packages missing), or None."""
    if shutil.which("node") is None:
        return "node not found (install Node.js >= 20)"
    if not (SPINE_CHECK / "node_modules" / "@esotericsoftware" / "spine-core").is_dir():
        return "spine-core missing: run `bash tools/spine-check/setup.sh`"
    return None


@dataclass(frozen=True)
class Tracked:
    """One attachment in one rig: its mesh in uv space and its world vertices.

    ``kind`` is "mesh" or "region" (regions: 4 corners bottom-left, top-left, top-right,
    bottom-right). ``setup`` (V, 2); ``frames`` (F, V, 2) and ``visible`` (F,) over all
    animations in order.
    """

    kind: str
    uvs: Floats
    triangles: Ints
    setup: Floats
    frames: Floats
    visible: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TrackResult:
    bones: list[Bone]
    attachments: dict[Key, Tracked]
    animations: list[tuple[str, float, int]]  # name, duration, frames


def run_track(
    skeleton: Path,
    keys: list[Key] | None = None,
    *,
    fps: float = 10.0,
    durations: dict[str, float] | None = None,
    setup_only: bool = False,
) -> TrackResult:
    """Play ``skeleton`` (every animation at ``fps``) and track ``keys`` (None: every region and
    mesh attachment). Raises :class:`TrackError` with the runtime's message."""
    problem = track_problem()
    if problem:
        raise TrackError(problem)
    with tempfile.TemporaryDirectory(prefix="rig-track-") as tmp:
        cmd = ["node", str(TRACK_SCRIPT), str(skeleton), "--fps", str(fps)]
        if keys is not None:
            query = Path(tmp) / "query.json"
            query.write_text(json.dumps([{"skin": s, "slot": sl, "name": n} for s, sl, n in keys]))
            cmd += ["--attachments", str(query)]
        if durations:
            path = Path(tmp) / "durations.json"
            path.write_text(json.dumps(durations))
            cmd += ["--durations", str(path)]
        if setup_only:
            cmd.append("--setup-only")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise TrackError(f"track.mjs failed on {skeleton}: {proc.stderr.strip()[-2000:]}")
    return parse(json.loads(proc.stdout))


def parse(report: dict[str, Any]) -> TrackResult:
    """Arrays from track.mjs's JSON."""
    bones = [
        Bone(b["name"], b["a"], b["b"], b["c"], b["d"], b["x"], b["y"], b["length"])
        for b in report["bones"]
    ]
    animations = report["animations"]
    out: dict[Key, Tracked] = {}
    for i, att in enumerate(report["attachments"]):
        key = (att["skin"], att["slot"], att["name"])
        tracks = [a["tracks"][i] for a in animations]
        frames = [
            np.array(v, dtype=np.float64).reshape(-1, 2) for t in tracks for v in t["vertices"]
        ]
        visible = [bool(v) for t in tracks for v in t["visible"]]
        setup = np.array(att["setup"], dtype=np.float64).reshape(-1, 2)
        out[key] = Tracked(
            kind=att["type"],
            uvs=np.array(att.get("uvs", []), dtype=np.float64).reshape(-1, 2),
            triangles=np.array(att.get("triangles", []), dtype=np.int64).reshape(-1, 3),
            setup=setup,
            frames=np.stack(frames) if frames else np.zeros((0, *setup.shape)),
            visible=np.array(visible, dtype=bool),
        )
    anims = [(a["name"], float(a["duration"]), len(a["times"])) for a in animations]
    return TrackResult(bones, out, anims)
