"""Mesh quality: our engine vs the seed's naive pipeline vs the artists' hand-made meshes.

For every image of the chosen set it builds a mesh with each method and measures
it with the exact oracle :mod:`spinelift.core.metrics` against the kept pixels
(alpha > ``alpha_threshold``): vertices, hull vertices, triangles, overdraw,
clipped pixels (kept pixels not fully inside the mesh), minimum angle, time.
For the corpus parts (``parts``: 32, ``parts-more``: 161, by other artists) it
also runs our engine with ``max_hull_vertices`` set to the hand-made mesh's hull
count (and ``detail_factor`` 0.001), to compare overdraw at the same budget: per
image, then per set (parts where ours has no more overdraw than the artist's,
clipped pixels, refusals, median mesh area over the artist's), then the parts
where ours still has more overdraw, each with the reason when there is one (the
artist's mesh clips pixels, which ours never may).

    python -m bench.mesh_quality --set parts
    python -m bench.mesh_quality --set parts,parts-more --methods ours,hand --summary-only
    python -m bench.mesh_quality --set all --limit 50 --markdown > /tmp/quality.md
    python -m bench.mesh_quality --set parts --methods naive,hand     # baseline only

Exit status: 1 if our engine raised anything but a :class:`SpineLiftError`
(a crash), else 0. Naive failures and our refusals are reported, not fatal.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench import corpus
from bench.naive import naive_mesh
from spinelift.core import metrics
from spinelift.core.settings import MeshSettings
from spinelift.errors import SpineLiftError

METHODS = ("ours", "naive", "hand")


@dataclass(frozen=True)
class Measure:
    """One method on one image; ``error`` set when it produced no mesh."""

    method: str
    vertices: int = 0
    hull: int = 0
    triangles: int = 0
    overdraw: float = math.nan
    clipped: int = 0
    min_angle: float = math.nan
    area: float = math.nan
    ms: float = math.nan
    error: str | None = None
    crash: bool = False


@dataclass(frozen=True)
class Row:
    """Everything measured on one image."""

    set: str
    name: str
    width: int
    height: int
    kept: int
    measures: dict[str, Measure]
    same_hull: tuple[Measure, Measure] | None = None  # (hand, ours at hand's hull count)


def measure(
    method: str,
    mask: npt.NDArray[np.bool_],
    vertices: npt.NDArray[np.float64],
    triangles: npt.NDArray[np.int32],
    hull: int,
    seconds: float,
) -> Measure:
    """Measure a mesh (``vertices`` (n, 2), ``triangles`` (m, 3)) against ``mask`` (H, W)."""
    return Measure(
        method=method,
        vertices=int(vertices.shape[0]),
        hull=hull,
        triangles=int(triangles.shape[0]),
        overdraw=metrics.overdraw(mask, vertices, triangles),
        clipped=metrics.clipped_pixels(mask, vertices, triangles),
        min_angle=metrics.min_angle(vertices, triangles),
        area=metrics.mesh_area(vertices, triangles),
        ms=seconds * 1000.0,
    )


def run_ours(
    rgba: npt.NDArray[np.uint8], mask: npt.NDArray[np.bool_], settings: MeshSettings
) -> Measure:
    """Our engine, measured; SpineLiftError = refusal, anything else = crash."""
    from spinelift.core.pipeline import build_mesh

    start = time.perf_counter()
    try:
        mesh = build_mesh(rgba, settings)
    except SpineLiftError as exc:
        return Measure("ours", error=exc.code)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return Measure("ours", error=f"CRASH {type(exc).__name__}: {exc}", crash=True)
    seconds = time.perf_counter() - start
    return measure("ours", mask, mesh.vertices, mesh.triangles, mesh.hull_count, seconds)


def evaluate(item: corpus.Item, methods: Sequence[str], settings: MeshSettings) -> Row:
    """All chosen methods on one image."""
    mask = metrics.kept_mask(item.rgba, settings.alpha_threshold)
    out: dict[str, Measure] = {}
    if "ours" in methods:
        out["ours"] = run_ours(item.rgba, mask, settings)
    if "naive" in methods:
        r = naive_mesh(
            item.rgba,
            alpha_threshold=settings.alpha_threshold,
            blur_kernel_size=settings.blur_kernel_size,
            binary_threshold=settings.binary_threshold,
            min_contour_area=settings.min_contour_area,
            detail_factor=settings.detail_factor,
        )
        out["naive"] = (
            measure("naive", mask, r.vertices, r.triangles, r.hull_count, r.seconds)
            if r.ok
            else Measure("naive", error=r.error)
        )
    hand = item.hand_made
    same: tuple[Measure, Measure] | None = None
    if "hand" in methods and hand is not None:
        out["hand"] = measure("hand", mask, hand.vertices, hand.triangles, hand.hull_count, 0.0)
        out["hand"] = Measure(**{**out["hand"].__dict__, "ms": math.nan})
        if "ours" in methods:
            # the finest detail, so that the budget (not the detail knob) sets the count
            budget = settings.with_changes(
                max_hull_vertices=max(3, hand.hull_count), detail_factor=0.001
            )
            same = (out["hand"], run_ours(item.rgba, mask, budget))
    h, w = item.rgba.shape[:2]
    return Row(item.set, item.name, w, h, int(mask.sum()), out, same)


# -- reporting ---------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else ("inf" if math.isinf(x) else f"{100 * x:.1f}")


def _num(x: float, fmt: str = ".1f") -> str:
    return "-" if math.isnan(x) else format(x, fmt)


def _median(xs: list[float]) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else math.nan


def detail_rows(rows: list[Row], methods: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    head = ["image", "size", "kept px", "method", "verts", "hull", "tris", "overdraw %",
            "clipped px", "min angle", "ms"]  # fmt: skip
    body: list[list[str]] = []
    for row in rows:
        for i, method in enumerate(m for m in methods if m in row.measures):
            m = row.measures[method]
            first = [row.name, f"{row.width}x{row.height}", str(row.kept)] if i == 0 else [""] * 3
            if m.error:
                body.append([*first, method, m.error, "", "", "", "", "", ""])
                continue
            body.append([
                *first, method, str(m.vertices), str(m.hull), str(m.triangles),
                _pct(m.overdraw), str(m.clipped), _num(m.min_angle), _num(m.ms),
            ])  # fmt: skip
    return head, body


def summary_rows(rows: list[Row], methods: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    head = ["method", "images", "failed", "median verts", "median hull", "median overdraw %",
            "mean overdraw %", "images clipped", "total clipped px", "median min angle",
            "median ms"]  # fmt: skip
    body: list[list[str]] = []
    for method in methods:
        ms = [r.measures[method] for r in rows if method in r.measures]
        if not ms:
            continue
        ok = [m for m in ms if m.error is None]
        failed = [m for m in ms if m.error is not None]
        crashes = sum(m.crash for m in failed)
        fail_txt = str(len(failed)) + (f" ({crashes} crash)" if crashes else "")
        finite = [m.overdraw for m in ok if math.isfinite(m.overdraw)]
        body.append([
            method, str(len(ms)), fail_txt,
            _num(_median([float(m.vertices) for m in ok]), "g"),
            _num(_median([float(m.hull) for m in ok]), "g"),
            _pct(_median(finite)),
            _pct(statistics.fmean(finite) if finite else math.nan),
            str(sum(m.clipped > 0 for m in ok)),
            str(sum(m.clipped for m in ok)),
            _num(_median([m.min_angle for m in ok])),
            _num(_median([m.ms for m in ok])),
        ])  # fmt: skip
    return head, body


def same_hull_rows(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    head = ["image", "hand hull", "ours hull", "hand overdraw %", "ours overdraw %",
            "hand clipped", "ours clipped", "area ours/hand"]  # fmt: skip
    body: list[list[str]] = []
    pairs = [(r.name, r.same_hull) for r in rows if r.same_hull is not None]
    for name, (hand, ours) in pairs:
        if ours.error:
            body.append([name, str(hand.hull), ours.error, _pct(hand.overdraw), "", "", "", ""])
            continue
        body.append([name, str(hand.hull), str(ours.hull), _pct(hand.overdraw),
                     _pct(ours.overdraw), str(hand.clipped), str(ours.clipped),
                     _num(ours.area / hand.area, ".3f")])  # fmt: skip
    ok = [(h, o) for _, (h, o) in pairs if o.error is None]
    if ok:
        better = sum(o.overdraw <= h.overdraw for h, o in ok)
        body.append([
            f"median; clipped: total ({better}/{len(ok)} ours <= hand)",
            _num(_median([float(h.hull) for h, _ in ok]), "g"),
            _num(_median([float(o.hull) for _, o in ok]), "g"),
            _pct(_median([h.overdraw for h, _ in ok])),
            _pct(_median([o.overdraw for _, o in ok])),
            str(sum(h.clipped for h, _ in ok)),
            str(sum(o.clipped for _, o in ok)),
            _num(_median([o.area / h.area for h, o in ok]), ".3f"),
        ])  # fmt: skip
    return head, body


def same_hull_sets(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    """Per set, at the artist's hull count: how often ours has no more overdraw, and more."""
    head = ["set", "parts", "ours <= hand", "share", "refused", "ours clipped parts",
            "hand clipped parts", "median hand overdraw %", "median ours overdraw %",
            "median area ours/hand"]  # fmt: skip
    body: list[list[str]] = []
    for name in dict.fromkeys(r.set for r in rows if r.same_hull is not None):
        pairs = [r.same_hull for r in rows if r.set == name and r.same_hull is not None]
        ok = [(h, o) for h, o in pairs if o.error is None]
        better = sum(o.overdraw <= h.overdraw for h, o in ok)
        body.append([
            name, str(len(pairs)), str(better), _pct(better / len(pairs)),
            str(len(pairs) - len(ok)), str(sum(o.clipped > 0 for _, o in ok)),
            str(sum(h.clipped > 0 for h, _ in ok)),
            _pct(_median([h.overdraw for h, _ in ok])),
            _pct(_median([o.overdraw for _, o in ok])),
            _num(_median([o.area / h.area for h, o in ok]), ".3f"),
        ])  # fmt: skip
    return head, body


