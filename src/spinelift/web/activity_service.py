"""What the user's jobs are doing and what they were told (owner-scoped reads)."""

from __future__ import annotations

from spinelift.errors import NotFoundError
from spinelift.storage.models import Job, Project
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.web.runtime import WebRuntime
from spinelift.web.schemas import JobOut, NotificationOut


def job(runtime: WebRuntime, owner_id: int, job_id: str) -> JobOut:
    """The job if the user started it or owns its project; 404 otherwise."""
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        row = uow.jobs.get(job_id)
        if row is None or not _owned(session_project(uow, row), row, owner_id):
            raise NotFoundError("no such job", details={"job_id": job_id})
        return JobOut.model_validate(row)


def session_project(uow: UnitOfWork, row: Job) -> Project | None:
    if row.project_id is None:
        return None
    return uow.session.get(Project, row.project_id)


def _owned(project: Project | None, row: Job, owner_id: int) -> bool:
    if project is not None:
        return project.owner_id == owner_id
    return row.user_id == owner_id


def notifications(
    runtime: WebRuntime, owner_id: int, unread_only: bool, limit: int
) -> list[NotificationOut]:
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        rows = uow.notifications.list_for_user(owner_id, unread_only=unread_only, limit=limit)
        return [NotificationOut.model_validate(n) for n in rows]
