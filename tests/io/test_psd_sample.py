"""The sample character written as a PSD reads back with every part in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spinelift.io.psd import read_psd, write_sample_psd
from spinelift.io.psd.pixels import trim
from spinelift.samples import canvas_size, draw_character


def test_the_sample_psd_round_trips(tmp_path: Path) -> None:
    path = write_sample_psd(tmp_path / "sample.psd", scale=0.5)
    document = read_psd(path)
    parts = draw_character(0.5)
    assert (document.width, document.height) == canvas_size(0.5)
    assert [layer.name for layer in document.layers] == [part.name for part in parts]
    for layer, part in zip(document.layers, parts, strict=True):
        expected = trim(np.array(part.rgba), part.left, part.top)
        assert expected is not None
        pixels, left, top = expected
        assert (layer.left, layer.top) == (left, top), layer.name
        assert np.array_equal(layer.rgba, pixels), layer.name


def test_the_sample_psd_carries_groups_and_tags(tmp_path: Path) -> None:
    document = read_psd(write_sample_psd(tmp_path / "sample.psd", scale=0.5))
    layers = {layer.name: layer for layer in document.layers}
    assert layers["lower_arm_left"].group_path == ("arm_left",)
    assert layers["lower_arm_left"].group_tags[0].bone == "arm_left"
    assert layers["eyes"].tags.folder == "face"
    assert layers["hair"].tags.overrides == {"detail_factor": "0.005"}
    assert layers["torso"].group_path == ()


def test_the_sample_psd_is_deterministic(tmp_path: Path) -> None:
    first = write_sample_psd(tmp_path / "a.psd", scale=0.3).read_bytes()
    assert first == write_sample_psd(tmp_path / "b.psd", scale=0.3).read_bytes()
