"""Prometheus metrics: this process's requests, and the jobs of every worker (from Redis).

Job counters and durations are kept by the workers in the job store's statistics
hash, so ``/metrics`` of any API replica shows the whole fleet's jobs.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from spinelift.http.metrics import HttpMetrics
from spinelift.jobs.mesh.actors import DURATION_BUCKETS
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


class ServiceMetrics(HttpMetrics):
    """The HTTP series plus job submissions and the fleet's job statistics."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted = Counter(
            "spinelift_jobs_submitted",
            "job submissions, by kind and outcome (created, existing, cached)",
            ["kind", "outcome"],
            registry=self.registry,
        )

    def watch(self, store: JobStore) -> None:
        self.registry.register(JobStoreCollector(store))
