"""Whole processes timed in alternating pairs: two commands, A B A B ..., by the kernel's
own accounting of each finished process.

Each run is started with ``subprocess`` and reaped with ``os.wait4``, which hands back
the process's resource usage: user and system CPU seconds (its waited-for children
included) and the peak resident memory of the largest single process among them.
Wall time is taken around start and reap. One warm-up run of each command is not
counted. Comparing A and B pair by pair (the ratio of each pair's wall times, then
the median of the ratios) holds when the machine's speed drifts between pairs; the
min-max range shows how noisy the machine was. Nothing here judges a result.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    """One finished process: wall and CPU seconds, peak RSS (MiB), exit code."""

    wall: float
    cpu: float
    peak_mib: float
    code: int
    stderr: str = ""


@dataclass(frozen=True)
class Spread:
    """Median, minimum and maximum of some figures."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))

    def text(self, digits: int = 2) -> str:
        return f"{self.median:.{digits}f} [{self.low:.{digits}f}-{self.high:.{digits}f}]"


@dataclass
class Paired:
    """The counted runs of A and B, in pairs."""

    a: list[Run] = field(default_factory=list)
    b: list[Run] = field(default_factory=list)

    @property
    def wall_ratio(self) -> Spread:
        return Spread.of([x.wall / y.wall for x, y in zip(self.a, self.b, strict=True)])

    @property
    def peak_ratio(self) -> Spread:
        return Spread.of([x.peak_mib / y.peak_mib for x, y in zip(self.a, self.b, strict=True)])

    @staticmethod
    def wall(runs: list[Run]) -> Spread:
        return Spread.of([r.wall for r in runs])

    @staticmethod
    def cpu(runs: list[Run]) -> Spread:
        return Spread.of([r.cpu for r in runs])

    @staticmethod
    def peak(runs: list[Run]) -> Spread:
        return Spread.of([r.peak_mib for r in runs])


def run_once(argv: Sequence[str], *, env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` to its end (stdout thrown away, stderr kept) and account for it."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(  # reaped by wait4 below, for its rusage
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024.0,  # Linux: KiB
        code=process.returncode,
        stderr=text,
    )


def paired(a: Sequence[str], b: Sequence[str], *, pairs: int, warmup: int = 1) -> Paired:
    """Run A and B in turn, ``warmup`` uncounted runs of each first, then ``pairs`` pairs."""
    for _ in range(warmup):
        run_once(a)
        run_once(b)
    out = Paired()
    for _ in range(pairs):
        out.a.append(run_once(a))
        out.b.append(run_once(b))
    return out


def alone(argv: Sequence[str], *, runs: int, warmup: int = 1) -> list[Run]:
    """Run one command ``runs`` times after ``warmup`` uncounted runs."""
    for _ in range(warmup):
        run_once(argv)
    return [run_once(argv) for _ in range(runs)]


def print_table(head: list[str], lines: list[list[str]], *, markdown: bool) -> None:
    """Print rows under ``head`` as a markdown table or aligned columns."""
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for line in lines:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
