"""SSRF: what tests/net/test_net_ssrf.py does not already table (cloud metadata in every
spelling, more numeric and IPv6 forms, redirects to private targets), then the whole
guard end to end through the mesh service's ``image_url`` and ``callback_url``.

Nothing here leaves the machine: names resolve through a fake resolver, and the one
"public" address used (:data:`PUBLIC_STAND_IN`) is rewired to 127.0.0.1 at the socket
(see :class:`Network`), so every connection attempt is seen and counted.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpcore
import pytest

from spinelift.errors import UnsafeUrlError
from spinelift.jobs.mesh.actors import execute
from spinelift.jobs.mesh.context import build_context
from spinelift.net import UrlPolicy, check_url, fetch_bytes
from tests.net.conftest import FakeDns, LocalServer, Seen, reply
from tests.security.support_security import MeshService, error_of
from tests.service.support_service import AUTH, png_bytes

Serve = Callable[[Callable[[BaseHTTPRequestHandler, Seen], None]], LocalServer]
STRICT = UrlPolicy()
PUBLIC_STAND_IN = "93.184.216.34"
"""a public address the guard accepts; :class:`Network` sends its connections to 127.0.0.1"""

METADATA_NAMES = {
    "metadata.google.internal": ["169.254.169.254"],
    "metadata": ["169.254.169.254"],
    "instance-data": ["169.254.169.254"],
    "instance-data.ec2.internal": ["169.254.169.254", "fd00:ec2::254"],
    "169.254.169.254.nip.io": ["169.254.169.254"],
    "ula.test": ["fd12:3456::1"],
    "linklocal6.test": ["fe80::1"],
}


def resolver(fake_dns: FakeDns) -> FakeDns:
    for name, answers in METADATA_NAMES.items():
        fake_dns.add(name, answers)
    fake_dns.add("localhost", ["127.0.0.1", "::1"])
    fake_dns.add("rebind.test", [PUBLIC_STAND_IN, "127.0.0.1"])
    return fake_dns


@pytest.mark.parametrize(
    "url",
    [
        # cloud metadata services, by name and by every address spelling
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://metadata/computeMetadata/v1/",
        "http://instance-data/latest/meta-data/",
        "http://instance-data.ec2.internal/latest/meta-data/",
        "http://169.254.169.254.nip.io/latest/meta-data/",
        "http://169.254.169.254:80/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",  # AWS IMDS over IPv6
        "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud
        "http://192.0.0.192/latest/",  # Oracle Cloud
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::169.254.169.254]/",  # NAT64 of the metadata address
        "http://[2002:a9fe:a9fe::1]/",  # 6to4 of it
        "http://2852039166/",  # decimal
        "http://0xa9fea9fe/",  # hexadecimal
        "http://0xa9.0xfe.0xa9.0xfe/",  # dotted hexadecimal
        "http://0251.0376.0251.0376/",  # dotted octal
        # loopback and "this host" in spellings the existing table lacks
        "http://0/",
        "http://0177.1/",
        "http://127.000.000.001/",
        "http://0x7f000001:1/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]/",
        "http://[::ffff:0:127.0.0.1]/",  # IPv4-translated (SIIT)
        "http://[0::1]/",
        "HTTP://127.0.0.1/",
        "http://127\u30020\u30020\u30021/",  # ideographic full stops
        "http://localhost./",
        "http://rebind.test/",  # one public and one loopback answer
        # private and link-local IPv6 behind names, with a zone id
        "http://ula.test/",
        "http://linklocal6.test/",
        "http://[fe80::1%25eth0]/",
        # parser confusion: credentials and encoded hosts
        "http://127.0.0.1:80@93.184.216.34/",
        "http://169.254.169.254%2f@example.test/",
        "http://%31%32%37.0.0.1/",
    ],
)
def test_more_unsafe_targets_are_refused(url: str, fake_dns: FakeDns) -> None:
    resolver(fake_dns)
    with pytest.raises(UnsafeUrlError) as caught:
        check_url(url, STRICT)
    assert caught.value.details["reason"] in {
        "non_public_address",
        "invalid_url",
        "credentials_in_url",
        "unresolvable",
    }
    assert caught.value.to_dict()["error"]["code"] == "UNSAFE_URL"


class Network:
    """Every TCP connect the fetchers make, recorded; :data:`PUBLIC_STAND_IN` is sent to
    127.0.0.1 and any other non-loopback address fails without a packet."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.connects: list[tuple[str, int]] = []
        real = httpcore.SyncBackend.connect_tcp

        def connect(backend: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
            self.connects.append((host, port))
            if host == PUBLIC_STAND_IN:
                host = "127.0.0.1"
            elif not ipaddress.ip_address(host).is_loopback:
                raise httpcore.ConnectError(f"{host} is off this machine")
            return real(backend, host, port, *args, **kwargs)

        monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    return Network(monkeypatch)


def redirect_to(location: str, status: int) -> Callable[[BaseHTTPRequestHandler, Seen], None]:
    return lambda handler, seen: reply(handler, status, headers={"Location": location})


def private_targets(inner: LocalServer) -> list[str]:
    """Where a redirect may try to send the fetcher: ``inner`` in every spelling, then
    metadata and private addresses (never contacted)."""
    port = inner.port
    return [
        inner.url("/secret"),
        f"http://localhost:{port}/secret",
        f"http://[::ffff:127.0.0.1]:{port}/secret",
        f"http://2130706433:{port}/secret",
        f"http://0x7f.1:{port}/secret",
        f"//127.0.0.1:{port}/secret",  # scheme-relative
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fe80::1]/",
        "file:///etc/passwd",
    ]


