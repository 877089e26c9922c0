"""Every PSD/PSB of the shared corpus converts to a project the official runtime loads, or is
refused with a SpineLiftError; nothing else ever escapes.

The corpus (psd-tools' own test files, 273 of them) lives beside the repository in
``../shared/corpus/psd``; ``SPINELIFT_SHARED`` names another folder holding ``corpus/``.
Without it the test is skipped with the reason shown, except under ``CI=true``, where it
fails. One test per file, so pytest-xdist spreads them over the cores.

For each file: :func:`~spinelift.io.psd.read_psd` then
:func:`~spinelift.io.export.export_document` (no preview, one worker: the tests already
run in parallel). A :class:`~spinelift.errors.SpineLiftError` from either is a clean
refusal (its code is recorded as the test's ``refused`` property). Otherwise spine-core
4.2 (Node, ``tools/spine-check/check.mjs``) must load the skeleton and the atlas, and:

* every kept layer that meshed is a slot of the skeleton; a visible layer's attachment is
  the slot's setup attachment (a hidden one is exported but not shown), of the type asked
  for (mesh unless ``[mesh:false]``), with its atlas region found;
* every world vertex is a finite number, inside the layer's padded image box (+1 px);
* the mesh, mapped back to the canvas, covers every pixel of the layer with alpha above
  the threshold (exact oracle :func:`spinelift.core.metrics.clipped_pixels`);
* a layer that failed to mesh carries a SpineLiftError (the others are still exported).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spinelift.core.metrics import clipped_pixels
from spinelift.errors import SpineLiftError
from spinelift.io.export import ExportOptions, export_document
from spinelift.io.psd import read_psd
from spinelift.io.rig import LayerRole, origin_point, plan_roles

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SPINELIFT_SHARED") or REPO / ".." / "shared")
CORPUS = SHARED / "corpus" / "psd"
OPTIONS = ExportOptions(preview=False, workers=1)
MISSING = "corpus-missing"


def corpus_files(corpus: Path = CORPUS) -> list[Path]:
    """Every ``*.psd`` / ``*.psb`` under ``corpus``, sorted (empty when it is absent)."""
    if not corpus.is_dir():
        return []
    return sorted(
        p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in (".psd", ".psb")
    )


def _names() -> list[str]:
    names = [p.relative_to(CORPUS).as_posix() for p in corpus_files()]
    return names or [MISSING]


def _require_corpus() -> None:
    if corpus_files():
        return
    message = f"PSD corpus not found at {CORPUS.resolve()} (set SPINELIFT_SHARED)"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{message} (CI=true: this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


@pytest.mark.corpus
@pytest.mark.parametrize("name", _names())
def test_corpus_file_loads_in_spine_or_is_refused(
    name: str,
    node_runtime: None,
    tmp_path: Path,
    record_property: Any,
) -> None:
    _require_corpus()
    from tests.runtime.spine_runtime import check_export

    out = tmp_path / "export"
    try:
        document = read_psd(CORPUS / name)
        result = export_document(document, out, OPTIONS)
    except SpineLiftError as error:  # a clean refusal, with its code
        assert isinstance(error.code, str) and error.code, repr(error)
        record_property("refused", error.code)
        return
    except Exception as error:  # the point of the test: nothing else may escape
        pytest.fail(f"{name}: {type(error).__name__} escaped: {error}")
    record_property("refused", "")

    report = check_export(out)
    assert report["runtime"]["version"].startswith("4.2.")
    slots = {entry["slot"]: entry for entry in report["slots"]}
    assert len(slots) == len(report["slots"]), "duplicate slot names"
    for entry in report["slots"]:
        if entry["type"] in ("mesh", "region"):
            assert entry["region"] is not None, entry["slot"]
            assert entry["regionInfo"]["page"] is not None, entry["slot"]

    roles = plan_roles(document, include_hidden=OPTIONS.include_hidden)
    assert len(roles) == len(result.layers)
    slot_users: dict[str, int] = {}
    for line in result.layers:
        slot_users[line.slot] = slot_users.get(line.slot, 0) + 1
    origin = origin_point(document, OPTIONS.origin)  # the PSD's [origin] or guides first
    exported = 0
    for role, line in zip(roles, result.layers, strict=True):
        layer = role.layer
        if line.error is not None:
            assert isinstance(line.error, SpineLiftError), repr(line.error)
            continue
        exported += 1
        assert line.slot in slots, f"layer {line.name!r}: slot {line.slot!r} missing"
        slot = slots[line.slot]
        shared = slot_users[line.slot] > 1
        if not shared:
            expected = line.attachment if layer.visible else None
            assert slot["attachment"] == expected, (line.name, slot["attachment"], expected)
        if slot["attachment"] != line.attachment:
            continue  # hidden, or another layer's attachment shown in a shared slot
        assert slot["type"] == ("mesh" if role.as_mesh else "region"), (line.name, slot["type"])
        _check_geometry(name, role, slot, origin)
    assert exported >= 1
    assert exported == len(result.layers) - len(result.failed)


def _check_geometry(
    name: str, role: LayerRole, slot: dict[str, Any], origin: tuple[float, float]
) -> None:
    layer = role.layer
    values = slot["worldVertices"]
    assert all(isinstance(v, int | float) and math.isfinite(v) for v in values), (
        f"{name} / {layer.name}: non-finite world vertex"
    )
    world = np.asarray(values, dtype=np.float64).reshape(-1, 2)
    # canvas pixels, then the layer's own pixels (x right, y down)
    points = np.column_stack(
        [world[:, 0] + origin[0] - layer.left, origin[1] - world[:, 1] - layer.top]
    )
    info = slot["regionInfo"]
    grow_x = (info["originalWidth"] - layer.width) / 2 + 1
    grow_y = (info["originalHeight"] - layer.height) / 2 + 1
    assert points[:, 0].min() >= -grow_x and points[:, 0].max() <= layer.width + grow_x, layer.name
    assert points[:, 1].min() >= -grow_y and points[:, 1].max() <= layer.height + grow_y, layer.name
    if slot["type"] != "mesh" or role.tags.overrides:
        return  # per-layer settings may change the threshold: only default meshes are judged
    threshold = OPTIONS.settings.alpha_threshold
    mask = layer.rgba[..., 3] > threshold
    triangles = np.asarray(slot["triangles"], dtype=np.int64).reshape(-1, 3)
    clipped = clipped_pixels(mask, points, triangles)
    assert clipped == 0, f"{name} / {layer.name}: {clipped} kept pixels outside the runtime's mesh"
