"""export_document(meshes=...): stored meshes of layer_export_image() are placed as given."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from spinelift.core import Mesh, build_mesh
from spinelift.errors import InvalidParametersError
from spinelift.io.document import Document
from spinelift.io.export import ExportOptions, export_document
from spinelift.io.export_image import layer_export_image, layer_mesh_settings
from spinelift.io.mesh_record import mesh_from_record, mesh_record
from spinelift.io.psd import read_psd, write_sample_psd


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Document:
    path = write_sample_psd(tmp_path_factory.mktemp("psd") / "hero.psd", scale=0.5)
    return read_psd(path)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_meshes_of_the_export_images_give_the_same_bytes(sample: Document, tmp_path: Path) -> None:
    options = ExportOptions(workers=1)
    meshes = {}
    for position, layer in enumerate(sample.layers):
        image = layer_export_image(layer, options)
        assert image.pad == options.image_padding
        assert (image.left, image.top) == (layer.left - image.pad, layer.top - image.pad)
        meshes[position] = build_mesh(image.rgba, layer_mesh_settings(layer, options))
    export_document(sample, tmp_path / "a", options)
    export_document(sample, tmp_path / "b", options, meshes=meshes)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_a_given_mesh_is_placed_and_not_made_again(sample: Document, tmp_path: Path) -> None:
    options = ExportOptions(workers=1)
    position, layer = next((k, x) for k, x in enumerate(sample.layers) if x.name == "torso")
    image = layer_export_image(layer, options)
    w, h = image.width, image.height
    quad = Mesh(
        np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64),
        np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32),
        4,
        np.array([[0, 1], [1, 2], [2, 3], [3, 0]], dtype=np.int32),
        w,
        h,
    )
    export_document(sample, tmp_path / "out", options, meshes={position: quad})
    skeleton = json.loads((tmp_path / "out" / "hero.json").read_text())
    torso = skeleton["skins"][0]["attachments"]["torso"]["torso"]
    assert len(torso["vertices"]) == 8 and torso["hull"] == 4  # the given quad, as is


def test_a_mesh_of_another_size_is_refused(sample: Document, tmp_path: Path) -> None:
    options = ExportOptions(workers=1)
    layer = sample.layers[0]
    mesh = build_mesh(layer.rgba, layer_mesh_settings(layer, options))  # unpadded: wrong
    with pytest.raises(InvalidParametersError, match="export image"):
        export_document(sample, tmp_path / "out", options, meshes={0: mesh})
    assert not (tmp_path / "out").exists()


def test_meshes_stored_as_records_give_the_same_bytes(sample: Document, tmp_path: Path) -> None:
    options = ExportOptions(workers=1)
    meshes = {}
    for position, layer in enumerate(sample.layers):
        mesh = build_mesh(
            layer_export_image(layer, options).rgba, layer_mesh_settings(layer, options)
        )
        meshes[position] = mesh_from_record(json.loads(json.dumps(mesh_record(mesh))))
    export_document(sample, tmp_path / "a", options)
    export_document(sample, tmp_path / "b", options, meshes=meshes)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_a_broken_record_is_refused() -> None:
    with pytest.raises(InvalidParametersError):
        mesh_from_record({"vertices": [0.0, 0.0], "triangles": [0, 1, 2], "hull": 3})