def test_a_redirect_to_any_private_target_is_refused(
    serve: Serve, fake_dns: FakeDns, network: Network
) -> None:
    resolver(fake_dns)
    fake_dns.add("cdn.test", [PUBLIC_STAND_IN])
    inner = serve(lambda handler, seen: reply(handler, 200, b"internal secret"))
    targets = private_targets(inner)
    for n, target in enumerate(targets):
        outer = serve(redirect_to(target, (301, 302, 303, 307, 308)[n % 5]))
        with pytest.raises(UnsafeUrlError):
            fetch_bytes(f"http://cdn.test:{outer.port}/image.png", STRICT)
        assert len(outer.seen) == 1, target
    assert inner.seen == []
    assert {host for host, _ in network.connects} == {PUBLIC_STAND_IN}


# -- end to end through the mesh service ------------------------------------------------

GENERATE = "/api/v1/mesh/generate"


def service_targets(trap: LocalServer) -> list[str]:
    port = trap.port
    return [
        trap.url("/a.png"),
        f"http://localhost:{port}/a.png",
        f"http://[::1]:{port}/a.png",
        f"http://[::ffff:127.0.0.1]:{port}/a.png",
        f"http://2130706433:{port}/a.png",
        f"http://0x7f.1:{port}/a.png",
        f"http://127.1:{port}/a.png",
        f"http://[64:ff9b::7f00:1]:{port}/a.png",
        f"http://[2002:7f00:1::]:{port}/a.png",
        f"http://rebind.test:{port}/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://100.100.100.200/latest/meta-data/",
        "http://10.0.0.1/a.png",
        "http://172.16.0.1/a.png",
        "http://192.168.1.1/a.png",
        "http://[fd12:3456::1]/a.png",
        "http://[fe80::1]/a.png",
        "file:///etc/passwd",
        f"gopher://127.0.0.1:{port}/_",
        f"ftp://127.0.0.1:{port}/a.png",
        f"http://user:pw@127.0.0.1:{port}/a.png",
    ]


