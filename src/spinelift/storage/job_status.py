"""The states of a job (seed 004), the one enum both job uses store: the mesh service's
jobs in Redis (:mod:`spinelift.storage.job_store`) and the web app's in the ``jobs``
table (:mod:`spinelift.storage.models`)."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    """Seed 004's job states: ``queued`` -> ``processing`` -> ``completed`` | ``failed``."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


FINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED})
"""the states a job never leaves"""
