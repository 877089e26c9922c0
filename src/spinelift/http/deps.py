"""FastAPI dependencies shared by the adapters, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request


def get_request_id(request: Request) -> str:
    """The id :class:`~spinelift.http.middleware.RequestContext` gave the request, or ``""``."""
    return str(request.scope.get("state", {}).get("request_id", ""))


RequestIdDep = Annotated[str, Depends(get_request_id)]
