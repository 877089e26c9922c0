"""Uploads: the record of a file a user sent (its bytes are in the blob store)."""

from __future__ import annotations

from sqlalchemy import select

from spinelift.storage.models import Project, Upload
from spinelift.storage.repositories.base import Repository, snapshot

_AUDITED = ("project_id", "blob_key", "filename", "content_type", "size_bytes", "sha256")


class UploadRepository(Repository):
    def create(
        self,
        project_id: int,
        *,
        blob_key: str,
        filename: str,
        content_type: str,
        size_bytes: int,
        sha256: str,
    ) -> Upload:
        upload = Upload(
            project_id=project_id,
            blob_key=blob_key,
            filename=filename,
            content_type=content_type,
            size_bytes=size_bytes,
            sha256=sha256,
            created_at=self.clock(),
        )
        self.session.add(upload)
        self.session.flush()
        self.audit("upload.create", upload, None, snapshot(upload, _AUDITED))
        return upload

    def get(self, upload_id: int) -> Upload | None:
        return self.session.get(Upload, upload_id)

    def get_for_owner(self, owner_id: int, upload_id: int) -> Upload | None:
        """The upload, if its project belongs to ``owner_id``."""
        query = (
            select(Upload)
            .join(Project, Project.id == Upload.project_id)
            .where(Upload.id == upload_id, Project.owner_id == owner_id)
        )
        return self.session.scalars(query).one_or_none()

    def list_for_project(self, project_id: int) -> list[Upload]:
        """Oldest first."""
        query = select(Upload).where(Upload.project_id == project_id).order_by(Upload.id)
        return list(self.session.scalars(query))

    def latest_for_project(self, project_id: int) -> Upload | None:
        query = (
            select(Upload)
            .where(Upload.project_id == project_id)
            .order_by(Upload.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()
