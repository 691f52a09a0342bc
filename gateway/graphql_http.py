"""The /graphql endpoint: HTTP in, GraphQL out.

Owns everything HTTP about GraphQL: body limits, JSON parsing, authentication, status
codes and rate-limit headers. GraphQL semantics stay in the schema; resolvers never see
HTTP.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types.graphql import OperationType

from gateway.admission import admit, admit_document
from gateway.clientaddr import client_key
from gateway.context import GatewayContext
from gateway.deadline import TIMEOUT_CODE, ExecutionTimedOut, within
from gateway.errors import error_payload, format_error, with_request_id
from gateway.logging import get_logger
from gateway.negotiation import (
    APPLICATION_JSON,
    BatchReply,
    Reply,
    choose_media_type,
    not_acceptable,
    render,
    render_batch,
)
from gateway.persisted import Refusal
from gateway.pipeline import CompiledPipeline
from gateway.ratelimit import STORAGE_ERRORS
from gateway.refusals import charge_refused, refusal_charge
from gateway.request_params import BadJson, operation_name_problem, parse_json
from gateway.services import Services
from models.db import UNAVAILABLE_ERRORS
from models.rows import Row
from resolvers.errors import DomainError, RateLimited

log = get_logger("gateway.graphql")

STATUS_BY_CODE = {
    "RATE_LIMITED": 429,
    "UNAUTHENTICATED": 401,
    "QUERY_TOO_COMPLEX": 400,
    "BAD_USER_INPUT": 400,
    "SERVICE_UNAVAILABLE": 503,
    # A query past its execution budget (a mutation's answer is 200 once it ran:
    # gateway/negotiation.py).
    TIMEOUT_CODE: 504,
}


class BodyTooLarge(Exception):
    pass


def _json(payload: Any, status: int, headers: dict[str, str] | None = None) -> Reply:
    """Rendered in the media type the client accepts (gateway/negotiation.py)."""
    return Reply(payload, status, headers or {})


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def client_ip(request: Request, ipv6_prefix: int = 64) -> str:
    """The peer address, as rewritten from X-Forwarded-For for trusted proxies only
    (FORWARDED_ALLOW_IPS, applied by Uvicorn's ProxyHeadersMiddleware in the app factory),
    normalised to what anonymous budgets count (gateway/clientaddr.py)."""
    return client_key(request.client.host if request.client else "unknown", ipv6_prefix)


class GraphQLEndpoint:
    def __init__(self, schema: Any, services: Services, document_cache_bytes: int) -> None:
        self.schema = schema
        self.services = services  # filled in by the app's lifespan
        self.pipeline = CompiledPipeline(schema, max_bytes=document_cache_bytes)
        # GraphiQL's scripts come from the gateway itself (gateway/static/graphiql, the
        # same bytes as the npm packages, so the page's SRI hashes still hold): no CDN, and
        # the explorer works on machines without internet access.
        self.ide_html = get_graphql_ide_html(graphql_ide="graphiql").replace(
            "https://unpkg.com/", "/graphiql-assets/"
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        media_type = choose_media_type(request.headers.get("accept"))
        asks_for_ide = request.method == "GET" and not (
            "query" in request.query_params or "extensions" in request.query_params
        )
        if media_type is None and not asks_for_ide:
            response = not_acceptable(request.scope.get("state", {}).get("request_id"))
        else:
            reply = await self.handle(request)
            if isinstance(reply, Reply):
                state = request.scope.get("state", {})
                with_request_id(reply.payload, state.get("request_id"))
                response = render(reply, media_type or APPLICATION_JSON)
            elif isinstance(reply, BatchReply):
                response = render_batch(reply, media_type or APPLICATION_JSON)
            else:
                response = reply
        response = await charge_refused(request, response, self.services)
        _cache_policy(request, response)
        if response.status_code == 429:
            await self._slow_down(response)
        await response(scope, receive, send)

    async def _slow_down(self, response: Response) -> None:
        """A throttled caller's answer waits RATE_LIMIT_REFUSAL_DELAY_MS (at most its
        Retry-After): a client that ignores Retry-After and loops on its connections
        would otherwise get refusals as fast as the gateway can write them, and each
        costs the event loop as much as a small query. Connections per client IP are
        capped, so the waiting answers are bounded too."""
        delay = self.services.settings.rate_limit_refusal_delay_ms / 1000
        retry = response.headers.get("retry-after", "")
        if retry.isdigit():
            delay = min(delay, float(retry))
        if delay > 0:
            await asyncio.sleep(delay)

    async def handle(self, request: Request) -> Reply | BatchReply | Response:
        state = request.scope.setdefault("state", {})
        if request.method == "GET":
            accept = request.headers.get("accept", "")
            if not ("query" in request.query_params or "extensions" in request.query_params):
                if "text/html" in accept:
                    return HTMLResponse(self.ide_html)
                return _json(
                    error_payload("BAD_USER_INPUT", "Send a query: POST JSON or GET ?query=..."),
                    400,
                )
            params: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                if name in params:
                    try:
                        params[name] = parse_json(params[name])
                    except BadJson as exc:
                        return _json(
                            error_payload(
                                "BAD_USER_INPUT", str(exc), requestId=state.get("request_id")
                            ),
                            400,
                        )
                    except ValueError:
                        return _json(error_payload("BAD_USER_INPUT", f"'{name}' is not JSON."), 400)
            allowed = {OperationType.QUERY}
        elif request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype not in ("application/json", "application/graphql-response+json", ""):
                return _json(
                    error_payload("BAD_USER_INPUT", "Send the request as application/json."), 415
                )
            try:
                raw = await _read_body(request, self.services.settings.max_body_bytes)
            except ClientDisconnect:
                # Gone mid-body (or cut off at HTTP_BODY_TIMEOUT_SECONDS): nobody reads
                # the answer, but the request is charged like any refusal.
                log.info("client_disconnected", stage="body")
                return _json(
                    error_payload("BAD_USER_INPUT", "The client disconnected mid-body."), 400
                )
            except BodyTooLarge:
                limit = self.services.settings.max_body_bytes
                return _json(
                    error_payload("BAD_USER_INPUT", f"The request body exceeds {limit} bytes."),
                    413,
                )
            try:
                params = parse_json(raw)
            except BadJson as exc:
                return _json(
                    error_payload("BAD_USER_INPUT", str(exc), requestId=state.get("request_id")),
                    400,
                )
            except (ValueError, UnicodeDecodeError):
                return _json(
                    error_payload("BAD_USER_INPUT", "The request body is not valid JSON."), 400
                )
            allowed = {OperationType.QUERY, OperationType.MUTATION}
            if isinstance(params, list):
                return await self.batch(request, params, allowed)
        else:
            return _json(
                error_payload("BAD_USER_INPUT", "Use GET or POST."), 405, {"Allow": "GET, POST"}
            )
        return await self.run(request, params, allowed)

    async def batch(
        self, request: Request, operations: list[Any], allowed: set[OperationType]
    ) -> Reply | BatchReply:
        """A JSON array of operations (Apollo's BatchHttpLink), answered with an array in
        the same order. Each one runs as if sent alone, one after the other: resolved,
        authenticated, priced, charged (a refused one too) and executed on its own, so a
        batch costs what its operations would cost separately. At most
        BATCH_MAX_OPERATIONS; the status is 200 once the batch is accepted, and each
        answer carries its own errors."""
        state = request.scope["state"]
        limit = self.services.settings.batch_max_operations
        if not operations or len(operations) > limit:
            message = (
                "Batched requests are off on this gateway: send one operation per request."
                if limit == 0
                else f"A batch holds 1 to {limit} operations; this one has {len(operations)}."
            )
            return _json(error_payload("BAD_USER_INPUT", message, maxOperations=limit), 400)
        request_id = state.get("request_id")
        replies: list[Reply] = []
        names: list[str] = []
        cost = 0
        for params in operations:
            scope = dict(request.scope)
            sub_state: dict[str, Any] = {"request_id": request_id}
            scope["state"] = sub_state
            one = Request(scope, request.receive)
            reply = await self.run(one, params, allowed)
            over = await refusal_charge(one, self.services)
            if over is not None:
                reply = over
            with_request_id(reply.payload, request_id)
            replies.append(reply)
            cost += int(sub_state.get("cost") or 0)
            names.append(str(sub_state.get("operation") or "-"))
            for key in ("user_id", "tier"):
                if sub_state.get(key) is not None:
                    state[key] = sub_state[key]
        state["metered"] = True  # every operation was charged on its own
        state["cost"] = cost
        state["operation"] = ",".join(names)[:200]
        state["operation_type"] = "batch"
        return BatchReply(replies, replies[-1].headers)

    async def run(self, request: Request, params: Any, allowed: set[OperationType]) -> Reply:
        """One operation, from its parameters to its reply."""
        state = request.scope.setdefault("state", {})
        register = None
        if isinstance(params, dict):
            try:
                resolved = await self.services.persisted.resolve(params)
            except STORAGE_ERRORS as exc:
                log.warning("persisted_query_storage_unavailable", error=type(exc).__name__)
                return _json(
                    error_payload("SERVICE_UNAVAILABLE", "Persisted queries are unavailable."),
                    503,
                    {"Retry-After": "1"},
                )
            if isinstance(resolved, Refusal):
                if resolved.code == "PERSISTED_QUERY_NOT_FOUND":
                    # Charged as a refusal; the registration that follows is not charged a
                    # second request (refusals.py, PersistedQueries.note_miss).
                    state["persisted_miss"] = params["extensions"]["persistedQuery"][
                        "sha256Hash"
                    ].lower()
                return _json(error_payload(resolved.code, resolved.message), resolved.status)
            params, register = resolved.params, resolved.register
        problem = _check_params(params)
        if problem:
            return _json(error_payload("BAD_USER_INPUT", problem), 400)
        limit = self.services.settings.query_max_chars
        if len(params["query"]) > limit:
            # Parsed documents are cached with their source text: a flood of distinct 1 MB
            # documents (a comment pads any query) would pin gigabytes.
            return _json(
                error_payload(
                    "QUERY_TOO_COMPLEX",
                    f"The document exceeds {limit} characters.",
                    maxChars=limit,
                ),
                400,
            )
        state["operation"] = params.get("operationName")

        request_id = state.get("request_id", "")
        try:
            viewer, record, fresh = await self.services.auth.authenticate_cached(
                request.headers.get("authorization")
            )
        except DomainError as exc:  # UNAUTHENTICATED, or SERVICE_UNAVAILABLE (identity provider)
            status = STATUS_BY_CODE.get(exc.code, 401)
            # Charged to the client IP (refusals.py), a provider outage's 503 too: without
            # a verified token there is no user to charge.
            state["authentication_failed"] = True
            if status == 401:
                return _json(error_payload(exc.code, exc.message), 401)  # + WWW-Authenticate
            return _json(error_payload(exc.code, exc.message), status, {"Retry-After": "1"})
        except UNAVAILABLE_ERRORS as exc:
            log.warning("database_unavailable", stage="authentication", error=type(exc).__name__)
            return _json(
                error_payload("SERVICE_UNAVAILABLE", "The database is unavailable; retry shortly."),
                503,
                {"Retry-After": "1"},
            )
        if viewer is not None:
            state["user_id"] = viewer.id
            if viewer.client is not None:
                state["client"] = viewer.client  # the request log's client=<name>
        state["tier"] = viewer.tier if viewer else "anonymous"

        ctx = GatewayContext.create(
            self.services,
            viewer,
            request_id,
            client_ip(request, self.services.settings.anonymous_ipv6_prefix_length),
        )
        if register is not None:
            # The document of a hash this caller just missed: the miss took the request.
            ctx.request_counted = await self.services.persisted.take_miss(ctx.rate_key, register[0])
        # The caller's record, as authentication read it: `me` needs no second read when
        # it was read just now, or when the document reads nothing of it that may have
        # changed since the cached viewer was (gateway/pipeline.py, IDENTITY_FIELDS).
        if record is not None and (fresh or self.pipeline.reads_only_identity(params["query"])):
            ctx.loaders.user.prime(record["_id"], Row(record))
        state["metered"] = True  # from here on admission control charges the request
        try:
            # Before parsing: a caller whose budget is spent costs no parse or validation.
            await admit_document(ctx, len(params["query"]))
        except DomainError as exc:  # RATE_LIMITED, or SERVICE_UNAVAILABLE (storage down)
            return await _refused_before_parsing(exc, ctx, state)
        try:
            work = self.pipeline.execute(
                params["query"],
                params.get("variables"),
                ctx,
                params.get("operationName"),
                allowed,
            )
            timeout_ms = self.services.settings.execution_timeout_ms
            tracer = self.services.tracer
            if tracer is None:
                result = await within(work, timeout_ms)
            else:
                # One span for parse, validate and execute (DataLoader batches nest in it).
                with tracer.start_as_current_span("graphql") as span:
                    result = await within(work, timeout_ms)
                    span.set_attribute("graphql.operation.type", ctx.operation_type or "")
                    name = ctx.operation or params.get("operationName")
                    span.set_attribute("graphql.operation.name", name or "")
        except ExecutionTimedOut as exc:
            mutation = ctx.operation_type == "mutation"
            timed_out = _json(
                error_payload(
                    TIMEOUT_CODE, exc.message_for(mutation), **exc.extensions_for(mutation)
                ),
                504,
                {"Retry-After": "1"},
            )
            timed_out.executed = ctx.executed
            timed_out.mutation = mutation
            return timed_out
        except Exception as exc:  # Strawberry raises for e.g. a mutation sent over GET
            # Its request was taken before parsing (admit_document); an admin's is not.
            message = _describe(exc, params.get("operationName"))
            if type(exc).__name__ == "InvalidOperationTypeError":  # a mutation over GET
                return _json(error_payload("BAD_USER_INPUT", message), 405, {"Allow": "POST"})
            return _json(error_payload("BAD_USER_INPUT", message), 400)
        finally:
            # Execution is over: the rows it loaded go with the response, not with the
            # next garbage collection (resolvers/dataloaders.py, Loaders.release).
            ctx.loaders.release()

        if not ctx.admitted and result.errors and result.data is None and ctx.cost == 0:
            # A document that failed to parse or validate still counts as a request, so
            # floods of broken queries are throttled like any other traffic.
            try:
                await admit(ctx, 0)
            except RateLimited as exc:
                result.errors = [_as_graphql_error(exc)]
            except DomainError:
                pass

        if register is not None and result.data is not None:
            await self.services.persisted.register(*register)
        errors = [format_error(e, request_id) for e in result.errors or []]
        view = await ctx.rate_limit()
        if view.degraded:
            state["unmetered"] = True  # in the request log and gateway_unmetered_requests
        state["cost"] = ctx.cost
        state["operation"] = ctx.operation or params.get("operationName")
        if ctx.operation_type:
            state["operation_type"] = ctx.operation_type
        payload: dict[str, Any] = {}
        if errors:
            payload["errors"] = errors
        payload["data"] = result.data
        payload["extensions"] = {"requestId": request_id, "rateLimit": view.extension()}
        headers = view.headers()
        status = 200
        nothing = result.data is None or all(v is None for v in result.data.values())
        if nothing and errors:
            # The request failed as a whole: say so in the status, so clients and load
            # balancers can act on it (retry after 429/503) without parsing the body.
            code = errors[0]["extensions"].get("code")
            status = STATUS_BY_CODE.get(code, 500 if code == "INTERNAL" else 200)
            if code == "RATE_LIMITED":
                headers["Retry-After"] = str(errors[0]["extensions"].get("retryAfter", 1))
            elif code == "SERVICE_UNAVAILABLE":
                headers["Retry-After"] = "1"
        reply = _json(payload, status, headers)
        reply.executed = ctx.executed
        reply.mutation = ctx.operation_type == "mutation"
        return reply


def _cache_policy(request: Request, response: Response) -> None:
    """Who may keep a copy. An answer to an authenticated request is the caller's alone
    (`private, no-store`: a CDN or a shared browser cache must never serve a learner's
    e-mail to the next caller of the same URL); only an anonymous GET that succeeded may
    be cached by a shared cache, as its operator configures it (docs/api.md); every
    other answer (a POST, a refusal) is not stored. `Vary: Authorization` on all of them,
    so a cache that keys on the URL alone is told it must not."""
    headers = response.headers
    if request.headers.get("authorization"):
        headers["Cache-Control"] = "private, no-store"
    elif request.method != "GET" or response.status_code != 200:
        headers["Cache-Control"] = "no-store"
    vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
    if "authorization" not in {v.lower() for v in vary}:
        headers["Vary"] = ", ".join([*vary, "Authorization"])


async def _refused_before_parsing(
    exc: DomainError, ctx: GatewayContext, state: dict[str, Any]
) -> Reply:
    status = STATUS_BY_CODE.get(exc.code, 400)
    state["cost"] = ctx.cost = ctx.document_points
    view = await ctx.rate_limit()
    if view.degraded:
        state["unmetered"] = True
    payload = error_payload(exc.code, exc.message, **exc.extensions)
    payload["extensions"] = {"requestId": ctx.request_id, "rateLimit": view.extension()}
    headers = view.headers()
    headers["Retry-After"] = str(exc.extensions.get("retryAfter", 1))
    return _json(payload, status, headers)


def _check_params(params: Any) -> str | None:
    if not isinstance(params, dict):
        return "The request body must be a JSON object with a 'query' string."
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        return "'query' must be a non-empty string."
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return "'variables' must be a JSON object."
    name = params.get("operationName")
    if name is not None and not isinstance(name, str):
        return "'operationName' must be a string."
    return operation_name_problem(name)


def _describe(exc: Exception, operation_name: str | None) -> str:
    name = type(exc).__name__
    if name == "InvalidOperationTypeError":
        return "Mutations must be sent with POST."
    if name == "CannotGetOperationTypeError":
        if operation_name:
            return "'operationName' does not name an operation in the document."
        return "Name the operation to run with 'operationName'."
    if name == "MissingQueryError":
        return "'query' must be a non-empty string."
    return "The request could not be executed."


def _as_graphql_error(exc: DomainError) -> GraphQLError:
    return GraphQLError(exc.message, original_error=exc)
