"""``/api/v1/auth/*`` and ``/api/v1/me`` (``DELETE``: the account and all its data)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from spinelift.web import auth_service
from spinelift.web.deps import ClaimsDep, RuntimeDep, UserIdDep
from spinelift.web.ratelimit import RateLimitsDep, client_ip
from spinelift.web.schemas import (
    Credentials,
    PasswordConfirmation,
    SignInBody,
    TokenOut,
    UserOut,
)

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    responses={429: {"description": "too many sign-ups from this address (RATE_LIMITED)"}},
)
async def signup(
    request: Request, runtime: RuntimeDep, limits: RateLimitsDep, body: Credentials
) -> UserOut:
    await run_in_threadpool(limits.signup_attempt, client_ip(request))
    user = await run_in_threadpool(auth_service.sign_up, runtime, body)
    return UserOut.model_validate(user)


@router.post(
    "/auth/signin",
    summary="Exchange e-mail and password for an access token",
    responses={429: {"description": "too many attempts (RATE_LIMITED, Retry-After)"}},
)
async def signin(
    request: Request, runtime: RuntimeDep, limits: RateLimitsDep, body: SignInBody
) -> TokenOut:
    ip = client_ip(request)
    await run_in_threadpool(limits.signin_attempt, body.email, ip)  # before the password
    token = await run_in_threadpool(auth_service.sign_in, runtime, body)
    await run_in_threadpool(limits.signin_succeeded, body.email, ip)
    return token


@router.post(
    "/auth/signout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke this access token"
)
async def signout(runtime: RuntimeDep, claims: ClaimsDep) -> Response:
    await run_in_threadpool(auth_service.sign_out, runtime, claims)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", summary="The signed-in user")
async def me(runtime: RuntimeDep, user_id: UserIdDep) -> UserOut:
    return await run_in_threadpool(auth_service.current_user, runtime, user_id)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete the signed-in account and all its data (confirm with the password)",
    responses={401: {"description": "wrong password (UNAUTHORIZED): nothing is deleted"}},
)
async def delete_me(runtime: RuntimeDep, claims: ClaimsDep, body: PasswordConfirmation) -> Response:
    await run_in_threadpool(auth_service.delete_own_account, runtime, claims, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
