"""Live progress of a project: JSON events on Redis pub/sub, plus a snapshot from the DB.

Workers :meth:`EventBus.publish` on ``<prefix>:project:<id>:events``; the web app's
WebSocket :meth:`EventBus.subscribe` s to the same channel. Pub/sub is fire and forget:
a client that connects late (or misses a message) first reads :func:`project_snapshot`
(the database is the source of truth) and then applies events. Event shapes::

    {"type": "project", "project_id", "status", "error"?, "ts"}
    {"type": "project", "project_id", "status": "deleted", "ts"}   (then nothing more)
    {"type": "layer", "project_id", "layer_id", "status", "progress", "message", "error"?, "ts"}
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import redis
import redis.asyncio as aioredis

from spinelift.storage.db import Database
from spinelift.storage.models import JobKind, Layer, LayerStatus, Mesh, ProjectStatus
from spinelift.storage.repositories import Actor, UnitOfWork

log = logging.getLogger(__name__)

_ASYNC_CONNECTIONS: dict[type[Any], type[Any]] = {
    redis.connection.Connection: aioredis.connection.Connection,
    redis.connection.SSLConnection: aioredis.connection.SSLConnection,
    redis.connection.UnixDomainSocketConnection: aioredis.connection.UnixDomainSocketConnection,
}


class EventBus:
    """Publish and subscribe to a project's events over ``redis`` (real or embedded)."""

    def __init__(self, redis: redis.Redis, prefix: str = "spinelift") -> None:
        self.redis = redis
        self.prefix = prefix

    def channel(self, project_id: int) -> str:
        return f"{self.prefix}:project:{project_id}:events"

    def publish(self, project_id: int, event: Mapping[str, Any]) -> None:
        """Send ``event`` (plus ``ts``, epoch seconds) to the project's subscribers.

        Never raises for a broker outage: progress is best effort, the DB has the state.
        """
        payload = {**event, "ts": time.time()}
        try:
            self.redis.publish(self.channel(project_id), json.dumps(payload, default=str))
        except redis.RedisError as exc:
            log.warning("event not published", extra={"project_id": project_id, "error": str(exc)})

    async def subscribe(self, project_id: int) -> AsyncIterator[dict[str, Any]]:
        """Yield the project's events as they come, until the caller stops (cancels).

        Uses its own ``redis.asyncio`` connection made from the sync client's settings.
        """
        client = self.async_client()
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self.channel(project_id))
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                try:
                    event = json.loads(message["data"])
                except (TypeError, ValueError):
                    continue
                if isinstance(event, dict):
                    yield event
        finally:
            try:
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis leaves it untyped
            finally:
                await client.aclose()

    def async_client(self, *, client_name: str | None = None) -> aioredis.Redis:
        """A ``redis.asyncio`` client on the same server (reads without a socket timeout:
        pub/sub waits for events), named ``client_name`` in ``CLIENT LIST`` if given."""
        pool = self.redis.connection_pool
        kwargs = dict(pool.connection_kwargs)
        kwargs.pop("socket_timeout", None)  # reads wait for events; get_message has its own
        connection_class = _ASYNC_CONNECTIONS.get(pool.connection_class)
        if connection_class is None:  # e.g. a subclass: pick by what it connects to
            connection_class = (
                aioredis.connection.UnixDomainSocketConnection
                if "path" in kwargs
                else aioredis.connection.Connection
            )
        kwargs = {k: v for k, v in kwargs.items() if k not in ("retry",)}
        if client_name is not None:
            kwargs["client_name"] = client_name
        async_pool = aioredis.ConnectionPool(connection_class=connection_class, **kwargs)
        return aioredis.Redis(connection_pool=async_pool)


def project_deleted_event(project_id: int) -> dict[str, Any]:
    """The last event of a project: it was deleted (its WebSockets close with 4404)."""
    return {"type": "project", "project_id": project_id, "status": "deleted"}


def layer_event(
    project_id: int,
    layer_id: int,
    status: LayerStatus,
    progress: int,
    message: str,
    *,
    error: str | None = None,
    mesh: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``{"type": "layer", ...}`` event as the WebSocket clients receive it."""
    event: dict[str, Any] = {
        "type": "layer",
        "project_id": project_id,
        "layer_id": layer_id,
        "status": status.value,
        "progress": progress,
        "message": message,
    }
    if error is not None:
        event["error"] = error
    if mesh is not None:
        event["mesh"] = dict(mesh)
    return event


def mesh_figures(mesh: Mesh | None) -> dict[str, Any] | None:
    """``{"vertices", "hull", "triangles", "overdraw"}`` of a stored mesh, or ``None``."""
    if mesh is None:
        return None
    data = mesh.data
    return {k: data.get(k) for k in ("vertices", "hull", "triangles", "overdraw")}


def project_snapshot(db: Database, owner_id: int, project_id: int) -> dict[str, Any] | None:
    """The project's current state as the first WebSocket message (``None``: not the
    owner's, or absent). Each layer's progress and message come from its newest mesh job."""
    with db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        project = uow.projects.get(owner_id, project_id)
        if project is None:
            return None
        latest_job: dict[int, tuple[int, str]] = {}
        for job in uow.jobs.list_for_project(project_id, limit=10_000):  # newest first
            if job.kind == JobKind.GENERATE_MESH.value and job.layer_id is not None:
                latest_job.setdefault(job.layer_id, (job.progress, job.message))
        layers = [
            _layer_state(item.layer, item.mesh, latest_job.get(item.layer.id))
            for item in uow.layers.list_with_meshes(project_id)
        ]
        return {
            "type": "snapshot",
            "project": {
                "id": project.id,
                "name": project.name,
                "status": project.status,
                "error": project.error,
            },
            "layers": layers,
        }


def _layer_state(layer: Layer, mesh: Mesh | None, job: tuple[int, str] | None) -> dict[str, Any]:
    progress, message = job if job is not None else (0, "")
    if layer.status == LayerStatus.COMPLETED.value:
        progress = 100
    return {
        "id": layer.id,
        "name": layer.name,
        "status": layer.status,
        "progress": progress,
        "message": message,
        "error": layer.error,
        "mesh": mesh_figures(mesh),
    }


def announce_project(
    bus: EventBus, project_id: int, status: ProjectStatus, *, error: str | None = None
) -> None:
    """Publish a ``{"type": "project", ...}`` event (``error``: why it failed)."""
    event: dict[str, Any] = {"type": "project", "project_id": project_id, "status": status.value}
    if error is not None:
        event["error"] = error
    bus.publish(project_id, event)


def announce_layer(
    bus: EventBus,
    project_id: int,
    layer_id: int,
    status: LayerStatus,
    progress: int,
    message: str,
    *,
    error: str | None = None,
    mesh: Mapping[str, Any] | None = None,
) -> None:
    """Publish :func:`layer_event`."""
    event = layer_event(project_id, layer_id, status, progress, message, error=error, mesh=mesh)
    bus.publish(project_id, event)