def submissions(mesh_service: MeshService, url: str) -> dict[str, Any]:
    """One request per way a URL reaches the service; each answer by name."""
    client = mesh_service.client
    public_image = f"http://{PUBLIC_STAND_IN}/a.png"
    return {
        "image_url": client.post(GENERATE, json={"image_url": url}, headers=AUTH),
        "callback_url": client.post(
            GENERATE, json={"image_url": public_image, "callback_url": url}, headers=AUTH
        ),
        "upload+callback_url": client.post(
            GENERATE,
            files={"image": ("a.png", png_bytes(16, 16), "image/png")},
            data={"callback_url": url},
            headers=AUTH,
        ),
        "extract_layers callback_url": client.post(
            "/api/extract_layers",
            files={"psd_file": ("a.psd", b"8BPS" + b"\0" * 64, "application/octet-stream")},
            data={"callback_url": url, "job_id": "queued-extract"},
            headers=AUTH,
        ),
    }


def test_the_mesh_service_refuses_every_unsafe_url_at_submit(
    mesh_service: MeshService, serve: Serve, fake_dns: FakeDns, network: Network
) -> None:
    resolver(fake_dns)
    trap = serve(lambda handler, seen: reply(handler, 200, png_bytes(16, 16)))
    wrong = []
    targets = service_targets(trap)
    for url in targets:
        for way, response in submissions(mesh_service, url).items():
            if response.status_code != 422 or error_of(response)["code"] != "UNSAFE_URL":
                wrong.append(f"{way} {url}: {response.status_code} {response.text[:160]}")
    assert not wrong, "\n".join(wrong)
    assert trap.seen == [] and network.connects == []
    assert len(targets) * 4 >= 90
    # the control: a public URL in each place is accepted (queued, never run here)
    for way, response in submissions(mesh_service, f"http://{PUBLIC_STAND_IN}/b.png").items():
        assert response.status_code in (200, 202), (way, response.text)


def test_a_public_image_url_redirecting_to_a_private_one_fails_the_job(
    mesh_service: MeshService, serve: Serve, fake_dns: FakeDns, network: Network
) -> None:
    """The job itself (run here, in-process, as a worker would) follows the redirect
    only after checking it: the job fails with UNSAFE_URL and the private target, like
    the callback receiver's redirect target, never sees a request."""
    resolver(fake_dns)
    fake_dns.add("cdn.test", [PUBLIC_STAND_IN])
    fake_dns.add("hooks.test", [PUBLIC_STAND_IN])
    inner = serve(lambda handler, seen: reply(handler, 200, png_bytes(16, 16)))
    hook_inner = serve(lambda handler, seen: reply(handler, 204))
    cases = [
        (inner.url("/admin.png"), hook_inner.url("/hook")),
        ("http://169.254.169.254/latest/meta-data/", f"http://localhost:{hook_inner.port}/"),
        (f"http://[::ffff:127.0.0.1]:{inner.port}/x", f"http://2130706433:{hook_inner.port}/"),
    ]
    context = build_context(mesh_service.settings)
    try:
        for image_target, hook_target in cases:
            image = serve(redirect_to(image_target, 302))
            hook = serve(redirect_to(hook_target, 307))
            accepted = mesh_service.client.post(
                GENERATE,
                json={
                    "image_url": f"http://cdn.test:{image.port}/a.png",
                    "callback_url": f"http://hooks.test:{hook.port}/progress",
                },
                headers=AUTH,
            )
            assert accepted.status_code == 202, accepted.text
            job_id = accepted.json()["job_id"]
            execute(context, job_id)
            status = mesh_service.client.get(f"/api/v1/mesh/{job_id}/status", headers=AUTH)
            body = status.json()
            assert body["status"] == "failed", body
            assert body["error"]["code"] == "UNSAFE_URL"
            assert body["error"]["details"]["url"] == image_target  # refused at the hop
            assert len(image.seen) == 1
            deadline = time.monotonic() + 30
            while not hook.seen and time.monotonic() < deadline:
                time.sleep(0.05)
            assert hook.seen, "the failure callback was never posted"
            assert json.loads(hook.seen[0].body)["job_id"] == job_id
    finally:
        context.notifier.close()
    assert inner.seen == [] and hook_inner.seen == []
    assert {host for host, _ in network.connects} == {PUBLIC_STAND_IN}
