"""The /graphql endpoint: HTTP in, GraphQL out, in named steps.

    read -> resolve persisted document -> authenticate -> admit -> execute -> respond

Each step is a method of `GraphQLEndpoint` that takes the request's `Exchange` and
answers either what the next step needs or the `Reply` that ends the request (a refusal).
A batch (a JSON array) runs the middle steps once per operation. Owns everything HTTP
about GraphQL: body limits, JSON parsing, authentication (once per request), status codes
and rate-limit headers; every outcome is charged through gateway/admission.py `charge`.
GraphQL semantics stay in the schema; resolvers never see HTTP.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.admission import Outcome, charge
from gateway.clientaddr import client_key
from gateway.context import GatewayContext
from gateway.deadline import TIMEOUT_CODE, ExecutionTimedOut, within
from gateway.errors import (
    describe_unrunnable,
    error_payload,
    format_error,
    is_subscription_error,
    with_request_id,
)
from gateway.logging import get_logger
from gateway.meter import Meter
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
from gateway.querycost import document_points
from gateway.ratelimit import STORAGE_ERRORS
from gateway.request_params import (
    BadJson,
    operation_name_problem,
    parse_json,
    variables_problem,
)
from gateway.services import STATE_KEY, Services, services_of
from gateway.settings import Settings
from models.db import UNAVAILABLE_ERRORS
from models.rows import Row
from resolvers.errors import DomainError, RateLimited, ServiceUnavailable
from resolvers.viewer import Viewer

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


async def _read_body(request: Request, limit: int, declared: str | None) -> bytes:
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


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent the request, as the authenticate step found them (once per request)."""

    client_ip: str
    viewer: Viewer | None = None
    record: dict[str, Any] | None = None  # the user's record, as authentication read it
    fresh: bool = False  # read just now, not from the authenticator's cache
    # Authentication failed: this answers the request, charged to the client IP.
    refusal: Reply | None = None

    def meter(self, settings: Settings) -> Meter:
        return Meter.of(self.viewer, self.client_ip, settings.rate_limits_enabled)


@dataclass(frozen=True, slots=True)
class Read:
    """What the read step found: the parameters (a list for a batch), not yet checked."""

    allowed: set[OperationType]  # GET runs queries only
    params: Any


@dataclass(slots=True)
class Operation:
    """One operation's parameters once read and resolved (a persisted query's document)."""

    query: str
    variables: dict[str, Any] | None
    name: str | None
    allowed: set[OperationType]
    # (hash, document) to register once it ran: an automatic persisted query's second step.
    register: tuple[str, str] | None = None


def first_headers(scope: Any) -> dict[str, str]:
    """The request's headers by (lower-case, as ASGI sends them) name, the first of each
    name, decoded once: what Starlette's `request.headers.get` answers. The steps read
    seven per request, and each Starlette lookup scans and decodes the whole list."""
    out: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1")
        if key not in out:
            out[key] = value.decode("latin-1")
    return out


@dataclass(slots=True)
class Exchange:
    """One HTTP request on its way through the steps; a batch's operations each get a
    child, with its own state (cost, operation, tier for the log) and charge."""

    request: Request
    services: Services
    state: dict[str, Any]
    headers: dict[str, str]  # first_headers: the request's, shared by a batch's children
    parent: Exchange | None = None
    caller: Caller | None = None  # on the root only: authenticated once per request
    charged: bool = False  # gateway/admission.py `charge` has counted it

    @property
    def request_id(self) -> str:
        return str(self.state.get("request_id") or "")

    def child(self) -> Exchange:
        state = {"request_id": self.state.get("request_id"), STATE_KEY: self.services}
        return Exchange(self.request, self.services, state, self.headers, parent=self)