def losing_rows(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    """Parts where ours, at the artist's hull count, has more overdraw, and why."""
    head = ["set", "image", "hull", "hand overdraw %", "ours overdraw %", "why"]
    body: list[list[str]] = []
    for r in rows:
        if r.same_hull is None:
            continue
        hand, ours = r.same_hull
        if ours.error is None and ours.overdraw <= hand.overdraw:
            continue
        if ours.error is not None:
            why = f"refused: {ours.error}"
        elif hand.clipped:
            why = f"the artist's mesh clips {hand.clipped} px (ours clips none)"
        else:
            why = "none found: the artist's mesh clips nothing"
        body.append([r.set, r.name, str(hand.hull), _pct(hand.overdraw), _pct(ours.overdraw),
                     why])  # fmt: skip
    return head, body


def print_table(
    title: str, head: list[str], body: list[list[str]], markdown: bool, out: Callable[[str], None]
) -> None:
    if not body:
        return
    if markdown:
        out(f"\n**{title}**\n")
        out("| " + " | ".join(head) + " |")
        out("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
        for line in body:
            out("| " + " | ".join(line) + " |")
        return
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain aligned text
        widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
        out(f"\n{title}")
        for line in [head, *body]:
            out("  ".join(x.rjust(w) for x, w in zip(line, widths, strict=True)))
        return
    table = Table(title=title, title_justify="left")
    for i, h in enumerate(head):
        table.add_column(h, justify="left" if i == 0 else "right")
    for line in body:
        table.add_row(*line)
    Console(width=200).print(table)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--set", default="parts", help=f"one of {', '.join(corpus.SETS)}, all, or a comma list"
    )
    p.add_argument("--limit", type=int, default=None, help="at most N images")
    p.add_argument("--methods", default=",".join(METHODS), help="comma list of ours,naive,hand")
    p.add_argument("--markdown", action="store_true", help="print markdown tables")
    p.add_argument("--summary-only", action="store_true", help="skip the per-image table")
    p.add_argument("--detail-factor", type=float)
    p.add_argument("--alpha-threshold", type=int)
    p.add_argument("--padding", type=int)
    p.add_argument("--max-hull-vertices", type=int)
    p.add_argument("--island-policy")
    p.add_argument("--hole-policy")
    p.add_argument("--internal-vertex-density", type=int)
    args = p.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS)
    if unknown:
        p.error(f"unknown methods: {', '.join(sorted(unknown))}")
    knobs = ("detail_factor", "alpha_threshold", "padding", "max_hull_vertices",
             "island_policy", "hole_policy", "internal_vertex_density")  # fmt: skip
    settings = MeshSettings.from_mapping(
        {k: getattr(args, k) for k in knobs if getattr(args, k) is not None}
    )

    rows: list[Row] = []
    skipped: list[corpus.Skipped] = []
    names = [n.strip() for n in args.set.split(",") if n.strip()]
    bad = [n for n in names if n not in (*corpus.SETS, "all")]
    if bad:
        p.error(f"unknown set(s): {', '.join(bad)}")
    for name in names:
        for entry in corpus.load(name, args.limit):
            if isinstance(entry, corpus.Skipped):
                skipped.append(entry)
                continue
            rows.append(evaluate(entry, methods, settings))

    out = print
    if args.markdown:
        changed = {k: v for k, v in settings.to_dict().items() if v != getattr(MeshSettings(), k)}
        out(f"set `{args.set}`, {len(rows)} images, settings: defaults {changed or ''}".rstrip())
    if not args.summary_only:
        print_table("per image", *detail_rows(rows, methods), args.markdown, out)
    print_table("summary", *summary_rows(rows, methods), args.markdown, out)
    if "ours" in methods and "hand" in methods:
        if not args.summary_only:
            print_table(
                "at the hand-made mesh's hull vertex count (ours: max_hull_vertices = hand hull)",
                *same_hull_rows(rows), args.markdown, out,
            )  # fmt: skip
        print_table("at the artist's hull count, per set", *same_hull_sets(rows), args.markdown,
                    out)  # fmt: skip
        print_table("parts where ours has more overdraw at the artist's hull count",
                    *losing_rows(rows), args.markdown, out)  # fmt: skip
    if skipped:
        out(f"\nskipped {len(skipped)} (not loadable):")
        for s in skipped:
            out(f"  {s.set}/{s.name}: {s.reason}")
    crashes = sum(
        m.crash
        for r in rows
        for m in [*r.measures.values(), *(r.same_hull or ())]
    )  # fmt: skip
    if crashes:
        print(f"\n{crashes} unexpected exception(s) in our engine", file=sys.stderr)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
