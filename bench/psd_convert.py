"""PSD corpus conversion: every corpus PSD/PSB through ``export_document`` and spine-core 4.2.

    python -m bench.psd_convert                 # every file of ../shared/corpus/psd
    python -m bench.psd_convert --limit 20      # the first 20 (sorted by path)
    python -m bench.psd_convert --keep build/corpus-exports --preview

Per file: :func:`~spinelift.io.psd.read_psd` then
:func:`~spinelift.io.export.export_document` (default mesh settings, atlas, no preview
unless ``--preview``, ``--workers`` meshing processes, default 1) into a temporary folder,
then the official runtime check (``tools/spine-check/check.mjs``: spine-core parses the
atlas and skeleton and poses it). Prints a markdown summary and table: canvas, layers
exported / skipped by the reader / failed to mesh, total hull vertices, median overdraw,
wall time of read + export, and the runtime check: ``ok``, ``refused CODE`` (a
SpineLiftError: a clean refusal), ``runtime: ...`` (spine-core rejected the export or the
export broke a check) or ``CRASH Type`` (any other exception: a bug). Exit 1 if anything
crashed or the runtime rejected an export; 2 if the corpus or Node is missing.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.runtime.spine_runtime import SpineRuntimeError, check_export, missing_tools

from bench.corpus import shared_dir
from spinelift.errors import SpineLiftError
from spinelift.io.export import ExportOptions, ExportResult, export_document
from spinelift.io.psd import read_psd


@dataclass
class Row:
    """One file's line of the table."""

    file: str
    canvas: str = "-"
    exported: int = 0
    skipped: int = 0
    failed: int = 0
    hull: int = 0
    overdraw: float | None = None
    seconds: float = 0.0
    status: str = ""

    @property
    def converted(self) -> bool:
        return self.status == "ok" or self.status.startswith("runtime:")

    def markdown(self) -> str:
        overdraw = "-" if self.overdraw is None else f"{self.overdraw:.1f}"
        cells = [
            self.file,
            self.canvas,
            str(self.exported),
            str(self.skipped),
            str(self.failed),
            str(self.hull),
            overdraw,
            f"{self.seconds:.2f}",
            self.status,
        ]
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


HEADER = (
    "| file | canvas | layers exported | layers skipped | failed layers | hull vertices "
    "| median overdraw % | time (s) | runtime check |\n"
    "|---|---|--:|--:|--:|--:|--:|--:|---|"
)


def runtime_problem(report: dict[str, Any], result: ExportResult) -> str | None:
    """What is wrong with spine-core's view of an export (None when all is right)."""
    slots = {entry["slot"]: entry for entry in report["slots"]}
    for line in result.layers:
        if line.error is None and line.slot not in slots:
            return f"slot {line.slot!r} missing"
    for entry in report["slots"]:
        if entry["type"] in ("mesh", "region"):
            if entry["region"] is None:
                return f"slot {entry['slot']!r}: region not found"
            values = entry["worldVertices"]
            if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
                return f"slot {entry['slot']!r}: non-finite world vertex"
    return None


def convert_one(path: Path, name: str, out: Path, options: ExportOptions) -> Row:
    """Convert and check one file; never raises (a crash becomes the row's status)."""
    row = Row(name)
    start = time.perf_counter()
    try:
        document = read_psd(path)
        row.canvas = f"{document.width}x{document.height}"
        row.skipped = len(document.skipped)
        result = export_document(document, out, options)
    except SpineLiftError as error:
        row.seconds = time.perf_counter() - start
        row.status = f"refused {error.code}"
        return row
    except Exception as error:  # reported, not raised: the table must be complete
        row.seconds = time.perf_counter() - start
        row.status = f"CRASH {type(error).__name__}: {str(error)[:80]}"
        return row
    row.seconds = time.perf_counter() - start
    done = [line for line in result.layers if line.error is None]
    row.exported = len(done)
    row.failed = len(result.failed)
    row.hull = sum(line.hull for line in done)
    overdraws = [100.0 * line.overdraw for line in done if math.isfinite(line.overdraw)]
    row.overdraw = statistics.median(overdraws) if overdraws else None
    try:
        report = check_export(out)
    except SpineRuntimeError as error:
        first = str(error).splitlines()[0]
        row.status = f"runtime: {first[:100]}"
        return row
    problem = runtime_problem(report, result)
    row.status = "ok" if problem is None else f"runtime: {problem}"
    return row


def summary(rows: Sequence[Row], seconds: float) -> str:
    refused = Counter(
        r.status.removeprefix("refused ") for r in rows if r.status.startswith("refused")
    )
    crashed = sum(r.status.startswith("CRASH") for r in rows)
    rejected = sum(r.status.startswith("runtime:") for r in rows)
    converted = sum(r.converted for r in rows)
    by_code = ", ".join(f"{n} {code}" for code, n in sorted(refused.items())) or "none"
    layers = sum(r.exported for r in rows)
    failed = sum(r.failed for r in rows)
    convert_time = sum(r.seconds for r in rows)
    return (
        f"{len(rows)} files: {converted} converted ({converted - rejected} loaded by spine-core "
        f"4.2, {rejected} rejected by it), {sum(refused.values())} refused ({by_code}), "
        f"{crashed} crashed.\n\n"
        f"{layers} layers exported, {failed} failed to mesh; "
        f"{sum(r.hull for r in rows)} hull vertices in all. "
        f"Read + export {convert_time:.1f} s in all (slowest: "
        f"{max((r.seconds for r in rows), default=0.0):.2f} s); whole run with the runtime "
        f"checks {seconds:.1f} s."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="first N files only")
    parser.add_argument("--workers", type=int, default=1, help="meshing processes per file [1]")
    parser.add_argument("--preview", action="store_true", help="also write preview.png")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR", help="keep exports here")
    args = parser.parse_args(argv)

    corpus = shared_dir() / "corpus" / "psd"
    if not corpus.is_dir():
        print(f"PSD corpus not found at {corpus} (set SPINELIFT_SHARED)", file=sys.stderr)
        return 2
    missing = missing_tools(render=False)
    if missing:
        print("cannot run spine-core: " + "; ".join(missing), file=sys.stderr)
        return 2
    files = sorted(
        p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in (".psd", ".psb")
    )
    if args.limit is not None:
        files = files[: args.limit]
    options = ExportOptions(preview=args.preview, workers=args.workers)
    rows: list[Row] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="psd_convert.") as scratch:
        root = args.keep or Path(scratch)
        for index, path in enumerate(files):
            name = path.relative_to(corpus).as_posix()
            rows.append(convert_one(path, name, root / f"{index:03d}_{path.stem}", options))
            print(f"[{index + 1}/{len(files)}] {name}: {rows[-1].status}", file=sys.stderr)
    seconds = time.perf_counter() - start
    print(summary(rows, seconds))
    print()
    print(HEADER)
    for row in rows:
        print(row.markdown())
    bad = any(r.status.startswith(("CRASH", "runtime:")) for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
