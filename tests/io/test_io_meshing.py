"""mesh_all: worker processes (this one meshing too) give exactly what one process gives.

Real processes and the real engine; the pixel thresholds are lowered so that a small
document is shared out, which is the only thing the thresholds decide.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from spinelift.core import MeshSettings
from spinelift.errors import EmptyImageError
from spinelift.io import meshing
from spinelift.io.document import Document
from spinelift.io.export import ExportOptions, export_document
from spinelift.io.meshing import MeshJob, mesh_all, process_context
from spinelift.io.psd import read_psd, write_sample_psd


@pytest.fixture
def always_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meshing, "FORK_MIN_PIXELS", 0)
    monkeypatch.setattr(meshing, "SPAWN_MIN_PIXELS", 0)


def _blob(seed: int, h: int, w: int) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(3):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        r = int(rng.integers(3, max(4, min(h, w) // 2)))
        rgba[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = (*rng.integers(0, 255, 3), 255)
    return rgba


def _jobs() -> list[MeshJob]:
    settings = MeshSettings()
    jobs = [MeshJob(f"blob{i}", _blob(i, 20 + 9 * i, 30 + 5 * i), settings) for i in range(9)]
    jobs.insert(4, MeshJob("empty", np.zeros((12, 12, 4), np.uint8), settings))
    return jobs


@pytest.fixture(params=["fork", "forkserver"])
def start_method(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Workers forked (they read the jobs from the memory the fork copied) or started
    afresh (the jobs' pixels are sent to them)."""
    import multiprocessing

    method: str = request.param
    min_pixels = 0
    monkeypatch.setattr(
        meshing, "process_context", lambda: (multiprocessing.get_context(method), min_pixels)
    )
    return method


@pytest.mark.usefixtures("always_share", "start_method")
def test_shared_out_meshes_equal_one_process_meshes_in_job_order() -> None:
    jobs = _jobs()
    alone = mesh_all(jobs, max_dimension=4096, workers=1)
    seen: list[tuple[int, int, str]] = []
    shared = mesh_all(
        jobs, max_dimension=4096, workers=3, progress=lambda d, t, n: seen.append((d, t, n))
    )
    assert [o.name for o in shared] == [j.name for j in jobs]
    for a, b in zip(alone, shared, strict=True):
        if a.mesh is None:
            assert isinstance(a.error, EmptyImageError)
            assert isinstance(b.error, EmptyImageError) and b.mesh is None
            continue
        assert b.mesh is not None
        assert np.array_equal(a.mesh.vertices, b.mesh.vertices)
        assert np.array_equal(a.mesh.triangles, b.mesh.triangles)
    assert [d for d, _, _ in seen] == list(range(1, len(jobs) + 1))
    assert sorted(n for _, _, n in seen) == sorted(j.name for j in jobs)
    assert meshing._INHERITED == {}  # nothing kept once the call returns


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Document:
    return read_psd(write_sample_psd(tmp_path_factory.mktemp("psd") / "hero.psd", scale=0.5))


@pytest.mark.usefixtures("always_share")
def test_export_with_worker_processes_is_byte_identical(sample: Document, tmp_path: Path) -> None:
    one = export_document(sample, tmp_path / "one", ExportOptions(workers=1))
    two = export_document(sample, tmp_path / "two", ExportOptions(workers=2))
    assert one.files == two.files
    for name in one.files:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_forks_only_when_no_other_thread_runs() -> None:
    context, _ = process_context()
    assert context.get_start_method() == "fork" or threading.active_count() > 1
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        context, min_pixels = process_context()
        assert context.get_start_method() != "fork"
        assert min_pixels == meshing.SPAWN_MIN_PIXELS
    finally:
        stop.set()
        other.join()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_atlas_and_preview_made_while_meshing_equal_those_made_after(
    sample: Document, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spinelift.io import export

    packed: list[int] = []
    real = export._encoded_atlas
    monkeypatch.setattr(
        export,
        "_encoded_atlas",
        lambda *a: packed.append(1) or real(*a),  # type: ignore[func-returns-value]
    )
    drawn: list[int] = []
    real_backdrop = export._early_backdrop
    monkeypatch.setattr(
        export,
        "_early_backdrop",
        lambda *a: drawn.append(1) or real_backdrop(*a),  # type: ignore[func-returns-value]
    )
    export_document(sample, tmp_path / "early", ExportOptions(workers=1))
    assert len(packed) == 1  # made once, while meshing, and used
    assert len(drawn) == 1
    monkeypatch.setattr(export, "_early_atlas", lambda *a: [])
    monkeypatch.setattr(export, "_early_backdrop", lambda *a: [])
    export_document(sample, tmp_path / "late", ExportOptions(workers=1))
    assert len(packed) == 2
    assert _files(tmp_path / "early") == _files(tmp_path / "late")


def test_a_failed_layer_leaves_the_early_atlas_unused(tmp_path: Path) -> None:
    from spinelift.io.document import Layer, LayerTags
    from spinelift.io.export import export_document as export

    def layer(name: str, rgba: npt.NDArray[np.uint8]) -> Layer:
        return Layer(
            name=name, raw_name=name, rgba=rgba, left=0, top=0, opacity=1.0,
            blend_mode="normal", psd_blend_mode="normal", visible=True, has_mask=False,
            kind="pixel", group_path=(), group_tags=(), tags=LayerTags(), index=0,
        )  # fmt: skip

    square = _blob(3, 24, 24)
    faint = np.full((8, 8, 4), 5, dtype=np.uint8)  # nothing above the alpha threshold
    doc = Document(24, 24, (layer("ok", square), layer("faint", faint)), "f.psd")
    result = export(doc, tmp_path / "o", ExportOptions(workers=1, preview=False))
    assert [r.name for r in result.failed] == ["faint"]
    atlas = (tmp_path / "o" / "f.atlas").read_text()
    assert "\nok\n" in atlas and "faint" not in atlas
