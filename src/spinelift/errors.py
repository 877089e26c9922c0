"""The one error tree of SpineLift.

Every error a user can meet is a :class:`SpineLiftError` with a stable ``code``
(the codes of seed 004, upper snake case), a message a person can act on, and
``details`` (JSON-safe) for machines. Adapters map them at the edge: the CLI to
exit codes, the services to HTTP statuses and seed 004's error body
``{"error": {"code", "message", "details"}}``.

::

    SpineLiftError                         SPINELIFT_ERROR
    ├── InvalidParametersError             INVALID_PARAMETERS
    ├── MeshGenerationError                MESH_GENERATION_FAILED
    │   ├── ImageLoadError                 IMAGE_LOAD_FAILED
    │   │   ├── ImageTooLargeError         IMAGE_TOO_LARGE
    │   │   ├── UnsupportedImageError      UNSUPPORTED_IMAGE
    │   │   └── ImageNotFoundError         IMAGE_NOT_FOUND
    │   ├── ContourExtractionError         CONTOUR_EXTRACTION_FAILED
    │   │   └── EmptyImageError            NO_OPAQUE_PIXELS
    │   └── TriangulationError             TRIANGULATION_FAILED
    ├── DocumentError                      DOCUMENT_INVALID
    │   ├── UnsupportedDocumentError       UNSUPPORTED_DOCUMENT
    │   ├── EmptyDocumentError             NO_LAYERS
    │   ├── DocumentTooLargeError          DOCUMENT_TOO_LARGE
    │   └── SkeletonError                  SKELETON_INVALID
    │       ├── UnsupportedSkeletonError   UNSUPPORTED_SKELETON
    │       └── BoneHierarchyError         BONE_HIERARCHY_INVALID
    ├── NetworkError                       NETWORK_ERROR
    │   ├── UnsafeUrlError                 UNSAFE_URL
    │   ├── FetchError                     FETCH_FAILED
    │   ├── MeshServiceUnavailableError    MESH_SERVICE_UNAVAILABLE
    │   │   └── (MeshServiceDownError)     jobs.projects.remote_mesh: not final, the job waits
    │   └── (_TransientError)              jobs.projects.mesh_client: a request to retry
    ├── AuthenticationError                UNAUTHORIZED
    │   └── AccountInactiveError           ACCOUNT_INACTIVE
    ├── RateLimitedError                   RATE_LIMITED
    ├── RequestTooLargeError               REQUEST_TOO_LARGE
    │   └── (BodyTooLargeError)            http.middleware: a streamed body went over
    ├── NotFoundError                      NOT_FOUND
    ├── ConflictError                      CONFLICT
    ├── ServiceUnavailableError            SERVICE_UNAVAILABLE
    │   └── (StreamEndedError)             web.event_hub: a live event stream ended
    ├── StorageError                       STORAGE_ERROR
    ├── InternalError                      INTERNAL_ERROR
    │   └── (AppendOnlyError)              storage.models: an audit row changed
    └── JobError                           JOB_ERROR
        ├── JobNotFoundError               JOB_NOT_FOUND
        ├── JobNotReadyError               JOB_NOT_READY
        ├── JobStateError                  JOB_STATE_CONFLICT
        ├── QueueFullError                 QUEUE_FULL
        ├── JobTimeoutError                JOB_TIMEOUT
        └── BrokerUnavailableError         BROKER_UNAVAILABLE

Every exception class of the package derives from this tree (``tests/test_errors.py``
checks it). A class with a code of its own lives here; a name in parentheses marks one
case of its parent for the callers of the module named beside it (same code, raised and
caught there) and lives in that module. Job error bodies (a failed job's ``error``) are
``SomeError(message, details=...).body()``: never a hand-built dict.

Size: over 300 lines, on purpose: one short class per code, the whole tree in one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class SpineLiftError(Exception):
    """Base of every error SpineLift raises on purpose."""

    code: ClassVar[str] = "SPINELIFT_ERROR"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def body(self) -> dict[str, Any]:
        """``{"code", "message", "details"}``: a failed job's ``error``, and what
        :meth:`to_dict` wraps."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def to_dict(self) -> dict[str, Any]:
        """Seed 004's error body: ``{"error": {"code", "message", "details"}}``."""
        return {"error": self.body()}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidParametersError(SpineLiftError):
    """A setting is out of range or of the wrong type; ``details["fields"]`` lists each."""

    code: ClassVar[str] = "INVALID_PARAMETERS"


class MeshGenerationError(SpineLiftError):
    """Base for failures while turning one image into a mesh."""

    code: ClassVar[str] = "MESH_GENERATION_FAILED"


class ImageLoadError(MeshGenerationError):
    """The image could not be read or is not an image at all (corrupt, truncated)."""

    code: ClassVar[str] = "IMAGE_LOAD_FAILED"


class ImageTooLargeError(ImageLoadError):
    """The image exceeds the maximum dimension or pixel count; refused before decoding."""

    code: ClassVar[str] = "IMAGE_TOO_LARGE"


class UnsupportedImageError(ImageLoadError):
    """The image has a shape, depth or colour mode SpineLift does not handle."""

    code: ClassVar[str] = "UNSUPPORTED_IMAGE"


class ImageNotFoundError(ImageLoadError):
    """An image a skeleton's attachment needs is neither in the images folder nor in the
    atlas (``details``: ``attachment``, ``path``, ``looked_for``)."""

    code: ClassVar[str] = "IMAGE_NOT_FOUND"


class ContourExtractionError(MeshGenerationError):
    """No usable outline could be found in the image."""

    code: ClassVar[str] = "CONTOUR_EXTRACTION_FAILED"


class EmptyImageError(ContourExtractionError):
    """No pixel is above the alpha threshold: there is nothing to mesh."""

    code: ClassVar[str] = "NO_OPAQUE_PIXELS"


