"""Hand-made skeletons with IK and transform constraints (for spine.bone_pose tests).

:func:`ik_arm` is a tiny two-bone arm whose IK target is in reach; :func:`constraint_zoo`
has one small chain per feature of spine-core's IK and transform constraints (mix,
softness, bend direction, compress, stretch, uniform, non-uniform parent scale, inherit
modes, the four transform modes with offsets and partial mixes, explicit ``order``), plus
a path constraint (read for the update order only) and a physics constraint.
"""

from __future__ import annotations

from typing import Any


def skeleton(bones: list[dict[str, Any]], **lists: list[dict[str, Any]]) -> dict[str, Any]:
    """A Spine 4.2 skeleton document with these bones and constraint lists."""
    document: dict[str, Any] = {
        "skeleton": {"spine": "4.2.22"},
        "bones": [{"name": "root"}, *bones],
        "slots": [],
        "skins": [{"name": "default", "attachments": {}}],
        "animations": {},
    }
    document.update(lists)
    return document


def ik_arm(**ik: Any) -> dict[str, Any]:
    """root > shoulder (at 0, 0) > upper (length 60) > lower (length 40); target at (50, 50)
    in reach of the 100-long arm; the IK constraint takes ``ik``'s extra keys."""
    bones: list[dict[str, Any]] = [
        {"name": "shoulder", "parent": "root"},
        {"name": "upper", "parent": "shoulder", "length": 60},
        {"name": "lower", "parent": "upper", "x": 60, "length": 40},
        {"name": "target", "parent": "root", "x": 50, "y": 50},
    ]
    constraint = {"name": "arm-ik", "bones": ["upper", "lower"], "target": "target", **ik}
    return skeleton(bones, ik=[constraint])


def _chain(
    prefix: str,
    at: tuple[float, float],
    parent: dict[str, Any] | None = None,
    child: dict[str, Any] | None = None,
    target: tuple[float, float] = (0.0, 0.0),
) -> list[dict[str, Any]]:
    """``prefix``-base (a holder rotated 10°) > -p (length 45) > -c (length 35, at 45, 0),
    and -t, the target, at ``target`` from the holder."""
    return [
        {"name": f"{prefix}-base", "parent": "root", "x": at[0], "y": at[1], "rotation": 10},
        {"name": f"{prefix}-p", "parent": f"{prefix}-base", "length": 45, **(parent or {})},
        {"name": f"{prefix}-c", "parent": f"{prefix}-p", "x": 45, "length": 35, **(child or {})},
        {"name": f"{prefix}-t", "parent": f"{prefix}-base", "x": target[0], "y": target[1]},
        {"name": f"{prefix}-kid", "parent": f"{prefix}-c", "x": 35, "rotation": 20, "length": 9},
    ]


def _ik(prefix: str, two: bool = True, **keys: Any) -> dict[str, Any]:
    bones = [f"{prefix}-p", f"{prefix}-c"] if two else [f"{prefix}-c"]
    return {"name": f"{prefix}-ik", "bones": bones, "target": f"{prefix}-t", **keys}


