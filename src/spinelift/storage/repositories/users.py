"""Users: created with a password hash the caller made; found by e-mail, any case.

``token_version`` moves on every change that must end the account's sessions (password,
deactivation, reactivation); tokens carry the version they were issued under.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from spinelift.errors import ConflictError
from spinelift.storage.models import User
from spinelift.storage.repositories.base import Repository, snapshot

_AUDITED = ("email", "display_name", "is_active")
_STATE = ("is_active", "token_version")


def normalize_email(email: str) -> str:
    """The stored form: trimmed and lower-cased (so uniqueness ignores case)."""
    return email.strip().lower()


class UserRepository(Repository):
    def create(self, email: str, password_hash: str, *, display_name: str = "") -> User:
        """A new user; raises :class:`ConflictError` when the e-mail is taken (any case)."""
        user = User(
            email=normalize_email(email),
            password_hash=password_hash,
            display_name=display_name,
            created_at=self.clock(),
            updated_at=self.clock(),
        )
        try:
            with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError:
            raise ConflictError(
                "that e-mail address is already registered", details={"field": "email"}
            ) from None
        self.audit("user.create", user, None, snapshot(user, _AUDITED))
        return user

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def get_for_update(self, user_id: int) -> User | None:
        """The user, locked ``FOR UPDATE`` on PostgreSQL (SQLite's write sessions hold the
        database lock): concurrent changes to one account queue."""
        query = (
            select(User)
            .where(User.id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).one_or_none()

    def find_by_email(self, email: str) -> User | None:
        query = select(User).where(User.email == normalize_email(email))
        return self.session.scalars(query).one_or_none()

    def set_password_hash(self, user_id: int, password_hash: str) -> bool:
        user = self.get(user_id)
        if user is None:
            return False
        user.password_hash = password_hash
        user.token_version += 1  # every token issued before stops working
        user.updated_at = self.clock()
        self.audit("user.password_change", user, None, None)  # never log the hash
        return True

    def deactivate(self, user_id: int) -> User | None:
        """Deactivate (its tokens stop working; it cannot sign in). ``None``: no such user."""
        return self._set_active(user_id, False, "user.deactivate")

    def reactivate(self, user_id: int) -> User | None:
        """Let the user sign in again (tokens from before stay refused)."""
        return self._set_active(user_id, True, "user.reactivate")

    def _set_active(self, user_id: int, active: bool, action: str) -> User | None:
        user = self.get_for_update(user_id)
        if user is None:
            return None
        before = snapshot(user, _STATE)
        user.is_active = active
        user.token_version += 1
        user.updated_at = self.clock()
        self.audit(action, user, before, snapshot(user, _STATE))
        return user

    def delete(self, user_id: int, *, projects: int = 0) -> bool:
        """Delete the user row (the caller deleted the projects first, each audited);
        its notifications go by cascade, its jobs and audit rows lose the reference
        (``SET NULL``). The audit row keeps no e-mail address: ``projects`` is the count."""
        user = self.get_for_update(user_id)
        if user is None:
            return False
        self.audit("user.delete", user, snapshot(user, _STATE), {"projects_deleted": projects})
        self.session.delete(user)
        self.session.flush()
        return True
