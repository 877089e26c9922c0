"""Mesh digest: one hash of every mesh the engine makes for the corpus, to prove a
speed change left the meshes alone.

    python -m bench.mesh_digest                       # parts + parts-more, three settings
    python -m bench.mesh_digest --sets all --list     # every set, one line per mesh
    python -m bench.mesh_digest --save build/digest.json
    python -m bench.mesh_digest --against build/digest.json   # exit 1 on any difference

Each image is meshed with each of three settings (the defaults; a budget of 8 hull
vertices; interior vertices at density 40), and the mesh's vertices, triangles, hull
count and edges are hashed (SHA-256 of their bytes). The run prints how many meshes
it hashed and one digest over all of them; ``--save`` keeps each mesh's hash, and
``--against`` compares with a saved run and names every image whose mesh changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench import corpus
from spinelift.core import Mesh, MeshSettings, build_mesh
from spinelift.errors import SpineLiftError

SETTINGS = {
    "default": MeshSettings(),
    "budget8": MeshSettings(max_hull_vertices=8),
    "density40": MeshSettings(internal_vertex_density=40),
}


def mesh_hash(mesh: Mesh) -> str:
    """SHA-256 of the mesh's geometry and topology, byte for byte."""
    digest = hashlib.sha256()
    for array in (mesh.vertices, mesh.triangles, mesh.edges):
        data = np.ascontiguousarray(array)
        digest.update(f"{data.dtype.str}{data.shape}".encode())
        digest.update(data.tobytes())
    digest.update(f"{mesh.hull_count} {mesh.width} {mesh.height}".encode())
    return digest.hexdigest()


def digests(sets: str, settings: Sequence[str]) -> dict[str, str]:
    """``set/name@settings`` -> mesh hash (or ``error:CODE`` when the engine refused it)."""
    out: dict[str, str] = {}
    for which in sets.split(","):
        for item in corpus.load(which):
            if isinstance(item, corpus.Skipped):
                continue
            for label in settings:
                key = f"{item.set}/{item.name}@{label}"
                try:
                    out[key] = mesh_hash(build_mesh(item.rgba, SETTINGS[label]))
                except SpineLiftError as exc:
                    out[key] = f"error:{exc.code}"
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="parts,parts-more", help="corpus sets, or all")
    parser.add_argument("--settings", default=",".join(SETTINGS), help="which settings")
    parser.add_argument("--list", action="store_true", help="one line per mesh")
    parser.add_argument("--save", type=Path, help="write each mesh's hash to this JSON file")
    parser.add_argument("--against", type=Path, help="compare with a saved run")
    args = parser.parse_args(argv)
    found = digests(args.sets, args.settings.split(","))
    whole = hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest()
    if args.list:
        for key, value in sorted(found.items()):
            print(f"{value[:16]}  {key}")
    print(f"{len(found)} meshes ({args.sets}; {args.settings}): digest {whole[:16]}")
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(found, indent=1, sort_keys=True))
    if args.against:
        saved: dict[str, str] = json.loads(args.against.read_text())
        changed = sorted(k for k in found.keys() | saved.keys() if found.get(k) != saved.get(k))
        for key in changed:
            before, after = saved.get(key, "absent"), found.get(key, "absent")
            print(f"changed: {key}: {before[:16]} -> {after[:16]}")
        print(f"{len(changed)} of {len(found)} meshes differ from {args.against}")
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
