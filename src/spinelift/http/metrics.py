"""Prometheus metrics every SpineLift app keeps about its own HTTP traffic.

One registry per app instance (several apps in one test process do not collide); the
apps subclass :class:`HttpMetrics` to add their own series and collectors.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class HttpMetrics:
    """Requests answered (by method, route template and status), latency, in flight."""

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
