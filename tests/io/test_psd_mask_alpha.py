"""The layer-mask product by table look-up (8-bit masks) gives exactly the bytes of the
float32 product it replaces, and transparent pixels are zeroed whole."""

from __future__ import annotations

import numpy as np

from spinelift.io import image
from spinelift.io.psd import layer_mask


def _float_product(alpha: np.ndarray, full: np.ndarray) -> np.ndarray:
    scaled = np.clip(alpha.astype(np.float32) / 255.0 * full, 0.0, 1.0) * 255.0
    return np.rint(scaled).astype(np.uint8)


def test_every_alpha_and_mask_level_pair_matches_the_float_product() -> None:
    alpha = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, axis=1)
    levels = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 256, axis=0)
    inside = levels.astype(np.float32) / 255.0  # what psd-tools gives for an 8-bit mask
    got = layer_mask.masked_alpha_8bit(alpha, 0, (0, 0, 256, 256), inside)
    assert got is not None
    assert np.array_equal(got, _float_product(alpha, inside))


def test_outside_the_mask_box_the_background_level_applies() -> None:
    rng = np.random.default_rng(3)
    alpha = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    inside = rng.integers(0, 256, (10, 20)).astype(np.uint8).astype(np.float32) / 255.0
    for background in (0, 128, 255):
        full = np.full(alpha.shape, background / 255.0, dtype=np.float32)
        full[5:15, 7:27] = inside
        got = layer_mask.masked_alpha_8bit(alpha, background, (7, 5, 27, 15), inside)
        assert got is not None
        assert np.array_equal(got, _float_product(alpha, full))


def test_a_mask_of_other_levels_is_left_to_the_float_path() -> None:
    alpha = np.full((4, 4), 200, dtype=np.uint8)
    for value in (0.123456, np.nan, 1.5, -0.25):  # not k / 255: 16- or 32-bit masks
        inside = np.full((4, 4), value, dtype=np.float32)
        assert layer_mask.masked_alpha_8bit(alpha, 255, (0, 0, 4, 4), inside) is None


def test_zero_transparent_clears_colour_under_alpha_zero_only() -> None:
    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    rgba[::3, ::2, 3] = 0
    expected = rgba.copy()
    expected[expected[..., 3] == 0] = 0
    assert np.array_equal(image.zero_transparent(rgba), expected)
    assert np.array_equal(image.zero_transparent(rgba[5:, 3:]), expected[5:, 3:])
