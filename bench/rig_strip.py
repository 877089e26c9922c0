"""Skeleton rewrites for ``bench/rig_quality.py`` (pure: dicts and arrays in, dicts out).

* :func:`fit_region`: the region (x, y, rotation, scaleX/Y in the slot bone's space) that puts
  an image where a mesh drew it in the setup pose, and how far the mesh is from that
  rectangle (a mesh the artist bent in the setup pose fits badly);
* :func:`strip`: the artist's skeleton with every mesh replaced by its fitted region (bent
  ones dropped) and the deform keys of those attachments removed: the input of
  ``spinelift rig`` and the "rigid" rig;
* :func:`naive`: the artist's skeleton whose weighted meshes keep their mesh and their
  bones but get inverse-square distance weights to the bone segments;
* :func:`artist_bones` / :func:`bones_file`: the bones each weighted mesh uses.

An attachment is keyed ``(skin, slot, key)``, key being its name in the skin's slot map.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from bench.rig_geometry import Floats, segment_distances

Key = tuple[str, str, str]
Json = dict[str, Any]


@dataclass(frozen=True)
class Bone:
    """A bone's setup-pose world transform (spine-core's a, b, c, d, worldX, worldY)."""

    name: str
    a: float
    b: float
    c: float
    d: float
    x: float
    y: float
    length: float

    def matrix(self) -> Floats:
        return np.array([[self.a, self.b], [self.c, self.d]])


@dataclass(frozen=True)
class RegionFit:
    """A fitted region: JSON fields plus the fit's largest world distance in px."""

    x: float
    y: float
    rotation: float
    scale_x: float
    scale_y: float
    residual: float


def fit_region(bone: Bone, world: Floats, uvs: Floats, width: float, height: float) -> RegionFit:
    """Fit a ``width`` x ``height`` region on ``bone`` to mesh vertices ``world`` (n, 2) whose
    region uvs are ``uvs`` (n, 2): least squares over x, y, rotation, scaleX, scaleY of the
    world distances, started from the unconstrained affine fit."""
    m = bone.matrix()
    origin = np.array([bone.x, bone.y])
    local = np.linalg.solve(m, (world - origin).T).T
    q = np.stack([(uvs[:, 0] - 0.5) * width, (0.5 - uvs[:, 1]) * height], axis=1)
    design = np.hstack([q, np.ones((len(q), 1))])
    coef, *_ = np.linalg.lstsq(design, local, rcond=None)
    affine = coef[:2].T  # local = affine @ q + t
    theta = math.atan2(affine[1, 0], affine[0, 0])
    sx = math.hypot(affine[0, 0], affine[1, 0])
    sy = math.copysign(math.hypot(affine[0, 1], affine[1, 1]), np.linalg.det(affine))

    def residuals(p: Floats) -> Floats:
        cos, sin = math.cos(p[2]), math.sin(p[2])
        rot = np.array([[cos, -sin], [sin, cos]])
        placed = (rot @ (q * p[3:5]).T).T + p[:2]
        return np.asarray(((m @ placed.T).T + origin - world).ravel(), dtype=np.float64)

    start = np.array([coef[2, 0], coef[2, 1], theta, sx, sy])
    result = least_squares(residuals, start)
    p = result.x
    worst = float(np.max(np.linalg.norm(residuals(p).reshape(-1, 2), axis=1)))
    rotation = (math.degrees(p[2]) + 180.0) % 360.0 - 180.0
    return RegionFit(float(p[0]), float(p[1]), rotation, float(p[3]), float(p[4]), worst)


def attachments(skeleton: Json) -> Iterator[tuple[Key, Json]]:
    """Every attachment of every skin, with its key."""
    for skin in skeleton.get("skins", []):
        for slot, entries in skin.get("attachments", {}).items():
            for key, att in entries.items():
                yield (skin["name"], slot, key), att


def is_weighted(att: Json) -> bool:
    return att.get("type") == "mesh" and len(att["vertices"]) > len(att["uvs"])


def image_name(key: Key, att: Json) -> str:
    """The image path Spine looks up: ``path``, else ``name``, else the key."""
    return str(att.get("path") or att.get("name") or key[2])


def _weights(vertices: list[float], count: int) -> Iterator[list[tuple[int, float, float, float]]]:
    i = 0
    for _ in range(count):
        n = int(vertices[i])
        yield [
            (
                int(vertices[i + 1 + 4 * k]),
                *(float(v) for v in vertices[i + 2 + 4 * k : i + 5 + 4 * k]),
            )  # type: ignore[misc]
            for k in range(n)
        ]
        i += 1 + 4 * n


