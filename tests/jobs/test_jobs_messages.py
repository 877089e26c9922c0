"""Job messages keep their format across versions: a message queued by an older version
(same actor name, queue, arguments) is run by today's actor. The names below are the
format itself, written out on purpose: changing one breaks messages already queued."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import cast

from dramatiq.brokers.stub import StubBroker

from spinelift.config import ServiceSettings
from spinelift.jobs.mesh.actors import declare_actor, process_job
from spinelift.jobs.projects import actors
from spinelift.jobs.projects.deps import JobDeps
from spinelift.jobs.projects.messages import ACTOR_GENERATE_MESH, send

PROJECT_ACTORS = {
    "spinelift_process_psd": actors.process_psd,
    "spinelift_generate_mesh": actors.generate_mesh,
    "spinelift_build_export": actors.build_export,
    "spinelift_cleanup": actors.cleanup,
    "spinelift_notify_project": actors.notify_project,
}


def test_a_sent_message_has_the_format_older_workers_and_senders_use() -> None:
    broker = StubBroker()
    deps = cast(JobDeps, SimpleNamespace(broker=broker))
    assert send(deps, ACTOR_GENERATE_MESH, "mesh-7-0123456789abcdef", request_id="req-1")
    queued = broker.queues["spinelift-projects"]
    assert queued.qsize() == 1
    wire = json.loads(queued.get())  # Dramatiq's wire format (JSON)
    assert wire["queue_name"] == "spinelift-projects"
    assert wire["actor_name"] == "spinelift_generate_mesh"
    assert wire["args"] == ["mesh-7-0123456789abcdef"]
    assert wire["kwargs"] == {}
    assert wire["options"] == {"request_id": "req-1"}


def test_the_actors_of_old_messages_are_declared_under_their_names_and_queues() -> None:
    broker = StubBroker()
    declared = actors.declare_actors(broker)
    assert sorted(declared) == sorted(PROJECT_ACTORS)
    for name, fn in PROJECT_ACTORS.items():
        actor = broker.get_actor(name)
        assert actor.queue_name == "spinelift-projects"
        assert actor.fn is fn
    assert actors.declare_actors(broker)[ACTOR_GENERATE_MESH] is declared[ACTOR_GENERATE_MESH]

    settings = ServiceSettings()
    mesh = declare_actor(broker, settings)
    assert mesh.actor_name == "spinelift_job"
    assert mesh.queue_name == settings.queue_name == "spinelift-mesh"
    assert mesh.fn is process_job
