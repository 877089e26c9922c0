"""Prometheus metrics of the web app: its HTTP traffic, open WebSockets, and the rows
of the database by status (read at scrape time, so every app replica shows the same
fleet-wide figures for projects, layers and jobs)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from spinelift.http.metrics import HttpMetrics
from spinelift.storage.db import Database
from spinelift.storage.job_status import JobStatus
from spinelift.storage.models import JobKind, LayerStatus, ProjectStatus
from spinelift.storage.repositories.stats import status_counts

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """Users, and projects / layers / jobs by status, from the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.db.session(readonly=True) as session:
                counts = status_counts(session)
        except Exception:  # a scrape must not fail because the database is away
            log.warning("metrics: the database did not answer", exc_info=True)
            return
        yield GaugeMetricFamily("spinelift_users", "accounts", value=counts.users)
        projects = GaugeMetricFamily("spinelift_projects", "projects by status", labels=["status"])
        for status in ProjectStatus:
            projects.add_metric([status.value], counts.projects.get(status.value, 0))
        yield projects
        layers = GaugeMetricFamily("spinelift_layers", "layers by status", labels=["status"])
        for layer_status in LayerStatus:
            layers.add_metric([layer_status.value], counts.layers.get(layer_status.value, 0))
        yield layers
        jobs = GaugeMetricFamily(
            "spinelift_project_jobs", "project jobs by kind and status", labels=["kind", "status"]
        )
        for kind in JobKind:
            for job_status in JobStatus:
                jobs.add_metric(
                    [kind.value, job_status.value],
                    counts.jobs.get((kind.value, job_status.value), 0),
                )
        yield jobs


class WebMetrics(HttpMetrics):
    """The HTTP series, open WebSockets and the database's counts."""

    def __init__(self) -> None:
        super().__init__()
        self.websockets = Gauge(
            "spinelift_websockets_open",
            "project event WebSockets open on this process",
            registry=self.registry,
        )

    def watch(self, db: Database) -> None:
        self.registry.register(DatabaseCollector(db))
