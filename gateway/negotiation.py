"""Media types and status codes of the GraphQL-over-HTTP spec.

One rule decides every status (`status_of`): a 4xx/5xx means nothing executed, so a
client may retry it without repeating a write.

- A request error (nothing ran: unparsable JSON, invalid document, refused by
  admission, bad token, ...) is 4xx/5xx in both media types; under
  `application/graphql-response+json` it has no `data` entry.
- Once execution started (admission control let the operation run, `Reply.executed`),
  `application/graphql-response+json` answers 200 with `data`, even `data: null`, as the
  spec says; so does `application/json` for a mutation (its writes may have happened).
  An executed query under `application/json` (the default, and what a missing or `*/*`
  Accept gets) keeps the gateway's historical code when it failed as a whole (429, 503,
  401, 400 by the first error's code): reads are safe to retry, and load balancers act on
  it without parsing the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from gateway import jsonio

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
# A request error whose code says nothing more specific about the status.
REQUEST_ERROR_STATUS = 400


@dataclass(slots=True)
class Reply:
    """A GraphQL response before it is rendered in the media type the client accepts."""

    payload: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Execution started (admission let the operation run): resolvers may have written.
    executed: bool = False
    mutation: bool = False


def choose_media_type(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when nothing offered is acceptable.

    The higher quality wins; on a tie graphql-response+json, the spec's own type, is
    preferred. A missing Accept means application/json (the spec's legacy default).
    """
    if not accept or not accept.strip():
        return APPLICATION_JSON
    if accept in _CHOSEN:
        return _CHOSEN[accept]
    chosen = _choose(accept)
    if len(accept) <= _MEMO_MAX_CHARS and len(_CHOSEN) < _MEMO_MAX_ENTRIES:
        _CHOSEN[accept] = chosen
    return chosen


# Accept header -> chosen type: every request asks twice (to refuse early, to render),
# and a client sends the same header on every request (Apollo's is ~50 characters of
# two types and a quality). Bounded in entries and in the length of what it keeps, since
# the header is the client's to choose.
_CHOSEN: dict[str, str | None] = {}
_MEMO_MAX_ENTRIES = 256
_MEMO_MAX_CHARS = 256


def _choose(accept: str) -> str | None:
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind = kind.lower()
        if kind == GRAPHQL_RESPONSE_JSON:
            candidate = (quality, 2, GRAPHQL_RESPONSE_JSON)
        elif kind in (APPLICATION_JSON, "application/*", "*/*"):
            candidate = (quality, 1, APPLICATION_JSON)
        else:
            continue
        if quality > 0 and (best is None or candidate > best):
            best = candidate
    return best[2] if best else None


def spec_status(payload: dict[str, Any], status: int) -> int:
    """The status a graphql-response+json client gets for what application/json answers."""
    if payload.get("data") is not None:
        return 200
    if 200 <= status < 300:
        # Nothing ran but the json status said 200 (e.g. a code with no status of its own).
        codes = [e.get("extensions", {}).get("code") for e in payload.get("errors") or []]
        return 500 if "INTERNAL" in codes else REQUEST_ERROR_STATUS
    return status


@dataclass(slots=True)
class BatchReply:
    """The answers to a batch (a JSON array of operations), in order."""

    replies: list[Reply]
    headers: dict[str, str] = field(default_factory=dict)


def status_of(reply: Reply, media_type: str) -> int:
    """The one status rule (module docstring)."""
    if reply.executed:
        if media_type == GRAPHQL_RESPONSE_JSON or reply.mutation:
            return 200
        return reply.status
    if media_type == GRAPHQL_RESPONSE_JSON:
        return spec_status(reply.payload, reply.status)
    return reply.status


def _body(reply: Reply, media_type: str) -> dict[str, Any]:
    """The response body: a request error has no `data` under the spec type."""
    payload = reply.payload
    if media_type == GRAPHQL_RESPONSE_JSON and not reply.executed:
        if payload.get("data") is None and payload.get("errors"):
            return {k: v for k, v in payload.items() if k != "data"}
    return payload


def render_batch(batch: BatchReply, media_type: str) -> Response:
    """An array of bodies, 200: the batch was accepted, each answer has its own errors."""
    return Response(
        jsonio.dumps([_body(r, media_type) for r in batch.replies]),
        status_code=200,
        headers=batch.headers,
        media_type=f"{media_type}; charset=utf-8",
    )


def render(reply: Reply, media_type: str) -> Response:
    payload = _body(reply, media_type)
    status = status_of(reply, media_type)
    headers = reply.headers
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **headers}
    return Response(
        jsonio.dumps(payload),
        status_code=status,
        headers=headers,
        media_type=f"{media_type}; charset=utf-8",
    )


def not_acceptable(request_id: str | None) -> Response:
    """406 in application/json (the client accepts nothing we send, so the spec's legacy
    type), with the request id where every other refusal has it."""
    body: dict[str, Any] = {
        "errors": [
            {
                "message": f"Accept {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}.",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }
    if request_id:
        body["extensions"] = {"requestId": request_id}
    return Response(json.dumps(body), status_code=406, media_type=APPLICATION_JSON)
