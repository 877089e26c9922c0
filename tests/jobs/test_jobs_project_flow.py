"""The web app's jobs on Dramatiq's StubBroker, a real database (SQLite and PostgreSQL)
and real Redis for the events: PSD -> layers -> meshes -> project completed ->
notification; idempotent re-runs; lost messages re-sent; failures recorded; export."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from typing import Any

import numpy as np
from sqlalchemy import func, select

from spinelift.io.export import ExportOptions, export_document
from spinelift.io.image import encode_png
from spinelift.io.psd import read_psd
from spinelift.jobs.projects.actors import declare_actors
from spinelift.jobs.projects.cleanup import MAX_WORKER_LOSSES, resend_stale, run_cleanup
from spinelift.jobs.projects.enqueue import enqueue_generate_mesh, enqueue_process_psd
from spinelift.jobs.projects.events import project_snapshot
from spinelift.jobs.projects.messages import (
    ACTOR_GENERATE_MESH,
    ACTOR_NOTIFY_PROJECT,
    ACTOR_PROCESS_PSD,
)
from spinelift.jobs.projects.process_psd import run_process_psd
from spinelift.storage.models import Job, Layer, Mesh, Notification
from spinelift.storage.repositories import Actor
from tests.jobs.project_support import (  # noqa: F401
    SAMPLE_LAYERS,
    Setup,
    project_setup_fixture,
    sample_psd,
)
from tests.storage.conftest import _migrated, database, postgres_databases  # noqa: F401


def _count(s: Setup, model: type[Any]) -> int:
    with s.db.session(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


class _Events(list[dict[str, Any]]):
    def __init__(self) -> None:
        super().__init__()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(5)


def _collect_events(s: Setup, project_id: int) -> _Events:
    """Events of the project, gathered by a thread on a sync Redis subscription."""
    events = _Events()
    stop = events.stopping
    pubsub = s.redis.pubsub()  # type: ignore[no-untyped-call]  # redis leaves it untyped
    pubsub.subscribe(s.deps.events.channel(project_id))
    pubsub.get_message(timeout=1.0)  # the subscribe confirmation

    def run() -> None:
        while not stop.is_set():
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message and message["type"] == "message":
                events.append(json.loads(message["data"]))
        pubsub.close()

    events.thread = threading.Thread(target=run, daemon=True)
    events.thread.start()
    return events


def test_sample_psd_becomes_a_completed_project_with_meshes(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project()
    events = _collect_events(s, project_id)
    job_id = enqueue_process_psd(
        s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id, request_id="r1"
    )
    s.run_worker()
    events.stop()

    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None
    assert snap["project"]["status"] == "completed", snap["project"]
    assert len(snap["layers"]) == SAMPLE_LAYERS
    for layer in snap["layers"]:
        assert layer["status"] == "completed" and layer["progress"] == 100
        assert layer["mesh"]["vertices"] >= 3 and layer["mesh"]["triangles"] >= 1
    assert project_snapshot(s.db, owner + 999, project_id) is None  # another user's
    with s.db.session(readonly=True) as session:
        job = session.scalars(select(Job).where(Job.job_id == job_id)).one()
        assert job.result is not None and job.result["layers"] == SAMPLE_LAYERS
        assert (job.status, job.attempts) == ("completed", 1)
        layers = session.scalars(select(Layer).where(Layer.project_id == project_id)).all()
        for layer in layers:  # keys from ids, never names
            assert layer.image_key == f"projects/{project_id}/layers/{layer.id}.png"
            assert s.deps.blobs.exists(layer.image_key)
        mesh = session.scalars(select(Mesh)).first()
        assert mesh is not None and mesh.data["attachment"]["type"] == "mesh"
        notes = session.scalars(select(Notification).where(Notification.user_id == owner)).all()
        assert [n.title for n in notes] == [
            f"Project Hero finished: {SAMPLE_LAYERS} layers, 0 failed"
        ]
    kinds = {(e["type"], e["status"]) for e in events}
    assert {("project", "processing"), ("project", "completed")} <= kinds
    assert {("layer", "pending"), ("layer", "processing"), ("layer", "completed")} <= kinds
    assert all("ts" in e and e["project_id"] == project_id for e in events)


def test_running_every_message_twice_duplicates_nothing(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project()
    psd_job = enqueue_process_psd(
        s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id
    )
    s.run_worker()
    counts = [_count(s, m) for m in (Layer, Mesh, Notification, Job)]
    with s.db.session(readonly=True) as session:
        job_ids = list(session.scalars(select(Job.job_id)))
    actors = declare_actors(s.broker)
    actors[ACTOR_PROCESS_PSD].send(psd_job)
    for job_id in job_ids:
        if job_id.startswith(f"{psd_job}-layer-"):
            actors[ACTOR_GENERATE_MESH].send(job_id)
    actors[ACTOR_NOTIFY_PROJECT].send(project_id)
    s.run_worker()
    assert [_count(s, m) for m in (Layer, Mesh, Notification, Job)] == counts
    assert counts[:3] == [SAMPLE_LAYERS, SAMPLE_LAYERS, 1]


def test_regenerating_a_layer_adds_a_mesh_version_with_its_parameters(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project()
    enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    with s.db.session(readonly=True) as session:
        layer_id = session.scalars(select(Layer.id).where(Layer.name == "head")).one()
    enqueue_generate_mesh(
        s.deps,
        owner_id=owner,
        project_id=project_id,
        layer_id=layer_id,
        parameters={"detail_factor": 0.02},
    )
    s.run_worker()
    with s.db.unit(Actor.user(owner)) as uow:
        versions = uow.meshes.versions(layer_id)
        assert [m.version for m in versions] == [1, 2]
        assert versions[1].parameters["detail_factor"] == 0.02
        layer = uow.layers.get(layer_id)
        assert layer is not None and layer.status == "completed"
    assert _count(s, Notification) == 1  # a regeneration is not a new processing run


def test_lost_messages_are_resent_from_the_database(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project()
    job_id = enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.broker.flush_all()  # the message is lost
    assert resend_stale(s.deps, older_than=3600) == 0  # not stale yet
    assert resend_stale(s.deps, older_than=0) == 1
    s.broker.flush_all()  # lost again, after a worker claimed it and died
    with s.db.unit(Actor.system()) as uow:
        uow.jobs.claim(job_id)
    assert resend_stale(s.deps, older_than=0) == 1  # requeued, sent again
    s.run_worker()
    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None and snap["project"]["status"] == "completed"
    with s.db.unit(Actor.system()) as uow:
        job = uow.jobs.require(job_id)
        assert (job.status, job.attempts) == ("completed", 2)


def test_a_job_whose_worker_died_too_often_fails(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project()
    job_id = enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.broker.flush_all()
    with s.db.unit(Actor.system()) as uow:
        for _ in range(MAX_WORKER_LOSSES):
            uow.jobs.claim(job_id)
            if _ < MAX_WORKER_LOSSES - 1:
                uow.jobs.requeue(job_id)
    assert resend_stale(s.deps, older_than=0) == 0
    with s.db.unit(Actor.system()) as uow:
        job = uow.jobs.require(job_id)
        assert job.status == "failed" and job.error is not None
        assert job.error["code"] == "JOB_TIMEOUT"
        project = uow.projects.get(owner, project_id)
        assert project is not None and project.status == "failed"


def test_a_corrupt_psd_fails_the_project_with_document_invalid(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project(psd=b"8BPS" + b"\x00garbage" * 20)
    events = _collect_events(s, project_id)
    job_id = enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    events.stop()
    with s.db.unit(Actor.user(owner)) as uow:
        project = uow.projects.get(owner, project_id)
        assert project is not None and project.status == "failed"
        assert project.error is not None and project.error.startswith("DOCUMENT_INVALID: ")
        job = uow.jobs.require(job_id)
        assert (job.status, job.attempts) == ("failed", 1)  # final: never retried
        assert job.error is not None and job.error["code"] == "DOCUMENT_INVALID"
    assert _count(s, Layer) == 0
    failed = [e for e in events if e["type"] == "project" and e["status"] == "failed"]
    assert failed and failed[0]["error"].startswith("DOCUMENT_INVALID")


def test_an_empty_layer_fails_alone_and_the_project_still_completes(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project()
    job_id = enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.broker.flush_all()
    run_process_psd(s.deps, job_id)  # layers made, mesh messages on the stub queue
    with s.db.session(readonly=True) as session:
        empty = session.scalars(select(Layer).where(Layer.name == "eyes")).one()
        shape, key = (empty.height, empty.width, 4), empty.image_key or ""
    s.deps.blobs.put(key, encode_png(np.zeros(shape, dtype=np.uint8)))
    s.run_worker()
    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None
    by_name = {layer["name"]: layer for layer in snap["layers"]}
    assert by_name["eyes"]["status"] == "failed"
    assert by_name["eyes"]["error"].startswith("NO_OPAQUE_PIXELS")
    assert by_name["eyes"]["mesh"] is None
    others = [layer for name, layer in by_name.items() if name != "eyes"]
    assert len(others) == SAMPLE_LAYERS - 1 and all(o["status"] == "completed" for o in others)
    assert snap["project"]["status"] == "completed"
    with s.db.session(readonly=True) as session:
        title = session.scalars(select(Notification.title)).one()
    assert title.endswith(f"{SAMPLE_LAYERS} layers, 1 failed")


def test_cleanup_deletes_orphan_layer_blobs_and_keeps_the_rest(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project()
    enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    s.deps.blobs.put(f"projects/{project_id}/layers/999999.png", b"orphan")
    counts = run_cleanup(s.deps)
    assert counts == {"failed": 0, "resent": 0, "blobs_deleted": 1, "temporaries_deleted": 0}
    assert len(s.deps.blobs.list_keys(f"projects/{project_id}/layers/")) == SAMPLE_LAYERS


def test_the_export_zip_holds_skeleton_json_and_atlas(project_setup: Setup) -> None:
    s = project_setup
    owner, project_id, upload_id = s.new_project()
    enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    data = s.stored_export(owner, project_id)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        skeleton_name = next(n for n in names if n.endswith(".json"))
        skeleton = json.loads(archive.read(skeleton_name))
    assert any(n.endswith(".atlas") for n in names), names
    assert any(n.endswith(".png") for n in names), names
    attachments = [
        a
        for skin in skeleton["skins"]
        for slot in skin["attachments"].values()
        for a in slot.values()
    ]
    assert len(attachments) == SAMPLE_LAYERS
    assert all(a.get("type") == "mesh" for a in attachments)


def test_the_web_export_rigs_the_character_exactly_as_the_cli_does(project_setup: Setup) -> None:
    """Bones from [bone] groups, slots, skins, folders and meshes survive the trip
    through the database: the zip equals `spinelift convert` of the same PSD."""
    s = project_setup
    owner, project_id, upload_id = s.new_project(name="hero")
    enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    with zipfile.ZipFile(io.BytesIO(s.stored_export(owner, project_id))) as archive:
        web = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith(".json"))))
    cli_out, psd = s.tmp / "cli", s.tmp / "hero.psd"
    psd.write_bytes(sample_psd(s.tmp))
    export_document(read_psd(psd), cli_out, ExportOptions(workers=1))
    cli = json.loads(next(cli_out.glob("*.json")).read_text())
    bones = {bone["name"] for bone in web["bones"]}
    assert {"arm_left", "head", "arm_right"} <= bones  # the sample's [bone:...] groups
    assert web["bones"] == cli["bones"]
    assert web["slots"] == cli["slots"]
    assert web["skins"] == cli["skins"]  # attachment names (folders), paths and meshes


def test_the_web_export_of_the_import_psd_feature_file_equals_convert(
    project_setup: Setup,
) -> None:
    """Every Import PSD rule (tests/io/feature_psd.py: skins, [scale], [path], patterns,
    [trim], [pad], [overlay], [origin], [bones]/[slots], linked meshes...) survives the
    database: the web app's zip holds the same files, byte for byte, as `spinelift convert`
    of the same PSD (the preview aside: it is drawn from the same meshes)."""
    from tests.io.feature_psd import TREE, build

    s = project_setup
    psd = build(TREE)
    owner, project_id, upload_id = s.new_project(psd=psd, name="features")
    enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    with zipfile.ZipFile(io.BytesIO(s.stored_export(owner, project_id))) as archive:
        web = {n: archive.read(n) for n in archive.namelist() if n != "preview.png"}
    cli_out = s.tmp / "cli-features"
    (s.tmp / "features.psd").write_bytes(psd)
    export_document(read_psd(s.tmp / "features.psd"), cli_out, ExportOptions(workers=1))
    cli = {
        p.relative_to(cli_out).as_posix(): p.read_bytes()
        for p in sorted(cli_out.rglob("*"))
        if p.is_file() and p.name != "preview.png"
    }
    assert sorted(web) == sorted(cli)
    assert json.loads(web["features.json"]) == json.loads(cli["features.json"])
    assert web == cli


def test_a_png_upload_becomes_a_one_layer_project(project_setup: Setup) -> None:
    s = project_setup
    rgba = np.zeros((40, 60, 4), dtype=np.uint8)
    rgba[10:30, 5:50] = (200, 80, 40, 255)
    owner, project_id, upload_id = s.new_project(psd=encode_png(rgba))
    enqueue_process_psd(s.deps, owner_id=owner, project_id=project_id, upload_id=upload_id)
    s.run_worker()
    snap = project_snapshot(s.db, owner, project_id)
    assert snap is not None and snap["project"]["status"] == "completed"
    assert [layer["status"] for layer in snap["layers"]] == ["completed"]
    assert snap["layers"][0]["mesh"]["hull"] >= 4
