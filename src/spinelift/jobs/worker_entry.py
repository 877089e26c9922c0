"""Imported by Dramatiq's worker processes: the broker from the settings, the actor.

``spinelift worker`` runs ``dramatiq spinelift.jobs.worker_entry``; the settings come
from the environment (``SPINELIFT_REDIS_URL`` / ``REDIS_URL`` and the rest). Every
``SPINELIFT_CLEANUP_INTERVAL`` seconds one worker process (per Redis) gives the messages
of dead workers back to the queue, so a job whose worker was killed is run again within
about ``SPINELIFT_BROKER_HEARTBEAT_TIMEOUT`` + that interval.
"""

from __future__ import annotations

import dramatiq

from spinelift.config import ServiceSettings
from spinelift.jobs.actors import declare_actor
from spinelift.jobs.broker import make_broker, redis_client, requeue_dead_workers
from spinelift.jobs.periodic import Periodic, Task
from spinelift.logs import configure_logging

settings = ServiceSettings()
configure_logging(settings.log_level, settings.log_format)
broker = make_broker(settings)
dramatiq.set_broker(broker)
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
