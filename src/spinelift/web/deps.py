"""FastAPI dependencies, as ``Annotated`` aliases the routes take as parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from spinelift.errors import AuthenticationError
from spinelift.storage.models import MAX_ID
from spinelift.web.auth import TokenClaims
from spinelift.web.runtime import WebRuntime

__all__ = ["MAX_ID", "ClaimsDep", "IdPath", "RuntimeDep", "UserIdDep"]

_bearer = HTTPBearer(auto_error=False)

IdPath = Annotated[int, Path(ge=-MAX_ID - 1, le=MAX_ID)]
"""An id in a path (``project_id: IdPath``): a number no row can have is a 422, not a 500."""


def get_runtime(request: Request) -> WebRuntime:
    runtime: WebRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[WebRuntime, Depends(get_runtime)]


def get_claims(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims:
    """The verified claims of the request's ``Authorization: Bearer`` token, whose account
    is active and still honours it (see :mod:`spinelift.web.auth`)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("missing bearer token")
    return runtime.tokens.verify(credentials.credentials)


ClaimsDep = Annotated[TokenClaims, Depends(get_claims)]


def get_user_id(claims: ClaimsDep) -> int:
    return claims.user_id


UserIdDep = Annotated[int, Depends(get_user_id)]