def constraint_zoo() -> dict[str, Any]:
    """One chain per constraint feature (see the module docstring)."""
    bones: list[dict[str, Any]] = []
    ik: list[dict[str, Any]] = []
    transform: list[dict[str, Any]] = []
    cases: list[tuple[str, dict[str, Any], dict[str, Any], tuple[float, float], dict[str, Any]]]
    cases = [
        ("two", {}, {}, (40, 50), {}),
        ("mix", {"rotation": 30}, {"rotation": -40}, (40, 50), {"mix": 0.35}),
        ("bend", {}, {}, (40, -50), {"bendPositive": False}),
        ("soft", {}, {}, (70, 20), {"softness": 12}),
        ("far", {}, {}, (120, 60), {"stretch": True, "uniform": True, "mix": 0.8}),
        ("ellipse", {"scaleX": 1.5, "scaleY": 0.7}, {}, (50, 40), {}),
        ("ellreach", {"scaleX": 0.6, "scaleY": 1.3}, {}, (150, 10), {"bendPositive": False}),
        ("flip", {"scaleX": -1.2, "scaleY": 1.2}, {"y": 6}, (-40, 30), {}),
        ("cy", {}, {"y": 8, "shearX": 5}, (30, 55), {"softness": 3}),
    ]
    for n, (name, parent, child, target, keys) in enumerate(cases):
        bones += _chain(name, (n * 200.0, 0.0), parent, child, target)
        ik.append(_ik(name, **keys))
    ones: list[tuple[str, dict[str, Any], tuple[float, float], dict[str, Any]]] = [
        ("one", {}, (20, 60), {"mix": 0.6}),
        ("compress", {}, (20, 10), {"compress": True, "uniform": True}),
        ("stretch1", {"inherit": "noScale"}, (30, 90), {"stretch": True}),
        ("norot", {"inherit": "noRotationOrReflection"}, (50, 40), {}),
        ("onlyt", {"inherit": "onlyTranslation"}, (70, -30), {}),
        ("noscalerefl", {"inherit": "noScaleOrReflection"}, (10, 70), {"compress": True}),
    ]
    for n, (name, child, target, keys) in enumerate(ones):
        holder: dict[str, Any] = {"scaleX": 1.1, "scaleY": 0.9, "rotation": 25}
        bones += _chain(name, (n * 200.0, 400.0), holder, child, target)
        ik.append(_ik(name, two=False, **keys))
    modes = [(False, False), (False, True), (True, False), (True, True)]
    for n, (local, relative) in enumerate(modes):
        name = f"tc{n}"
        source = {"rotation": 35, "scaleX": 1.4, "scaleY": 0.8, "shearY": 12}
        bones += _chain(name, (n * 200.0, 800.0), {"rotation": -15}, source, (60, 20))
        transform.append(
            {
                "name": f"{name}-transform",
                "bones": [f"{name}-p"],
                "target": f"{name}-c",
                "local": local,
                "relative": relative,
                "rotation": 17,
                "x": 5,
                "y": -7,
                "scaleX": 0.1,
                "scaleY": -0.2,
                "shearY": 8,
                "mixRotate": 0.7,
                "mixX": 0.6,
                "mixScaleX": 0.5,
                "mixScaleY": 0.3,
                "mixShearY": 0.4,
            }
        )
    # a transform after an IK on the same chain, by order; and one before it
    bones += _chain("late", (900.0, 800.0), {}, {}, (40, 40))
    bones.append({"name": "late-src", "parent": "root", "x": 10, "y": 5, "rotation": 70})
    ik.append(_ik("late", order=3))
    transform.append({"name": "late-after", "order": 4, "bones": ["late-c"],
                      "target": "late-src", "mixX": 0, "mixScaleX": 0, "mixShearY": 0})  # fmt: skip
    transform.append({"name": "late-before", "order": 2, "bones": ["late-base"],
                      "target": "late-src", "mixRotate": 0.5, "mixX": 0.1})  # fmt: skip
    path = [{"name": "path", "order": 5, "bones": ["late-kid"], "target": "path-slot"}]
    physics = [{"name": "wobble", "order": 6, "bone": "two-kid", "x": 1}]
    # spine-core sorts, for each order 0, 1, ..., the first constraint of that order: the
    # others must each have their own (as Spine writes them)
    unordered = [c for c in ik + transform if "order" not in c]
    free = [0, 1, *range(7, 7 + len(unordered))]
    for constraint, order in zip(unordered, free, strict=False):
        constraint["order"] = order
    document = skeleton(bones, ik=ik, transform=transform, path=path, physics=physics)
    document["slots"] = [{"name": "path-slot", "bone": "late-src", "attachment": "curve"}]
    document["skins"][0]["attachments"] = {
        "path-slot": {
            "curve": {
                "type": "path",
                "vertexCount": 9,
                "lengths": [100],
                "vertices": [
                    0,
                    0,
                    20,
                    0,
                    40,
                    10,
                    60,
                    30,
                    80,
                    50,
                    100,
                    60,
                    120,
                    60,
                    140,
                    60,
                    160,
                    60,
                ],
            }
        }
    }
    add_paths(document)
    return document


