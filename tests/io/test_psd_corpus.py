"""Every real PSD/PSB in the shared corpus reads to a Document or a SpineLiftError.

The corpus (psd-tools' own test files) lives beside the repository in
``../shared/corpus/psd``; ``SPINELIFT_SHARED`` points elsewhere. Without it the
test is skipped with the reason shown, except under ``CI=true``, where it fails.
The results table is printed, and written to ``docs/psd_corpus.md`` when
``SPINELIFT_WRITE_DOCS=1``.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from spinelift.errors import SpineLiftError
from spinelift.io.document import Document
from spinelift.io.psd import read_psd

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SPINELIFT_SHARED") or REPO / ".." / "shared")
CORPUS = SHARED / "corpus" / "psd"


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        message = f"PSD corpus not found at {CORPUS} (set SPINELIFT_SHARED)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in (".psd", ".psb"))


def _check(document: Document) -> None:
    reach = 4 * max(document.width, document.height)
    for layer in document.layers:
        assert layer.rgba.dtype == np.uint8 and layer.rgba.ndim == 3
        assert layer.rgba.shape[2] == 4 and layer.width > 0 and layer.height > 0
        assert layer.rgba[..., 3].any()
        assert -reach <= layer.left <= reach and -reach <= layer.top <= reach
        assert 0.0 <= layer.opacity <= 1.0
        assert layer.blend_mode in ("normal", "additive", "multiply", "screen")
    assert all(isinstance(a, str) and isinstance(b, str) for a, b in document.skipped)


@pytest.mark.corpus
def test_every_corpus_file_reads_or_is_refused_cleanly() -> None:
    files = _corpus_files()
    rows: list[tuple[str, str, str, str]] = []
    codes: Counter[str] = Counter()
    for path in files:
        name = path.relative_to(CORPUS).as_posix()
        try:
            document = read_psd(path)
        except SpineLiftError as error:
            codes[error.code] += 1
            rows.append((name, "-", "-", error.code))
            continue
        except Exception as error:  # the point of the test: nothing else may escape
            pytest.fail(f"{name}: {type(error).__name__}: {error}")
        _check(document)
        rows.append((name, str(len(document.layers)), str(len(document.skipped)), ""))
    read = len(files) - sum(codes.values())
    refused = ", ".join(f"{count} {code}" for code, count in sorted(codes.items())) or "none"
    summary = f"{len(files)} files: {read} read, {sum(codes.values())} refused ({refused})."
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    text = (
        "# PSD corpus results\n\n"
        "Written by `tests/io/test_psd_corpus.py` from `../shared/corpus/psd` "
        "(psd-tools' test files).\n\n"
        f"{summary}\n\n| file | layers | skipped | error code |\n|---|---|---|---|\n{table}\n"
    )
    print(text)
    if os.environ.get("SPINELIFT_WRITE_DOCS") == "1":  # refresh the doc on demand only
        (REPO / "docs" / "psd_corpus.md").write_text(text, encoding="utf-8")
    assert read > len(files) // 2
