"""Prometheus metrics with the official client: requests, latency, throttled and faulted answers, sign-ins, pool.

Each app has its own registry, so several servers in one process (tests) never share counters. With several
workers, ``serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before they start: each worker writes its values to files
there and a scrape sums every worker's (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os
import tempfile
from collections.abc import Callable, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from learninggraph.http.access_log import Exchange
from learninggraph.http.context import RequestContext
from learninggraph.http.messages import Response
from learninggraph.http.routing import Handler

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
# Any other method a client sends is labelled OTHER, so labels stay a small fixed set.
_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"})
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The server's metrics; ``__call__`` observes one answered request (an edge observer)."""

    def __init__(self, pool_stats: Callable[[], Mapping[str, int] | None] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.pool_stats = pool_stats
        labels = ("route", "method", "status")
        self.requests = Counter(
            "learninggraph_http_requests", "Answered requests", labels, registry=self.registry
        )
        self.latency = Histogram(
            "learninggraph_http_request_duration_seconds",
            "Time from the request's headers to its answer",
            ("route", "method"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.throttled = Counter(
            "learninggraph_http_throttled", "Answers 429 (throttled)", ("route",), registry=self.registry
        )
        self.faulted = Counter(
            "learninggraph_http_faulted", "Answers 5xx (faults)", ("route", "status"), registry=self.registry
        )
        self.sign_ins = Counter(
            "learninggraph_sign_ins",
            "Sign-ins at the token endpoint, by grant and outcome",
            ("grant", "outcome"),
            registry=self.registry,
        )
        self.pool = Gauge(
            "learninggraph_database_pool_connections",
            "PostgreSQL pool connections of this worker, by state (size, available, waiting)",
            ("state",),
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def __call__(self, exchange: Exchange) -> None:
        method = exchange.method if exchange.method in _METHODS else "OTHER"
        key = (exchange.route, method, exchange.status)
        children = self._children.get(key)
        if children is None:
            # labels() takes a lock and builds a key on each call; the pair is looked up once per label set.
            status = str(exchange.status)
            children = (
                self.requests.labels(exchange.route, method, status),
                self.latency.labels(exchange.route, method),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(exchange.duration_seconds)
        if exchange.status == 429:
            self.throttled.labels(exchange.route).inc()
        elif exchange.status >= 500:
            self.faulted.labels(exchange.route, str(exchange.status)).inc()
        if exchange.grant:
            outcome = "success" if exchange.status == 200 else "failure"
            self.sign_ins.labels(exchange.grant, outcome).inc()
        if self.pool_stats is not None:
            stats = self.pool_stats() or {}
            self.pool.labels("size").set(stats.get("pool_size", 0))
            self.pool.labels("available").set(stats.get("pool_available", 0))
            self.pool.labels("waiting").set(stats.get("requests_waiting", 0))

    def exposition(self) -> bytes:
        """The text format: every worker's values in multiprocess mode, else this registry's."""
        return generate_latest(scrape_registry(self.registry))


def scrape_registry(own: CollectorRegistry | None = None) -> CollectorRegistry:
    """The registry a scrape reads: the workers' files in multiprocess mode, else ``own``."""
    if os.environ.get(MULTIPROCESS_DIRECTORY) or own is None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return own


def prepare_workers(workers: int, settings_metrics: str) -> str | None:
    """With several workers and metrics on, a fresh multiprocess directory for them; returns it (or None)."""
    if workers < 2 or settings_metrics == "off" or os.environ.get(MULTIPROCESS_DIRECTORY):
        return None
    directory = tempfile.mkdtemp(prefix="learninggraph-metrics-")
    os.environ[MULTIPROCESS_DIRECTORY] = directory
    return directory


def start_listener(address: tuple[str, int], own: CollectorRegistry | None) -> None:
    """Serves ``GET /metrics`` on its own address, in a daemon thread of this process."""
    start_http_server(address[1], addr=address[0], registry=scrape_registry(own))


def metrics_route(metrics: Metrics, token: str | None) -> Handler:
    """``GET /metrics`` on the public port; with ``token``, only for ``Authorization: Bearer <token>``."""
    expected = None if token is None else f"Bearer {token}".encode()

    def handler(context: RequestContext) -> Response:
        if expected is not None:
            given = context.request.headers.get("authorization", "").encode("latin-1", "replace")
            if not hmac.compare_digest(given, expected):
                return Response(
                    401, b"unauthorized\n", "text/plain; charset=utf-8", [("WWW-Authenticate", "Bearer")]
                )
        return Response(200, metrics.exposition(), CONTENT_TYPE_LATEST)

    return handler
