"""Convert speed: ``spinelift convert`` against pspine, a regions-only importer, as whole
processes in alternating pairs; and against the floor of decoding the PSD's layers.

**Paired (the default).** pspine (PyPI; re-implements Spine's Import PSD, writes
rectangular regions only: no meshes, no preview) is the yardstick. For each PSD, A =
``spinelift convert FILE -o OUT`` (meshes, atlas and preview included, default
settings and workers) and B = ``pspine -q FILE -o OUT`` run in turn, A B A B ...,
after one uncounted warm-up each (:mod:`bench.paired`). Printed per file: the
median [min-max] wall seconds of each, the pair-by-pair ratio A/B, peak RSS (the
largest single process) of each and their ratio, CPU seconds. Inputs: the 38-layer
2048x1112 character PSD built from the corpus parts (:mod:`bench.character_psd`,
written under ``build/bench``), and with ``--corpus`` every corpus PSD/PSB whose
document has more than ``--min-layers`` layers. pspine is not a dependency: install
it into a separate virtualenv and pass ``--pspine PATH`` (or put it on ``PATH``)::

    python -m venv /tmp/pspine-venv && /tmp/pspine-venv/bin/pip install pspine
    python -m bench.convert_speed --pspine /tmp/pspine-venv/bin/pspine --pairs 5
    python -m bench.convert_speed --pspine ... --corpus --pairs 3 --markdown

SpineLift's modules are compiled to bytecode first, as ``pip install`` does for any
installed package (pspine's were when pip installed it; an editable install has none,
and with ``PYTHONDONTWRITEBYTECODE`` set every run would compile ~100 modules again).

``--profile`` adds the in-process profile of one convert of the character PSD
(:mod:`bench.convert_profile`: imports, read, meshing, writing); ``--startup`` times
``spinelift --help`` and ``spinelift convert --help`` as whole processes.

**Floors** (``--floors``): in-process, best of ``--runs``, on the sample PSD, a
synthetic 30-layer 2048x2048 PSD and the largest corpus PSDs:

* **decode floor**: psd-tools alone opening the file and decoding every pixel
  layer's stored raster to an array (``layer.numpy()``): what any PSD tool pays;
* **composite floor**: psd-tools drawing every layer as Photoshop shows it
  (``layer.composite()``, masks and effects applied);
* **read**: SpineLift's reader (the floor plus masks, clipping, tags, trimming);
* **convert**: the whole job (read, mesh, pack, write JSON, atlas, pages, preview).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.paired import Paired, Run, alone, paired, print_table

# This process stays small (standard library only; PSDs are built and read in
# subprocesses): a child's peak RSS as the kernel reports it starts from its parent's
# at the time of the fork, so a large bench process would raise every figure.

REPO = Path(__file__).resolve().parents[1]
CHARACTER = REPO / "build" / "bench" / "character-38.psd"


def spinelift_command() -> list[str]:
    """The installed ``spinelift`` console script beside this interpreter, as users run it."""
    script = Path(sys.executable).with_name("spinelift")
    return [str(script)] if script.exists() else [sys.executable, "-m", "spinelift.cli.main"]


def character_psd() -> Path:
    """The 38-layer bench PSD, built from the corpus parts the first time."""
    if not CHARACTER.exists():
        subprocess.run(
            [sys.executable, "-m", "bench.character_psd", str(CHARACTER)], cwd=REPO, check=True
        )
    return CHARACTER


def shared_dir() -> Path:
    """``$SPINELIFT_SHARED`` if set, else ``<repo>/../shared`` (as :mod:`bench.corpus`)."""
    return Path(os.environ.get("SPINELIFT_SHARED") or REPO / ".." / "shared").resolve()


def layer_counts(paths: list[Path]) -> dict[Path, tuple[int, str]]:
    """(layers, canvas) of SpineLift's document for each path it reads (one subprocess)."""
    probe = (
        "import json, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from spinelift.errors import SpineLiftError\n"
        "from spinelift.io.psd import read_psd\n"
        "found = {}\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        d = read_psd(path)\n"
        "    except SpineLiftError:\n"
        "        continue\n"
        "    found[path] = [len(d.layers), f'{d.width}x{d.height}']\n"
        "print(json.dumps(found))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *map(str, paths)], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {Path(k): (int(v[0]), str(v[1])) for k, v in found.items()}


def corpus_psds(min_layers: int) -> list[Path]:
    """Corpus PSD/PSB files whose document has more than ``min_layers`` layers."""
    root = shared_dir() / "corpus" / "psd"
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".psd", ".psb"))
    counts = layer_counts(files)
    return [p for p in files if p in counts and counts[p][0] > min_layers]