class GraphQLEndpoint:
    def __init__(self, schema: Any, document_cache_bytes: int) -> None:
        self.schema = schema
        self.pipeline = CompiledPipeline(schema, max_bytes=document_cache_bytes)
        # GraphiQL's scripts come from the gateway itself (gateway/static/graphiql, the
        # same bytes as the npm packages, so the page's SRI hashes still hold): no CDN, and
        # the explorer works on machines without internet access.
        self.ide_html = get_graphql_ide_html(graphql_ide="graphiql").replace(
            "https://unpkg.com/", "/graphiql-assets/"
        )
        # Requests that accept text/event-stream: GraphQL over SSE (gateway/live_sse.py,
        # set by the app factory); it runs the same steps.
        self.event_stream: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        state = request.scope.setdefault("state", {})
        ex = Exchange(request, services_of(scope), state, first_headers(scope))
        if self.event_stream is not None and self.event_stream.accepts(
            request.method, ex.headers.get("accept")
        ):
            await self.event_stream(ex, send)
            return
        response = await self.respond(ex, await self.answer(ex))
        await response(scope, receive, send)

    async def answer(self, ex: Exchange) -> Reply | BatchReply | Response:
        """Every step but the last: what the request is answered with."""
        request = ex.request
        media_type = choose_media_type(ex.headers.get("accept"))
        if media_type is None and not _asks_for_ide(request):
            return not_acceptable(ex.state.get("request_id"))
        read = await self.read(ex)
        if not isinstance(read, Read):
            return read  # a refusal, or GraphiQL's page
        if isinstance(read.params, list):
            return await self.batch(ex, read.params, read.allowed)
        return await self.operation(ex, read.params, read.allowed)

    # --- read -----------------------------------------------------------------------

    async def read(self, ex: Exchange) -> Read | Reply | Response:
        """The GraphQL parameters from the query string or the body, within
        MAX_BODY_BYTES; or the refusal (GraphiQL's page for a browser's plain GET)."""
        request, settings = ex.request, ex.services.settings
        if request.method == "GET":
            if _asks_for_ide(request):
                if "text/html" in ex.headers.get("accept", ""):
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
                            error_payload("BAD_USER_INPUT", str(exc), requestId=ex.request_id),
                            400,
                        )
                    except ValueError:
                        return _json(error_payload("BAD_USER_INPUT", f"'{name}' is not JSON."), 400)
            return Read({OperationType.QUERY}, params)
        if request.method != "POST":
            return _json(
                error_payload("BAD_USER_INPUT", "Use GET or POST."), 405, {"Allow": "GET, POST"}
            )
        ctype = ex.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("application/json", "application/graphql-response+json", ""):
            return _json(
                error_payload("BAD_USER_INPUT", "Send the request as application/json."), 415
            )
        try:
            raw = await _read_body(
                request, settings.max_body_bytes, ex.headers.get("content-length")
            )
        except ClientDisconnect:
            # Gone mid-body (or cut off at HTTP_BODY_TIMEOUT_SECONDS): nobody reads the
            # answer, but the request is charged like any refusal.
            log.info("client_disconnected", stage="body")
            return _json(error_payload("BAD_USER_INPUT", "The client disconnected mid-body."), 400)
        except BodyTooLarge:
            limit = settings.max_body_bytes
            return _json(
                error_payload("BAD_USER_INPUT", f"The request body exceeds {limit} bytes."), 413
            )
        try:
            body = parse_json(raw)
        except BadJson as exc:
            return _json(error_payload("BAD_USER_INPUT", str(exc), requestId=ex.request_id), 400)
        except (ValueError, UnicodeDecodeError):
            return _json(
                error_payload("BAD_USER_INPUT", "The request body is not valid JSON."), 400
            )
        return Read({OperationType.QUERY, OperationType.MUTATION}, body)

    async def batch(
        self, ex: Exchange, operations: list[Any], allowed: set[OperationType]
    ) -> Reply | BatchReply:
        """A JSON array of operations (Apollo's BatchHttpLink), answered with an array in
        the same order. Each one runs as if sent alone, one after the other: resolved,
        priced, charged (a refused one too) and executed on its own, so a batch costs what
        its operations would cost separately; the caller is authenticated once. At most
        BATCH_MAX_OPERATIONS; the status is 200 once the batch is accepted, and each
        answer carries its own errors."""
        limit = ex.services.settings.batch_max_operations
        if not operations or len(operations) > limit:
            message = (
                "Batched requests are off on this gateway: send one operation per request."
                if limit == 0
                else f"A batch holds 1 to {limit} operations; this one has {len(operations)}."
            )
            return _json(error_payload("BAD_USER_INPUT", message, maxOperations=limit), 400)
        replies: list[Reply] = []
        names: list[str] = []
        cost = 0
        state = ex.state
        for params in operations:
            one = ex.child()
            reply = await self.operation(one, params, allowed)
            with_request_id(reply.payload, ex.request_id)
            replies.append(reply)
            cost += int(one.state.get("cost") or 0)
            names.append(str(one.state.get("operation") or "-"))
            for key in ("user_id", "client", "tier", "unmetered"):
                if one.state.get(key) is not None:
                    state[key] = one.state[key]
        ex.charged = True  # every operation was charged on its own
        state["cost"] = cost
        state["operation"] = ",".join(names)[:200]
        state["operation_type"] = "batch"
        return BatchReply(replies, replies[-1].headers)

    async def operation(self, ex: Exchange, params: Any, allowed: set[OperationType]) -> Reply:
        """One operation through the middle steps; a refusal on the way is charged here."""
        op = await self.resolve_persisted(ex, params, allowed)
        if isinstance(op, Reply):
            return op
        return await self.run(ex, op)

    async def run(self, ex: Exchange, op: Operation) -> Reply:
        """A resolved operation through authenticate, admit and execute."""
        caller = await self.authenticate(ex)
        if caller.refusal is not None:
            return await self.refused(ex, caller.refusal)
        ctx = await self.admit(ex, caller, op)
        if isinstance(ctx, Reply):
            return ctx
        return await self.execute(ex, ctx, op)

    # --- resolve persisted document -------------------------------------------------

    async def resolve_persisted(
        self, ex: Exchange, params: Any, allowed: set[OperationType]
    ) -> Operation | Reply:
        """The operation to run: a persisted query's hash resolved to its document (APQ,
        allow-list), parameters checked, the document's length bounded."""
        services = ex.services
        register = None
        if isinstance(params, dict):
            try:
                resolved = await services.persisted.resolve(params)
            except STORAGE_ERRORS as exc:
                log.warning("persisted_query_storage_unavailable", error=type(exc).__name__)
                return await self.refused(
                    ex,
                    _json(
                        error_payload("SERVICE_UNAVAILABLE", "Persisted queries are unavailable."),
                        503,
                        {"Retry-After": "1"},
                    ),
                )
            if isinstance(resolved, Refusal):
                reply = _json(error_payload(resolved.code, resolved.message), resolved.status)
                miss = None
                if resolved.code == "PERSISTED_QUERY_NOT_FOUND":
                    # The registration that follows is not charged a second request
                    # (PersistedQueries.note_miss, take_miss).
                    miss = params["extensions"]["persistedQuery"]["sha256Hash"].lower()
                return await self.refused(ex, reply, miss)
            params, register = resolved.params, resolved.register
        problem = _check_params(params)
        if problem:
            return await self.refused(ex, _json(error_payload("BAD_USER_INPUT", problem), 400))
        limit = services.settings.query_max_chars
        if len(params["query"]) > limit:
            # Parsed documents are cached with their source text: a flood of distinct 1 MB
            # documents (a comment pads any query) would pin gigabytes.
            return await self.refused(
                ex,
                _json(
                    error_payload(
                        "QUERY_TOO_COMPLEX",
                        f"The document exceeds {limit} characters.",
                        maxChars=limit,
                    ),
                    400,
                ),
            )
        ex.state["operation"] = params.get("operationName")
        return Operation(
            params["query"], params.get("variables"), params.get("operationName"), allowed, register
        )

    # --- authenticate ---------------------------------------------------------------

    async def authenticate(self, ex: Exchange) -> Caller:
        """The caller, authenticated once per request (a batch's operations and the
        charge of a refusal reuse it)."""
        root = ex.parent or ex
        if root.caller is None:
            root.caller = await self._authenticate(root)
        caller = root.caller
        viewer = caller.viewer
        if viewer is not None:
            ex.state["user_id"] = viewer.id
            if viewer.client is not None:
                ex.state["client"] = viewer.client  # the request log's client=<name>
        ex.state["tier"] = viewer.tier if viewer else "anonymous"
        return caller

    async def _authenticate(self, ex: Exchange) -> Caller:
        services = ex.services
        ip = client_ip(ex.request, services.settings.anonymous_ipv6_prefix_length)
        try:
            viewer, record, fresh = await services.auth.authenticate_cached(
                ex.headers.get("authorization")
            )
        except DomainError as exc:  # UNAUTHENTICATED, or SERVICE_UNAVAILABLE (identity provider)
            # Charged to the client IP, a provider outage's 503 too: without a verified
            # token there is no user to charge.
            status = STATUS_BY_CODE.get(exc.code, 401)
            payload = error_payload(exc.code, exc.message, **exc.extensions)
            if status == 401:
                return Caller(ip, refusal=_json(payload, 401))  # + WWW-Authenticate
            return Caller(ip, refusal=_json(payload, status, {"Retry-After": "1"}))
        except UNAVAILABLE_ERRORS as exc:
            log.warning("database_unavailable", stage="authentication", error=type(exc).__name__)
            message = "The database is unavailable; retry shortly."
            payload = error_payload("SERVICE_UNAVAILABLE", message)
            return Caller(ip, refusal=_json(payload, 503, {"Retry-After": "1"}))
        return Caller(ip, viewer, record, fresh)

    # --- admit ----------------------------------------------------------------------

    async def admit(self, ex: Exchange, caller: Caller, op: Operation) -> GatewayContext | Reply:
        """The request's context, once the caller may have the document parsed: the
        request is charged here (gateway/admission.py, PARSING), so a caller whose budget
        is spent costs no parse or validation."""
        services = ex.services
        meter = caller.meter(services.settings)
        ctx = GatewayContext.create(services, caller.viewer, ex.request_id, caller.client_ip, meter)
        if op.register is not None:
            # The document of a hash this caller just missed: the miss took the request.
            meter.request_taken = await services.persisted.take_miss(ctx.rate_key, op.register[0])
        # The caller's record, as authentication read it: `me` needs no second read when
        # it was read just now, or when the document reads nothing of it that may have
        # changed since the cached viewer was (gateway/pipeline.py, IDENTITY_FIELDS).
        record = caller.record
        if record is not None and (caller.fresh or self.pipeline.reads_only_identity(op.query)):
            ctx.loaders.user.prime(record["_id"], Row(record))
        meter.document_points = document_points(len(op.query))
        error = await charge(services, meter, Outcome.PARSING)
        ex.charged = True
        if error is None:
            return ctx
        # RATE_LIMITED, SERVICE_UNAVAILABLE (storage down, the tier fails closed), or
        # QUERY_TOO_COMPLEX (longer than the tier's whole bucket: waiting never helps).
        ex.state["cost"] = ctx.cost = meter.document_points
        view = await ctx.rate_limit()
        if view.degraded:
            ex.state["unmetered"] = True
        payload = error_payload(error.code, error.message, **error.extensions)
        payload["extensions"] = {"requestId": ctx.request_id, "rateLimit": view.extension()}
        headers = view.headers()
        if isinstance(error, RateLimited | ServiceUnavailable):
            headers["Retry-After"] = str(error.extensions.get("retryAfter", 1))
        ctx.loaders.release()
        return _json(payload, STATUS_BY_CODE.get(error.code, 400), headers)

    # --- execute --------------------------------------------------------------------

    async def execute(self, ex: Exchange, ctx: GatewayContext, op: Operation) -> Reply:
        """Parse, validate, price (admission control charges it), execute within
        EXECUTION_TIMEOUT_MS; then the operation's reply."""
        services = ex.services
        try:
            result = await self._within_deadline(services, ctx, op)
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
            await charge(services, ctx.meter, Outcome.INVALID)
            message = describe_unrunnable(exc, op.name)
            if is_subscription_error(exc):  # streams: WebSocket or text/event-stream
                return _json(error_payload("BAD_USER_INPUT", message), 400)
            if type(exc).__name__ == "InvalidOperationTypeError":  # a mutation over GET
                return _json(error_payload("BAD_USER_INPUT", message), 405, {"Allow": "POST"})
            return _json(error_payload("BAD_USER_INPUT", message), 400)
        finally:
            # Execution is over: the rows it loaded go with the response, not with the
            # next garbage collection (resolvers/dataloaders, Loaders.release).
            ctx.loaders.release()
        if ctx.meter.outcome is Outcome.PARSING:
            # Admission control never saw it: it did not parse or validate. Charged still,
            # so floods of broken queries are throttled like any other traffic.
            limited = await charge(services, ctx.meter, Outcome.INVALID)
            if isinstance(limited, RateLimited):
                result.errors = [_as_graphql_error(limited)]
        if op.register is not None and result.data is not None:
            await services.persisted.register(*op.register)
        return await self._operation_reply(ex, ctx, op, result)

    async def _within_deadline(
        self, services: Services, ctx: GatewayContext, op: Operation
    ) -> ExecutionResult:
        work = self.pipeline.execute(op.query, op.variables, ctx, op.name, op.allowed)
        timeout_ms = services.settings.execution_timeout_ms
        tracer = services.tracer
        if tracer is None:
            return await within(work, timeout_ms)
        # One span for parse, validate and execute (DataLoader batches nest in it).
        with tracer.start_as_current_span("graphql") as span:
            result = await within(work, timeout_ms)
            span.set_attribute("graphql.operation.type", ctx.operation_type or "")
            span.set_attribute("graphql.operation.name", ctx.operation or op.name or "")
            return result

    # --- respond --------------------------------------------------------------------

    async def _operation_reply(
        self, ex: Exchange, ctx: GatewayContext, op: Operation, result: ExecutionResult
    ) -> Reply:
        """The executed operation's reply: data, errors, rate-limit extension and headers,
        and the status when it failed as a whole."""
        state = ex.state
        errors = [format_error(e, ctx.request_id) for e in result.errors or []]
        view = await ctx.rate_limit()
        if view.degraded:
            state["unmetered"] = True  # in the request log and gateway_unmetered_requests
        state["cost"] = ctx.cost
        state["operation"] = ctx.operation or op.name
        if ctx.operation_type:
            state["operation_type"] = ctx.operation_type
        payload: dict[str, Any] = {}
        if errors:
            payload["errors"] = errors
        payload["data"] = result.data
        payload["extensions"] = {"requestId": ctx.request_id, "rateLimit": view.extension()}
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
        # No data, and only graphql-core's own errors outside any field: nothing ran (the
        # variables did not coerce), a request error, which the spec type answers 4xx
        # without `data`. An exception of ours that escaped execution may follow writes.
        request_error = (
            result.data is None
            and bool(result.errors)
            and all(
                not e.path
                and (e.original_error is None or isinstance(e.original_error, GraphQLError))
                for e in result.errors or []
            )
        )
        reply.executed = ctx.executed and not request_error
        reply.mutation = ctx.operation_type == "mutation"
        return reply

    async def refused(self, ex: Exchange, answer: Reply, miss: str | None = None) -> Reply:
        """`answer`, a refusal before admission, once charged; or the 429 that replaces it
        once the caller's window is spent. `miss`: the hash of an automatic persisted
        query it missed (its registration is not charged a second request)."""
        over = await self._charge_refusal(ex, miss)
        return answer if over is None else over

    async def _charge_refusal(self, ex: Exchange, miss: str | None = None) -> Reply | None:
        """Charge the request to its caller (gateway/admission.py, REFUSED): the 429 that
        answers instead once their window is spent, else None."""
        caller = await self.authenticate(ex)
        meter = caller.meter(ex.services.settings)
        error = await charge(ex.services, meter, Outcome.REFUSED)
        ex.charged = True
        if isinstance(error, RateLimited):
            payload = error_payload(error.code, error.message, **error.extensions)
            return Reply(payload, 429, {"Retry-After": str(error.extensions["retryAfter"])})
        if miss and meter.request_taken and not meter.exempt:
            await ex.services.persisted.note_miss(meter.key, miss)
        return None

    async def respond(self, ex: Exchange, answer: Reply | BatchReply | Response) -> Response:
        """The answer rendered in the media type the client accepts, charged if nothing
        was yet, with its cache policy; a throttled caller's waits first."""
        if not ex.charged:
            answer = await self._charge_refusal(ex) or answer
        media_type = choose_media_type(ex.headers.get("accept")) or APPLICATION_JSON
        failed = True  # a batch or a bare Response: never stored by a shared cache
        if isinstance(answer, Reply):
            with_request_id(answer.payload, ex.state.get("request_id"))
            response = render(answer, media_type)
            failed = "errors" in answer.payload
        elif isinstance(answer, BatchReply):
            response = render_batch(answer, media_type)
        else:
            response = answer
        _cache_policy(ex.request.method, bool(ex.headers.get("authorization")), response, failed)
        if response.status_code == 429:
            await _slow_down(response, ex.services.settings.rate_limit_refusal_delay_ms)
        return response