def artist_bones(skeleton: Json) -> dict[Key, list[str]]:
    """Bones (names, skeleton order) in each weighted mesh's weights; linked meshes of a
    weighted parent get their parent's."""
    names = [b["name"] for b in skeleton["bones"]]
    found: dict[Key, list[str]] = {}
    for key, att in attachments(skeleton):
        if is_weighted(att):
            used = {
                b for vertex in _weights(att["vertices"], len(att["uvs"]) // 2) for b, *_ in vertex
            }
            found[key] = [names[b] for b in sorted(used)]
    for key, att in attachments(skeleton):
        if att.get("type") == "linkedmesh":
            parent = (att.get("skin", "default"), key[1], att["parent"])
            if parent in found:
                found[key] = found[parent]
    return found


def bones_file(bones: dict[Key, list[str]]) -> str:
    """``SKIN/SLOT/ATTACHMENT=BONE,BONE`` lines."""
    lines = ["# bones per attachment, read from the artist's weights (bench/rig_quality.py)"]
    lines += [f"{'/'.join(key)}={','.join(names)}" for key, names in sorted(bones.items())]
    return "\n".join(lines) + "\n"


def _drop_deforms(skeleton: Json, keys: set[Key]) -> None:
    for animation in skeleton.get("animations", {}).values():
        skins = animation.get("attachments", {})
        for skin_name, slots in list(skins.items()):
            for slot, entries in list(slots.items()):
                for key, timelines in list(entries.items()):
                    if (skin_name, slot, key) in keys:
                        timelines.pop("deform", None)
                        if not timelines:
                            del entries[key]
                if not entries:
                    del slots[slot]
            if not slots:
                del skins[skin_name]
        if "attachments" in animation and not skins:
            del animation["attachments"]


def strip(skeleton: Json, fits: dict[Key, RegionFit], sizes: dict[Key, tuple[int, int]]) -> Json:
    """The artist's skeleton with each mesh in ``fits`` replaced by its region and every other
    mesh (bent ones) dropped; deform keys of all of them dropped."""
    out = copy.deepcopy(skeleton)
    meshes: set[Key] = set()
    for skin in out.get("skins", []):
        for slot, entries in skin.get("attachments", {}).items():
            for key in list(entries):
                att = entries[key]
                if att.get("type") not in ("mesh", "linkedmesh"):
                    continue
                full = (skin["name"], slot, key)
                meshes.add(full)
                fit = fits.get(full)
                if fit is None:
                    del entries[key]
                    continue
                width, height = sizes[full]
                region: Json = {
                    k: att[k] for k in ("name", "path", "color", "sequence") if k in att
                }
                region.update(x=round(fit.x, 4), y=round(fit.y, 4), rotation=round(fit.rotation, 5))
                region.update(scaleX=round(fit.scale_x, 7), scaleY=round(fit.scale_y, 7))
                region.update(width=width, height=height)
                entries[key] = region
    _drop_deforms(out, meshes)
    return out


def naive(
    skeleton: Json, bones: list[Bone], setup: dict[Key, Floats], chosen: dict[Key, list[str]]
) -> Json:
    """The artist's skeleton where each weighted mesh in ``setup`` (world vertices, setup pose)
    is bound to its ``chosen`` bones with weights 1/d² to the bone segments (all of them, no
    cap), its deform keys dropped (and those of its linked meshes)."""
    out = copy.deepcopy(skeleton)
    index = {b.name: i for i, b in enumerate(bones)}
    rewritten: set[Key] = set()
    for key, att in attachments(out):
        if not is_weighted(att) or key not in setup:
            continue
        used = [bones[index[name]] for name in chosen[key]]
        world = setup[key]
        starts = np.array([[b.x, b.y] for b in used])
        ends = starts + np.array([[b.a * b.length, b.c * b.length] for b in used])
        dist = segment_distances(world, starts, ends)
        w = 1.0 / np.maximum(dist, 1e-3) ** 2
        w /= w.sum(axis=1, keepdims=True)
        vertices: list[float] = []
        for v, point in enumerate(world):
            vertices.append(len(used))
            for j, b in enumerate(used):
                lx, ly = np.linalg.solve(b.matrix(), point - np.array([b.x, b.y]))
                vertices += [
                    index[b.name],
                    round(float(lx), 4),
                    round(float(ly), 4),
                    round(float(w[v, j]), 6),
                ]
        att["vertices"] = vertices
        rewritten.add(key)
    for key, att in attachments(out):
        if (
            att.get("type") == "linkedmesh"
            and (att.get("skin", "default"), key[1], att["parent"]) in rewritten
        ):
            rewritten.add(key)
    _drop_deforms(out, rewritten)
    return out
