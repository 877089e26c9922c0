"""In-process profile of one ``spinelift convert``: imports, reading, meshing, writing.

    python -m bench.convert_profile build/bench/character-38.psd
    python -m bench.convert_profile FILE --json

Run it in a fresh interpreter: *imports* is the wall time to import the CLI and what
``convert`` imports when it runs (beyond the interpreter's own start-up); then one
``spinelift convert FILE -o TMP --json`` runs in this process, with wall and CPU
clocks (CPU: this process and its reaped children) around the stages: *read* (the
PSD or PNGs into a document), *meshing* (every layer, worker processes included),
*writing* (the rest of the export: placing, packing the atlas, encoding the pages
and the preview, writing the files) and *other* (parsing, the report). A stage the
code does not expose under the expected name is left out rather than guessed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# what `spinelift convert` imports when its handler runs (it imports them lazily)
CONVERT_IMPORTS = (
    "spinelift.cli.main",
    "spinelift.cli.convert_command",
    "spinelift.io.export",
    "spinelift.io.psd.reader",
    "spinelift.io.png_document",
    "spinelift.core.pipeline",
)


def _cpu() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(owner: Any, name: str, stage: str, spent: dict[str, list[float]]) -> None:
    """Replace ``owner.name`` by a wrapper adding its wall and CPU seconds to ``spent``."""
    inner: Callable[..., Any] | None = getattr(owner, name, None)
    if inner is None:
        return
    real = inner

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), _cpu()
        try:
            return real(*args, **kwargs)
        finally:
            totals = spent.setdefault(stage, [0.0, 0.0])
            totals[0] += time.perf_counter() - wall
            totals[1] += _cpu() - cpu

    setattr(owner, name, wrapper)


def profile(path: Path) -> dict[str, Any]:
    """Profile one convert of ``path``; returns seconds per stage and the peak RSS."""
    wall, cpu = time.perf_counter(), _cpu()
    for module in CONVERT_IMPORTS:
        importlib.import_module(module)
    spent: dict[str, list[float]] = {"imports": [time.perf_counter() - wall, _cpu() - cpu]}
    command = sys.modules["spinelift.cli.convert_command"]
    export = sys.modules["spinelift.io.export"]
    _timed(command, "load_document", "read", spent)
    _timed(export, "mesh_all", "meshing", spent)
    _timed(export, "export_document", "export", spent)
    _timed(command, "export_document", "export", spent)  # a CLI that imports it eagerly
    main = sys.modules["spinelift.cli.main"].main
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        wall, cpu = time.perf_counter(), _cpu()
        code = main(["convert", str(path), "-o", str(Path(tmp) / "out"), "--json"])
        run = [time.perf_counter() - wall, _cpu() - cpu]
    exported = spent.pop("export", None)
    if exported is not None and "meshing" in spent:
        spent["writing"] = [e - m for e, m in zip(exported, spent["meshing"], strict=True)]
    counted = [sum(v[i] for k, v in spent.items() if k != "imports") for i in (0, 1)]
    spent["other"] = [run[0] - counted[0], run[1] - counted[1]]
    spent["total"] = [spent["imports"][0] + run[0], spent["imports"][1] + run[1]]
    return {
        "file": path.name,
        "exit_code": code,
        "stages": {k: {"wall": round(v[0], 3), "cpu": round(v[1], 3)} for k, v in spent.items()},
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "pid": os.getpid(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    found = profile(args.file)
    if args.json:
        print(json.dumps(found))
        return 0
    print(f"{found['file']}: exit {found['exit_code']}, peak RSS {found['peak_mib']} MiB")
    for stage, figures in found["stages"].items():
        print(f"  {stage:8s} wall {figures['wall']:.3f} s  cpu {figures['cpu']:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
