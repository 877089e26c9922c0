"""The audit log: append-only, one row per state change or user action."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from spinelift.storage.models import AuditEntry
from spinelift.storage.repositories.base import Actor, Repository


class AuditRepository(Repository):
    """Append and read audit rows (there is no update or delete, by design)."""

    def record(
        self,
        actor: Actor | None,
        action: str,
        target: tuple[str, str | int],
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append ``actor`` (default: this repository's) did ``action`` to
        ``target = (type, id)``, e.g. ``("project", 7)`` or ``("session", "login")``."""
        entry = self.audit_target(action, target[0], target[1], before, after, actor=actor)
        self.session.flush()
        return entry

    def for_target(self, target_type: str, target_id: str | int) -> list[AuditEntry]:
        """Every row about one target, oldest first."""
        query = (
            select(AuditEntry)
            .where(AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id))
            .order_by(AuditEntry.id)
        )
        return list(self.session.scalars(query))

    def by_user(self, user_id: int, *, limit: int = 100) -> list[AuditEntry]:
        """What one user did, newest first."""
        query = (
            select(AuditEntry)
            .where(AuditEntry.actor_user_id == user_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def recent(self, *, limit: int = 100) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return list(self.session.scalars(query))
