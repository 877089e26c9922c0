"""The web app's jobs: state in the database (``jobs`` rows: status, progress, attempts,
error), a Dramatiq message per job carrying only its id.

Every actor starts by reading the row and does nothing unless the job is ``queued``, so
a duplicated or redelivered message is harmless; the work's results are written in the
same transaction that completes the job, so running a job twice never duplicates layers
or meshes. While a job runs its row's heartbeat is kept fresh (:mod:`.lease`). Nothing
is lost when a worker dies or a message is lost: the workers' periodic recovery pass
(:mod:`.cleanup`) gives a dead worker's messages back to the queue, queues again the
jobs whose heartbeat is stale and re-sends queued jobs whose message the broker no
longer holds.

A run (:mod:`.runs`): ProcessPsd (:mod:`.process_psd`) reads the upload (:mod:`.upload`)
and stores the layers, GenerateMesh (:mod:`.generate_mesh`) meshes each layer (here or
on the mesh service: :mod:`.remote_mesh`, :mod:`.mesh_client`), BuildExport
(:mod:`.build_export`, :mod:`.export`) stores the export of the new version; the project
is completed once the export is stored, and Notification (:mod:`.notification`) tells
its owner. Queueing: :mod:`.enqueue` and :mod:`.messages`; failures: :mod:`.failure`;
live events: :mod:`.events`; the actors and the worker entry: :mod:`.actors`.
"""
