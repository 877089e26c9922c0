"""Imported by Dramatiq's worker processes: the broker from the settings, the actor.

``spinelift worker`` runs ``dramatiq spinelift.jobs.worker_entry``; the settings come
from the environment (``SPINELIFT_REDIS_URL`` / ``REDIS_URL`` and the rest).
"""

from __future__ import annotations

import dramatiq

from spinelift.config import ServiceSettings
from spinelift.jobs.actors import declare_actor
from spinelift.jobs.broker import make_broker
from spinelift.jobs.jsonlog import configure_logging

settings = ServiceSettings()
configure_logging(settings.log_level)
broker = make_broker(settings)
dramatiq.set_broker(broker)
actor = declare_actor(broker, settings)
