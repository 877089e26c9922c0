"""A layer's rig record (groups and tags as JSON) gives back the same layer fields, and
records that are old, partial or tampered with give defaults instead of errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spinelift.io.document import LayerTags
from spinelift.io.layer_rig import rig_fields, rig_record, tags_from_record, tags_record
from spinelift.io.psd import read_psd, write_sample_psd


def test_every_sample_layer_round_trips_through_json(tmp_path: Path) -> None:
    document = read_psd(write_sample_psd(tmp_path / "hero.psd"))
    grouped = 0
    for layer in document.layers:
        record = json.loads(json.dumps(rig_record(layer)))  # as a database stores it
        fields = rig_fields(record, layer.name)
        assert fields["raw_name"] == layer.raw_name
        assert fields["kind"] == layer.kind
        assert fields["group_path"] == layer.group_path
        assert fields["group_tags"] == layer.group_tags
        assert fields["tags"] == layer.tags
        grouped += bool(layer.group_path)
    assert grouped >= 3  # the sample's [bone:...] groups were really exercised


def test_tags_at_their_defaults_are_left_out() -> None:
    assert tags_record(LayerTags()) == {}
    tags = LayerTags(bone="arm", mesh=False, scale=0.5, pad=3, overrides={"detail_factor": "1"})
    record = tags_record(tags)
    assert record == {
        "bone": "arm",
        "mesh": False,
        "scale": 0.5,
        "pad": 3,
        "overrides": {"detail_factor": "1"},
    }
    assert tags_from_record(record) == tags


@pytest.mark.parametrize(
    "record",
    [
        None,
        {},
        [],
        "text",
        {"group_path": "not a list", "tags": ["x"]},
        {"group_path": ["a", "b"], "group_tags": [{"bone": 7}]},
        {"tags": {"scale": "big", "pad": True, "ignore": "yes", "bone": None, "unknown": 1}},
    ],
)
def test_odd_records_give_defaults_never_errors(record: object) -> None:
    fields = rig_fields(record, "arm")
    assert fields["raw_name"] == "arm" and fields["kind"] == "pixel"
    assert len(fields["group_tags"]) == len(fields["group_path"])
    assert all(tags == LayerTags() for tags in fields["group_tags"])
    assert fields["tags"] == LayerTags()


def test_every_import_psd_rule_round_trips_through_json(tmp_path: Path) -> None:
    """The feature PSD's layers (every Import PSD tag, [bones]/[slots] given, [!...]
    escapes, [trim:mask] with its mask box) come back from their JSON rig records as the
    reader made them, and the document's origin from its record."""
    from spinelift.io.document import Document, Layer
    from spinelift.io.layer_rig import document_origin, document_record
    from tests.io.feature_psd import write_feature_psd

    document = read_psd(write_feature_psd(tmp_path / "features.psd"))
    for layer in document.layers:
        record = json.loads(json.dumps(rig_record(layer)))
        back = Layer(
            name=layer.name, rgba=layer.rgba, left=layer.left, top=layer.top,
            opacity=layer.opacity, blend_mode=layer.blend_mode,
            psd_blend_mode=layer.psd_blend_mode, visible=layer.visible,
            has_mask=layer.has_mask, index=layer.index, **rig_fields(record, layer.name),
        )  # fmt: skip
        assert back.tags == layer.tags, layer.raw_name
        assert back.group_tags == layer.group_tags, layer.raw_name
        assert back.mask_box == layer.mask_box, layer.raw_name
    record = json.loads(json.dumps(document_record(document)))
    assert document_origin(record) == document.origin != (None, None)
    assert document_origin({}) == (None, None)
    assert isinstance(Document(1, 1, (), "x").origin, tuple)


def test_old_boolean_trim_records_still_read() -> None:
    assert tags_from_record({"trim": True}).trim == "ws"
    assert tags_from_record({"trim": False}).trim == "canvas"
