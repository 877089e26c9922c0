"""The bounded-memory PSD writer: what it writes, psd-tools (through read_psd) reads back
pixel for pixel, in place and in order; and the document budget refuses its big
documents from the layer records alone."""

from __future__ import annotations

import io

import numpy as np
import pytest

from spinelift.errors import DocumentTooLargeError
from spinelift.io.psd import read_psd
from spinelift.io.psd.limits import DocumentBudget
from spinelift.io.psd.writer import WriteLayer, write_psd


def _layers() -> list[WriteLayer]:
    rng = np.random.default_rng(3)
    back = np.zeros((30, 40, 4), np.uint8)
    back[5:20, 3:30, :3] = rng.integers(0, 256, (15, 27, 3), dtype=np.uint8)
    back[5:20, 3:30, 3] = 255
    front = np.zeros((10, 12, 4), np.uint8)
    front[2:8, 1:9] = (0, 255, 0, 128)
    return [WriteLayer("back", back, 2, 3), WriteLayer("front", front, 40, 30)]


def test_written_layers_read_back_pixel_for_pixel() -> None:
    layers = _layers()
    buffer = io.BytesIO()
    write_psd(buffer, 64, 48, layers)
    document = read_psd(buffer.getvalue())
    assert (document.width, document.height) == (64, 48)
    assert [layer.name for layer in document.layers] == ["back", "front"]
    for written, read in zip(layers, document.layers, strict=True):
        rows = np.flatnonzero(written.rgba[:, :, 3].any(axis=1))
        cols = np.flatnonzero(written.rgba[:, :, 3].any(axis=0))
        trimmed = written.rgba[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        assert (read.left, read.top) == (written.left + cols[0], written.top + rows[0])
        assert np.array_equal(read.rgba, trimmed)


def test_the_budget_names_the_limit_before_any_layer_is_drawn() -> None:
    buffer = io.BytesIO()
    write_psd(buffer, 64, 48, _layers())
    with pytest.raises(DocumentTooLargeError) as layers:
        read_psd(buffer.getvalue(), budget=DocumentBudget(max_layers=1, max_pixels=10**6))
    assert layers.value.details["limit"] == "max_document_layers"
    assert layers.value.details["value"] == 2
    with pytest.raises(DocumentTooLargeError) as pixels:
        read_psd(buffer.getvalue(), budget=DocumentBudget(max_layers=10, max_pixels=1000))
    assert pixels.value.details["limit"] == "max_document_pixels"
    assert pixels.value.details["value"] == 30 * 40 + 10 * 12
    assert "max_document_pixels" in pixels.value.message
    read_psd(buffer.getvalue(), budget=DocumentBudget(max_layers=2, max_pixels=30 * 40 + 120))


def test_one_layer_over_the_layer_limit_is_named() -> None:
    buffer = io.BytesIO()
    write_psd(buffer, 64, 48, _layers())
    budget = DocumentBudget(max_layers=10, max_pixels=10**6, max_layer_pixels=30 * 40 - 1)
    with pytest.raises(DocumentTooLargeError) as largest:
        read_psd(buffer.getvalue(), budget=budget)
    assert largest.value.details == {
        "source": "document.psd",
        "limit": "max_layer_pixels",
        "value": 30 * 40,
        "max": 30 * 40 - 1,
    }
