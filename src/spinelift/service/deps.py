"""FastAPI dependencies, as ``Annotated`` aliases the routes take as parameters."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from spinelift.errors import AuthenticationError
from spinelift.service.runtime import Runtime

TOKEN_HEADER = "X-Service-Token"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def require_token(
    runtime: RuntimeDep,
    token: Annotated[str | None, Header(alias=TOKEN_HEADER, include_in_schema=False)] = None,
) -> None:
    """Accept the current or the previous service token (constant-time comparison)."""
    if token is None:
        raise AuthenticationError(f"missing {TOKEN_HEADER} header")
    given = token.encode()
    # compare against every accepted token, without stopping early
    matches = [hmac.compare_digest(given, t.encode()) for t in runtime.settings.tokens()]
    if not any(matches):
        raise AuthenticationError(f"invalid {TOKEN_HEADER}")


Authenticated = Depends(require_token)
