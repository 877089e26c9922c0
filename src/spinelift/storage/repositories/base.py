"""What every repository shares: the session, the acting party and the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from spinelift.storage.models import AuditEntry, Base, utcnow

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something: a signed-in user, the system, or a job (for the audit log)."""

    label: str
    user_id: int | None = None

    @classmethod
    def user(cls, user_id: int) -> Actor:
        return cls(f"user:{user_id}", user_id)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(name)

    @classmethod
    def job(cls, job_id: str, user_id: int | None = None) -> Actor:
        return cls(f"job:{job_id}", user_id)


def snapshot(row: Base, names: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of ``names`` on ``row`` (for audit before/after)."""
    return {name: jsonable(getattr(row, name)) for name in names}


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class Repository:
    """Base: a session (the unit of work's), the actor and a clock."""

    def __init__(self, session: Session, actor: Actor, *, clock: Clock = utcnow) -> None:
        self.session = session
        self.actor = actor
        self.clock = clock

    def audit(
        self,
        action: str,
        target: Base,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> AuditEntry:
        """Append an audit row for ``target`` in the current transaction."""
        table = target.__table__.name  # type: ignore[attr-defined]
        target_type = _TARGET_TYPES.get(table, table)
        return self.audit_target(action, target_type, _target_id(target), before, after)

    def audit_target(
        self,
        action: str,
        target_type: str,
        target_id: object,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        *,
        actor: Actor | None = None,
    ) -> AuditEntry:
        """Append an audit row about ``(target_type, target_id)`` as ``actor`` (default:
        this repository's) in the current transaction."""
        who = actor or self.actor
        entry = AuditEntry(
            actor=who.label,
            actor_user_id=who.user_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=before,
            after=after,
            created_at=self.clock(),
        )
        self.session.add(entry)
        return entry


_TARGET_TYPES = {
    "users": "user",
    "projects": "project",
    "uploads": "upload",
    "layers": "layer",
    "meshes": "mesh",
    "jobs": "job",
    "notifications": "notification",
}


def _target_id(target: Base) -> Any:
    job_id = getattr(target, "job_id", None)
    if target.__table__.name == "jobs" and job_id:  # type: ignore[attr-defined]
        return job_id
    return getattr(target, "id", None)
