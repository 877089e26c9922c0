"""In-app notifications (the Notification job writes them, the user reads them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update

from spinelift.storage.models import Notification
from spinelift.storage.repositories.base import Repository, snapshot


class NotificationRepository(Repository):
    def create(
        self,
        user_id: int,
        kind: str,
        title: str,
        *,
        body: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> Notification:
        note = Notification(
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            data=dict(data or {}),
            created_at=self.clock(),
        )
        self.session.add(note)
        self.session.flush()
        self.audit("notification.create", note, None, snapshot(note, ("user_id", "kind")))
        return note

    def list_for_user(
        self, user_id: int, *, unread_only: bool = False, limit: int = 50
    ) -> list[Notification]:
        """Newest first."""
        query = select(Notification).where(Notification.user_id == user_id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        query = query.order_by(Notification.id.desc()).limit(limit)
        return list(self.session.scalars(query))

    def unread_count(self, user_id: int) -> int:
        query = (
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        return int(self.session.scalar(query) or 0)

    def mark_read(self, user_id: int, notification_id: int) -> bool:
        """``False`` when absent, another user's, or already read."""
        query = select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
        note = self.session.scalars(query).one_or_none()
        if note is None or note.read_at is not None:
            return False
        note.read_at = self.clock()
        self.session.flush()
        self.audit("notification.read", note, {"read_at": None}, snapshot(note, ("read_at",)))
        return True

    def mark_all_read(self, user_id: int) -> int:
        """Mark every unread notification of the user read; return how many."""
        now = self.clock()
        result = self.session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            self.audit_target("notification.read_all", "user", user_id, None, {"count": count})
        return count
