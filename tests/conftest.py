"""Test-wide set-up: Hypothesis profiles.

``HYPOTHESIS_PROFILE=long`` runs the geometry properties for much longer
(e.g. before a release): ``HYPOTHESIS_PROFILE=long make test``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", max_examples=200)
settings.register_profile("long", max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
