"""scripts/make_sample_art.py writes one PNG per part, composite.png and layers.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

from spinelift.samples import draw_character

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_sample_art.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_sample_art", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_writes_layers_composite_and_listing(tmp_path: Path) -> None:
    assert _load_script().main([str(tmp_path), "--scale", "0.25"]) == 0

    document = json.loads((tmp_path / "layers.json").read_text(encoding="utf-8"))
    assert document["canvas"] == {"width": 128, "height": 192}
    layers = draw_character(0.25)
    assert [entry["name"] for entry in document["layers"]] == [layer.name for layer in layers]
    for entry, layer in zip(document["layers"], layers, strict=True):
        assert (entry["left"], entry["top"]) == (layer.left, layer.top)
        with Image.open(tmp_path / entry["file"]) as image:
            assert image.mode == "RGBA"
            assert image.size == (entry["width"], entry["height"])
            assert np.array_equal(np.asarray(image), layer.rgba)
    with Image.open(tmp_path / "composite.png") as image:
        assert image.size == (128, 192)
