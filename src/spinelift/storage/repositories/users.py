"""Users: created with a password hash the caller made; found by e-mail, any case."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from spinelift.errors import ConflictError
from spinelift.storage.models import User
from spinelift.storage.repositories.base import Repository, snapshot

_AUDITED = ("email", "display_name", "is_active")


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

    def find_by_email(self, email: str) -> User | None:
        query = select(User).where(User.email == normalize_email(email))
        return self.session.scalars(query).one_or_none()

    def set_password_hash(self, user_id: int, password_hash: str) -> bool:
        user = self.get(user_id)
        if user is None:
            return False
        user.password_hash = password_hash
        user.updated_at = self.clock()
        self.audit("user.password_change", user, None, None)  # never log the hash
        return True

    def deactivate(self, user_id: int) -> bool:
        user = self.get(user_id)
        if user is None:
            return False
        before = snapshot(user, ("is_active",))
        user.is_active = False
        user.updated_at = self.clock()
        self.audit("user.deactivate", user, before, snapshot(user, ("is_active",)))
        return True
