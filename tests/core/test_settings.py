"""MeshSettings: the seed's parameters, ranges and defaults, plus ours, validated."""

from __future__ import annotations

import pytest

from spinelift.core import HolePolicy, IslandPolicy, MeshSettings
from spinelift.errors import InvalidParametersError

SEED_DEFAULTS = {
    "detail_factor": 0.01,
    "alpha_threshold": 10,
    "concave_factor": 0.0,
    "internal_vertex_density": 0,
    "blur_kernel_size": 1,
    "binary_threshold": 128,
    "min_contour_area": 10,
    "density_scaling_factor": 1000.0,
    "min_triangle_area": 1.0,
}

SEED_RANGES = {
    "detail_factor": (0.001, 0.05),
    "alpha_threshold": (0, 255),
    "concave_factor": (0.0, 100.0),
    "internal_vertex_density": (0, 100),
    "blur_kernel_size": (1, 21),
    "binary_threshold": (0, 255),
    "min_contour_area": (1, 1000),
    "density_scaling_factor": (100, 10000),
    "min_triangle_area": (0.1, 100),
}


def test_defaults_are_the_seeds() -> None:
    settings = MeshSettings().to_dict()
    for name, value in SEED_DEFAULTS.items():
        assert settings[name] == value


@pytest.mark.parametrize("name", sorted(SEED_RANGES))
def test_seed_range_ends_are_accepted_and_beyond_refused(name: str) -> None:
    low, high = SEED_RANGES[name]
    MeshSettings(**{name: low})
    MeshSettings(**{name: high if name != "blur_kernel_size" else 21})
    step = 1 if isinstance(low, int) and not isinstance(SEED_DEFAULTS[name], float) else 1e-3
    for bad in (low - step, high + step):
        with pytest.raises(InvalidParametersError) as err:
            MeshSettings(**{name: bad})
        assert name in err.value.details["fields"]
        assert err.value.code == "INVALID_PARAMETERS"


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidParametersError) as err:
        MeshSettings(detail_factor=1.0, alpha_threshold=-1, island_policy="nope")  # type: ignore[arg-type]
    assert set(err.value.details["fields"]) == {"detail_factor", "alpha_threshold", "island_policy"}
    assert "detail_factor must be between 0.001 and 0.05" in err.value.message


def test_even_blur_kernel_rounds_up_as_in_the_seed() -> None:
    assert MeshSettings(blur_kernel_size=4).blur_kernel_size == 5


@pytest.mark.parametrize("bad", [True, "3", float("nan"), 2.5])
def test_non_numbers_and_fractions_for_integers_are_refused(bad: object) -> None:
    with pytest.raises(InvalidParametersError):
        MeshSettings(alpha_threshold=bad)  # type: ignore[arg-type]


def test_whole_floats_are_accepted_for_integers() -> None:
    assert MeshSettings(alpha_threshold=12.0).alpha_threshold == 12  # type: ignore[arg-type]


def test_budget_of_one_or_two_vertices_is_refused() -> None:
    with pytest.raises(InvalidParametersError):
        MeshSettings(max_hull_vertices=2)
    assert MeshSettings(max_hull_vertices=3).max_hull_vertices == 3


def test_from_mapping_refuses_unknown_names_and_accepts_strings_for_policies() -> None:
    with pytest.raises(InvalidParametersError) as err:
        MeshSettings.from_mapping({"detail": 0.1})
    assert err.value.details["fields"] == {"detail": "unknown parameter"}
    s = MeshSettings.from_mapping({"island_policy": "largest", "hole_policy": "fill"})
    assert s.island_policy is IslandPolicy.LARGEST and s.hole_policy is HolePolicy.FILL


def test_to_dict_round_trips() -> None:
    s = MeshSettings(detail_factor=0.02, padding=3, island_policy=IslandPolicy.DROP_SMALL)
    assert MeshSettings.from_mapping(s.to_dict()) == s


def test_detail_knob_is_monotonic() -> None:
    values = [MeshSettings(detail_factor=d).overdraw_per_vertex() for d in (0.001, 0.01, 0.05)]
    assert values == sorted(values) and values[0] < 1e-3 and values[-1] > 1.0


def test_text_values_are_read_as_their_fields_types() -> None:
    s = MeshSettings().with_text_values(
        {"alpha_threshold": "12", "detail_factor": "1e-3", "hull_steiner_points": "true",
         "island_policy": "largest", "padding": " 3 "}
    )  # fmt: skip
    assert (s.alpha_threshold, s.detail_factor, s.hull_steiner_points) == (12, 0.001, True)
    assert (s.island_policy, s.padding) == (IslandPolicy.LARGEST, 3)
    with pytest.raises(InvalidParametersError) as err:
        MeshSettings().with_text_values({"alpha_threshold": "lots", "nope": "1"})
    assert set(err.value.details["fields"]) == {"nope"}  # unknown names are reported first
    with pytest.raises(InvalidParametersError) as err:
        MeshSettings().with_text_values({"alpha_threshold": "lots"})
    assert "alpha_threshold" in err.value.details["fields"]
