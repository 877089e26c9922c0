"""read_psd on tiny PSDs built here with psd-tools, and on damaged or huge input."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image
from psd_tools import PSDImage
from psd_tools.constants import BlendMode

from spinelift.errors import DocumentError, ImageTooLargeError, UnsupportedDocumentError
from spinelift.io.document import Document
from spinelift.io.psd import read_psd


def _square(colour: tuple[int, int, int, int], size: int = 4) -> Image.Image:
    return Image.new("RGBA", (size, size), colour)


def _save(psd: PSDImage) -> bytes:
    buffer = io.BytesIO()
    psd.save(buffer)
    return buffer.getvalue()


def _by_name(document: Document) -> dict[str, object]:
    return {layer.name: layer for layer in document.layers}


def _header(width: int, height: int, *, depth: int = 8, mode: int = 3) -> bytes:
    return struct.pack(">4sH6sHIIHH", b"8BPS", 1, b"\0" * 6, 3, height, width, depth, mode)


@pytest.fixture
def layered() -> bytes:
    """A 20x10 RGB canvas: a red square, a hidden group with a blue square, a
    half-opaque group [bone:arm] holding a multiply layer, and an [ignore] layer."""
    psd = PSDImage.new("RGB", (20, 10))
    psd.create_pixel_layer(_square((255, 0, 0, 255)), name="red [slot:body]", top=1, left=2)
    hidden = psd.create_group(name="hidden")
    hidden.create_pixel_layer(_square((0, 0, 255, 255)), name="blue", top=0, left=0)
    hidden.visible = False
    arm = psd.create_group(name="arm [bone:arm]", opacity=128)
    arm.create_pixel_layer(
        _square((0, 255, 0, 255), 3),
        name="hand",
        top=5,
        left=15,
        opacity=51,
        blend_mode=BlendMode.MULTIPLY,
    )
    psd.create_pixel_layer(_square((9, 9, 9, 255)), name="notes [ignore]", top=0, left=0)
    return _save(psd)


def test_layers_come_bottom_first_with_position_and_pixels(layered: bytes) -> None:
    document = read_psd(layered, name="tiny.psd")
    assert (document.width, document.height, document.source_name) == (20, 10, "tiny.psd")
    assert [layer.name for layer in document.layers] == ["red", "blue", "hand"]
    assert [layer.index for layer in document.layers] == [0, 1, 2]
    red = document.layers[0]
    assert (red.left, red.top, red.width, red.height) == (2, 1, 4, 4)
    assert (red.rgba == (255, 0, 0, 255)).all()
    assert red.tags.slot == "body" and red.raw_name == "red [slot:body]"
    assert red.kind == "pixel" and red.visible and red.opacity == 1.0


def test_hidden_groups_hide_their_layers_which_are_kept(layered: bytes) -> None:
    blue = read_psd(layered).layers[1]
    assert not blue.visible
    assert blue.group_path == ("hidden",)
    assert (blue.rgba[..., 3] == 255).all()


def test_opacity_multiplies_down_the_groups_and_stays_out_of_the_pixels(layered: bytes) -> None:
    hand = read_psd(layered).layers[2]
    assert hand.opacity == pytest.approx(51 / 255 * 128 / 255)
    assert (hand.rgba == (0, 255, 0, 255)).all()
    assert hand.blend_mode == "multiply" and hand.psd_blend_mode == "multiply"
    assert hand.group_path == ("arm",) and hand.group_tags[0].bone == "arm"


def test_ignored_layers_are_listed_as_skipped(layered: bytes) -> None:
    assert read_psd(layered).skipped == (("notes [ignore]", "[ignore] tag"),)


@pytest.mark.parametrize(
    ("mode", "spine", "psd_name"),
    [
        (BlendMode.LINEAR_DODGE, "additive", "linear_dodge"),
        (BlendMode.SCREEN, "screen", "screen"),
        (BlendMode.OVERLAY, "normal", "overlay"),
    ],
)
def test_blend_modes_map_to_spine(mode: BlendMode, spine: str, psd_name: str) -> None:
    psd = PSDImage.new("RGB", (8, 8))
    psd.create_pixel_layer(_square((10, 20, 30, 255)), name="a", blend_mode=mode)
    layer = read_psd(_save(psd)).layers[0]
    assert (layer.blend_mode, layer.psd_blend_mode) == (spine, psd_name)
    assert (layer.rgba == (10, 20, 30, 255)).all()


def test_pixels_are_trimmed_and_half_transparency_is_straight_alpha() -> None:
    art = np.zeros((6, 6, 4), np.uint8)
    art[2:4, 1:5] = (200, 100, 50, 128)
    psd = PSDImage.new("RGB", (10, 10))
    psd.create_pixel_layer(Image.fromarray(art), name="soft", top=3, left=2)
    layer = read_psd(_save(psd)).layers[0]
    assert (layer.left, layer.top, layer.width, layer.height) == (3, 5, 4, 2)
    assert (layer.rgba == (200, 100, 50, 128)).all()


def test_a_layer_mask_cuts_the_alpha() -> None:
    psd = PSDImage.new("RGB", (8, 8))
    layer = psd.create_pixel_layer(_square((255, 255, 255, 255), 6), name="masked")
    mask = np.zeros((6, 6), np.uint8)
    mask[:, :3] = 255
    layer.remove_mask()  # psd-tools gives an RGBA layer a blank mask; replace it
    layer.create_mask(Image.fromarray(mask, "L"))
    read = read_psd(_save(psd)).layers[0]
    assert read.has_mask
    assert (read.width, read.height) == (3, 6)


def test_clipped_layers_are_drawn_into_their_base() -> None:
    psd = PSDImage.new("RGB", (8, 8))
    psd.create_pixel_layer(_square((255, 0, 0, 255)), name="base", top=0, left=0)
    clip = psd.create_pixel_layer(_square((0, 0, 255, 255), 8), name="shade")
    clip.clipping = True
    document = read_psd(_save(psd))
    assert [layer.name for layer in document.layers] == ["base"]
    base = document.layers[0]
    assert (base.width, base.height) == (4, 4)
    assert (base.rgba == (0, 0, 255, 255)).all()
    assert document.skipped[0][0] == "shade" and "clip" in document.skipped[0][1]


def test_merge_groups_become_one_layer() -> None:
    psd = PSDImage.new("RGB", (12, 12))
    group = psd.create_group(name="face [merge] [slot:f]")
    group.create_pixel_layer(_square((255, 0, 0, 255)), name="a", top=0, left=0)
    group.create_pixel_layer(_square((0, 255, 0, 255)), name="b", top=2, left=6)
    group.create_pixel_layer(_square((0, 0, 0, 255)), name="c [ignore]", top=8, left=8)
    document = read_psd(_save(psd))
    assert [layer.name for layer in document.layers] == ["face"]
    face = document.layers[0]
    assert (face.kind, face.left, face.top, face.width, face.height) == ("group", 0, 0, 10, 6)
    assert face.tags.merge and face.tags.slot == "f"


def test_empty_layers_are_skipped() -> None:
    psd = PSDImage.new("RGB", (8, 8))
    psd.create_pixel_layer(_square((0, 0, 0, 0)), name="nothing")
    document = read_psd(_save(psd))
    assert document.layers == ()
    assert document.skipped[0][0] == "nothing" and "empty" in document.skipped[0][1]


def test_sixteen_bit_and_grayscale_become_8_bit_rgba() -> None:
    psd = PSDImage.new("L", (6, 6), depth=16)
    psd.create_pixel_layer(Image.new("LA", (3, 3), (128, 255)), name="grey", top=1, left=1)
    document = read_psd(_save(psd))
    assert (document.color_mode, document.depth) == ("Grayscale", 16)
    grey = document.layers[0]
    assert grey.rgba.dtype == np.uint8 and grey.rgba.shape == (3, 3, 4)
    assert (grey.rgba[..., 0] == grey.rgba[..., 2]).all()
    assert abs(int(grey.rgba[0, 0, 0]) - 128) <= 1


def test_a_flattened_file_becomes_one_background_layer() -> None:
    psd = PSDImage.frompil(Image.new("RGB", (5, 4), (1, 2, 3)))
    document = read_psd(_save(psd))
    assert [layer.name for layer in document.layers] == ["Background"]
    assert document.layers[0].kind == "composite"
    assert document.skipped[0][0] == "(document)"


def test_invalid_tag_values_are_refused_with_every_problem() -> None:
    psd = PSDImage.new("RGB", (8, 8))
    psd.create_pixel_layer(_square((1, 1, 1, 255)), name="a [scale:big]")
    psd.create_pixel_layer(_square((1, 1, 1, 255)), name="b [pad:x]")
    with pytest.raises(DocumentError) as caught:
        read_psd(_save(psd))
    assert len(caught.value.details["problems"]) == 2


def test_too_large_canvases_are_refused_from_the_header_alone() -> None:
    with pytest.raises(ImageTooLargeError) as caught:
        read_psd(_header(20000, 10) + b"\0" * 10)
    assert caught.value.details["width"] == 20000
    with pytest.raises(ImageTooLargeError):
        read_psd(_header(1000, 1000), max_pixels=999_999)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world, not a PSD at all", _header(4, 4, depth=7), _header(0, 4)],
)
def test_non_psd_input_is_a_document_error(data: bytes) -> None:
    with pytest.raises(DocumentError):
        read_psd(data)


def test_unknown_colour_modes_are_unsupported() -> None:
    with pytest.raises(UnsupportedDocumentError):
        read_psd(_header(4, 4, mode=5))


def test_files_truncated_in_the_layers_are_document_errors(layered: bytes) -> None:
    # (psd-tools tolerates a cut in the merged image at the very end: the layers are whole)
    for cut in (30, len(layered) // 3, len(layered) // 2):
        with pytest.raises(DocumentError):
            read_psd(layered[:cut])


def test_missing_files_and_streams(tmp_path, layered: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DocumentError):
        read_psd(tmp_path / "nope.psd")
    path = tmp_path / "art.psd"
    path.write_bytes(layered)
    assert read_psd(path).source_name == "art.psd"
    with path.open("rb") as stream:
        assert len(read_psd(stream).layers) == 3


def test_reading_is_deterministic(layered: bytes) -> None:
    first, second = read_psd(layered), read_psd(layered)
    assert [(a.name, a.left, a.top) for a in first.layers] == [
        (b.name, b.left, b.top) for b in second.layers
    ]
    assert all(
        np.array_equal(a.rgba, b.rgba) for a, b in zip(first.layers, second.layers, strict=True)
    )
