"""One mesh per layer (issue #13), on the job level (StubBroker, real databases): the
stored mesh of every layer is the mesh its export ships, the stored export equals
``spinelift convert`` of the same PSD byte for byte, and the run's ProcessPsd job
completes only with the project (its export stored)."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from spinelift.io.export import ExportOptions, export_document
from spinelift.io.psd import read_psd
from spinelift.jobs.projects.enqueue import enqueue_generate_mesh, enqueue_process_psd
from spinelift.storage.models import Job, Layer
from spinelift.storage.repositories import Actor
from tests.jobs.project_support import (  # noqa: F401
    SAMPLE_LAYERS,
    Setup,
    exported_meshes,
    project_setup_fixture,
    same_mesh,
    sample_psd,
)
from tests.storage.conftest import _migrated, database, postgres_databases  # noqa: F401


def _stored_attachments(s: Setup, owner: int, project_id: int) -> dict[str, dict]:  # type: ignore[type-arg]
    with s.db.unit(Actor.user(owner)) as uow:
        return {
            item.layer.name: dict(item.mesh.data["attachment"])
            for item in uow.layers.list_with_meshes(project_id)
            if item.mesh is not None
        }


def test_stored_meshes_are_the_exported_meshes_and_the_zip_is_the_cli_zip(
    project_setup: Setup,
) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project(name="hero")
    job_id = enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    with s.db.session(readonly=True) as session:
        job = session.scalars(select(Job).where(Job.job_id == job_id)).one()
        assert job.status == "completed" and job.result is not None
        assert job.result["layers"] == SAMPLE_LAYERS and "export" in job.result
    data = s.stored_export(owner, project_id)
    exported = exported_meshes(data)
    stored = _stored_attachments(s, owner, project_id)
    assert len(stored) == SAMPLE_LAYERS
    for name, attachment in stored.items():
        assert any(same_mesh(attachment, other) for other in exported), name
    for other in exported:
        assert any(same_mesh(a, other) for a in stored.values()), other.get("path")

    psd = s.tmp / "hero.psd"
    psd.write_bytes(sample_psd(s.tmp))
    cli_zip = s.tmp / "cli" / "hero.zip"
    cli_zip.parent.mkdir()
    export_document(read_psd(psd), cli_zip, ExportOptions(workers=1))
    web, cli = zipfile.ZipFile(io.BytesIO(data)), zipfile.ZipFile(cli_zip)
    assert sorted(web.namelist()) == sorted(cli.namelist())
    for name in cli.namelist():
        assert web.read(name) == cli.read(name), name


def test_a_retune_rebuilds_the_export_with_the_new_mesh(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project(name="hero")
    enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    before = s.stored_export(owner, project_id)
    with s.db.session(readonly=True) as session:
        layer_id = session.scalars(select(Layer.id).where(Layer.name == "head")).one()
    enqueue_generate_mesh(
        s.deps,
        owner_id=owner,
        project_id=project_id,
        layer_id=layer_id,
        parameters={"detail_factor": 0.001},
    )
    s.run_worker()
    after = s.stored_export(owner, project_id)
    assert after != before
    stored = _stored_attachments(s, owner, project_id)
    exported = exported_meshes(after)
    assert any(same_mesh(stored["head"], other) for other in exported)
    assert not any(same_mesh(stored["head"], other) for other in exported_meshes(before))
    assert len(s.deps.blobs.list_keys(f"projects/{project_id}/exports/")) == 2  # zip + files
