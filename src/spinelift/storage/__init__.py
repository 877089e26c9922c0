"""EDGE: where jobs and files are kept.

:mod:`.blobs`: a small blob store interface (put/get/exists/delete/list by key) with a
local directory implementation, and :mod:`.s3` its S3-compatible twin;
:mod:`.job_store`: the mesh service's job state, result cache and statistics in Redis
hashes (``spinelift:job:<id>``) that outlive any worker.

The web app's database (imported on demand, so the mesh service never loads
SQLAlchemy): :mod:`.db` (``Database(url)``, sessions committing at the boundary),
:mod:`.models` (the tables), :mod:`.repositories` (all SQL, audited state changes) and
:mod:`.migrations` (Alembic, configured in code; ``spinelift db upgrade``).
"""

from spinelift.storage.blobs import BlobStore, LocalBlobStore
from spinelift.storage.job_status import JobStatus
from spinelift.storage.job_store import JobRecord, JobStore

__all__ = ["BlobStore", "JobRecord", "JobStatus", "JobStore", "LocalBlobStore"]
