"""Mesh every layer of a document, in parallel worker processes when it pays.

Triangle and the simplifier hold the GIL, so layers are meshed in processes,
never threads. Results come back in layer order whatever order the workers
finish in, so exports stay deterministic (a mesh depends only on its pixels and
settings, never on which process made it). A layer that fails records its
error; the others go on.

When processes pay: starting one costs its start-up, counted here. Forked
workers (Linux, and only while this process runs no other thread, since a fork
copies no thread) start in milliseconds with every module already imported, so
a document of a few hundred thousand pixels is worth them; spawned ones
(forkserver/spawn: macOS, Windows, or a threaded caller) import numpy, OpenCV
and Triangle afresh, about a third of a second each, so only large documents
use them. The calling process meshes too: workers take the layers largest
first, this process the smallest from the other end, until they meet.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from spinelift.core import Mesh, MeshSettings, build_mesh
from spinelift.errors import SpineLiftError

if TYPE_CHECKING:
    from concurrent.futures import Future

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


FORK_MIN_PIXELS = 200_000
"""below this many pixels in all, forked workers cost more than they save"""
SPAWN_MIN_PIXELS = 4_000_000
"""the same for spawned workers, which import the engine's libraries afresh"""


def process_context() -> tuple[BaseContext, int]:
    """The start method worker processes use here, and the pixels a document needs for
    them to pay: fork on Linux while this process runs no other thread, else the
    platform's safe method (forkserver on Linux, spawn elsewhere)."""
    methods = multiprocessing.get_all_start_methods()
    # macOS offers fork too, but its system libraries are not fork-safe (Python spawns there)
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork"), FORK_MIN_PIXELS
    safe = "forkserver" if "forkserver" in methods else "spawn"
    return multiprocessing.get_context(safe), SPAWN_MIN_PIXELS


def mesh_all(
    jobs: Sequence[MeshJob],
    *,
    max_dimension: int,
    workers: int | None = None,
    progress: LayerProgress | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[MeshOutcome]:
    """Mesh every job; returns outcomes in job order.

    ``workers``: processes meshing at once, this one included (default: one per core).
    1, a single job, or too few pixels for extra processes to pay (see
    :func:`process_context`) meshes everything in this process.
    ``meanwhile``: other work for this process (packing the atlas, say), done while the
    workers mesh, before this process takes its share; it runs exactly once either way.
    """
    total = len(jobs)
    count = min(workers or default_workers(), total)
    pixels = [int(j.rgba.shape[0]) * int(j.rgba.shape[1]) for j in jobs]
    context, min_pixels = process_context()
    if count <= 1 or sum(pixels) < min_pixels:
        if meanwhile is not None:
            meanwhile()
        outcomes = []
        for k, job in enumerate(jobs, 1):
            outcomes.append(run_job(job, max_dimension))
            if progress is not None:
                progress(k, total, job.name)
        return outcomes
    return _mesh_shared(jobs, pixels, count, context, max_dimension, progress, meanwhile)


def _mesh_shared(
    jobs: Sequence[MeshJob],
    pixels: list[int],
    count: int,
    context: BaseContext,
    max_dimension: int,
    progress: LayerProgress | None,
    meanwhile: Callable[[], object] | None,
) -> list[MeshOutcome]:
    """``count - 1`` worker processes take the jobs largest first; this process does
    ``meanwhile``, then takes the smallest jobs from the other end (a queued job it
    cancels is never sent), until the two meet; then it collects what the workers made."""
    from concurrent.futures import ProcessPoolExecutor  # only when processes pay

    total = len(jobs)
    order = sorted(range(total), key=lambda i: (-pixels[i], i))
    results: list[MeshOutcome | None] = [None] * total
    done = 0

    def finished(i: int, outcome: MeshOutcome) -> None:
        nonlocal done
        results[i] = outcome
        done += 1
        if progress is not None:
            progress(done, total, jobs[i].name)

    forked = context.get_start_method() == "fork"
    key = next(_KEYS)
    if forked:  # the workers are forked from this process: they find the jobs in memory
        _INHERITED[key] = jobs
    try:
        with ProcessPoolExecutor(max_workers=count - 1, mp_context=context) as pool:
            futures: list[tuple[int, Future[MeshOutcome]]] = [
                (
                    i,
                    pool.submit(_run_inherited, key, i, max_dimension)
                    if forked
                    else pool.submit(run_job, jobs[i], max_dimension),
                )
                for i in order
            ]
            if meanwhile is not None:
                meanwhile()
            taken = len(futures)
            while taken > 0 and futures[taken - 1][1].cancel():
                taken -= 1
                i = futures[taken][0]
                finished(i, run_job(jobs[i], max_dimension))
            for i, future in futures[:taken]:
                finished(i, future.result())
    finally:
        _INHERITED.pop(key, None)
    return [r for r in results if r is not None]


_INHERITED: dict[int, Sequence[MeshJob]] = {}
"""Jobs by call, for forked workers: a fork copies them, so only their index is sent
(pickling a document's pixels through a pipe cost the calling process ~10 ms per 8 MB)."""
_KEYS = itertools.count()


def _run_inherited(key: int, index: int, max_dimension: int) -> MeshOutcome:
    """In a forked worker: run job ``index`` of call ``key``, from the memory the fork copied."""
    return run_job(_INHERITED[key][index], max_dimension)
