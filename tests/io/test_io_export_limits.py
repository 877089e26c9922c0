"""Padding never makes an accepted layer unexportable (issue #19): a layer exactly at the
size limit gets its padding, its mesh, and an atlas page that holds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spinelift.core.pipeline import DEFAULT_MAX_DIMENSION
from spinelift.io.atlas import DEFAULT_MAX_PAGE_SIZE
from spinelift.io.document import Document, Layer, LayerTags
from spinelift.io.export import ExportOptions, export_document


def _layer(size: int) -> Layer:
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[:16, :16] = 255  # opaque corners: the layer spans the whole size
    rgba[-16:, -16:] = 255
    return Layer(
        name="big", raw_name="big", rgba=rgba, left=0, top=0, opacity=1.0,
        blend_mode="normal", psd_blend_mode="normal", visible=True, has_mask=False,
        kind="pixel", group_path=(), group_tags=(), tags=LayerTags(), index=0,
    )  # fmt: skip


def test_a_layer_at_the_limit_plus_padding_exports(tmp_path: Path) -> None:
    size = DEFAULT_MAX_DIMENSION  # 4096: + 2 px padding each side = 4100
    document = Document(size, size, (_layer(size),), "big.psd")
    result = export_document(document, tmp_path / "out", ExportOptions(workers=1, preview=False))
    assert not result.failed
    atlas = (tmp_path / "out" / "big.atlas").read_text()
    assert "bounds: 2, 2, 4100, 4100" in atlas  # the padded image, on one page
    page = int(atlas.split("size: ")[1].split(",")[0])
    assert page > DEFAULT_MAX_PAGE_SIZE and page >= 4100 + 2 * 2  # the page grew for it


def test_a_layer_over_the_limit_fails_alone_with_a_code(tmp_path: Path) -> None:
    small = Layer(**{**_layer(64).__dict__, "name": "small", "raw_name": "small", "index": 1})
    big = _layer(300)
    document = Document(300, 300, (big, small), "two.psd")
    options = ExportOptions(workers=1, preview=False, max_dimension=256)
    result = export_document(document, tmp_path / "out", options)
    assert [r.name for r in result.failed] == ["big"]
    assert result.failed[0].error is not None
    assert result.failed[0].error.code == "IMAGE_TOO_LARGE"
