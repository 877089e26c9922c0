"""Projects, scoped by owner: another user's project is :class:`NotFoundError` (404)."""

from __future__ import annotations

from typing import Any

from spinelift.core.settings import MeshSettings
from spinelift.errors import ConflictError
from spinelift.jobs.project_export import build_export_zip
from spinelift.storage.models import Project, ProjectStatus
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.web.errors import NotFoundError
from spinelift.web.runtime import WebRuntime
from spinelift.web.schemas import ProjectCreate, ProjectList, ProjectOut, ProjectUpdate


def require_project(uow: UnitOfWork, owner_id: int, project_id: int) -> Project:
    project = uow.projects.get(owner_id, project_id)
    if project is None:
        raise NotFoundError("no such project", details={"project_id": project_id})
    return project


def validated_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` checked by :class:`MeshSettings` (raises INVALID_PARAMETERS with
    ``details["fields"]``); returned as given (only what the user set is stored)."""
    MeshSettings.from_mapping(dict(parameters))
    return dict(parameters)


def create(runtime: WebRuntime, owner_id: int, body: ProjectCreate) -> ProjectOut:
    parameters = validated_parameters(body.parameters)
    with runtime.db.unit(Actor.user(owner_id)) as uow:
        project = uow.projects.create(
            owner_id, body.name, description=body.description, parameters=parameters
        )
        return ProjectOut.model_validate(project)


def list_projects(runtime: WebRuntime, owner_id: int, limit: int, offset: int) -> ProjectList:
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        items = uow.projects.list_for_owner(owner_id, limit=limit, offset=offset)
        return ProjectList(
            items=[ProjectOut.model_validate(p) for p in items],
            total=uow.projects.count(owner_id),
        )


def get(runtime: WebRuntime, owner_id: int, project_id: int) -> ProjectOut:
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        return ProjectOut.model_validate(require_project(uow, owner_id, project_id))


def update(runtime: WebRuntime, owner_id: int, project_id: int, body: ProjectUpdate) -> ProjectOut:
    changes = body.model_dump(exclude_none=True)
    if "parameters" in changes:
        changes["parameters"] = validated_parameters(changes["parameters"])
    with runtime.db.unit(Actor.user(owner_id)) as uow:
        require_project(uow, owner_id, project_id)
        project = uow.projects.update(owner_id, project_id, **changes) if changes else None
        return ProjectOut.model_validate(project or require_project(uow, owner_id, project_id))


def delete(runtime: WebRuntime, owner_id: int, project_id: int) -> None:
    """Delete the project and its rows; its blobs (``projects/<id>/...``) go too."""
    with runtime.db.unit(Actor.user(owner_id)) as uow:
        if not uow.projects.delete(owner_id, project_id):
            raise NotFoundError("no such project", details={"project_id": project_id})
    for key in runtime.blobs.list_keys(f"projects/{project_id}/"):
        runtime.blobs.delete(key)


def export_zip(runtime: WebRuntime, owner_id: int, project_id: int) -> bytes:
    """The Spine export of a completed project; 409 CONFLICT before that."""
    project = get(runtime, owner_id, project_id)
    if project.status != ProjectStatus.COMPLETED.value:
        raise ConflictError(
            "the project is not completed yet",
            details={"project_id": project_id, "status": project.status},
        )
    return build_export_zip(runtime.jobs, owner_id, project_id)
