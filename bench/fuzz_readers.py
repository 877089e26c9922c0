"""Coverage-guided fuzzing of ``read_psd`` and ``read_image`` with atheris (libFuzzer).

    python -m bench.fuzz_readers --seconds 300 [--crashes build/fuzz-crashes] [--corpus DIR]

Seeds: the small corpus PSD/PSB files and PNGs of :mod:`tests.fuzz.mutations` (plus the
project's sample PSD), written to a working corpus folder that libFuzzer grows with
every input that reaches new code. Inputs starting with ``8BPS`` go to ``read_psd``,
everything else to ``read_image``, both with small limits (1024 px per side, 64 MiB
per psd-tools allocation). Half of the mutations are libFuzzer's own, half the
structure-aware ones of the tests (header and length fields set to extreme values,
truncations, inserted runs; PNG CRCs fixed). A ``SpineLiftError`` is the expected
answer to bad input; any other exception is a crash: counted, its input saved to
``--crashes`` as ``crash-<sha1>.<psd|png>``, and fuzzing goes on. At the end it prints
executions, executions per second, crashes by type and place, and the peak RSS.

Needs ``atheris`` (``pip install atheris``, a wheel for CPython 3.11 on Linux x86-64).
Exit code 1 if any crash was found.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import logging
import os
import random
import resource
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.corpus import shared_dir

MAX_CANVAS = 1024
MAX_PIXELS = 1024 * 1024
MAX_ALLOC_BYTES = 64 << 20
KINDS = ("flip", "truncate", "insert", "delete", "duplicate", "field", "field")


class Fuzzer:
    """The target and its book-keeping (one per process)."""

    def __init__(self, seconds: float, crashes: Path) -> None:
        from spinelift.errors import SpineLiftError
        from spinelift.io.image import read_image
        from spinelift.io.psd import read_psd

        self.error_type = SpineLiftError
        self.read_image = read_image
        self.read_psd = read_psd
        self.seconds = seconds
        self.started = 0.0  # the clock starts with the first input
        self.crashes = crashes
        self.executions = 0
        self.expected: collections.Counter[str] = collections.Counter()
        self.found: collections.Counter[str] = collections.Counter()

    def __call__(self, data: bytes) -> None:
        if not self.started:
            self.started = time.monotonic()
        elif time.monotonic() - self.started > self.seconds:
            self.report()
            os._exit(1 if self.found else 0)
        self.executions += 1
        try:
            if data.startswith(b"8BPS"):
                self.read_psd(
                    data,
                    max_canvas=MAX_CANVAS,
                    max_pixels=MAX_PIXELS,
                    max_alloc_bytes=MAX_ALLOC_BYTES,
                )
            else:
                self.read_image(data, max_dimension=MAX_CANVAS, max_pixels=MAX_PIXELS)
            self.expected["ok"] += 1
        except self.error_type as error:
            self.expected[error.code] += 1
        except Exception as exc:  # the point: anything else is a crash
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            if not self.found[key]:
                print(f"CRASH {key}: {exc!s:.200}", flush=True)
            self.found[key] += 1
            suffix = "psd" if data.startswith(b"8BPS") else "png"
            name = f"crash-{hashlib.sha1(data).hexdigest()}.{suffix}"
            self.crashes.mkdir(parents=True, exist_ok=True)
            (self.crashes / name).write_bytes(data)

    def report(self) -> None:
        seconds = time.monotonic() - self.started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nexecutions: {self.executions} in {seconds:.0f} s", flush=True)
        print(f"executions/s: {self.executions / max(seconds, 1e-9):.0f}")
        print(f"crashes (non-SpineLiftError): {sum(self.found.values())}")
        for key, count in self.found.most_common():
            print(f"  {count:6d}  {key}")
        print("outcomes: " + ", ".join(f"{k} {v}" for k, v in self.expected.most_common()))
        print(f"peak RSS: {rss:.0f} MiB; crashing inputs in {self.crashes}")


def _custom_mutator(atheris: Any) -> Any:
    from tests.fuzz.mutations import apply, fix_png_crcs, png_fields, psd_fields

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5 or not data:
            out: bytes = atheris.Mutate(data, max_size)
            return out
        fields = psd_fields(data) if data.startswith(b"8BPS") else png_fields(data)
        ops = [
            (
                rng.choice(KINDS),
                rng.randrange(1 << 32),
                rng.randrange(12) if rng.random() < 0.7 else rng.randrange(1 << 32),
                rng.randbytes(rng.randrange(48)),
            )
            for _ in range(rng.randrange(1, 4))
        ]
        mutated = apply(data, ops, fields)
        if not mutated.startswith(b"8BPS") and rng.random() < 0.8:
            mutated = fix_png_crcs(mutated)
        return mutated[:max_size]

    return mutate


def _write_seeds(folder: Path, corpus: Path | None) -> int:
    from tests.fuzz.mutations import seed_pngs, seed_psds

    folder.mkdir(parents=True, exist_ok=True)
    seeds = {**seed_psds(corpus), **seed_pngs()}
    for name, data in seeds.items():
        (folder / ("seed-" + name.replace("/", "_"))).write_bytes(data)
    return len(seeds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz [60]")
    parser.add_argument(
        "--crashes", type=Path, default=Path("build/fuzz-crashes"), help="crashing inputs go here"
    )
    parser.add_argument(
        "--corpus", type=Path, help="working corpus folder (default: a temporary one)"
    )
    parser.add_argument("--rss-limit-mb", type=int, default=2048, help="libFuzzer's RSS limit")
    args = parser.parse_args(argv)
    try:
        import atheris  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        print("atheris is not installed: pip install atheris", file=sys.stderr)
        return 2
    logging.getLogger("psd_tools").setLevel(logging.CRITICAL)
    # coverage of SpineLift, psd-tools and Pillow (every image plugin loaded now)
    with atheris.instrument_imports(include=["spinelift", "psd_tools", "PIL"]):
        from PIL import Image

        Image.init()
        fuzzer = Fuzzer(args.seconds, args.crashes)
    psd_corpus = shared_dir() / "corpus" / "psd"
    work = args.corpus or Path(tempfile.mkdtemp(prefix="spinelift-fuzz-"))
    count = _write_seeds(work, psd_corpus if psd_corpus.is_dir() else None)
    print(f"{count} seeds in {work}; fuzzing for {args.seconds:.0f} s", flush=True)
    libfuzzer_args = [
        sys.argv[0],
        str(work),
        "-max_len=131072",
        f"-rss_limit_mb={args.rss_limit_mb}",
        "-print_final_stats=1",
    ]
    atheris.Setup(libfuzzer_args, fuzzer, custom_mutator=_custom_mutator(atheris))
    atheris.Fuzz()
    fuzzer.report()  # only reached if libFuzzer stops by itself
    return 1 if fuzzer.found else 0


if __name__ == "__main__":
    sys.exit(main())
