"""Layers of a project: made in bulk from an extracted PSD, then meshed one by one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from spinelift.storage.models import Layer, LayerStatus, Mesh, Project
from spinelift.storage.repositories.base import Repository, snapshot

LAYER_FIELDS = (
    "name",
    "position",
    "x",
    "y",
    "width",
    "height",
    "opacity",
    "blend_mode",
    "visible",
    "has_mask",
    "image_key",
    "parameters",
    "rig",
    "upload_id",
)


@dataclass(frozen=True, slots=True)
class LayerWithMesh:
    layer: Layer
    mesh: Mesh | None
    """the latest version, or ``None`` before the first mesh"""


class LayerRepository(Repository):
    def bulk_create(self, project_id: int, layers: Iterable[Mapping[str, Any]]) -> list[Layer]:
        """Create a project's layers in one flush.

        Each mapping holds :data:`LAYER_FIELDS` (``bounds`` as seed 000's
        ``{"x", "y", "width", "height"}`` is accepted too); ``position`` defaults to
        the index. One audit row records the whole batch.
        """
        now = self.clock()
        rows: list[Layer] = []
        for index, given in enumerate(layers):
            values = dict(given)
            bounds = values.pop("bounds", None)
            if bounds:
                values.update({k: int(bounds[k]) for k in ("x", "y", "width", "height")})
            unknown = set(values) - set(LAYER_FIELDS)
            if unknown:
                raise TypeError(f"unknown layer fields: {sorted(unknown)}")
            values.setdefault("position", index)
            rows.append(
                Layer(
                    project_id=project_id,
                    status=LayerStatus.PENDING.value,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        self.session.add_all(rows)
        self.session.flush()
        project = self.session.get(Project, project_id)
        if project is not None:
            after = {"layers": [{"id": r.id, "name": r.name, "position": r.position} for r in rows]}
            self.audit("layers.create", project, None, after)
        return rows

    def get(self, layer_id: int) -> Layer | None:
        return self.session.get(Layer, layer_id)

    def get_for_owner(self, owner_id: int, layer_id: int) -> Layer | None:
        """The layer, if its project belongs to ``owner_id``."""
        query = (
            select(Layer)
            .join(Project, Project.id == Layer.project_id)
            .where(Layer.id == layer_id, Project.owner_id == owner_id)
        )
        return self.session.scalars(query).one_or_none()

    def list_for_project(self, project_id: int) -> list[Layer]:
        query = select(Layer).where(Layer.project_id == project_id).order_by(Layer.position)
        return list(self.session.scalars(query))

    def status_counts(self, project_id: int) -> dict[str, int]:
        """How many of the project's layers are in each status (one aggregate query;
        statuses no layer is in are left out)."""
        query = (
            select(Layer.status, func.count())
            .where(Layer.project_id == project_id)
            .group_by(Layer.status)
        )
        return {str(status): int(count) for status, count in self.session.execute(query)}

    def list_with_meshes(self, project_id: int) -> list[LayerWithMesh]:
        """Every layer of the project in order, each with its latest mesh (one query)."""
        latest = (
            select(Mesh.layer_id, func.max(Mesh.version).label("version"))
            .join(Layer, Layer.id == Mesh.layer_id)
            .where(Layer.project_id == project_id)
            .group_by(Mesh.layer_id)
            .subquery()
        )
        query = (
            select(Layer, Mesh)
            .outerjoin(latest, latest.c.layer_id == Layer.id)
            .outerjoin(Mesh, (Mesh.layer_id == Layer.id) & (Mesh.version == latest.c.version))
            .where(Layer.project_id == project_id)
            .order_by(Layer.position)
        )
        return [LayerWithMesh(layer, mesh) for layer, mesh in self.session.execute(query)]

    def delete_for_project(self, project_id: int) -> list[str]:
        """Delete every layer of the project (and, by cascade, their meshes); return the
        image blob keys they held (the caller deletes those blobs after commit)."""
        layers = self.list_for_project(project_id)
        if not layers:
            return []
        project = self.session.get(Project, project_id)
        keys = [layer.image_key for layer in layers if layer.image_key]
        before = {"layers": [{"id": r.id, "name": r.name, "position": r.position} for r in layers]}
        for layer in layers:
            self.session.delete(layer)
        self.session.flush()
        if project is not None:
            self.audit("layers.delete", project, before, None)
        return keys

    def set_status(
        self, layer_id: int, status: LayerStatus, *, error: str | None = None
    ) -> Layer | None:
        """Move a layer to ``status`` (``error`` is kept only with ``failed``)."""
        layer = self.get(layer_id)
        if layer is None:
            return None
        before = snapshot(layer, ("status", "error"))
        layer.status = LayerStatus(status).value
        layer.error = error if status is LayerStatus.FAILED else None
        layer.updated_at = self.clock()
        self.session.flush()
        self.audit("layer.status", layer, before, snapshot(layer, ("status", "error")))
        return layer

    def set_parameters(self, layer_id: int, parameters: Mapping[str, Any]) -> Layer | None:
        """The user tuned this layer's mesh parameters."""
        layer = self.get(layer_id)
        if layer is None:
            return None
        before = snapshot(layer, ("parameters",))
        layer.parameters = dict(parameters)
        layer.updated_at = self.clock()
        self.session.flush()
        self.audit("layer.parameters", layer, before, snapshot(layer, ("parameters",)))
        return layer
