"""Projects, scoped by owner: another user's project is
:class:`~spinelift.errors.NotFoundError` (404).

Also the project's stored export (:func:`open_export`): built once per version by a
worker (:mod:`spinelift.jobs.projects.export`) and streamed from the blob store here,
never built, unzipped or encoded in the API process; and the mesh parameters' schema.
"""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import Any, BinaryIO

from pydantic import BaseModel

from spinelift.core.settings import MeshSettings, parameter_ranges
from spinelift.errors import ConflictError, NotFoundError
from spinelift.jobs.projects.events import project_deleted_event
from spinelift.jobs.projects.export_version import current_version
from spinelift.jobs.projects.messages import send_job
from spinelift.jobs.projects.runs import export_job
from spinelift.storage.blob_keys import export_key, player_files_key, project_prefix
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind, Project, ProjectStatus
from spinelift.storage.repositories import Actor, UnitOfWork
from spinelift.web.runtime import WebRuntime
from spinelift.web.schemas import ProjectCreate, ProjectList, ProjectOut, ProjectUpdate

EXPORT_RETRY_AFTER = 2
"""seconds a client waits before asking again for an export being built"""


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
    """Delete the project and its rows; its blobs (``projects/<id>/...``) go too, and its
    open WebSockets are told (they close with 4404)."""
    with runtime.db.unit(Actor.user(owner_id)) as uow:
        if not uow.projects.delete(owner_id, project_id):
            raise NotFoundError("no such project", details={"project_id": project_id})
    runtime.events.publish(project_id, project_deleted_event(project_id))
    for key in runtime.blobs.list_keys(project_prefix(project_id)):
        runtime.blobs.delete(key)


class ParameterOut(BaseModel):
    name: str
    type: str
    """``int``, ``float``, ``bool`` or ``choice``"""
    default: Any
    min: int | float | None = None
    max: int | float | None = None
    choices: list[str] | None = None


class Viewport(BaseModel):
    """The document canvas in skeleton coordinates (y up), for the Spine player."""

    x: float
    y: float
    width: float
    height: float


class ExportFiles(BaseModel):
    """The Spine export's files as ``data:`` URIs (the player's ``rawDataURIs``); the
    document as stored by the export job (this model documents it)."""

    skeleton: str
    atlas: str
    files: dict[str, str]
    viewport: Viewport
    width: int
    height: int


def open_export(
    runtime: WebRuntime, owner_id: int, project_id: int, *, player_files: bool = False
) -> BinaryIO:
    """A stream of the stored export zip (or, with ``player_files``, of the player files
    JSON) of the project's current version. 409 ``CONFLICT`` until the project is
    completed, and while the export of a changed version (a rename) is being built:
    then its BuildExport job is queued and named in ``details`` (with ``retry_after``)."""
    with runtime.db.session(readonly=True) as session:
        uow = UnitOfWork(session, Actor.user(owner_id))
        project = require_project(uow, owner_id, project_id)
        if project.status != ProjectStatus.COMPLETED.value:
            raise ConflictError(
                "the project is not completed yet",
                details={"project_id": project_id, "status": project.status},
            )
        version = current_version(uow, project_id, project.name)
    key = (player_files_key if player_files else export_key)(project_id, version.fingerprint)
    try:
        return runtime.blobs.open(key)
    except KeyError:
        pass
    with runtime.db.unit(Actor.user(owner_id)) as uow:
        job, created = export_job(uow, version, owner_id, retry_failed=False)
        job_id, status, error = job.job_id, job.status, job.error
    if status == JobStatus.FAILED.value:
        raise ConflictError(
            f"the export failed: {(error or {}).get('message', 'unknown error')}",
            details={"project_id": project_id, "job_id": job_id, "error": error},
        )
    if created:  # an existing job's lost message is the recovery pass's to resend
        send_job(runtime.jobs, job_id, JobKind.BUILD_EXPORT.value)
    raise ConflictError(
        "the export of this version is being built; try again in a moment",
        details={"project_id": project_id, "job_id": job_id, "retry_after": EXPORT_RETRY_AFTER},
    )


def parameter_schema() -> list[ParameterOut]:
    """Every mesh setting: type, default, inclusive range or choices (MeshSettings')."""
    ranges = parameter_ranges()
    settings = MeshSettings()
    defaults = settings.to_dict()
    out: list[ParameterOut] = []
    for f in fields(MeshSettings):
        default, value = defaults[f.name], getattr(settings, f.name)
        if f.name in ranges:
            low, high = ranges[f.name]
            if isinstance(value, int) and not isinstance(value, bool):
                out.append(
                    ParameterOut(
                        name=f.name, type="int", default=default, min=int(low), max=int(high)
                    )
                )
            else:
                out.append(
                    ParameterOut(name=f.name, type="float", default=default, min=low, max=high)
                )
        elif isinstance(value, Enum):
            choices = [str(member.value) for member in type(value)]
            out.append(ParameterOut(name=f.name, type="choice", default=default, choices=choices))
        else:
            out.append(ParameterOut(name=f.name, type="bool", default=default))
    return out
