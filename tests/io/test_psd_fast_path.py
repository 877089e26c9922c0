"""The reader's fast path (decoding a plain pixel layer directly) draws exactly what
psd-tools' compositor draws, on every such layer of the real PSD corpus."""

from __future__ import annotations

import numpy as np
import pytest
from psd_tools import PSDImage

import spinelift.io.psd.composite as composite
from tests.io.test_psd_corpus import _corpus_files

MODES = {1: "Grayscale", 3: "RGB", 4: "CMYK"}


def test_fast_path_matches_the_compositor(monkeypatch: pytest.MonkeyPatch) -> None:
    compared = 0
    for path in _corpus_files():
        try:
            psd = PSDImage.open(path)
            layers = list(psd.descendants())
        except Exception:  # unreadable files are the reader's test's business
            continue
        mode = MODES.get(int(psd.color_mode))
        if mode is None:
            continue
        for layer in layers:
            if layer.is_group() or not composite._is_plain(layer, lambda other: False):
                continue
            viewport = (
                min(0, layer.left), min(0, layer.top),
                max(psd.width, layer.right), max(psd.height, layer.bottom),
            )  # fmt: skip
            fast = composite.render_layer(layer, viewport, mode, lambda other: False)
            with monkeypatch.context() as patch:
                patch.setattr(composite, "_is_plain", lambda *args: False)
                slow = composite.render_layer(layer, viewport, mode, lambda other: False)
            assert (fast is None) == (slow is None), (path.name, layer.name)
            if fast is None or slow is None:
                continue
            assert fast[1:] == slow[1:] and fast[0].shape == slow[0].shape, (path.name, layer.name)
            difference = np.abs(fast[0].astype(int) - slow[0].astype(int)).max()
            assert difference <= 1, (path.name, layer.name, difference)
            compared += 1
    assert compared > 300  # the corpus has 386 such layers
