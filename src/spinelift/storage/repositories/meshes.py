"""Meshes: every (re)generation of a layer adds a version; the latest is the one shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from spinelift.storage.models import Layer, Mesh
from spinelift.storage.repositories.base import Repository, snapshot


class MeshRepository(Repository):
    def add_version(
        self,
        layer_id: int,
        data: Mapping[str, Any],
        parameters: Mapping[str, Any],
        *,
        job_id: str | None = None,
    ) -> Mesh:
        """Store a new mesh version (1, 2, ...) of the layer.

        The layer row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's write
        sessions hold the database lock), so two regenerations never pick one number.
        """
        lock = select(Layer.id).where(Layer.id == layer_id).with_for_update()
        if self.session.execute(lock).first() is None:
            raise LookupError(f"no layer {layer_id}")
        current = self.session.scalar(
            select(func.max(Mesh.version)).where(Mesh.layer_id == layer_id)
        )
        mesh = Mesh(
            layer_id=layer_id,
            version=(current or 0) + 1,
            data=dict(data),
            parameters=dict(parameters),
            job_id=job_id,
            created_at=self.clock(),
        )
        self.session.add(mesh)
        self.session.flush()
        after = snapshot(mesh, ("layer_id", "version", "parameters", "job_id"))
        self.audit("mesh.create", mesh, None, after)
        return mesh

    def latest(self, layer_id: int) -> Mesh | None:
        query = select(Mesh).where(Mesh.layer_id == layer_id).order_by(Mesh.version.desc()).limit(1)
        return self.session.scalars(query).first()

    def get(self, layer_id: int, version: int) -> Mesh | None:
        query = select(Mesh).where(Mesh.layer_id == layer_id, Mesh.version == version)
        return self.session.scalars(query).one_or_none()

    def versions(self, layer_id: int) -> list[Mesh]:
        """Every version of the layer's mesh, oldest first."""
        query = select(Mesh).where(Mesh.layer_id == layer_id).order_by(Mesh.version)
        return list(self.session.scalars(query))
