"""EDGE: background jobs on Dramatiq over Redis.

:mod:`.context` builds what a job needs (job store, blob store, notifier) from the
settings; :mod:`.submission` creates jobs (idempotent job ids, result cache, queue
limit) for the adapters; :mod:`.mesh_task` and :mod:`.layers_task` are the work;
:mod:`.actors` declares them as Dramatiq actors on a broker from :mod:`.broker`;
:mod:`.worker_entry` is what ``spinelift worker`` hands to Dramatiq's worker.
"""
