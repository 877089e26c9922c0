"""dumps: the same value always gives the same bytes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spinelift.spine import dumps, normalize


def test_integral_floats_become_ints_and_negative_zero_disappears() -> None:
    assert dumps({"a": [1.0, -0.0, 2.5, -1.5]}) == '{"a":[1,0,2.5,-1.5]}'


def test_numpy_values_are_plain_json() -> None:
    value = {"i": np.int32(3), "f": np.float32(0.5), "b": np.bool_(True), "a": np.arange(3)}
    assert dumps(value) == '{"i":3,"f":0.5,"b":true,"a":[0,1,2]}'


def test_key_order_is_kept_not_sorted() -> None:
    assert dumps({"type": "mesh", "a": 1}) == '{"type":"mesh","a":1}'


def test_indent_gives_the_pretty_form() -> None:
    assert dumps({"a": [1]}, indent=2) == '{\n  "a": [\n    1\n  ]\n}'


def test_text_stays_readable_utf8() -> None:
    assert dumps({"name": "tête"}) == '{"name":"tête"}'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.float64("-inf")])
def test_non_finite_numbers_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="no JSON form"):
        dumps([bad])


def test_non_string_keys_and_unknown_objects_are_refused() -> None:
    with pytest.raises(TypeError):
        normalize({1: 2})
    with pytest.raises(TypeError):
        normalize(object())


def test_shortest_round_trip_repr_is_used() -> None:
    value = round(0.1 + 0.2, 7)
    assert dumps([value]) == "[0.3]"
    assert json.loads(dumps([1 / 3])) == [1 / 3]
