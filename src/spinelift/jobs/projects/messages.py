"""The web app's job messages: actor names, queue, sending.

A message carries only a job id (the database row is the source of truth) and the
request id of the user's request that queued it. The actor names and the queue name are
the message format: a message queued by an older version names them, so they never
change when code moves (the module that declares them is
:mod:`spinelift.jobs.projects.actors`). Sending needs no actor: the message is built as
Dramatiq's ``Actor.send_with_options`` builds it and handed to the broker.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from spinelift.jobs.projects.deps import JobDeps
from spinelift.storage.models import JobKind

log = logging.getLogger(__name__)

QUEUE_NAME = "spinelift-projects"
MAX_ATTEMPTS = 3
"""attempts of a job that crashes (not a SpineLiftError) before it fails for good"""

ACTOR_PROCESS_PSD = "spinelift_process_psd"
ACTOR_GENERATE_MESH = "spinelift_generate_mesh"
ACTOR_CLEANUP = "spinelift_cleanup"
ACTOR_NOTIFY_PROJECT = "spinelift_notify_project"
ACTOR_BUILD_EXPORT = "spinelift_build_export"
KIND_ACTORS = {
    JobKind.PROCESS_PSD.value: ACTOR_PROCESS_PSD,
    JobKind.GENERATE_MESH.value: ACTOR_GENERATE_MESH,
    JobKind.BUILD_EXPORT.value: ACTOR_BUILD_EXPORT,
    JobKind.NOTIFICATION.value: ACTOR_NOTIFY_PROJECT,
}
"""the actor that runs each kind of job row (its message: the job id)"""


def send(
    deps: JobDeps,
    actor_name: str,
    *args: Any,
    request_id: str | None = None,
    delay: float | None = None,
) -> bool:
    """Hand a message to the broker (``delay``: seconds before it is delivered); ``False``
    (logged) when it is unreachable: the job row stays queued and the recovery pass
    sends it again later."""
    broker = deps.broker or dramatiq.get_broker()
    try:
        broker.declare_queue(QUEUE_NAME)
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=QUEUE_NAME,
            actor_name=actor_name,
            args=tuple(args),
            kwargs={},
            options={"request_id": request_id or ""},
        )
        broker.enqueue(message, delay=None if delay is None else int(delay * 1000))
    except Exception as exc:  # the broker is transport: the DB row is what counts
        log.warning("message not sent", extra={"actor": actor_name, "error": str(exc)})
        return False
    return True


def send_job(deps: JobDeps, job_id: str, kind: str, *, request_id: str | None = None) -> bool:
    """Send the message of the committed job row ``job_id`` (of ``kind``); False when the
    broker is unreachable (the recovery pass sends it later)."""
    return send(deps, KIND_ACTORS[kind], job_id, request_id=request_id)
