"""Repositories: all of the web app's SQL, one module per aggregate.

Each repository works in the session it is given and never commits; the caller's
:meth:`Database.session <spinelift.storage.db.Database.session>` (or
:class:`UnitOfWork`) commits at the request or task boundary. Every state change
appends an audit row in the same transaction, attributed to the :class:`Actor`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from spinelift.storage.models import utcnow
from spinelift.storage.repositories.audit import AuditRepository
from spinelift.storage.repositories.base import Actor, Clock
from spinelift.storage.repositories.jobs import TRANSITIONS, JobRepository
from spinelift.storage.repositories.layers import LayerRepository, LayerWithMesh
from spinelift.storage.repositories.meshes import MeshRepository
from spinelift.storage.repositories.notifications import NotificationRepository
from spinelift.storage.repositories.projects import ProjectRepository
from spinelift.storage.repositories.uploads import UploadRepository
from spinelift.storage.repositories.users import UserRepository, normalize_email

__all__ = [
    "TRANSITIONS",
    "Actor",
    "AuditRepository",
    "JobRepository",
    "LayerRepository",
    "LayerWithMesh",
    "MeshRepository",
    "NotificationRepository",
    "ProjectRepository",
    "UnitOfWork",
    "UploadRepository",
    "UserRepository",
    "normalize_email",
]


class UnitOfWork:
    """Every repository over one session and one actor (one transaction)."""

    def __init__(self, session: Session, actor: Actor, *, clock: Clock = utcnow) -> None:
        self.session = session
        self.actor = actor
        self.users = UserRepository(session, actor, clock=clock)
        self.projects = ProjectRepository(session, actor, clock=clock)
        self.uploads = UploadRepository(session, actor, clock=clock)
        self.layers = LayerRepository(session, actor, clock=clock)
        self.meshes = MeshRepository(session, actor, clock=clock)
        self.jobs = JobRepository(session, actor, clock=clock)
        self.audit = AuditRepository(session, actor, clock=clock)
        self.notifications = NotificationRepository(session, actor, clock=clock)
