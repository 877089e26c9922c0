"""``/api/v1/jobs/{job_id}`` and ``/api/v1/notifications`` (the user's own only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from spinelift.web import activity_service
from spinelift.web.deps import RuntimeDep, UserIdDep
from spinelift.web.schemas import JobOut, NotificationOut

router = APIRouter(prefix="/api/v1", tags=["activity"])


@router.get("/jobs/{job_id}", summary="A job's status and progress")
async def job(runtime: RuntimeDep, user_id: UserIdDep, job_id: str) -> JobOut:
    return await run_in_threadpool(activity_service.job, runtime, user_id, job_id)


@router.get("/notifications", summary="The user's notifications, newest first")
async def notifications(
    runtime: RuntimeDep,
    user_id: UserIdDep,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[NotificationOut]:
    return await run_in_threadpool(
        activity_service.notifications, runtime, user_id, unread_only, limit
    )
