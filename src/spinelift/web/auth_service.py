"""Accounts: sign up, sign in, sign out, who am I, deactivate, delete. Every action is
audited.

Deleting an account (the user's own ``DELETE /api/v1/me``, or ``spinelift account
delete`` for an operator) deletes its projects (each audited, with their uploads, layers,
meshes and jobs), its notifications and the user row in one transaction, then tells every
app process (the account's tokens and open WebSockets are refused from then on) and
deletes the projects' blobs; blobs a crash leaves behind are deleted by the Cleanup job's
orphan sweep. The audit log is kept (append-only): the account's rows lose their
``actor_user_id`` (``SET NULL``) and keep their ``user:<id>`` label; the deletion row holds
no e-mail address. Ids are never reused, so no later account is ever ``user:<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from spinelift.errors import AuthenticationError, NotFoundError
from spinelift.jobs.projects.events import EventBus, project_deleted_event
from spinelift.storage.blob_keys import project_prefix
from spinelift.storage.blobs import BlobStore
from spinelift.storage.db import Database
from spinelift.storage.models import User
from spinelift.storage.repositories import Actor, normalize_email
from spinelift.web.accounts import GONE, AccountStates
from spinelift.web.auth import TokenClaims, hash_password, verify_password
from spinelift.web.runtime import WebRuntime
from spinelift.web.schemas import Credentials, SignInBody, TokenOut, UserOut


def sign_up(runtime: WebRuntime, body: Credentials) -> User:
    """A new account; :class:`~spinelift.errors.ConflictError` when the e-mail is taken."""
    password_hash = hash_password(body.password)
    with runtime.db.unit(Actor.system("signup")) as uow:
        return uow.users.create(body.email, password_hash)


def sign_in(runtime: WebRuntime, body: SignInBody) -> TokenOut:
    """An access token for the right e-mail and password; the same 401 otherwise."""
    with runtime.db.unit(Actor.system("signin")) as uow:
        user = uow.users.find_by_email(body.email)
        ok = verify_password(user.password_hash if user else None, body.password)
        if user is None or not ok or not user.is_active:
            uow.audit.record(
                None,
                "user.signin_failed",
                ("session", "signin"),
                after={"email": normalize_email(body.email)},
            )
            user_id, version = 0, GONE
        else:
            uow.audit.record(Actor.user(user.id), "user.signin", ("user", user.id))
            user_id, version = user.id, user.token_version
    if version == GONE:  # after the block, so the failed attempt's audit row is committed
        raise AuthenticationError("wrong e-mail or password")
    token = runtime.tokens.issue(user_id, version)
    return TokenOut(access_token=token, expires_in=runtime.tokens.ttl)


def sign_out(runtime: WebRuntime, claims: TokenClaims) -> None:
    """Revoke the token (every app process refuses it from now on)."""
    runtime.tokens.revoke(claims)
    with runtime.db.unit(Actor.user(claims.user_id)) as uow:
        uow.audit.record(None, "user.signout", ("user", claims.user_id))


def current_user(runtime: WebRuntime, user_id: int) -> UserOut:
    """The signed-in user; 401 when the account is gone or deactivated."""
    with runtime.db.session(readonly=True) as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise AuthenticationError("the account no longer exists")
        return UserOut.model_validate(user)  # inside: a read-only session expires on exit


def delete_own_account(runtime: WebRuntime, claims: TokenClaims, password: str) -> None:
    """The signed-in user deletes their account, confirming with the password (a stolen
    token alone cannot); a wrong password is 401 and deletes nothing."""
    with runtime.db.session(readonly=True) as session:
        user = session.get(User, claims.user_id)
        password_hash = user.password_hash if user is not None else None
    if not verify_password(password_hash, password):
        raise AuthenticationError("wrong password: the account was not deleted")
    accounts = Accounts(runtime.db, runtime.blobs, runtime.tokens.accounts, runtime.events)
    accounts.delete(claims.user_id, Actor.user(claims.user_id))


@dataclass(frozen=True)
class DeletedAccount:
    user_id: int
    projects: int
    blobs: int


@dataclass(frozen=True)
class Accounts:
    """Deactivate, reactivate and delete accounts; shared by the API and the operator's
    ``spinelift account`` (``states``/``events`` are ``None`` where Redis is unknown)."""

    db: Database
    blobs: BlobStore
    states: AccountStates | None
    events: EventBus | None

    def find(self, who: str) -> User:
        """The account named by ``who``: an id or an e-mail address (404 otherwise)."""
        with self.db.unit(Actor.system("account")) as uow:
            user = uow.users.get(int(who)) if who.isdigit() and len(who) <= 10 else None
            user = user or uow.users.find_by_email(who)
            if user is None:
                raise NotFoundError("no such account", details={"account": who})
            return user

    def deactivate(self, user_id: int, actor: Actor) -> User:
        with self.db.unit(actor) as uow:
            user = uow.users.deactivate(user_id)
            if user is None:
                raise NotFoundError("no such account", details={"user_id": user_id})
        self._tell(user_id, GONE)
        return user

    def reactivate(self, user_id: int, actor: Actor) -> User:
        with self.db.unit(actor) as uow:
            user = uow.users.reactivate(user_id)
            if user is None:
                raise NotFoundError("no such account", details={"user_id": user_id})
            version = user.token_version
        self._tell(user_id, version)
        return user

    def delete(self, user_id: int, actor: Actor) -> DeletedAccount:
        """Delete the account and all its data (see the module docstring)."""
        with self.db.unit(actor) as uow:
            if uow.users.get_for_update(user_id) is None:
                raise NotFoundError("no such account", details={"user_id": user_id})
            project_ids = uow.projects.ids_for_owner(user_id)
            for project_id in project_ids:
                uow.projects.delete(user_id, project_id)
            uow.users.delete(user_id, projects=len(project_ids))
        self._tell(user_id, GONE)
        blobs = 0
        for project_id in project_ids:
            if self.events is not None:  # open WebSockets of the project close at once
                self.events.publish(project_id, project_deleted_event(project_id))
            for key in self.blobs.list_keys(project_prefix(project_id)):
                self.blobs.delete(key)
                blobs += 1
        return DeletedAccount(user_id, len(project_ids), blobs)

    def _tell(self, user_id: int, version: int) -> None:
        if self.states is not None:
            self.states.changed(user_id, version)
