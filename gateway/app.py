"""The app factory: every component is created and wired here, nothing at import time."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway import demo_worker
from gateway.auth import Authenticator, issue_token
from gateway.connections import ConnectionLimits
from gateway.cors import cors_options
from gateway.gctuning import tune_gc
from gateway.graphql_http import GraphQLEndpoint
from gateway.guards import guarded_schema
from gateway.health import liveness, readiness
from gateway.live_relay import RedisRelay
from gateway.live_sse import EventStream
from gateway.live_ws import LiveEndpoint
from gateway.logging import configure_logging, get_logger
from gateway.metrics import Metrics, mark_worker_dead
from gateway.middleware import GatewayMiddleware
from gateway.persisted import PersistedQueries
from gateway.ratelimit import RateLimiter
from gateway.security_headers import page_policy
from gateway.services import STATE_KEY, Services
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.turn_stream import RedisTurns
from models.db import Database, connect
from resolvers.apiclients import create_client
from resolvers.costs.rollup import Thresholds
from resolvers.maintenance import Maintenance
from resolvers.outbox import HUB_KEY, LiveHub, catch_up
from resolvers.practice.bank import load_bank
from resolvers.turns import TURNS_KEY, InProcessTurns, TurnQueue

log = get_logger("gateway.app")
STATIC = Path(__file__).resolve().parent / "static"


async def build_services(settings: Settings, db: Database | None = None) -> Services:
    if db is None:
        db = await connect(
            settings.mongo_uri,
            settings.mongo_db,
            settings.mongo_timeout_ms,
            settings.mongo_operation_timeout_ms,
            interleave=settings.embedded_interleave,
            index_ttl=settings.index_ttl,
        )
    limiter = RateLimiter(settings)
    return Services(
        settings=settings,
        db=db,
        auth=Authenticator(settings, db),
        limiter=limiter,
        persisted=PersistedQueries.from_settings(settings, limiter.breaker),
    )


async def seed_embedded(services: Services) -> tuple[dict[str, int], str]:
    """The demo data and its banner; returns the counts and the demo TUTOR secret."""
    from resolvers.demo.seed import seed_database

    summary = await seed_database(
        services.db, users=services.settings.seed_users, seed=services.settings.seed_random
    )
    settings = services.settings
    admin = issue_token(settings, summary.admin_id)
    learner = issue_token(settings, summary.learner_id)
    url = f"http://{settings.host}:{settings.port}/graphql"
    free = ""
    if summary.free_learner_id:
        token = issue_token(settings, summary.free_learner_id)
        header = f'{{"Authorization": "Bearer {token}"}}'
        free = f"  FREE learner ({summary.free_learner_email}): {header}\n"
    # The tutor service's credential: an API client like any an admin creates.
    _, tutor = await create_client(services.db, "demo-tutor", ["tutor"])
    worker_line = (
        "  Tutor worker: started beside the gateway (scripts/tutor_worker.py; demo replies "
        "unless TUTOR_LLM_URL and TUTOR_LLM_MODEL are set)\n"
        if settings.demo_tutor_worker
        else f"  Tutor worker: {demo_worker.command_line(settings)}\n"
    )
    print(
        f"\n  GraphiQL: {url}\n"
        f"  Paste one of these into GraphiQL's Headers tab (valid until this process stops):\n"
        f'  admin   ({summary.admin_email}): {{"Authorization": "Bearer {admin}"}}\n'
        f'  learner ({summary.learner_email}): {{"Authorization": "Bearer {learner}"}}\n'
        f"{free}"
        f'  TUTOR   (API client demo-tutor): {{"Authorization": "Bearer {tutor}"}}\n'
        f"{worker_line}",
        file=sys.stdout,
        flush=True,
    )
    return summary.counts, tutor


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """`tracing`: a tracer provider of the caller's (the tests' in-memory exporter); by
    default one exporting to OTEL_EXPORTER_OTLP_ENDPOINT, or none when that is unset."""
    settings = settings or Settings()
    tracing = tracing or Tracing.from_settings(settings)
    configure_logging(settings.log_level, settings.log_format)
    ConnectionLimits.configure(settings)  # the bounds the server's protocol applies
    settings.jwt_key  # noqa: B018  - fail at start-up, not on the first request
    schema = guarded_schema(settings)
    metrics = Metrics(settings) if settings.metrics_enabled else None
    endpoint = GraphQLEndpoint(schema, settings.document_cache_bytes)
    live = LiveEndpoint(schema)
    # GraphQL over SSE; one count of live connections per caller over both transports.
    endpoint.event_stream = EventStream(schema, endpoint, live.stats)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        """Builds the services and yields them as the lifespan state: the one way they
        reach requests (gateway/services.py `services_of`)."""
        services = await build_services(settings, db)
        tutor_secret: str | None = None
        if metrics is not None:
            services.db.events.subscribe(metrics.db_listener())
        turns: TurnQueue = (
            RedisTurns(
                settings.redis_url,
                settings.redis_key_prefix,
                settings.turn_ack_timeout_seconds,
                settings.turn_stream_maxlen,
                services.limiter.breaker,
                settings.turn_max_unacked,
            )
            if settings.redis_url
            else InProcessTurns(
                settings.turn_ack_timeout_seconds,
                settings.turn_stream_maxlen,
                settings.turn_max_unacked,
            )
        )
        hub = LiveHub(settings.ws_buffer_events, turns)
        services.extras[HUB_KEY] = hub
        services.extras[TURNS_KEY] = turns
        relay = (
            RedisRelay(
                settings.redis_url,
                settings.redis_key_prefix,
                hub,
                services.limiter.breaker,
                settings.redis_timeouts["socket_timeout"],
                functools.partial(catch_up, services.db, hub),
                settings.relay_ping_seconds,
                settings.relay_catch_up_margin_seconds,
            )
            if settings.redis_url
            else None
        )
        if relay is not None:
            await relay.start()
        if metrics is not None:
            metrics.watch_live(live.stats, hub)
        spans = tracing.command_spans() if tracing is not None else None
        if tracing is not None and spans is not None:
            services.tracer = tracing.tracer
            services.db.events.subscribe(spans)
        if services.db.embedded:
            counts, tutor_secret = (
                await seed_embedded(services) if settings.seed_demo_data else ({}, None)
            )
            log.warning(
                "embedded_database",
                message="Data lives in memory and is lost when the process stops. "
                "Set MONGO_URI to use a real MongoDB.",
                interleave=services.db.interleave,
                **counts,
            )
        maintenance = Maintenance(
            services.db,
            settings.error_half_life_days,
            Thresholds(settings.cost_alert_hourly, settings.cost_alert_daily),
            settings.maintenance_interval_seconds,
            check_indexes=not services.db.embedded,
            hub=hub,
        )
        # The exercise bank (errorCategories, exercises, reviews): read and checked here, in
        # a thread, before the gateway serves; loaded by the first request that needed it,
        # it stalled every request on the event loop for seconds (issue 21).
        await asyncio.to_thread(load_bank)
        # The first pass finishes what a crashed process left half-done (skipped, with a
        # warning, while MongoDB is unreachable: the gateway starts anyway, not ready).
        await maintenance.run_safely()
        maintenance.start()
        tune_gc(settings)
        log.info(
            "gateway_started",
            database="embedded" if services.db.embedded else "mongodb",
            rate_limit_storage=services.limiter.backend,
        )
        worker = (
            demo_worker.start(settings, tutor_secret)
            if tutor_secret is not None and settings.demo_tutor_worker
            else None
        )
        try:
            yield {STATE_KEY: services}
        finally:
            if worker is not None:
                demo_worker.stop(worker)
            await maintenance.stop()
            if relay is not None:
                await relay.stop()
            await turns.close()
            await services.limiter.close()
            await services.persisted.close()
            if metrics is not None:
                mark_worker_dead(settings)
            if spans is not None:
                services.db.events.unsubscribe(spans)
            if tracing is not None:
                tracing.shutdown()
            if db is None:
                await services.db.close()

    async def root(_request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    # PUT, PATCH, DELETE and OPTIONS (not a CORS preflight, which the CORS middleware
    # answers) reach the endpoint too, which refuses them with a JSON 405
    # (Allow: GET, POST) carrying the request id, and charges them like any refusal;
    # Starlette's own 405 was a plain-text body nobody was charged for.
    graphql_route = Route(
        "/graphql", endpoint, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    )
    live_route = WebSocketRoute("/graphql", live)
    routes = [
        Route("/", root),
        Route("/health", liveness),
        Route("/health/ready", readiness),
        graphql_route,
        live_route,
        Mount("/graphiql-assets", StaticFiles(directory=STATIC / "graphiql"), name="graphiql"),
    ]
    if metrics is not None:
        routes.append(Route("/metrics", metrics.endpoint, methods=["GET"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    # Security headers, CORS, request id and log, metrics: one layer (gateway/middleware.py).
    app.add_middleware(
        GatewayMiddleware,
        html_policy=page_policy(endpoint.ide_html),
        cors=cors_options(settings),
        request_log=settings.request_log_enabled,
        slow_request_ms=settings.slow_request_ms,
        metrics=metrics,
        route=graphql_route,
        router=app.router,
        live_route=live_route,
        traced=tracing is not None,
    )
    if tracing is not None:
        # Outside the gateway's layer, so its request log line sees the request's span.
        app.add_middleware(tracing.asgi)
    if settings.forwarded_allow_ips:
        # Outermost, so logs, limits and errors all see the same client address: the
        # rightmost X-Forwarded-For hop that is not a trusted proxy.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.state.schema = schema
    app.state.pipeline = endpoint.pipeline
    return app
