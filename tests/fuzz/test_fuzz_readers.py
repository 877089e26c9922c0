"""Mutation fuzzing of the readers, seeded with real files (issue 7, "bad input tried").

Seeds: small PSD/PSB files of the shared corpus (:data:`PSD_SEEDS`) plus the project's
own sample PSD, and PNGs made here with Pillow (RGBA, RGB, L, LA, P, 1-bit, interlaced,
16-bit grey and RGBA). Hypothesis applies a few mutations (:mod:`tests.fuzz.mutations`:
byte flips, truncation, inserted/deleted/duplicated runs, header and length fields
overwritten with extreme values) and feeds the result to ``read_psd`` / ``read_image``
(and what decodes, to ``build_mesh``). The contract checked on every example:

- the only exceptions are :class:`SpineLiftError` with a non-empty upper-case code and
  message, and a JSON-safe ``to_dict()``;
- memory is bounded: the tracemalloc peak of one call stays under :data:`PEAK_BOUND`
  (the readers run with the small limits below, so a declared size past them must be
  refused before its pixels are allocated), and the process' peak RSS grows by less
  than :data:`RSS_BOUND` over a whole test (Pillow's C buffers are not traced).

Sizes: :data:`EXAMPLES` per test by default (the file runs in well under 40 s on two
cores); ``HYPOTHESIS_PROFILE=long`` runs 25 times as many, and
``SPINELIFT_FUZZ_EXAMPLES=N`` sets the count directly.
"""

from __future__ import annotations

import json
import logging
import os
import re
import resource
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinelift.core import build_mesh
from spinelift.errors import SpineLiftError
from spinelift.io.image import read_image
from spinelift.io.psd import read_psd
from tests.fuzz.mutations import (
    EXTREMES,
    Field,
    Op,
    apply,
    fix_png_crcs,
    png_fields,
    psd_fields,
    seed_pngs,
    seed_psds,
)
from tests.shared_corpus import require

MAX_CANVAS = 1024
"""``max_canvas``/``max_dimension`` of the fuzzed reads (px per side)"""
MAX_PIXELS = 1024 * 1024
"""``max_pixels`` of the fuzzed reads"""
MAX_ALLOC = 64 << 20
"""psd-tools' per-allocation budget in the fuzzed reads: 64 MiB"""
PEAK_BOUND = 96 << 20
"""tracemalloc peak allowed for one read (or one mesh) at those limits: 96 MiB"""
RSS_BOUND = 512 << 20
"""growth of the process' peak RSS allowed over one fuzz test: 512 MiB"""


def _examples(default: int) -> int:
    explicit = os.environ.get("SPINELIFT_FUZZ_EXAMPLES")
    if explicit:
        return int(explicit)
    return default * 25 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else default


def _fuzz(default: int) -> settings:
    """The settings of a fuzz test running ``default`` examples (see :func:`_examples`)."""
    return settings(
        max_examples=_examples(default),
        deadline=None,
        # the fixtures measure a whole test, once: not per example
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
        print_blob=True,
    )


KINDS = ("flip", "truncate", "insert", "delete", "duplicate", "field", "field")
OPS = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 2**32 - 1),
        st.one_of(st.integers(0, len(EXTREMES) - 1), st.integers(0, 2**32 - 1)),
        st.binary(max_size=48),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def psd_seeds() -> list[tuple[str, bytes, list[Field]]]:
    corpus = require("corpus/psd")
    seeds = seed_psds(corpus)
    return [(name, data, psd_fields(data)) for name, data in sorted(seeds.items())]


@pytest.fixture(scope="module")
def png_seeds() -> list[tuple[str, bytes, list[Field]]]:
    return [(name, data, png_fields(data)) for name, data in sorted(seed_pngs().items())]


@pytest.fixture(autouse=True)
def _quiet_psd_tools() -> Iterator[None]:
    # psd-tools logs every damaged record it tolerates; thousands of lines help nobody
    logger = logging.getLogger("psd_tools")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture
