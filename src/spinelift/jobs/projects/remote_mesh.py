"""GenerateMesh through the mesh service (``MESH_SERVICE_URL``): the layer's export
image goes out as a PNG, the service's Spine attachment comes back and becomes the core
mesh it describes (:func:`~spinelift.spine.attachment.attachment_mesh`, to 0.001 px),
its ``overdraw`` measured against the alpha-threshold mask like a local mesh's."""

from __future__ import annotations

from typing import Any

from spinelift.core.mask import alpha_mask
from spinelift.core.mesh import Mesh
from spinelift.core.settings import MeshSettings
from spinelift.errors import MeshServiceUnavailableError, SpineLiftError
from spinelift.io.image import encode_png
from spinelift.jobs.projects.mesh_client import MeshServiceClient
from spinelift.spine.attachment import attachment_mesh


class MeshServiceDownError(MeshServiceUnavailableError):
    """The mesh service could not be reached: not final, the job waits for it
    (``details["cause"]``: the code of the failure that says so)."""

    def __init__(self, cause: SpineLiftError, code: str | None = None) -> None:
        super().__init__(str(cause), details={"cause": code or cause.code})


def remote_mesh(
    client: MeshServiceClient, rgba: Any, settings: MeshSettings, remote_job_id: str
) -> tuple[Mesh, dict[str, Any]]:
    """The mesh the mesh service made of ``rgba`` (from its attachment, to 0.001 px:
    :func:`~spinelift.spine.attachment.attachment_mesh`) and that attachment."""
    try:
        attachment = client.mesh(encode_png(rgba), settings.to_dict(), remote_job_id)
    except SpineLiftError as exc:
        if exc.details.get("retryable"):
            raise MeshServiceDownError(exc) from exc
        if exc.details.get("remote_code") == "JOB_NOT_FOUND":
            # the service forgot the job (its Redis restarted empty): submit it again
            raise MeshServiceDownError(exc, "JOB_NOT_FOUND") from exc
        raise
    kept = int(alpha_mask(rgba, settings.alpha_threshold).sum())
    return attachment_mesh(attachment, kept_pixels=kept), attachment
