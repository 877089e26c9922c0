"""OpenAPI-driven fuzzing (schemathesis) of both apps, in process over ASGI, signed in.

Every operation of each app's OpenAPI document gets schema-valid and schema-breaking
requests (random ids, and the ids of real resources, so the code behind a found project is
reached too). Every answer must be below 500, and every 4xx must be seed 004's error body
``{"error": {"code", "message", ...}}``. Failures are collected over all operations, each
with the smallest request Hypothesis found.

Bounded for CI: ``SPINELIFT_FUZZ_EXAMPLES`` examples per operation (default 20);
``SPINELIFT_FUZZ_EXAMPLES=1000 pytest tests/security/test_security_fuzz.py`` searches
longer. Under ``CI=true`` the examples are derandomized (the same every run).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis

# schemathesis imports its OpenAPI modules lazily, inside from_asgi(); being a pytest
# plugin, they are then assertion-rewritten deep in the test's stack, where CPython
# 3.11.7's compile() can fail with "AST constructor recursion depth mismatch" (a CPython
# bug fixed in 3.11.8). Importing them here, at collection, keeps that out of the test.
import schemathesis.specs.openapi.schemas
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode

from spinelift.jobs.mesh.actors import execute
from spinelift.jobs.mesh.context import build_context
from spinelift.service import layers_routes
from spinelift.storage.repositories import Actor
from tests.net.conftest import FakeDns
from tests.security.support_security import MeshService, WebApp
from tests.service.support_service import AUTH, png_bytes

EXAMPLES = int(os.environ.get("SPINELIFT_FUZZ_EXAMPLES", "20"))
CI = os.environ.get("CI", "").lower() == "true"


@dataclass
class Tally:
    """What one fuzz run did and found (printed with ``-s``; docs/reliability.md)."""

    operations: int = 0
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def summary(self, name: str) -> str:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"fuzz {name}: {self.operations} operations, {self.requests} requests ({codes}),"
            f" {len(self.failures)} failing"
        )


def check(response: Any) -> None:
    """No 5xx; a 4xx carries seed 004's error body."""
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), dict), response.text
        error = body["error"]
        assert isinstance(error.get("code"), str) and error["code"], response.text
        assert isinstance(error.get("message"), str), response.text


def fuzz(
    schema: schemathesis.BaseSchema,
    headers_for: Callable[[Case], dict[str, str]],
    known_ids: dict[str, Any],
) -> Tally:
    """Run every operation of ``schema``; return the tally (failures included)."""
    tally = Tally()
    for result in schema.get_all_operations():
        operation: APIOperation = result.ok()
        tally.operations += 1
        strategies = [
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        ]
        names = {p.name for p in operation.path_parameters}
        if names and names <= set(known_ids):
            ids = {name: known_ids[name] for name in names}
            strategies.append(
                operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=ids)
            )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=CI,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case: Case) -> None:
            response = case.call(headers=headers_for(case))
            tally.requests += 1
            tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
            try:
                check(response)
            except (AssertionError, ValueError) as exc:  # ValueError: a body that is not JSON
                raise AssertionError(f"{exc}\n  {case.as_curl_command()}") from None

        try:
            run()
        except Exception as exc:  # Hypothesis re-raises the smallest failing example
            tally.failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return tally


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_web_api_gives_no_500_to_any_input(
    make_web: Callable[..., WebApp], backend: str
) -> None:
    # limits far away: a 429 is a fine answer, but it would hide the code behind it
    web = make_web(backend, upload_rate="100000/hour", signin_rate="100000/minute")
    user = web.new_user()
    project = web.client.post("/api/v1/projects", json={"name": "fuzzed"}, headers=user.headers)
    project_id = project.json()["id"]
    with web.db.unit(Actor.system("test")) as uow:
        (layer,) = uow.layers.bulk_create(project_id, [{"name": "arm", "image_key": "none"}])
        uow.meshes.add_version(layer.id, {"attachment": {"type": "mesh"}}, {})
        layer_id = layer.id
    upload = web.client.post(
        f"/api/v1/projects/{project_id}/uploads",
        files={"file": ("a.png", png_bytes(16, 16), "image/png")},
        headers=user.headers,
    )
    known = {"project_id": project_id, "layer_id": layer_id, "job_id": upload.json()["job_id"]}

    def headers_for(case: Case) -> dict[str, str]:
        if case.operation.path.endswith("/signout"):  # spends its token: a fresh one
            return {"Authorization": f"Bearer {web.app.state.runtime.tokens.issue(user.id)}"}
        return user.headers

    schema = schemathesis.openapi.from_asgi("/openapi.json", web.app)
    tally = fuzz(schema, headers_for, known)
    print(tally.summary(f"web app on {backend}"))
    assert tally.operations >= 20
    assert not tally.failures, "\n\n".join(tally.failures)


def test_the_mesh_service_gives_no_500_to_any_input(
    mesh_service: MeshService, fake_dns: FakeDns, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names in generated URLs go to the fake resolver (none resolves: no DNS traffic);
    jobs are queued on the stub broker and never run, so a synchronous extraction does
    not wait for a worker that will never come: it answers 202 at once."""
    monkeypatch.setattr(layers_routes, "SYNC_WAIT", 0.0)
    submitted = mesh_service.client.post(
        "/api/v1/mesh/generate",
        files={"image": ("a.png", png_bytes(16, 16), "image/png")},
        headers=AUTH,
    )
    job_id = submitted.json()["job_id"]
    # run it here as a worker would: a finished job (no long poll waits on it) whose
    # status and result are real
    execute(build_context(mesh_service.settings), job_id)
    known = {"job_id": job_id}
    schema = schemathesis.openapi.from_asgi("/openapi.json", mesh_service.client.app, headers=AUTH)
    tally = fuzz(schema, lambda case: AUTH, known)
    print(tally.summary("mesh service"))
    assert tally.operations >= 6
    assert not tally.failures, "\n\n".join(tally.failures)


@pytest.mark.parametrize("status", [200, 404])
def test_the_body_check_itself_tells_good_from_bad(status: int) -> None:
    """The control of :func:`check`: a 500 or a 4xx without an error body fails it."""

    @dataclass
    class Fake:
        status_code: int
        body: Any
        text: str = ""

        def json(self) -> Any:
            return self.body

    check(Fake(status, {"error": {"code": "X", "message": "m"}}))
    with pytest.raises(AssertionError):
        check(Fake(500, {"error": {"code": "INTERNAL_ERROR", "message": "m"}}))
    with pytest.raises(AssertionError):
        check(Fake(404, {"detail": "Not Found"}))