def rss_bound() -> Iterator[None]:
    before = _max_rss()
    yield
    growth = _max_rss() - before
    assert growth < RSS_BOUND, f"peak RSS grew by {growth >> 20} MiB during the fuzz test"


def _max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _checked(call: Callable[[], Any], what: str) -> Any:
    """Run ``call``; a SpineLiftError is fine (returned as None), anything else fails,
    and so does a traced peak over :data:`PEAK_BOUND`."""
    tracemalloc.start()
    try:
        return call()
    except SpineLiftError as error:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", error.code), error.code
        assert error.message.strip(), f"{what}: empty message for {error.code}"
        json.dumps(error.to_dict())
        return None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < PEAK_BOUND, f"{what}: traced peak {peak >> 20} MiB"


def _mutant(seeds: list[tuple[str, bytes, list[Field]]], pick: int, ops: list[Op]) -> bytes:
    _, data, fields = seeds[pick % len(seeds)]
    return apply(data, ops, fields)


@pytest.mark.corpus
@_fuzz(1500)
@given(pick=st.integers(0, 1000), ops=OPS)
def test_fuzz_mutated_psds_fail_only_with_spinelift_errors(
    psd_seeds: list[tuple[str, bytes, list[Field]]],
    rss_bound: None,
    pick: int,
    ops: list[Op],
) -> None:
    data = _mutant(psd_seeds, pick, ops)
    _checked(
        lambda: read_psd(
            data, max_canvas=MAX_CANVAS, max_pixels=MAX_PIXELS, max_alloc_bytes=MAX_ALLOC
        ),
        "read_psd",
    )


@_fuzz(2000)
@given(pick=st.integers(0, 1000), ops=OPS, fix_crcs=st.booleans())
def test_fuzz_mutated_pngs_fail_only_with_spinelift_errors(
    png_seeds: list[tuple[str, bytes, list[Field]]],
    rss_bound: None,
    pick: int,
    ops: list[Op],
    fix_crcs: bool,
) -> None:
    data = _mutant(png_seeds, pick, ops)
    if fix_crcs:  # past the checksums, into the decoder
        data = fix_png_crcs(data)
    rgba = _checked(
        lambda: read_image(data, max_dimension=MAX_CANVAS, max_pixels=MAX_PIXELS), "read_image"
    )
    if rgba is not None:
        assert rgba.dtype.name == "uint8" and rgba.ndim == 3 and rgba.shape[2] == 4
        assert rgba.shape[0] <= MAX_CANVAS and rgba.shape[1] <= MAX_CANVAS


@_fuzz(300)
@given(pick=st.integers(0, 1000), ops=OPS)
def test_fuzz_decoded_mutants_mesh_or_fail_with_spinelift_errors(
    png_seeds: list[tuple[str, bytes, list[Field]]],
    rss_bound: None,
    pick: int,
    ops: list[Op],
) -> None:
    data = fix_png_crcs(_mutant(png_seeds, pick, ops))
    rgba = _checked(lambda: read_image(data, max_dimension=256, max_pixels=256 * 256), "read")
    if rgba is not None:
        _checked(lambda: build_mesh(rgba, max_dimension=256), "build_mesh")


def test_fuzz_seeds_are_valid_inputs(png_seeds: list[tuple[str, bytes, list[Field]]]) -> None:
    """The unmutated PNG seeds read, and their structure is found (so field ops hit)."""
    for name, data, fields in png_seeds:
        assert read_image(data).shape[2] == 4, name
        assert any(f.name == "IHDR width" for f in fields)


@pytest.mark.corpus
def test_fuzz_psd_seeds_are_valid_inputs(
    psd_seeds: list[tuple[str, bytes, list[Field]]],
) -> None:
    names = [name for name, _, _ in psd_seeds]
    assert "sample.psd" in names and len(names) > 5
    for name, data, fields in psd_seeds:
        read_psd(data, name=Path(name).name)
        assert len(fields) >= 6, name
    sample = {n: f for n, _, f in psd_seeds}["sample.psd"]
    assert any(f.name == "layer count" for f in sample)
