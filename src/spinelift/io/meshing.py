"""Mesh every layer of a document, in parallel worker processes when it pays.

Triangle and the simplifier hold the GIL, so layers are meshed in processes,
never threads. Results come back in layer order whatever order the workers
finish in, so exports stay deterministic. A layer that fails records its
error; the others go on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinelift.core import Mesh, MeshSettings, build_mesh
from spinelift.errors import SpineLiftError

LayerProgress = Callable[[int, int, str], None]
"""Called with (layers done, layers in all, name of the layer just done)."""


@dataclass(frozen=True, eq=False)
class MeshJob:
    """One image to mesh: ``rgba`` (h, w, 4) uint8 and its settings."""

    name: str
    rgba: npt.NDArray[np.uint8]
    settings: MeshSettings


@dataclass(frozen=True, eq=False)
class MeshOutcome:
    """A job's mesh, or the error that stopped it; ``seconds`` of wall time in the worker."""

    name: str
    mesh: Mesh | None
    error: SpineLiftError | None
    seconds: float


def pad_image(rgba: npt.NDArray[np.uint8], pad: int) -> npt.NDArray[np.uint8]:
    """(h + 2 pad, w + 2 pad, 4): the image with a transparent border, room for mesh padding."""
    if pad <= 0:
        return rgba
    return np.pad(rgba, ((pad, pad), (pad, pad), (0, 0)))


def run_job(job: MeshJob, max_dimension: int) -> MeshOutcome:
    """Mesh one image; SpineLift errors are returned, anything else propagates (a bug)."""
    start = time.perf_counter()
    try:
        mesh = build_mesh(job.rgba, job.settings, max_dimension=max_dimension)
    except SpineLiftError as exc:
        return MeshOutcome(job.name, None, exc, time.perf_counter() - start)
    return MeshOutcome(job.name, mesh, None, time.perf_counter() - start)


def default_workers() -> int:
    """One worker process per core the scheduler gives us."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def mesh_all(
    jobs: Sequence[MeshJob],
    *,
    max_dimension: int,
    workers: int | None = None,
    progress: LayerProgress | None = None,
) -> list[MeshOutcome]:
    """Mesh every job; returns outcomes in job order.

    ``workers``: processes to use (default: one per core); 1, or a handful of
    small jobs, runs in this process, which is faster than starting a pool.
    """
    count = workers or default_workers()
    total = len(jobs)
    pixels = sum(int(j.rgba.shape[0]) * int(j.rgba.shape[1]) for j in jobs)
    if count <= 1 or total <= 1 or pixels < 2_000_000:
        outcomes = []
        for k, job in enumerate(jobs, 1):
            outcomes.append(run_job(job, max_dimension))
            if progress is not None:
                progress(k, total, job.name)
        return outcomes
    results: list[MeshOutcome | None] = [None] * total
    with ProcessPoolExecutor(max_workers=min(count, total)) as pool:
        futures: dict[Future[MeshOutcome], int] = {
            pool.submit(run_job, job, max_dimension): i for i, job in enumerate(jobs)
        }
        for done, future in enumerate(as_completed(futures), 1):
            i = futures[future]
            results[i] = future.result()
            if progress is not None:
                progress(done, total, jobs[i].name)
    return [r for r in results if r is not None]