class TriangulationError(MeshGenerationError):
    """The outline could not be triangulated into a valid Spine mesh."""

    code: ClassVar[str] = "TRIANGULATION_FAILED"


class DocumentError(SpineLiftError):
    """A layered document (PSD/PSB) is corrupt or cannot be read."""

    code: ClassVar[str] = "DOCUMENT_INVALID"


class UnsupportedDocumentError(DocumentError):
    """A layered document uses a feature or mode SpineLift refuses (e.g. too large a canvas)."""

    code: ClassVar[str] = "UNSUPPORTED_DOCUMENT"


class EmptyDocumentError(DocumentError):
    """Nothing in the document can be exported: no pixel layer, or none that meshes."""

    code: ClassVar[str] = "NO_LAYERS"


class DocumentTooLargeError(DocumentError):
    """A document over a budget checked before decoding: too many layers, or too many
    pixels across its layers (``details``: ``limit`` (the setting's name), ``value``,
    ``max``)."""

    code: ClassVar[str] = "DOCUMENT_TOO_LARGE"


class SkeletonError(DocumentError):
    """A Spine skeleton JSON cannot be read: not JSON, not a Spine skeleton, or a part of
    it (bone, slot, skin, attachment) is malformed (``details["problems"]``)."""

    code: ClassVar[str] = "SKELETON_INVALID"


class UnsupportedSkeletonError(SkeletonError):
    """The skeleton was written by a Spine version whose JSON SpineLift does not read
    (``details["version"]``; 4.0, 4.1 and 4.2 are read)."""

    code: ClassVar[str] = "UNSUPPORTED_SKELETON"


class BoneHierarchyError(SkeletonError):
    """The bones do not form a tree the runtimes accept: an unknown parent, a parent listed
    after its child, a cycle, or no single root first (``details["bone"]``)."""

    code: ClassVar[str] = "BONE_HIERARCHY_INVALID"


class NetworkError(SpineLiftError):
    """Talking to another machine failed (fetching an image, sending a callback)."""

    code: ClassVar[str] = "NETWORK_ERROR"


class UnsafeUrlError(NetworkError):
    """A URL was refused before any connection: bad scheme, or it resolves to a private,
    loopback, link-local or otherwise non-public address (SSRF guard)."""

    code: ClassVar[str] = "UNSAFE_URL"


class FetchError(NetworkError):
    """A URL could not be fetched: connection, status, size or time limit."""

    code: ClassVar[str] = "FETCH_FAILED"


class MeshServiceUnavailableError(NetworkError):
    """The remote mesh service (``MESH_SERVICE_URL``) kept failing: its circuit breaker is
    open and calls fail fast until it lets a trial through (per worker process)."""

    code: ClassVar[str] = "MESH_SERVICE_UNAVAILABLE"


class AuthenticationError(SpineLiftError):
    """Missing or wrong credentials (service token, user token)."""

    code: ClassVar[str] = "UNAUTHORIZED"


class AccountInactiveError(AuthenticationError):
    """The token is genuine but its account was deactivated or deleted (401)."""

    code: ClassVar[str] = "ACCOUNT_INACTIVE"


class RateLimitedError(SpineLiftError):
    """Too many attempts (sign-ins, uploads) in the current window; try again after
    ``details["retry_after"]`` seconds (also the ``Retry-After`` header)."""

    code: ClassVar[str] = "RATE_LIMITED"


class RequestTooLargeError(SpineLiftError):
    """A request body is larger than the service accepts (``details["max_request_size"]``)."""

    code: ClassVar[str] = "REQUEST_TOO_LARGE"


class NotFoundError(SpineLiftError):
    """The resource does not exist, or belongs to someone else (the same answer: nothing
    about another user's project, layer or job is revealed, never a 403)."""

    code: ClassVar[str] = "NOT_FOUND"


class ConflictError(SpineLiftError):
    """The change clashes with what is stored (e.g. an e-mail address already registered)."""

    code: ClassVar[str] = "CONFLICT"


class ServiceUnavailableError(SpineLiftError):
    """A dependency (Redis, the database) cannot be reached right now; try again later."""

    code: ClassVar[str] = "SERVICE_UNAVAILABLE"


class StorageError(SpineLiftError):
    """The database or the blob store cannot be reached or refused the operation."""

    code: ClassVar[str] = "STORAGE_ERROR"


class InternalError(SpineLiftError):
    """A fault of SpineLift itself (a bug, or a job that crashed every attempt): the
    message names where the details are logged (a request id, a job id)."""

    code: ClassVar[str] = "INTERNAL_ERROR"


class JobError(SpineLiftError):
    """Base for job bookkeeping errors (the job itself failing records its own error)."""

    code: ClassVar[str] = "JOB_ERROR"


class JobNotFoundError(JobError):
    """No job with that id."""

    code: ClassVar[str] = "JOB_NOT_FOUND"


class JobNotReadyError(JobError):
    """The job has no result yet (still queued or processing, or it failed)."""

    code: ClassVar[str] = "JOB_NOT_READY"


class JobStateError(JobError):
    """A job cannot move to the asked status from the one it is in (``details`` has both)."""

    code: ClassVar[str] = "JOB_STATE_CONFLICT"


class QueueFullError(JobError):
    """Too many jobs are waiting; try again later (``details["retry_after"]`` seconds)."""

    code: ClassVar[str] = "QUEUE_FULL"


class JobTimeoutError(JobError):
    """A job ran past its time limit."""

    code: ClassVar[str] = "JOB_TIMEOUT"


class BrokerUnavailableError(JobError):
    """The job was stored but its message could not be queued (the broker is down)."""

    code: ClassVar[str] = "BROKER_UNAVAILABLE"
