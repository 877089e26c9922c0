"""Running a run's next jobs in the worker that queued them, not only by message.

Every job keeps its row and its message: the row says whether it still waits
(``queued``), and a claim is one locked transaction, so the first of its message and a
worker that runs it in-line wins and the other finds nothing to do
(:func:`~spinelift.jobs.projects.claim.queued_job`). What running in-line saves is the
hand-off: a message waits for an idle worker to poll its queue, then for Dramatiq to
dispatch it, and a 38-layer upload is 38 of them, each longer than meshing its layer.

- After reading the document, the ProcessPsd worker meshes its run's layers itself
  (:func:`mesh_inline`), last layer first, while the other workers take the messages
  from the front of the queue: they meet in the middle, and the messages of the layers
  meshed here find their jobs done.
- The worker whose job queued the run's BuildExport runs it at once
  (:func:`export_inline`).

Each job run here is the same function its actor runs, under its own lease (heartbeat)
and log context, so progress events, stored meshes, retries and the recovery of a
killed worker are those of a job run by message. A crash is handled as its actor's
would be: the row is queued again (or failed at its last attempt) by the job itself,
and its message is sent again, delayed as Dramatiq's retry would be.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from spinelift.jobs.projects.build_export import run_build_export
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.generate_mesh import run_generate_mesh
from spinelift.jobs.projects.lease import job_lease
from spinelift.jobs.projects.messages import ACTOR_BUILD_EXPORT, ACTOR_GENERATE_MESH, send
from spinelift.logs import log_context
from spinelift.storage.repositories import Actor, UnitOfWork

log = logging.getLogger(__name__)

INLINE_BUDGET = 20.0
"""seconds a ProcessPsd worker goes on taking its run's layers in-line (less than a
stopping worker's 30 s of grace); the layers left after that are meshed by their
messages"""
RETRY_DELAY = 0.2
"""seconds before the message of a job that crashed in-line is delivered again (the
actors' first retry backoff)"""


def mesh_inline(deps: JobDeps, mesh_job_ids: Sequence[str]) -> None:
    """Mesh the layers of ``mesh_job_ids`` (their jobs queued and their messages sent)
    here, last first, skipping the ones another worker took; then run the BuildExport
    job the last of them queued. Only with local meshing: delegated jobs wait for the
    mesh service, not for a CPU."""
    if deps.mesh_client is not None:
        return
    deadline = time.monotonic() + INLINE_BUDGET
    export_id: str | None = None
    left = list(mesh_job_ids)
    while left:
        if time.monotonic() > deadline:
            log.info("in-line meshing stopped: the rest goes by message")
            break
        try:
            with deps.db.session(readonly=True) as session:
                queued = UnitOfWork(session, Actor.system("inline")).jobs.queued_among(left)
        except Exception as exc:  # the messages mesh what is left
            log.warning("in-line meshing stopped", extra={"error": str(exc)})
            break
        left = [job_id for job_id in left if job_id in queued]
        if left:
            job_id = left.pop()
            export_id = _run(deps, job_id, ACTOR_GENERATE_MESH, run_generate_mesh) or export_id
    if export_id is not None:
        export_inline(deps, export_id)


def export_inline(deps: JobDeps, export_job_id: str) -> None:
    """Run the (just queued) BuildExport job ``export_job_id`` here."""
    _run(deps, export_job_id, ACTOR_BUILD_EXPORT, run_build_export)


def _run(
    deps: JobDeps, job_id: str, actor_name: str, body: Callable[[JobDeps, str], str | None]
) -> str | None:
    try:
        with log_context(job_id=job_id), job_lease(deps, job_id):
            return body(deps, job_id)
    except Exception:
        log.exception("in-line job crashed; sent again", extra={"job_id": job_id})
        send(deps, actor_name, job_id, delay=RETRY_DELAY)
        return None
