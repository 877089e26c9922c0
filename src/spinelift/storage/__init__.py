"""EDGE: where jobs and files are kept.

:mod:`.blobs`: a small blob store interface (put/get/exists by key) with a local
directory implementation; :mod:`.job_store`: job state, the result cache and job
statistics in Redis hashes (``spinelift:job:<id>``) that outlive any worker.
"""

from spinelift.storage.blobs import BlobStore, LocalBlobStore
from spinelift.storage.job_store import JobRecord, JobStatus, JobStore

__all__ = ["BlobStore", "JobRecord", "JobStatus", "JobStore", "LocalBlobStore"]
