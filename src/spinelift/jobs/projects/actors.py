"""The web app's five actors, and the worker entry that runs them.

Each actor body reads this process's :class:`~spinelift.jobs.projects.deps.JobDeps`
and runs its job under a lease (the row's heartbeat) with the job id in the log
context. Actor names and the queue are those of :mod:`spinelift.jobs.projects.messages`
(unchanged since they were first declared: old messages still find their actor).

Workers: ``dramatiq spinelift.jobs.projects.actors:setup_worker --queues
spinelift-projects`` (what ``spinelift worker --jobs projects`` runs) builds the broker
and the deps from the environment and starts the periodic recovery pass in every worker
process (see :func:`setup_worker`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq

from spinelift.config import ServiceSettings
from spinelift.jobs.declare import declare_actor, start_worker
from spinelift.jobs.projects.build_export import run_build_export
from spinelift.jobs.projects.cleanup import add_recovery, run_cleanup
from spinelift.jobs.projects.deps import HOLDER, JobDeps, current_deps, deps_from_settings
from spinelift.jobs.projects.generate_mesh import run_generate_mesh
from spinelift.jobs.projects.inline import export_inline, mesh_inline
from spinelift.jobs.projects.lease import job_lease
from spinelift.jobs.projects.messages import (
    ACTOR_BUILD_EXPORT,
    ACTOR_CLEANUP,
    ACTOR_GENERATE_MESH,
    ACTOR_NOTIFY_PROJECT,
    ACTOR_PROCESS_PSD,
    MAX_ATTEMPTS,
    QUEUE_NAME,
)
from spinelift.jobs.projects.notification import run_notify_project
from spinelift.jobs.projects.process_psd import run_process_psd
from spinelift.logs import log_context


def configure(deps: JobDeps) -> None:
    """Use ``deps`` for the actors run in this process (and declare them on its broker)."""
    HOLDER.set(deps)
    if deps.broker is not None:
        declare_actors(deps.broker)


def setup_worker() -> None:
    """Dramatiq's entry (``dramatiq spinelift.jobs.projects.actors:setup_worker``): the
    Redis broker of the settings becomes the global one, the actors are declared on it,
    and every worker process takes part in the periodic recovery pass and hourly Cleanup
    (:func:`spinelift.jobs.projects.cleanup.add_recovery`)."""
    settings = ServiceSettings()
    broker = start_worker(settings)
    deps = deps_from_settings(settings, broker)
    configure(deps)
    add_recovery(broker, deps, settings)


def declare_actors(broker: dramatiq.Broker) -> dict[str, dramatiq.Actor[Any, Any]]:
    """The five actors on ``broker`` (declared once per broker), by actor name."""
    functions: dict[str, Callable[..., None]] = {
        ACTOR_PROCESS_PSD: process_psd,
        ACTOR_GENERATE_MESH: generate_mesh,
        ACTOR_BUILD_EXPORT: build_export,
        ACTOR_CLEANUP: cleanup,
        ACTOR_NOTIFY_PROJECT: notify_project,
    }
    return {
        name: declare_actor(
            broker,
            name,
            fn,
            queue=QUEUE_NAME,
            max_retries=MAX_ATTEMPTS - 1,
            min_backoff=200,
            max_backoff=5_000,
        )
        for name, fn in functions.items()
    }


def process_psd(job_id: str) -> None:
    """Actor body: extract the upload's layers and queue a mesh job per layer, then
    mesh them here too (as other workers take their messages; :mod:`.inline`)."""
    deps = current_deps()
    with log_context(job_id=job_id), job_lease(deps, job_id):
        mesh_jobs = run_process_psd(deps, job_id)
    mesh_inline(deps, mesh_jobs)


def generate_mesh(job_id: str) -> None:
    """Actor body: mesh one layer and store a new mesh version; the run's last layer
    builds the export at once (its message finds it done)."""
    deps = current_deps()
    with log_context(job_id=job_id), job_lease(deps, job_id):
        export_id = run_generate_mesh(deps, job_id)
    if export_id is not None:
        export_inline(deps, export_id)


def build_export(job_id: str) -> None:
    """Actor body: store the export of the project's current version, end the run."""
    deps = current_deps()
    with log_context(job_id=job_id), job_lease(deps, job_id):
        run_build_export(deps, job_id)


def cleanup() -> None:
    """Actor body: fail stuck jobs, resend lost messages, delete orphan blobs."""
    run_cleanup(current_deps())


def notify_project(ref: int | str) -> None:
    """Actor body: tell the owner that the project finished (once per processing run).
    ``ref``: the Notification job's id (or, from older senders, the project's id)."""
    run_notify_project(current_deps(), ref)
