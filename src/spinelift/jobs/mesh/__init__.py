"""The mesh service's jobs: state in Redis (:class:`~spinelift.storage.job_store.JobStore`),
one Dramatiq actor (``spinelift_job``) that runs a ``mesh`` or ``extract_layers`` job.

``submission`` checks and queues a job (idempotent by id), ``actors`` runs one attempt
under the shared failure policy, ``mesh_task`` / ``layers_task`` do the work,
``progress`` and ``notify`` report it (job store, signed callbacks), ``context`` holds
what a job needs, ``worker_entry`` is what ``spinelift worker`` runs.
"""
