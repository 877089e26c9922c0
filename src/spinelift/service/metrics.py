"""Prometheus metrics: this process's requests, and the jobs of every worker (from Redis).

Job counters and durations are kept by the workers in the job store's statistics
hash, so ``/metrics`` of any API replica shows the whole fleet's jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from spinelift.jobs.actors import DURATION_BUCKETS
from spinelift.storage.job_store import JobStore


class JobStoreCollector(Collector):
    """Queue depth and job statistics read from Redis at scrape time."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        try:
            stats = self.store.stats()
            queued = self.store.queued_count()
        except Exception:  # a scrape must not fail because Redis is away; health says so
            return
        yield GaugeMetricFamily("spinelift_queue_depth", "jobs waiting for a worker", value=queued)
        finished = CounterMetricFamily(
            "spinelift_jobs_finished", "jobs finished, by final status", labels=["status"]
        )
        for status in ("completed", "failed"):
            finished.add_metric([status], stats.get(f"jobs_{status}", 0.0))
        yield finished
        for name, help_text in (
            ("jobs_retried", "job attempts that crashed and were retried"),
            ("mesh_runs", "meshes computed by workers (cache misses)"),
            ("cache_hits", "jobs answered from the result cache"),
        ):
            yield CounterMetricFamily(f"spinelift_{name}", help_text, value=stats.get(name, 0.0))
        buckets = [
            (f"{bound:g}", stats.get(f"job_seconds_bucket:{bound:g}", 0.0))
            for bound in DURATION_BUCKETS
        ]
        count = stats.get("job_seconds_count", 0.0)
        buckets.append(("+Inf", count))
        yield HistogramMetricFamily(
            "spinelift_job_duration_seconds",
            "time from a worker starting a job to its result",
            buckets=buckets,
            sum_value=stats.get("job_seconds_sum", 0.0),
        )


class ServiceMetrics:
    """One registry per app (several apps in one test process do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "spinelift_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "spinelift_http_request_duration_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "spinelift_http_requests_in_flight", "requests being answered", registry=self.registry
        )
        self.submitted = Counter(
            "spinelift_jobs_submitted",
            "job submissions, by kind and outcome (created, existing, cached)",
            ["kind", "outcome"],
            registry=self.registry,
        )

    def watch(self, store: JobStore) -> None:
        self.registry.register(JobStoreCollector(store))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def request_started(self) -> None:
        """``on_start`` hook of :class:`spinelift.http.middleware.RequestContext`."""
        self.in_flight.inc()

    def request_finished(self, scope: Any, status: int, seconds: float) -> None:
        """``on_finish`` hook: one request fewer in flight, counted under its route
        template (``unmatched`` when no route matched)."""
        self.in_flight.dec()
        label = getattr(scope.get("route"), "path", "unmatched")
        self.observe_request(scope.get("method", ""), label, status, seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
