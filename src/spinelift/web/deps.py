"""FastAPI dependencies, as ``Annotated`` aliases the routes take as parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from spinelift.errors import AuthenticationError
from spinelift.web.auth import TokenClaims
from spinelift.web.runtime import WebRuntime

_bearer = HTTPBearer(auto_error=False)


def get_runtime(request: Request) -> WebRuntime:
    runtime: WebRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[WebRuntime, Depends(get_runtime)]


def get_claims(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims:
    """The verified claims of the request's ``Authorization: Bearer`` token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("missing bearer token")
    return runtime.tokens.verify(credentials.credentials)


ClaimsDep = Annotated[TokenClaims, Depends(get_claims)]


def get_user_id(claims: ClaimsDep) -> int:
    return claims.user_id


UserIdDep = Annotated[int, Depends(get_user_id)]
