"""Mesh speed: wall time of ``build_mesh`` on one core, synthetic and corpus images.

    python -m bench.mesh_speed                    # 1024x1024 synthetic part + corpus parts
    python -m bench.mesh_speed --runs 20 --no-corpus
    python -m bench.mesh_speed --sizes 256,512,1024,2048 --no-corpus --markdown

Each image is meshed ``--warmup`` times untimed, then ``--runs`` times; the
median, 90th percentile, minimum and maximum wall times of those runs are
printed, one row per synthetic size (``--sizes``) and per corpus part, with the
median CPU time of the process per run (on a busy machine wall time includes
waiting for a core; CPU time does not). One core: OpenCV is set to one thread
and OMP/OpenBLAS/MKL to 1 *before* numpy and cv2 are imported (the service
scales with worker processes, not threads); ``--cpu N`` also pins the process
to CPU N. Machine facts (CPU model, cores, Python, numpy, OpenCV, Triangle) are
printed first.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

# imports after the environment is set, on purpose: BLAS reads it at load time
import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from functools import partial  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from bench import corpus  # noqa: E402
from spinelift.core.settings import MeshSettings  # noqa: E402


def synthetic_part(size: int = 1024, seed: int = 7) -> npt.NDArray[np.uint8]:
    """(size, size, 4) uint8: a blob-like character part with anti-aliased alpha.

    A torso ellipse, a head circle, two limbs (rotated polygons), a detached
    blob (an island) and a hole, drawn with ``cv2.LINE_AA`` on the alpha channel;
    the colour is a smooth gradient. Deterministic for a given ``seed``.
    """
    rng = np.random.default_rng(seed)
    s = size / 1024.0
    alpha = np.zeros((size, size), dtype=np.uint8)
    aa = cv2.LINE_AA

    def pt(x: float, y: float) -> tuple[int, int]:
        return round(x * s), round(y * s)

    cv2.ellipse(alpha, pt(512, 560), pt(230, 300), 8, 0, 360, 255, -1, aa)
    cv2.circle(alpha, pt(520, 210), round(150 * s), 255, -1, aa)
    for sign in (-1, 1):
        limb = np.array(
            [pt(512 + sign * 180, 420), pt(512 + sign * 420, 300), pt(512 + sign * 460, 360),
             pt(512 + sign * 230, 520)], dtype=np.int32,
        )  # fmt: skip
        cv2.fillPoly(alpha, [limb], 255, aa)
    jagged = np.array(
        [pt(400 + 60 * np.cos(a) * (1 + 0.3 * rng.random()), 900 + 60 * np.sin(a))
         for a in np.linspace(0, 2 * np.pi, 24, endpoint=False)], dtype=np.int32,
    )  # fmt: skip
    cv2.fillPoly(alpha, [jagged], 255, aa)
    cv2.circle(alpha, pt(860, 880), round(50 * s), 255, -1, aa)  # an island
    cv2.circle(alpha, pt(560, 600), round(40 * s), 0, -1, aa)  # a hole
    yy, xx = np.mgrid[0:size, 0:size]
    rgba = np.empty((size, size, 4), dtype=np.uint8)
    rgba[..., 0] = (xx * 255 // max(size - 1, 1)).astype(np.uint8)
    rgba[..., 1] = (yy * 255 // max(size - 1, 1)).astype(np.uint8)
    rgba[..., 2] = 128
    rgba[..., 3] = alpha
    return rgba


def machine_info() -> list[tuple[str, str]]:
    """(name, value) pairs describing this machine and the libraries in use."""
    cpu = platform.processor() or "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "?"

    return [
        ("cpu", cpu),
        ("cores", str(os.cpu_count())),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("platform", platform.platform()),
        ("numpy", np.__version__),
        ("opencv", cv2.__version__),
        ("triangle", version("triangle")),
        ("pyclipper", version("pyclipper")),
        ("cv2 threads", str(cv2.getNumThreads())),
        ("pinned to cpu", _pinned()),
    ]


def _pinned() -> str:
    if not hasattr(os, "sched_getaffinity"):
        return "not available"
    return ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))


def time_one(
    fn: Callable[[], object], runs: int, warmup: int
) -> tuple[float, float, float, float, float]:
    """Wall (median, p90, min, max) ms and median CPU ms of ``runs`` timed calls after
    ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.process_time() - start_cpu) * 1000.0)
    times.sort()
    p90 = times[min(len(times) - 1, int(np.ceil(0.9 * len(times))) - 1)]
    return statistics.median(times), p90, times[0], times[-1], statistics.median(cpu)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument(
        "--sizes", default="1024", help="synthetic image sides in pixels, comma separated"
    )
    p.add_argument("--no-corpus", action="store_true", help="synthetic image only")
    p.add_argument("--limit", type=int, default=None, help="at most N corpus parts")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--cpu", type=int, default=None, help="pin the process to this CPU")
    args = p.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    cv2.setNumThreads(1)

    from spinelift.core.pipeline import build_mesh

    settings = MeshSettings()
    out = print
    info = machine_info()
    if args.markdown:
        out("| machine | |\n|---|---|")
        for k, v in info:
            out(f"| {k} | {v} |")
    else:
        for k, v in info:
            out(f"{k:>12}: {v}")

    sizes = [int(v) for v in args.sizes.split(",") if v.strip()]
    cases = [(f"synthetic {n}x{n}", synthetic_part(n)) for n in sizes]
    if not args.no_corpus:
        for entry in corpus.parts():
            if isinstance(entry, corpus.Item):
                cases.append((entry.name, entry.rgba))
                if args.limit is not None and len(cases) > args.limit:
                    break

    head = ["image", "size", "verts", "median ms", "p90 ms", "min ms", "max ms", "cpu ms"]
    rows: list[list[str]] = []
    medians: list[float] = []
    for name, rgba in cases:
        mesh = build_mesh(rgba, settings)
        med, p90, low, high, cpu = time_one(
            partial(build_mesh, rgba, settings), args.runs, args.warmup
        )
        if not name.startswith("synthetic"):
            medians.append(med)
        h, w = rgba.shape[:2]
        rows.append([name, f"{w}x{h}", str(mesh.vertex_count), f"{med:.1f}", f"{p90:.1f}",
                     f"{low:.1f}", f"{high:.1f}", f"{cpu:.1f}"])  # fmt: skip
    if medians:
        rows.append([f"corpus parts ({len(medians)}): median of medians", "", "",
                     f"{statistics.median(medians):.1f}", "", "", "", ""])  # fmt: skip
        rows.append(["corpus parts: sum of medians", "", "", f"{sum(medians):.1f}", "", "", "",
                     ""])  # fmt: skip
    out(f"\nbuild_mesh, default MeshSettings, {args.runs} runs after {args.warmup} warm-up, "
        "one thread\n")  # fmt: skip
    if args.markdown:
        out("| " + " | ".join(head) + " |")
        out("|---|" + "---:|" * (len(head) - 1))
        for r in rows:
            out("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
        for r in [head, *rows]:
            out("  ".join(x.ljust(w) if i == 0 else x.rjust(w)
                          for i, (x, w) in enumerate(zip(r, widths, strict=True))))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
