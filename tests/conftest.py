"""Test-wide set-up: Hypothesis profiles.

The default profile is derandomised: every run of the suite, on every machine, draws
the same examples (seeded from each test's name), so a fresh clone passes or fails the
same way every time. Exploration is asked for by name:
``HYPOTHESIS_PROFILE=explore make test`` draws new random examples (200 per property),
``HYPOTHESIS_PROFILE=long make test`` 5,000 random ones (e.g. before a release). A
failure they find is saved in ``.hypothesis/`` and replayed by every later local run
until it is fixed; turn it into an explicit ``@example`` when it is.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", max_examples=200, derandomize=True)
settings.register_profile("explore", max_examples=200)
settings.register_profile("long", max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
