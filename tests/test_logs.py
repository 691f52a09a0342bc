"""Every log line is structlog JSON with the request id, whoever writes it."""

from __future__ import annotations

import json
import logging

from tests.conftest import make_settings, running_api


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]  # any plain-text line fails here


async def test_stdlib_and_uvicorn_tracebacks_are_json_with_the_request_id(capsys, monkeypatch):
    async def failing(_request):
        try:
            raise ValueError("disk on fire")
        except ValueError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
            logging.getLogger("pymongo.topology").warning("heartbeat failed")
        raise RuntimeError("escaped the endpoint")

    monkeypatch.setattr("gateway.app.liveness", failing)
    async with running_api(make_settings()) as api:
        capsys.readouterr()
        response = await api.client.get("/health", headers={"X-Request-ID": "trace-7"})
        # An exception escaping the app is a JSON 500 with the request id, not plain text.
        assert response.status_code == 500
        assert response.json()["errors"][0]["extensions"] == {
            "code": "INTERNAL",
            "requestId": "trace-7",
        }
        assert "escaped" not in response.text
        lines = events(capsys.readouterr().out)
        by_event = {e["event"]: e for e in lines}
        uvicorn_line = by_event["Exception in ASGI application"]
        assert uvicorn_line["logger"] == "uvicorn.error" and uvicorn_line["level"] == "error"
        assert uvicorn_line["request_id"] == "trace-7"
        assert "ValueError: disk on fire" in uvicorn_line["exception"]
        assert by_event["heartbeat failed"]["request_id"] == "trace-7"
        escaped = by_event["unhandled_exception"]
        assert escaped["request_id"] == "trace-7" and "RuntimeError" in escaped["exception"]
        assert by_event["request_completed"]["status"] == 500


async def test_slow_requests_are_logged(capsys):
    async with running_api(make_settings(slow_request_ms=0)) as api:
        capsys.readouterr()
        await api.client.get("/health", headers={"X-Request-ID": "slow-1"})
        slow = [e for e in events(capsys.readouterr().out) if e["event"] == "slow_request"]
        assert len(slow) == 1 and slow[0]["request_id"] == "slow-1"
        assert slow[0]["path"] == "/health" and slow[0]["slow_request_ms"] == 0


async def test_fast_requests_are_not_slow(api, capsys):
    capsys.readouterr()
    await api.client.get("/health")
    assert not [e for e in events(capsys.readouterr().out) if e["event"] == "slow_request"]
