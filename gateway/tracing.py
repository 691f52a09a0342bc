"""OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.

One trace per request: the HTTP request (OpenTelemetry's ASGI middleware, which continues
a caller's W3C `traceparent`), one `graphql` span around parse/validate/execute, a span per
DataLoader batch and one per MongoDB command (from the driver's command events, which the
embedded database publishes too), so a batch's commands hang under it. Resolvers get no
span each: a per-resolver extension would switch the compiled executor off and cost more
than the work it measures. The tracer provider is the app's own (never the global one), so
several apps in one process (the tests) keep their traces apart.

The standard variables configure the rest: OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and
_COMPRESSION (the exporter), OTEL_TRACES_SAMPLER(_ARG) (the provider), OTEL_RESOURCE_ATTRIBUTES;
they are read from the process environment, as every OpenTelemetry SDK reads them.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from gateway.settings import Settings

INSTRUMENTATION = "tutoring-gateway"


class Tracing:
    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer(INSTRUMENTATION)

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracing | None:
        endpoint = settings.otel_exporter_otlp_endpoint
        if not endpoint:
            return None
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        resource = Resource.create({"service.name": settings.otel_service_name})
        provider = TracerProvider(resource=resource)
        # OTLP over HTTP/protobuf: the collector's port 4318, path /v1/traces.
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider)

    def asgi(self, app: Any) -> Any:
        """The HTTP request's span (continuing the caller's traceparent)."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        return OpenTelemetryMiddleware(
            app,
            tracer_provider=self.provider,
            exclude_spans=["receive", "send"],  # one span per request, not one per chunk
        )

    def command_spans(self) -> CommandListener:
        return _CommandSpans(self.tracer)

    def shutdown(self) -> None:
        """Flush what is buffered (the batch processor exports in the background)."""
        self.provider.shutdown()


class _CommandSpans(CommandListener):
    """A client span per MongoDB command, child of whatever span is current when the
    command starts (PyMongo's async client, and the embedded database, publish the event
    in the task that awaited the operation)."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer
        self._open: dict[tuple[int, Any], Span] = {}

    def started(self, event: CommandStartedEvent) -> None:
        name = event.command_name
        target = event.command.get("collection") if name == "getMore" else event.command.get(name)
        attributes: dict[str, Any] = {
            "db.system": "mongodb",
            "db.system.name": "mongodb",
            "db.namespace": event.database_name,
            "db.operation.name": name,
        }
        if isinstance(target, str):
            attributes["db.collection.name"] = target
        host = event.connection_id[0] if event.connection_id else None
        if isinstance(host, str):
            attributes["server.address"] = host
        span = self._tracer.start_span(
            f"{name} {target}" if isinstance(target, str) else name,
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        self._open[(event.request_id, event.connection_id)] = span

    def succeeded(self, event: CommandSucceededEvent) -> None:
        span = self._open.pop((event.request_id, event.connection_id), None)
        if span is not None:
            span.end()

    def failed(self, event: CommandFailedEvent) -> None:
        span = self._open.pop((event.request_id, event.connection_id), None)
        if span is not None:
            failure = dict(event.failure)
            span.set_status(Status(StatusCode.ERROR, str(failure.get("errmsg", ""))[:200]))
            span.end()
