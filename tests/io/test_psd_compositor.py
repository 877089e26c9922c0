"""psd-tools' compositor is loaded with scipy.interpolate deferred only in a one-thread
process (Python 3.11's LazyLoader is not thread-safe); with other threads running it is
imported as psd-tools does. Each case in a fresh interpreter, checked by sys.modules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys, threading
stop = threading.Event()
if {threads}:
    threading.Thread(target=stop.wait, daemon=True).start()
from spinelift.io.psd.compositor import load_compositor
composite = load_compositor()
stop.set()
print(json.dumps([callable(composite), "scipy.special" in sys.modules]))
"""


@pytest.mark.parametrize(("threads", "deferred"), [(False, True), (True, False)])
def test_scipy_interpolate_is_deferred_only_in_a_one_thread_process(
    threads: bool, deferred: bool
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(threads=threads)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    loaded, special = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded
    assert special is not deferred
