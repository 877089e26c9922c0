"""Everything one web app process shares: settings, database, blobs, Redis, event bus and
its in-process fan-out, the job dependencies, the token service and the WebSocket slots
(built once by :func:`build_runtime`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.events import EventBus
from spinelift.storage.blob_factory import blob_store_for
from spinelift.storage.blobs import BlobStore
from spinelift.storage.db import Database
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.web.accounts import GONE, AccountStates
from spinelift.web.auth import TokenService
from spinelift.web.event_hub import EventHub, Verdict
from spinelift.web.metrics import WebMetrics
from spinelift.web.settings import WebSettings
from spinelift.web.socket_slots import SocketSlots


@dataclass
class WebRuntime:
    settings: WebSettings
    db: Database
    blobs: BlobStore
    redis: redis.Redis
    events: EventBus
    jobs: JobDeps
    tokens: TokenService
    hub: EventHub
    sockets: SocketSlots
    metrics: WebMetrics = field(default_factory=WebMetrics)
    started: float = field(default_factory=time.time)

    def close(self) -> None:
        self.redis.close()
        self.db.dispose()


SOCKET_LEASE_SECONDS = 60.0
"""how long a WebSocket's slot outlives its last renewal (a crashed process's sockets)"""


def project_verdict(db: Database, accounts: AccountStates, project_id: int) -> Verdict:
    """Who owns ``project_id`` now, and that owner's current token version."""
    with db.session(readonly=True) as session:
        owner = UnitOfWork(session, Actor.system("events")).projects.owner_of(project_id)
    if owner is None:
        return Verdict(None, GONE)
    return Verdict(owner, accounts.current(owner, accounts.cached(owner)))


def build_runtime(
    settings: WebSettings,
    *,
    db: Database | None = None,
    blobs: BlobStore | None = None,
    broker: dramatiq.Broker | None = None,
) -> WebRuntime:
    """The runtime for ``settings`` (``db``/``blobs``/``broker`` replace the defaults)."""
    url = settings.redis_url
    if not url:
        raise RuntimeError(
            "no Redis: set SPINELIFT_REDIS_URL (or REDIS_URL), or run `spinelift serve`"
            " which starts an embedded one"
        )
    if not settings.jwt_secret:
        settings = settings.with_jwt_secret()
    client = redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=10.0)
    database = db or Database(settings.resolved_database_url())
    store = blobs or blob_store_for(settings)
    if broker is None:
        broker = RedisBroker(  # type: ignore[no-untyped-call]  # dramatiq leaves it untyped
            url=url, namespace=f"{settings.key_prefix}-dramatiq"
        )
    events = EventBus(client, settings.key_prefix)
    # the broker travels in the deps (not Dramatiq's global one): two apps in one process
    # (tests) each keep their own
    deps = JobDeps(database, store, events, broker)
    assert settings.jwt_secret is not None  # set just above
    prefix = settings.key_prefix
    accounts = AccountStates(database, client, prefix, settings.account_cache_seconds)
    tokens = TokenService(settings.jwt_secret, settings.jwt_ttl, client, prefix, accounts)
    hub = EventHub(events, lambda project_id: project_verdict(database, accounts, project_id))
    sockets = SocketSlots(
        client, f"{prefix}:web:sockets", settings.ws_max_per_user, SOCKET_LEASE_SECONDS
    )
    runtime = WebRuntime(settings, database, store, client, events, deps, tokens, hub, sockets)
    runtime.metrics.watch(database)
    return runtime
