"""Prometheus metrics: what operators alert on (traffic, latency, throttling, cost, database).

Each app gets its own registry, so several apps in one process (the tests) never clash.
With several Uvicorn workers, PROMETHEUS_MULTIPROC_DIR (set in the environment before
the process starts: prometheus-client reads it at import) makes every worker write its
samples to files there, and /metrics sums them over all workers, whichever one answers.
"""

from __future__ import annotations

import hmac
import os
import re
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.settings import Settings
from models.db import COLLECTIONS
from models.events import error_name, write_errors

GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COST_BUCKETS = (0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000)


class Metrics:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.multiprocess_dir = settings.prometheus_multiproc_dir
        if self.multiprocess_dir and os.environ.get("PROMETHEUS_MULTIPROC_DIR") is None:
            raise ValueError(
                "PROMETHEUS_MULTIPROC_DIR must be set in the process environment (not only in "
                ".env): prometheus-client reads it when it is imported"
            )
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "gateway_requests",
            "GraphQL requests by operation name and HTTP status",
            ["operation", "status"],
            registry=r,
        )
        self.duration = Histogram(
            "gateway_request_duration_seconds",
            "Time to answer a GraphQL request, by operation name",
            ["operation"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.unmetered = Counter(
            "gateway_unmetered_requests",
            "Requests let through unmetered because the rate-limit storage was unreachable",
            ["tier"],
            registry=r,
        )
        self.rate_limited = Counter(
            "gateway_rate_limited",
            "Requests refused with HTTP 429, by caller tier",
            ["tier"],
            registry=r,
        )
        # Service callers by name: admins create them, so the label set stays small.
        self.client_requests = Counter(
            "gateway_client_requests",
            "GraphQL requests from service callers (API clients, tutor-scoped tokens), by "
            "client name and HTTP status",
            ["client", "status"],
            registry=r,
        )
        self.preflights_refused = Counter(
            "gateway_cors_preflights_refused",
            "CORS preflights answered 400, by what was refused (origin, method, headers)",
            ["reason"],
            registry=r,
        )
        self.query_cost = Histogram(
            "gateway_query_cost",
            "Calculated cost of each admitted or refused operation",
            buckets=COST_BUCKETS,
            registry=r,
        )
        self.db_operations = Counter(
            "gateway_db_operations",
            "MongoDB commands by collection and command name (find, insert, aggregate, ...)",
            ["collection", "op"],
            registry=r,
        )
        self.db_errors = Counter(
            "gateway_db_errors",
            "MongoDB commands that failed or reported write errors, by collection, command "
            "and the error class a caller saw",
            ["collection", "op", "error"],
            registry=r,
        )
        # Live subscriptions (gateway/live_ws.py): read from the process's counts when
        # scraped; summed over the workers in multiprocess mode.
        self.ws_connections = Gauge(
            "gateway_ws_connections",
            "Open WebSocket (graphql-transport-ws) connections",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.sse_streams = Gauge(
            "gateway_sse_streams",
            "Open GraphQL-over-SSE subscription streams (Accept: text/event-stream)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.subscriptions_active = Gauge(
            "gateway_subscriptions_active",
            "Subscriptions running, over WebSocket and SSE",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.events_delivered = Gauge(
            "gateway_events_delivered",
            "Session events handed to subscribers since the process started",
            registry=r,
            multiprocess_mode="livesum",
        )
        # tutorTurns (resolvers/turns.py): pending is the queue's count (Redis: every
        # replica's), refreshed by each maintenance pass; the others are this process's.
        self.turns_pending = Gauge(
            "gateway_turns_pending",
            "Tutor turns delivered and not yet acknowledged, all groups",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.turns_delivered = Gauge(
            "gateway_turns_delivered",
            "Tutor turns handed to tutorTurns subscribers since the process started",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.turns_redelivered = Gauge(
            "gateway_turns_redelivered",
            "Deliveries with attempt > 1 (not acknowledged in time, or a consumer reconnected)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._live: tuple[Any, Any] | None = None
        self._operations: set[str] = set()
        self._request_children: dict[tuple[str, int], Any] = {}
        self._duration_children: dict[str, Any] = {}
        self._max_operations = settings.metrics_max_operations

    def operation_label(self, state: dict[str, Any]) -> str:
        """A bounded label: clients choose operation names, so only the first N are kept."""
        if not state.get("operation_type"):
            return "none"  # nothing was validated (bad JSON, invalid document, refused early)
        name = state.get("operation")
        if not name:
            return "anonymous"
        if not isinstance(name, str) or not GRAPHQL_NAME.match(name):
            return "other"
        if name in self._operations:
            return name
        if len(self._operations) < self._max_operations:
            self._operations.add(name)
            return name
        return "other"

    def observe_request(self, state: dict[str, Any], status: int, seconds: float) -> None:
        operation = self.operation_label(state)
        # The children per label set, looked up once: both label sets are bounded (at most
        # METRICS_MAX_OPERATIONS + 3 operations, a few statuses).
        key = (operation, status)
        counter = self._request_children.get(key)
        if counter is None:
            counter = self._request_children[key] = self.requests.labels(operation, str(status))
        counter.inc()
        histogram = self._duration_children.get(operation)
        if histogram is None:
            histogram = self._duration_children[operation] = self.duration.labels(operation)
        histogram.observe(seconds)
        client = state.get("client")
        if client is not None:
            self.client_requests.labels(str(client), str(status)).inc()
        if status == 429:
            self.rate_limited.labels(str(state.get("tier") or "anonymous")).inc()
        if state.get("unmetered"):
            self.unmetered.labels(str(state.get("tier") or "anonymous")).inc()
        cost = state.get("cost")
        if state.get("operation_type") and isinstance(cost, int):
            self.query_cost.observe(cost)

    def db_listener(self) -> CommandListener:
        """Counts MongoDB commands (and failed ones) from the driver's command events."""
        return _CommandMetrics(self)

    def watch_live(self, stats: Any, hub: Any) -> None:
        self._live = (stats, hub)
        self._refresh_live()

    def _refresh_live(self) -> None:
        if self._live is None:
            return
        stats, hub = self._live
        self.ws_connections.set(stats.connections)
        self.sse_streams.set(stats.streams)
        self.subscriptions_active.set(stats.subscriptions)
        self.events_delivered.set(hub.delivered)
        turns = getattr(hub, "turns", None)
        if turns is not None:
            self.turns_pending.set(turns.stats.pending)
            self.turns_delivered.set(turns.stats.delivered)
            self.turns_redelivered.set(turns.stats.redelivered)

    def exposition(self) -> bytes:
        self._refresh_live()
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
            return generate_latest(registry)
        return generate_latest(self.registry)

    async def endpoint(self, request: Request) -> Response:
        token = self.settings.metrics_token.get_secret_value()
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return JSONResponse(
                    {"error": "Send 'Authorization: Bearer <METRICS_TOKEN>'."},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        return Response(self.exposition(), media_type=CONTENT_TYPE_LATEST)


def mark_worker_dead(settings: Settings) -> None:
    """Multiprocess bookkeeping when a worker stops (live gauges only; harmless otherwise)."""
    if settings.prometheus_multiproc_dir:
        multiprocess.mark_process_dead(os.getpid(), settings.prometheus_multiproc_dir)


_KNOWN_COLLECTIONS = frozenset(COLLECTIONS.values())


class _CommandMetrics(CommandListener):
    """`gateway_db_operations_total` and `gateway_db_errors_total` from command events:
    what PyMongo publishes for a real server and the embedded adapter for itself. The
    labels are bounded: a collection outside the gateway's own counts as "other", a
    command without one (ping, endSessions) as "none"."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._children: dict[tuple[str, str], Any] = {}
        # Started commands by (request id, connection): the finished events carry neither
        # the collection nor the command document.
        self._pending: dict[tuple[int, Any], tuple[str, str]] = {}

    def started(self, event: CommandStartedEvent) -> None:
        name = event.command_name
        target = event.command.get("collection") if name == "getMore" else event.command.get(name)
        if not isinstance(target, str):
            collection = "none"
        else:
            collection = target if target in _KNOWN_COLLECTIONS else "other"
        key = (collection, name)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._metrics.db_operations.labels(collection, name)
        child.inc()
        self._pending[(event.request_id, event.connection_id)] = key

    def succeeded(self, event: CommandSucceededEvent) -> None:
        key = self._pending.pop((event.request_id, event.connection_id), None)
        errors = write_errors(event.reply) if isinstance(event.reply, dict) else []
        if key is not None and errors:
            self._metrics.db_errors.labels(*key, error_name(errors[0])).inc()

    def failed(self, event: CommandFailedEvent) -> None:
        key = self._pending.pop((event.request_id, event.connection_id), None)
        if key is not None:
            self._metrics.db_errors.labels(*key, error_name(dict(event.failure))).inc()