def row(
    path: Path, found: tuple[int, str] | None, pair: Paired | None, runs: list[Run]
) -> list[str]:
    layers, canvas = found if found is not None else (0, "-")
    spinelift = pair.a if pair is not None else runs
    failed = sorted({r.code for r in spinelift if r.code not in (0, 1)})
    cells = [
        path.name,
        canvas,
        str(layers),
        Paired.wall(spinelift).text(),
        Paired.cpu(spinelift).text(),
        Paired.peak(spinelift).text(0),
    ]
    if pair is None:
        return [*cells, "-", "-", "-", "-", "-", f"exit {failed}" if failed else ""]
    pspine_failed = sorted({r.code for r in pair.b if r.code != 0})
    notes = [f"spinelift exit {failed}"] if failed else []
    notes += [f"pspine exit {pspine_failed}"] if pspine_failed else []
    return [
        *cells,
        Paired.wall(pair.b).text(),
        Paired.cpu(pair.b).text(),
        Paired.peak(pair.b).text(0),
        pair.wall_ratio.text(),
        pair.peak_ratio.text(),
        ", ".join(notes),
    ]


def compile_bytecode() -> str:
    """Compile SpineLift's modules to bytecode, as ``pip install`` does for an installed
    package (pspine's were compiled when pip installed it): an editable install has
    none, and with ``PYTHONDONTWRITEBYTECODE`` every run would compile them again.
    Returns what was done, for the header."""
    import compileall

    import spinelift

    package = Path(spinelift.__file__).parent
    ok = compileall.compile_dir(str(package), quiet=1)
    return f"compiled ({package})" if ok else f"NOT all compiled ({package})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pspine",
        default=os.environ.get("PSPINE") or shutil.which("pspine"),
        help="the pspine command (default: $PSPINE, else pspine on PATH)",
    )
    parser.add_argument("--pairs", type=int, default=5, help="counted pairs per file [5]")
    parser.add_argument("--corpus", action="store_true", help="also the corpus PSDs")
    parser.add_argument("--min-layers", type=int, default=5, help="corpus files with more [5]")
    parser.add_argument("--file", type=Path, action="append", default=[], help="time this too")
    parser.add_argument("--profile", action="store_true", help="add the in-process profile")
    parser.add_argument(
        "--startup", action="store_true", help="also time `spinelift --help`, `convert --help`"
    )
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--floors", action="store_true", help="the in-process floors table")
    parser.add_argument("--runs", type=int, default=3, help="--floors: best of this many")
    parser.add_argument("--largest", type=int, default=4, help="--floors: largest corpus PSDs")
    args = parser.parse_args(argv)
    if args.floors:
        from bench.convert_floors import run_floors

        return run_floors(args.runs, args.largest, args.markdown)
    compiled = compile_bytecode()
    inputs = [character_psd(), *args.file]
    if args.corpus:
        inputs += corpus_psds(args.min_layers)
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {args.pairs} pairs per file after 1 warm-up "
          f"each, whole processes; median [min-max]; peak RSS floor {floor:.0f} MiB; "
          f"SpineLift's bytecode {compiled}")  # fmt: skip
    if not args.pspine:
        print("pspine not found (--pspine PATH): timing spinelift alone")
    head = ["file", "canvas", "layers", "spinelift s", "spinelift cpu s", "spinelift MiB",
            "pspine s", "pspine cpu s", "pspine MiB", "wall ratio", "memory ratio",
            "note"]  # fmt: skip
    lines = []
    ratios: list[float] = []
    counts = layer_counts(inputs)
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(inputs):
            a = [*spinelift_command(), "convert", str(path), "-o", f"{tmp}/sl{n}"]
            if args.pspine:
                b = [args.pspine, "-q", str(path), "-o", f"{tmp}/ps{n}"]
                pair = paired(a, b, pairs=args.pairs)
                lines.append(row(path, counts.get(path), pair, []))
                if path != inputs[0]:
                    ratios.append(pair.wall_ratio.median)
            else:
                lines.append(row(path, counts.get(path), None, alone(a, runs=args.pairs)))
            print(f"  timed {path.name}", file=sys.stderr, flush=True)
    print_table(head, lines, markdown=args.markdown)
    if ratios:
        middle = statistics.median(ratios)
        print(
            f"corpus files: {len(ratios)}; median of their wall ratios {middle:.2f}, "
            f"range {min(ratios):.2f}-{max(ratios):.2f}"
        )
    if args.startup:
        for extra in (["--help"], ["convert", "--help"]):
            runs = alone([*spinelift_command(), *extra], runs=2 * args.pairs)
            print(f"spinelift {' '.join(extra)}: wall {Paired.wall(runs).text(3)} s, "
                  f"peak {Paired.peak(runs).text(0)} MiB ({len(runs)} runs)")  # fmt: skip
    if args.profile:
        done = subprocess.run(
            [sys.executable, "-m", "bench.convert_profile", str(inputs[0])],
            cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        print(done.stdout.rstrip() or done.stderr.rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
