"""Load test of the mesh service against in-process engine throughput on the same cores.

    python -m bench.service_load --clients 100 --jobs 400 --workers 2

Starts ``spinelift mesh-service`` (embedded broker, or ``REDIS_URL`` if set) on a free
port with ``--workers`` worker processes, unless ``--url`` points at a running service
(its token must be ``bench-token``). ``--clients`` concurrent httpx clients submit
``--jobs`` different ``--size``² images (one random pixel each, so no cache hits),
wait for each with long-polling status requests (``?wait=``) and record the latency
from submit to completed. Then the same images are meshed in-process by a pool of
``--workers`` processes (decode, mesh, Spine JSON: what a worker does) for comparison.
Prints throughput, p50/p95/p99 latency and errors; exit 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field

import httpx
import numpy as np
from PIL import Image

TOKEN = "bench-token"


def make_image(size: int, seed: int) -> bytes:
    """A blobby opaque shape with a hole on transparency; ``seed`` sets one pixel."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    shape = ((xx - 0.5) ** 2 + (yy - 0.5) ** 2 < 0.16) | ((xx - 0.75) ** 2 + (yy - 0.3) ** 2 < 0.04)
    shape &= (xx - 0.45) ** 2 + (yy - 0.55) ** 2 > 0.005
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[shape] = (180, 120, 60, 255)
    rng = np.random.default_rng(seed)
    y, x = np.argwhere(shape)[rng.integers(int(shape.sum()))]
    rgba[y, x, :3] = rng.integers(0, 256, 3)
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def client_loop(
    http: httpx.AsyncClient, queue: asyncio.Queue[bytes], outcome: Outcome, poll: float
) -> None:
    headers = {"X-Service-Token": TOKEN}
    while True:
        try:
            image = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        started = time.perf_counter()
        try:
            response = await http.post(
                "/api/v1/mesh/generate",
                files={"image": ("a.png", image, "image/png")},
                headers=headers,
            )
            if response.status_code != 202:
                outcome.errors.append(f"submit {response.status_code}: {response.text[:200]}")
                continue
            job_id = response.json()["job_id"]
            while True:  # long poll: the service answers when the job finishes
                status = (
                    await http.get(
                        f"/api/v1/mesh/{job_id}/status", params={"wait": poll}, headers=headers
                    )
                ).json()
                if status["status"] == "completed":
                    outcome.latencies.append(time.perf_counter() - started)
                    break
                if status["status"] == "failed":
                    outcome.errors.append(f"job failed: {status['error']}")
                    break
        except httpx.HTTPError as exc:
            outcome.errors.append(f"{type(exc).__name__}: {exc}")


async def run_load(
    url: str, images: list[bytes], clients: int, poll: float
) -> tuple[Outcome, float]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for image in images:
        queue.put_nowait(image)
    outcome = Outcome()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(http, queue, outcome, poll) for _ in range(clients)))
        return outcome, time.perf_counter() - started


def mesh_in_process(image: bytes) -> int:
    from spinelift.core.pipeline import build_mesh
    from spinelift.io.image import read_image
    from spinelift.spine.attachment import mesh_attachment
    from spinelift.spine.json_format import dumps

    return len(dumps(mesh_attachment(build_mesh(read_image(image)))))


def in_process_throughput(images: list[bytes], workers: int) -> float:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(mesh_in_process, images[: workers * 2]))  # warm up imports
        started = time.perf_counter()
        list(pool.map(mesh_in_process, images, chunksize=1))
        return len(images) / (time.perf_counter() - started)


def start_service(workers: int, jobs: int, data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "SPINELIFT_SERVICE_TOKEN": TOKEN,
        "SPINELIFT_MAX_QUEUE": str(jobs + 10),
        "SPINELIFT_LOG_LEVEL": "WARNING",
        "SPINELIFT_KEY_PREFIX": f"bench-{os.getpid()}",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spinelift.cli.main",
            "mesh-service",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--data-dir",
            data_dir,
        ],
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with suppress(httpx.TransportError):
            if httpx.get(f"{url}/health/ready").status_code == 200:
                return process, url
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not become ready")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--poll", type=float, default=30, help="long-poll wait per status call (s)")
    parser.add_argument("--url", help="a running service (default: start one)")
    args = parser.parse_args()

    images = [make_image(args.size, seed) for seed in range(args.jobs)]
    warmup = [make_image(args.size, 10_000 + seed) for seed in range(args.workers * 2)]
    service = None
    with tempfile.TemporaryDirectory() as data_dir:
        if args.url:
            url = args.url
        else:
            service, url = start_service(args.workers, args.jobs + len(warmup), data_dir)
        try:
            asyncio.run(run_load(url, warmup, len(warmup), args.poll))  # workers import & warm
            outcome, wall = asyncio.run(run_load(url, images, args.clients, args.poll))
        finally:
            if service is not None:
                service.send_signal(signal.SIGTERM)
                service.wait(timeout=60)
    local = in_process_throughput(images, args.workers)
    service_rate = len(outcome.latencies) / wall
    print(
        f"machine: {os.cpu_count()} CPUs; {args.workers} workers; {args.clients} clients; "
        f"{args.jobs} jobs of {args.size}x{args.size} px; long poll {args.poll:g} s"
    )
    print(
        f"service:    {service_rate:7.2f} jobs/s  ({len(outcome.latencies)} done in {wall:.2f} s)"
    )
    print(f"in-process: {local:7.2f} jobs/s  ({args.workers} processes: decode + mesh + JSON)")
    print(f"ratio:      {service_rate / local:7.1%}")
    print(
        "latency submit->completed: "
        f"p50 {percentile(outcome.latencies, 50):.3f} s, "
        f"p95 {percentile(outcome.latencies, 95):.3f} s, "
        f"p99 {percentile(outcome.latencies, 99):.3f} s"
    )
    print(f"errors: {len(outcome.errors)}")
    for error in outcome.errors[:5]:
        print(f"  {error}")
    return 1 if outcome.errors else 0


if __name__ == "__main__":
    sys.exit(main())
