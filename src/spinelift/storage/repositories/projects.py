"""Projects, always scoped by their owner: another user's project reads as absent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from spinelift.storage.models import Project, ProjectStatus
from spinelift.storage.repositories.base import Repository, snapshot

EDITABLE = ("name", "description", "parameters")
_AUDITED = (*EDITABLE, "status", "error")


class ProjectRepository(Repository):
    """Every method but :meth:`set_status` takes the owner's id; a project of another
    user gives ``None`` / ``False`` exactly like a missing one (the web app's 404)."""

    def create(
        self,
        owner_id: int,
        name: str,
        *,
        description: str = "",
        parameters: dict[str, Any] | None = None,
    ) -> Project:
        now = self.clock()
        project = Project(
            owner_id=owner_id,
            name=name,
            description=description,
            parameters=dict(parameters or {}),
            status=ProjectStatus.DRAFT.value,
            created_at=now,
            updated_at=now,
        )
        self.session.add(project)
        self.session.flush()
        self.audit("project.create", project, None, snapshot(project, _AUDITED))
        return project

    def get(self, owner_id: int, project_id: int) -> Project | None:
        query = select(Project).where(Project.id == project_id, Project.owner_id == owner_id)
        return self.session.scalars(query).one_or_none()

    def list_for_owner(self, owner_id: int, *, limit: int = 50, offset: int = 0) -> list[Project]:
        """The owner's projects, newest first."""
        query = (
            select(Project)
            .where(Project.owner_id == owner_id)
            .order_by(Project.created_at.desc(), Project.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(self.session.scalars(query))

    def ids_for_owner(self, owner_id: int) -> list[int]:
        """Every project id of ``owner_id``, oldest first."""
        query = select(Project.id).where(Project.owner_id == owner_id).order_by(Project.id)
        return list(self.session.scalars(query))

    def owner_of(self, project_id: int) -> int | None:
        """The project's owner (``None``: no such project); for checks, not for reads."""
        return self.session.scalar(select(Project.owner_id).where(Project.id == project_id))

    def count(self, owner_id: int) -> int:
        query = select(func.count()).select_from(Project).where(Project.owner_id == owner_id)
        return int(self.session.scalar(query) or 0)

    def update(self, owner_id: int, project_id: int, **changes: Any) -> Project | None:
        """Change ``name``, ``description`` and/or ``parameters``; ``None`` when absent."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise TypeError(f"not editable: {sorted(unknown)}")
        project = self.get(owner_id, project_id)
        if project is None:
            return None
        before = snapshot(project, changes)
        for name, value in changes.items():
            setattr(project, name, dict(value) if name == "parameters" else value)
        project.updated_at = self.clock()
        self.session.flush()
        self.audit("project.update", project, before, snapshot(project, changes))
        return project

    def delete(self, owner_id: int, project_id: int) -> bool:
        """Delete the project and (by cascade) its uploads, layers, meshes and jobs."""
        project = self.get(owner_id, project_id)
        if project is None:
            return False
        self.audit("project.delete", project, snapshot(project, _AUDITED), None)
        self.session.delete(project)
        self.session.flush()
        return True

    def get_for_update(self, project_id: int) -> Project | None:
        """Jobs' view, locked ``FOR UPDATE`` (PostgreSQL; SQLite's write sessions hold the
        database lock): the caller serializes with other jobs of the project."""
        query = (
            select(Project)
            .where(Project.id == project_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).one_or_none()

    def set_status(
        self, project_id: int, status: ProjectStatus, *, error: str | None = None
    ) -> Project | None:
        """Jobs' view (not scoped: the job already holds the project's id)."""
        project = self.session.get(Project, project_id)
        if project is None:
            return None
        before = snapshot(project, ("status", "error"))
        project.status = ProjectStatus(status).value
        project.error = error
        now = self.clock()
        if status is ProjectStatus.PROCESSING:
            project.processing_started_at = now
        project.updated_at = now
        self.session.flush()
        self.audit("project.status", project, before, snapshot(project, ("status", "error")))
        return project
