"""Accounts: sign up, sign in, sign out, who am I. Every action is audited."""

from __future__ import annotations

from spinelift.errors import AuthenticationError
from spinelift.storage.models import User
from spinelift.storage.repositories import Actor, normalize_email
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
            failed = True
        else:
            uow.audit.record(Actor.user(user.id), "user.signin", ("user", user.id))
            failed = False
        user_id = user.id if user else 0
    if failed:  # after the block, so the failed attempt's audit row is committed
        raise AuthenticationError("wrong e-mail or password")
    return TokenOut(access_token=runtime.tokens.issue(user_id), expires_in=runtime.tokens.ttl)


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
