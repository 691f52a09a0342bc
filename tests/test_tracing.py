"""OpenTelemetry traces (issue 27, item 5): off by default; on, one nested read is one tree
(HTTP request > graphql > DataLoader batch > MongoDB command) continuing the caller's
traceparent, and the request's log line names the trace."""

from __future__ import annotations

import json

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.tracing import Tracing
from tests.conftest import make_settings, running_api

START = "mutation($in: StartSessionInput!) { startSession(input: $in) { id } }"
RECORD = "mutation($in: RecordMessageInput!) { recordMessage(input: $in) { id } }"
NESTED = "query Nested { me { sessions(first: 5) { edges { node { messages(first: 5) { edges { node { content } } } } } } } }"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


async def test_tracing_is_off_unless_an_endpoint_is_set(api):
    assert make_settings().otel_exporter_otlp_endpoint is None
    assert Tracing.from_settings(make_settings()) is None
    assert api.services.tracer is None


async def test_one_nested_read_is_one_trace_tree(capsys):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with running_api(make_settings(), tracing=Tracing(provider)) as api:
        user, token = await api.user()
        for topic in ("travel", "work"):
            data = await api.data(
                START, {"in": {"userId": user["_id"], "provider": "openai", "topic": topic}}, token
            )
            sid = data["startSession"]["id"]
            for i in range(2):
                await api.data(
                    RECORD,
                    {"in": {"sessionId": sid, "role": "USER", "content": f"{topic} {i}"}},
                    token,
                )
        exporter.clear()
        capsys.readouterr()
        response = await api.client.post(
            "/graphql",
            json={"query": NESTED},
            headers={
                "Authorization": f"Bearer {token}",
                "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01",
            },
        )
        assert response.status_code == 200 and "errors" not in response.json()
        log_lines = [
            json.loads(line)
            for line in capsys.readouterr().out.splitlines()
            if line.startswith("{")
        ]
    spans = exporter.get_finished_spans()
    assert {format(s.context.trace_id, "032x") for s in spans} == {CALLER_TRACE}
    by_id = {s.context.span_id: s for s in spans}

    def parent(span):
        return by_id.get(span.parent.span_id) if span.parent else None

    [http] = [s for s in spans if s.kind == SpanKind.SERVER]
    assert format(http.parent.span_id, "016x") == CALLER_SPAN and http.parent.is_remote
    [graphql] = [s for s in spans if s.name == "graphql"]
    assert parent(graphql) is http
    assert graphql.attributes["graphql.operation.name"] == "Nested"
    batches = {s.name: s for s in spans if s.name.startswith("dataloader ")}
    assert {"dataloader sessions_by_user", "dataloader messages_by_session"} <= set(batches)
    assert all(parent(b) is graphql for b in batches.values())
    commands = [s for s in spans if s.attributes.get("db.system") == "mongodb"]
    under = {parent(c).name: c for c in commands if parent(c) in batches.values()}
    assert under["dataloader sessions_by_user"].name == "aggregate sessions"
    assert under["dataloader messages_by_session"].name == "aggregate messages"
    assert all(c.kind == SpanKind.CLIENT for c in commands)
    [line] = [e for e in log_lines if e.get("event") == "request_completed"]
    assert line["trace_id"] == CALLER_TRACE