PATH_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("ptan", {}, {"positionMode": "fixed", "position": 10, "spacingMode": "fixed",
                  "spacing": 25, "rotation": 15, "mixRotate": 0.7, "mixX": 0.8, "mixY": 0.6}),
    ("pprop", {"constantSpeed": False}, {"spacingMode": "proportional", "spacing": 0.9,
                                         "rotateMode": "chain"}),
    ("pclosed", {"closed": True, "constantSpeed": False},
     {"position": 0.3, "spacingMode": "percent", "spacing": 0.3, "rotateMode": "chainScale"}),
    ("pclosedcs", {"closed": True}, {"spacing": 5}),
    ("pbeyond", {}, {"positionMode": "fixed", "position": -20, "spacing": 60,
                     "rotateMode": "chain"}),
    ("pbeyond2", {"constantSpeed": False}, {"positionMode": "fixed", "position": 150,
                                            "spacing": 40, "rotateMode": "chain"}),
    ("pweight", {"weighted": True}, {"rotateMode": "chainScale", "spacingMode": "percent",
                                     "spacing": 0.2, "rotation": -30}),
]  # fmt: skip


def _path_attachment(name: str, shape: dict[str, Any], holder: int, other: int) -> dict[str, Any]:
    """An open path of 9 vertices (3 points and their handles) or a closed one of 6."""
    points: list[float]
    if shape.get("closed"):
        points = [-30, -40, 0, -40, 30, -40, 60, 40, 30, 60, 0, 60]
    else:
        points = [-20, 0, 0, 0, 20, 10, 40, 30, 60, 50, 80, 60, 100, 60, 120, 60, 140, 80]
    attachment: dict[str, Any] = {"type": "path", "vertexCount": len(points) // 2}
    attachment["lengths"] = [110.0, 230.0, 300.0][: len(points) // 6]
    for key in ("closed", "constantSpeed"):
        if key in shape:
            attachment[key] = shape[key]
    if shape.get("weighted"):
        weighted: list[float] = []
        for k in range(0, len(points), 2):
            w = k / len(points)
            weighted += [2, holder, points[k], points[k + 1], 1 - w, other, points[k] - 10, 5, w]
        points = weighted
    attachment["vertices"] = points
    return {"name": f"{name}-path", **attachment}


def add_paths(document: dict[str, Any]) -> None:
    """One chain of three bones (the last of length 0) per :data:`PATH_CASES` entry, each
    placed along its own path attachment."""
    paths = document.setdefault("path", [])
    order = sum(len(document.get(kind) or []) for kind in ("ik", "transform", "path", "physics"))
    names = [b["name"] for b in document["bones"]]
    for n, (name, shape, keys) in enumerate(PATH_CASES):
        x = n * 220.0
        bones = [
            {"name": f"{name}-holder", "parent": "root", "x": x, "y": 1200, "rotation": 20,
             "scaleX": 1.2, "scaleY": 0.9},
            {"name": f"{name}-other", "parent": "root", "x": x + 15, "y": 1180, "rotation": -10},
            {"name": f"{name}-b1", "parent": "root", "x": x, "y": 1300, "length": 30},
            {"name": f"{name}-b2", "parent": f"{name}-b1", "x": 30, "length": 30},
            {"name": f"{name}-b3", "parent": f"{name}-b2", "x": 30},
            {"name": f"{name}-kid", "parent": f"{name}-b3", "x": 10, "length": 5},
        ]  # fmt: skip
        holder = len(names)
        names += [b["name"] for b in bones]
        document["bones"] += bones
        attachment = _path_attachment(name, shape, holder, holder + 1)
        slot = f"{name}-slot"
        document["slots"].append({"name": slot, "bone": f"{name}-holder",
                                  "attachment": attachment.pop("name")})  # fmt: skip
        document["skins"][0]["attachments"][slot] = {f"{name}-path": attachment}
        paths.append({"name": f"{name}-pc", "order": order + n, "target": slot,
                      "bones": [f"{name}-b1", f"{name}-b2", f"{name}-b3"], **keys})  # fmt: skip