def _asks_for_ide(request: Request) -> bool:
    return request.method == "GET" and not (
        "query" in request.query_params or "extensions" in request.query_params
    )


async def _slow_down(response: Response, delay_ms: int) -> None:
    """A throttled caller's answer waits RATE_LIMIT_REFUSAL_DELAY_MS (at most its
    Retry-After): a client that ignores Retry-After and loops on its connections would
    otherwise get refusals as fast as the gateway can write them, and each costs the
    event loop as much as a small query. Connections per client IP are capped, so the
    waiting answers are bounded too."""
    delay = delay_ms / 1000
    retry = response.headers.get("retry-after", "")
    if retry.isdigit():
        delay = min(delay, float(retry))
    if delay > 0:
        await asyncio.sleep(delay)


def _cache_policy(method: str, authorized: bool, response: Response, failed: bool) -> None:
    """Who may keep a copy. An answer to an authenticated request is the caller's alone
    (`private, no-store`: a CDN or a shared browser cache must never serve a learner's
    e-mail to the next caller of the same URL); only an anonymous GET that succeeded (200
    and no `errors`) may be cached by a shared cache, as its operator configures it
    (docs/api.md); every other answer (a POST, a refusal, an automatic persisted query's
    PERSISTED_QUERY_NOT_FOUND, which is a 200 with errors) is not stored. `Vary:
    Authorization` on all of them, so a cache that keys on the URL alone is told it must
    not.

    Written into the response's raw headers as Starlette's MutableHeaders would (a set
    replaces the first entry of that name and drops the others; the first `Vary` entry is
    the one extended): through MutableHeaders this was ~7 us per request, twice the
    Response itself."""
    raw = response.raw_headers
    if authorized:
        _set_raw(raw, b"cache-control", b"private, no-store")
    elif method != "GET" or response.status_code != 200 or failed:
        _set_raw(raw, b"cache-control", b"no-store")
    first = next((value for name, value in raw if name == b"vary"), b"")
    vary = [v.strip() for v in first.split(b",") if v.strip()]
    if b"authorization" not in {v.lower() for v in vary}:
        _set_raw(raw, b"vary", b", ".join([*vary, b"Authorization"]))


def _set_raw(raw: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> None:
    """MutableHeaders' `headers[name] = value` on a raw header list (`name` lower-case,
    as Starlette stores every name)."""
    found = [i for i, (key, _) in enumerate(raw) if key == name]
    if not found:
        raw.append((name, value))
        return
    raw[found[0]] = (name, value)
    for i in reversed(found[1:]):
        del raw[i]


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
    return operation_name_problem(name) or variables_problem(variables)


def _as_graphql_error(exc: DomainError) -> GraphQLError:
    return GraphQLError(exc.message, original_error=exc)
