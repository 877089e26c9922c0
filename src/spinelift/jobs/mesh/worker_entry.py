"""Imported by Dramatiq's worker processes: the broker from the settings, the actor.

``spinelift worker`` runs ``dramatiq spinelift.jobs.mesh.worker_entry``; the settings come
from the environment (``SPINELIFT_REDIS_URL`` / ``REDIS_URL`` and the rest). Every
``SPINELIFT_CLEANUP_INTERVAL`` seconds one worker process (per Redis) gives the messages
of dead workers back to the queue, so a job whose worker was killed is run again within
about ``SPINELIFT_BROKER_HEARTBEAT_TIMEOUT`` + that interval.
"""

from __future__ import annotations

from spinelift.config import ServiceSettings
from spinelift.jobs.broker import redis_client, requeue_dead_workers
from spinelift.jobs.declare import start_worker
from spinelift.jobs.mesh.actors import declare_actor
from spinelift.jobs.periodic import Periodic, Task

settings = ServiceSettings()
broker = start_worker(settings)
actor = declare_actor(broker, settings)
broker.add_middleware(
    Periodic(
        [
            Task(
                "spinelift-mesh-recovery",
                lambda: requeue_dead_workers(broker, settings.queue_name) and None,
                f"{settings.key_prefix}:mesh:recovery:lock",
                settings.cleanup_interval,
            )
        ],
        client=redis_client(str(settings.redis_url)),
    )
)
