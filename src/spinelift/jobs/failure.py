"""The failure policy both job uses follow.

- A :class:`~spinelift.errors.SpineLiftError` (a bad image, an unsafe URL, nothing to
  mesh, a document over budget) is the job's answer: final at once, never retried; the
  job's ``error`` is its :meth:`~spinelift.errors.SpineLiftError.body`.
- Any other exception is a crash: the attempt is logged with its traceback and retried
  (Dramatiq's backoff) until the use's attempts are spent, then the job fails as
  :func:`crash_error` (``INTERNAL_ERROR``): the exception's text stays in the log (it
  may name files, keys or hosts), the client is told where to look.
- A worker lost mid-job (killed, out of memory) counts as an attempt: the job is run
  again, and fails when that keeps happening (each use's recovery says how often).
"""

from __future__ import annotations

from spinelift.errors import InternalError


def crash_error(job_id: str, attempts: int, log_of: str) -> InternalError:
    """The error of a job whose attempt ``attempts`` crashed (``log_of``: whose log holds
    the traceback, "service" or "server")."""
    return InternalError(
        f"the job failed unexpectedly (attempt {attempts}); the details are in the "
        f"{log_of}'s log under job id {job_id}",
        details={"attempts": attempts},
    )


def given_up(attempts: int) -> InternalError:
    """The error of a job whose every attempt was spent before this one could start."""
    return InternalError(f"gave up after {attempts} attempts", details={"attempts": attempts + 1})
