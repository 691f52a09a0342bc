"""All configuration comes from the environment, read in this one place.

Each setting is one field whose description is its documentation: `.env.example` and
docs/configuration.md are generated from these fields (`python -m scripts.settings_docs`;
tests/test_settings_documented.py fails when they are stale), so a setting is described
once. Sections come first in the order an operator meets them; after them, one group of
advanced settings (bounds and internals whose defaults were measured: change them with a
reason). Ranges are pydantic constraints (`ge`/`le`), URLs and directories are checked with
pydantic's types; a validator is left only where a value has a syntax of its own.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from limits import parse_many
from pydantic import (
    AfterValidator,
    AnyUrl,
    DirectoryPath,
    Field,
    HttpUrl,
    MongoDsn,
    SecretStr,
    TypeAdapter,
    UrlConstraints,
    field_validator,
)
from pydantic.json_schema import JsonDict
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.documents import DAILY_SET_TTL_INDEX

TIERS = ("anonymous", "free", "pro", "premium", "tutor")


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


DEFAULT_CORS_ALLOW_HEADERS = ",".join(
    (
        "Authorization",
        "Content-Type",
        "Accept",
        "X-Request-ID",
        "Last-Event-ID",
        "apollographql-client-name",
        "apollographql-client-version",
        "apollo-require-preflight",
        "x-apollo-operation-name",
        "traceparent",
        "tracestate",
        "baggage",
        "sentry-trace",
    )
)
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _checked_by(kind: Any) -> AfterValidator:
    """Validate with a pydantic type but keep the text as written: its consumers (drivers,
    exporters) take strings, and pydantic's URL types normalise (a bare host gains a `/`,
    which OTLP's exporter would double)."""
    adapter: TypeAdapter[Any] = TypeAdapter(kind)

    def check(value: str) -> str:
        adapter.validate_python(value)
        return value

    return AfterValidator(check)


HttpUrlText = Annotated[str, _checked_by(HttpUrl)]
MongoUri = Annotated[str, _checked_by(MongoDsn)]
RedisUrl = Annotated[
    str, _checked_by(Annotated[AnyUrl, UrlConstraints(allowed_schemes=["redis", "rediss", "unix"])])
]
Directory = Annotated[str, _checked_by(DirectoryPath)]


class Section:
    """Fields of one section of the generated docs: `Section("HTTP")(default, description)`."""

    def __init__(self, title: str, *, advanced: bool = False) -> None:
        self.title = title
        self.advanced = advanced

    def __call__(
        self, default: Any, description: str, *, commented: bool = False, **constraints: Any
    ) -> Any:
        """`commented`: .env.example shows it commented out, because leaving it unset is not
        the same as any value written (CORS_ALLOW_ORIGINS: unset allows localhost)."""
        extra: JsonDict = {"section": self.title, "advanced": self.advanced, "commented": commented}
        return Field(default, description=description, json_schema_extra=extra, **constraints)


HTTP = Section("HTTP")
DATABASE = Section("Database")
REDIS = Section("Redis")
AUTH = Section("Auth")
BUDGETS = Section("Request budgets")
API = Section("API")
LEARNING = Section("Learning")
COSTS = Section("Cost monitoring")
OBSERVABILITY = Section("Logs, metrics and tracing")
# The advanced group: bounds and internals an operator rarely sets.
ADV_HTTP = Section("HTTP and connections", advanced=True)
ADV_QUERIES = Section("Query limits and execution", advanced=True)
ADV_PERSISTED = Section("Persisted-query store", advanced=True)
ADV_BACKENDS = Section("Database, Redis and maintenance", advanced=True)
ADV_AUTH = Section("Auth caches and key sets", advanced=True)
ADV_WS = Section("Subscriptions (WebSocket, SSE)", advanced=True)
ADV_OTHER = Section("Other", advanced=True)


@dataclass(frozen=True, slots=True)
class TierBudget:
    """What one tier may spend: requests per window (`limits` syntax), the query-cost
    leaky bucket, and whether it is let through while the rate-limit storage is down."""

    requests: str
    capacity: int
    refill_per_second: float
    fails_open: bool


def _budget(tier: str, bucket: str, requests: str, fail_open_tiers: str) -> TierBudget:
    capacity, refill = bucket.split(":")
    return TierBudget(
        requests=requests,
        capacity=int(capacity),
        refill_per_second=float(refill),
        fails_open=tier in _csv(fail_open_tiers),
    )


# The parsed budget per raw values: every request reads its tier's budget twice
# (admission and the rateLimit extension), and parsing it was ~2% of a learner's page.
# Keyed by the values themselves, so a setting changed at run time (tests do) is read
# anew; bounded, since only a handful of value combinations ever exist.
_BUDGETS: dict[tuple[str, str, str, str], TierBudget] = {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=False)

    # --- HTTP -----------------------------------------------------------------
    host: str = HTTP("127.0.0.1", "Interface Uvicorn binds.")
    port: int = HTTP(
        8000,
        "TCP port; `make run` stops at once if it is taken (0: any free port).",
        ge=0,
        le=65535,
    )
    workers: int = HTTP(
        1,
        "Uvicorn worker processes of `make run` (.venv/bin/python -m gateway); more than one needs "
        "PROMETHEUS_MULTIPROC_DIR (for correct /metrics) and MONGO_URI (the embedded "
        "database is per process).",
        ge=1,
    )
    forwarded_allow_ips: str = HTTP(
        "",
        "Reverse proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs, `*` "
        "for any; empty: none): the client is the rightmost address not in this list, as "
        "Uvicorn's proxy-headers middleware derives it. A client-written first hop is ignored.",
    )
    cors_allow_origins: str | None = HTTP(
        None,
        "Browser origins allowed to call the API (comma-separated, `*` for any). Unset: none, "
        "except in embedded mode, where http://localhost:* and http://127.0.0.1:* are allowed; "
        "empty: none (docs/frontend.md).",
        commented=True,
    )

    # --- Database -------------------------------------------------------------
    mongo_uri: MongoUri | None = DATABASE(
        None,
        "MongoDB, e.g. mongodb://localhost:27017/?replicaSet=rs0. Unset: the embedded "
        "in-process database (mongomock) seeded with demo data, lost on exit.",
    )
    mongo_db: str = DATABASE("tutoring", "Database name.")
    seed_demo_data: bool = DATABASE(True, "Embedded mode only: seed demo data at start.")

    # --- Redis ----------------------------------------------------------------
    redis_url: RedisUrl | None = REDIS(
        None,
        "Shared storage of rate limits and persisted queries, e.g. redis://127.0.0.1:6379/0. "
        "Unset: in-memory counters per process; set it to share them across replicas.",
    )
    # --- Auth -----------------------------------------------------------------
    jwt_secret: SecretStr = AUTH(
        SecretStr(""),
        "HS256 signing key (development, scripts/issue_token.py), at least 32 characters. "
        "REQUIRED with MONGO_URI unless JWT_JWKS_URL is set; empty in embedded mode: a random "
        "per-process secret.",
    )
    jwt_issuer: str | None = AUTH(None, "`iss` claim required in tokens (and put in issued ones).")
    jwt_audience: str | None = AUTH(
        None, "`aud` claim required in tokens (and put in issued ones)."
    )
    jwt_jwks_url: HttpUrlText | None = AUTH(
        None,
        "An identity provider's JSON Web Key Set (RS256/ES256 tokens), e.g. "
        "https://tenant.auth0.com/.well-known/jwks.json; with it JWT_SECRET becomes optional.",
    )
    # --- Request budgets --------------------------------------------------------
    # Per tier (TierBudget, `Settings.tiers`); the variable names are public.
    rate_limit_anonymous: str = BUDGETS(
        "30/minute", "Requests per client IP of anonymous callers (`limits` syntax)."
    )
    rate_limit_free: str = BUDGETS("60/minute", "Requests per FREE user.")
    rate_limit_pro: str = BUDGETS("300/minute", "Requests per PRO user.")
    rate_limit_premium: str = BUDGETS("1000/minute", "Requests per PREMIUM user.")
    rate_limit_tutor: str = BUDGETS(
        "6000/minute",
        "Requests per TUTOR caller (API clients, tutor-scoped tokens): the tutor service "
        "answers every learner's turns, so its budget is the platform's, not one learner's.",
    )
    cost_bucket_anonymous: str = BUDGETS(
        "500:10", "Query-cost leaky bucket of anonymous callers: capacity:points-per-second."
    )
    cost_bucket_free: str = BUDGETS("2000:40", "Query-cost bucket of FREE users.")
    cost_bucket_pro: str = BUDGETS("10000:200", "Query-cost bucket of PRO users.")
    cost_bucket_premium: str = BUDGETS("40000:800", "Query-cost bucket of PREMIUM users.")
    cost_bucket_tutor: str = BUDGETS("200000:4000", "Query-cost bucket of TUTOR callers.")
    query_max_cost: int = BUDGETS(
        25_000, "One request may not cost more (QUERY_TOO_COMPLEX).", ge=1
    )

    # --- API --------------------------------------------------------------------
    introspection_enabled: bool = API(
        True, "false in production if the schema should not be public."
    )
    persisted_queries_only: bool = API(
        False,
        "true: only documents registered in advance run (scripts/persist_queries.py).",
    )
    persisted_queries_manifest: str | None = API(
        None,
        "Manifests loaded at start-up into the allow-list, comma-separated paths: Apollo's "
        "generate-persisted-query-manifest output or {sha256: document} "
        "(scripts/persist_queries.py, GraphQL Code Generator's persisted-documents.json; "
        "gateway/persisted.py).",
    )

    # --- Learning ---------------------------------------------------------------
    exercise_generator: str = LEARNING(
        "builtin",
        "'builtin' (curated bank and the learner's own sentences) or 'package.module:factory' "
        "returning an ExerciseGenerator; a module that cannot be imported, or names no "
        "callable factory, is refused at start-up.",
    )
    evaluator_llm_url: HttpUrlText | None = LEARNING(
        None,
        "Optional answer evaluator for free-text answers the rules reject: an "
        "OpenAI-compatible base URL such as https://api.openai.com/v1 (docs/learning.md). "
        "Empty: the rule-based checker alone.",
    )
    evaluator_llm_model: str = LEARNING("gpt-4o-mini", "The model the evaluator asks.")
    evaluator_llm_api_key: SecretStr = LEARNING(
        SecretStr(""), "Sent to the evaluator as `Authorization: Bearer`; none when empty."
    )

    # --- Cost monitoring --------------------------------------------------------
    cost_alert_hourly: float = COSTS(
        10.0, "Currency units per hour before a cost_threshold_exceeded warning.", ge=0
    )
    cost_alert_daily: float = COSTS(100.0, "Currency units per day before a warning.", ge=0)
    pricing_overrides: str = COSTS(
        "",
        'Prices per token, JSON: {"provider": {"model": {"input": 2.5e-06, "output": 1e-05}}}.',
    )

    # --- Logs, metrics and tracing ------------------------------------------------
    log_level: str = OBSERVABILITY("INFO", "DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    log_format: Literal["json", "console"] = OBSERVABILITY(
        "json", "json (one object per line) or console."
    )
    metrics_enabled: bool = OBSERVABILITY(True, "Serve /metrics (Prometheus text format).")
    metrics_token: SecretStr = OBSERVABILITY(
        SecretStr(""), "Set: /metrics requires `Authorization: Bearer <METRICS_TOKEN>`."
    )
    prometheus_multiproc_dir: Directory | None = OBSERVABILITY(
        None,
        "With WORKERS > 1: an empty directory through which the worker processes share "
        "metrics (prometheus-client's multiprocess mode); must be exported in the process "
        "environment before start, not read from .env.",
    )
    otel_exporter_otlp_endpoint: HttpUrlText | None = OBSERVABILITY(
        None,
        "OpenTelemetry collector (OTLP/HTTP), e.g. http://otel-collector:4318: turns tracing "
        "on (docs/database.md); the other standard OTEL_* variables are read from the "
        "process environment. Unset: no tracing.",
    )
    # === Advanced ================================================================
    # --- HTTP and connections
    max_body_bytes: int = ADV_HTTP(1_048_576, "Larger request bodies get HTTP 413.", ge=1)
    cors_max_age_seconds: int = ADV_HTTP(
        600, "How long a browser may cache a preflight answer.", ge=0
    )
    cors_allow_headers: str = ADV_HTTP(
        DEFAULT_CORS_ALLOW_HEADERS,
        "Request headers a browser may send (comma-separated names, `*` for any). The default "
        "covers what common tooling adds: Apollo's client awareness and CSRF headers, W3C "
        "trace context and Sentry's tracing headers, and Last-Event-ID (resuming an event "
        "stream). A header outside the list fails the "
        "preflight (logged as cors_preflight_refused, counted in /metrics).",
        commented=True,
    )
    http_header_timeout_seconds: float = ADV_HTTP(
        10.0,
        "A request's headers must be complete this long after the connection opened or the "
        "last response ended; else the connection is closed (gateway/connections.py).",
        ge=0.5,
        le=3600,
    )
    http_body_timeout_seconds: float = ADV_HTTP(
        30.0,
        "A request's body must be complete this long after its headers; else the connection "
        "is closed and the request charged.",
        ge=0.5,
        le=3600,
    )
    http_keep_alive_timeout_seconds: float = ADV_HTTP(
        5.0,
        "An idle keep-alive connection is closed after this long (Uvicorn's timeout_keep_alive).",
        ge=0.5,
        le=3600,
    )
    max_connections_per_ip: int = ADV_HTTP(
        64,
        "Open connections per client (an IPv6 /64 is one); one more is answered 503 and "
        "closed. 0: no cap; FORWARDED_ALLOW_IPS proxies are never capped.",
        ge=0,
    )
    batch_max_operations: int = ADV_HTTP(
        10,
        "Operations in one batched POST (a JSON array, Apollo's BatchHttpLink); each is priced "
        "and charged as if sent alone. 0 refuses batches.",
        ge=0,
    )
    rate_limit_refusal_delay_ms: int = ADV_HTTP(
        500,
        "A 429 is sent after this long (at most its Retry-After): a client looping on "
        "refusals gets a few per second per connection, not thousands. 0: at once.",
        ge=0,
    )
    anonymous_ipv6_prefix_length: int = ADV_HTTP(
        64,
        "Anonymous budgets count an IPv6 client by its network of this many leading bits (a "
        "subscriber holds a whole /64); 128 counts every address on its own; ::ffff:a.b.c.d "
        "counts as a.b.c.d.",
        ge=32,
        le=128,
    )

    # --- Query limits and execution
    query_max_depth: int = ADV_QUERIES(12, "Deepest selection nesting.", ge=1)
    query_max_aliases: int = ADV_QUERIES(30, "Aliases in one document.", ge=1)
    query_max_tokens: int = ADV_QUERIES(5_000, "Lexical tokens in one document.", ge=1)
    query_max_chars: int = ADV_QUERIES(
        50_000,
        "Characters of one document (comments and whitespace included). Parsed documents are "
        "cached with their source text, so this bounds the memory distinct documents can pin.",
        ge=1,
    )
    query_max_selections: int = ADV_QUERIES(
        2_000,
        "Selections once every fragment is inlined: bounds validation and analysis work.",
        ge=1,
    )
    query_max_repeats: int = ADV_QUERIES(
        50,
        "Times one response name may be selected in one selection set (fragments inlined): "
        "bounds graphql-core's pairwise field-merging check, quadratic in this number.",
        ge=1,
    )
    document_cache_bytes: int = ADV_QUERIES(
        64 * 1024 * 1024,
        "Bytes the parsed documents of each document cache (parse, plan) may retain, text, "
        "nodes and tokens measured (gateway/doccache.py); validation results and execution "
        "plans live as long as their document.",
        ge=1,
    )
    execution_timeout_ms: int = ADV_QUERIES(
        10_000, "Wall-clock budget of one execution; the work is cancelled when it is spent.", ge=1
    )
    execution_fast_path: bool = ADV_QUERIES(
        True,
        "Compiled execution (gateway/execution/); false runs every operation on standard "
        "graphql-core execution.",
    )
    gc_freeze: bool = ADV_QUERIES(
        True,
        "After start-up, freeze what start-up allocated (the schema, plans, pools: never "
        "garbage) so collections stop re-scanning it.",
    )
    gc_gen0_threshold: int = ADV_QUERIES(
        20_000,
        "Collect the youngest generation when this many more container objects are alive than "
        "at the last collection, instead of Python's 700 (0: Python's defaults; else 700 to "
        "1000000). A young collection scans every object allocated since the last, so its "
        "pause grows with this: 200,000 made each a 100-200 ms stall (docs/performance.md).",
    )

    # --- Persisted-query store
    persisted_query_cache_size: int = ADV_PERSISTED(
        5_000, "Automatic persisted queries kept per process without Redis (LRU).", ge=1
    )
    persisted_query_cache_bytes: int = ADV_PERSISTED(
        32 * 1024 * 1024,
        "Bytes the in-process store's strings may retain (sys.getsizeof: an emoji is 4 bytes).",
        ge=1,
    )
    persisted_query_ttl_seconds: int = ADV_PERSISTED(
        7 * 24 * 3600, "Lifetime of an automatically registered document in Redis."
    )
    persisted_query_redis_budget_chars: int = ADV_PERSISTED(
        100_000_000,
        "Characters of new documents Redis accepts per PERSISTED_QUERY_TTL_SECONDS window "
        "(shared by all replicas): anyone may register documents, so at most twice this is "
        "ever stored. Past it, documents still run but are not stored until the next window.",
        ge=1,
    )
    persisted_query_allow_cache_seconds: float = ADV_PERSISTED(
        60.0,
        "How long a replica trusts an allow-list entry it read from Redis: removing a hash "
        "from the allow-list takes effect everywhere within this many seconds.",
        ge=0,
        le=3600,
    )

    # --- Database, Redis and maintenance
    mongo_timeout_ms: int = ADV_BACKENDS(
        2000,
        "Server selection and connect: how soon an unreachable MongoDB fails a request.",
        ge=50,
        le=600_000,
    )
    mongo_operation_timeout_ms: int = ADV_BACKENDS(
        5000,
        "Bound on each database operation of a request (socket reads); batch tools have none.",
        ge=50,
        le=600_000,
    )
    redis_socket_timeout_ms: int = ADV_BACKENDS(
        1000,
        "Bound on each Redis read of a request (rate limits, persisted queries): past it the "
        "request gets 503. 0.5 s, hard-coded before, was missed by a healthy Redis on a "
        "loaded machine. Also bounds publishing a session event to the other replicas "
        "(past it the event waits for the maintenance pass).",
        ge=50,
        le=60_000,
    )
    redis_connect_timeout_ms: int = ADV_BACKENDS(
        1000, "Bound on connecting to Redis.", ge=50, le=60_000
    )
    redis_breaker_cooldown_ms: int = ADV_BACKENDS(
        1000,
        "After a Redis failure no request calls Redis for this long (rate limits fail open or "
        "closed at once instead of each request waiting a socket timeout on a frozen Redis); "
        "then a background PING probes it (gateway/redisbreaker.py).",
        ge=100,
        le=300_000,
    )
    redis_breaker_max_cooldown_ms: int = ADV_BACKENDS(
        15_000,
        "Each failed Redis probe doubles the breaker's pause, up to this.",
        ge=100,
        le=300_000,
    )
    maintenance_interval_seconds: float = ADV_BACKENDS(
        15.0,
        "How often to finish half-applied messages and settle their counter guards.",
        ge=1,
        le=3600,
    )
    daily_set_retention_days: int = ADV_BACKENDS(
        30,
        "How long a learner's daily practice set is kept: the TTL index `daily_sets.expiry` "
        "on `created_at`, built (or changed, `--repair`) by scripts.init_db. At least two "
        "days, so today's set stays in every time zone.",
        ge=2,
        le=3650,
    )
    embedded_interleave: bool = ADV_BACKENDS(
        False,
        "Embedded database only: let operations interleave and upserts race like on a server.",
    )
    demo_tutor_worker: bool = ADV_BACKENDS(
        False,
        "Embedded demo only: start scripts/tutor_worker.py beside the gateway with the demo's "
        "TUTOR client (`make run` sets it), so recorded learner messages get replies.",
    )
    seed_users: int = ADV_BACKENDS(20, "Embedded mode only: how many demo learners.", ge=0)
    seed_random: int = ADV_BACKENDS(42, "Embedded mode only: seed of the demo data.")
    redis_key_prefix: str = ADV_BACKENDS(
        "tg", "Prefix of every Redis key, so several deployments can share one Redis."
    )

    # --- Auth caches and key sets
    auth_cache_seconds: float = ADV_AUTH(
        10.0, "How long a caller's role and tier are cached per replica.", ge=0
    )
    api_client_cache_seconds: float = ADV_AUTH(
        2.0,
        "An API client is read again after this long: a revocation stops its secret on every "
        "replica within it (the database is the source of truth, not a process cache).",
        ge=0,
    )
    jwt_leeway_seconds: float = ADV_AUTH(
        0.0,
        "Clock skew tolerated on exp/nbf/iat (e.g. 30 with an identity provider).",
        ge=0,
        le=300,
    )
    jwt_jwks_timeout_seconds: float = ADV_AUTH(
        3.0,
        "Bound on one whole key-set fetch (connect to last byte); any provider failure is "
        "SERVICE_UNAVAILABLE (503).",
        gt=0,
        le=30,
    )
    jwt_jwks_cache_seconds: int = ADV_AUTH(
        300, "How long a fetched key set is trusted before it is fetched again."
    )
    jwt_jwks_refetch_seconds: float = ADV_AUTH(
        30.0,
        "A token with an unknown `kid` refetches the set at most this often (key rotation is "
        "seen at once; a flood of made-up kids cannot hammer the provider).",
    )
    token_ttl_seconds: int = ADV_AUTH(
        7 * 24 * 3600, "Lifetime of issued tokens (scripts/issue_token.py, the demo tokens).", ge=1
    )

    # --- Subscriptions (WebSocket, graphql-transport-ws; docs/live.md)
    ws_init_timeout_seconds: float = ADV_WS(
        5.0, "A WebSocket's connection_init must arrive within this (close 4408).", gt=0
    )
    ws_max_subscriptions: int = ADV_WS(10, "Subscriptions per WebSocket connection.", gt=0)
    ws_max_connections_per_user: int = ADV_WS(
        20, "WebSocket connections per caller, per replica (close 4008).", gt=0
    )
    ws_max_message_bytes: int = ADV_WS(
        65_536, "Largest WebSocket frame a client may send (close 1009).", gt=0
    )
    ws_ping_interval_seconds: float = ADV_WS(
        20.0, "Server pings; no answer within two intervals closes the socket (4504).", gt=0
    )
    relay_ping_seconds: float = ADV_WS(
        5.0,
        "With REDIS_URL: silence on the cross-replica event relay's subscription after which "
        "it pings Redis; no answer within REDIS_SOCKET_TIMEOUT_MS more and it subscribes "
        "again and replays the missed events from MongoDB (docs/live.md). Below the idle "
        "timeout of any NAT or load balancer between the gateway and Redis.",
        gt=0,
        le=3600,
    )
    event_gap_wait_ms: int = ADV_WS(
        1000,
        "A session event published before an earlier one of the same session (two writes "
        "racing, or one relayed from another replica) waits this long for it, so a "
        "subscriber sees them in order; then the missing one is read from MongoDB, and if "
        "it is not there yet it is delivered whenever it comes (docs/live.md).",
        ge=0,
        le=30_000,
    )
    relay_catch_up_margin_seconds: float = ADV_WS(
        10.0,
        "With REDIS_URL: a replay after a lost relay subscription starts this long before "
        "the relay last heard from Redis: an event's time is taken on another replica's "
        "clock before its write finishes, so this covers that delay and the replicas' clock "
        "skew. Larger replays more (each subscriber drops what it already had).",
        ge=0,
        le=3600,
    )
    ws_buffer_events: int = ADV_WS(
        256,
        "Events a subscriber may be behind before it is closed as a slow consumer (4013).",
        gt=0,
    )

    turn_ack_timeout_seconds: float = ADV_WS(
        30.0,
        "tutorTurns: a turn not acknowledged (ackTurn) this long after its delivery goes to "
        "another client of the group, attempt + 1 (docs/live.md).",
        gt=0,
    )
    turn_max_unacked: int = ADV_WS(
        16,
        "tutorTurns: turns one subscription may hold unacknowledged; at this many it takes no "
        "new turn, so the group's other clients get them (docs/live.md).",
        ge=1,
        le=1000,
    )
    turn_stream_maxlen: int = ADV_WS(
        100_000,
        "Turns kept in the stream (Redis: XADD MAXLEN ~; in process: exactly): older ones are "
        "dropped, acknowledged or not.",
        gt=0,
    )
    sse_keepalive_seconds: float = ADV_WS(
        15.0,
        "Seconds between the `:` keep-alive comments of an SSE stream (Accept: "
        "text/event-stream); a socket that takes no bytes for two intervals loses its stream.",
        gt=0,
    )
    sse_max_stream_seconds: float = ADV_WS(
        3600.0,
        "Longest an SSE stream stays open: then it ends without `complete` (a comment says "
        "why) and the client resumes with `after` or Last-Event-ID.",
        gt=0,
    )
    ws_per_message_deflate: bool = ADV_WS(
        False,
        "permessage-deflate on WebSockets: off, as each socket's zlib contexts cost ~70 KB "
        "(2,000 idle subscribers: +190 MB RSS with it, bench W5) to shrink small JSON events.",
    )

    # --- Other
    metrics_max_operations: int = ADV_OTHER(
        200,
        "Distinct operation names kept as metric labels per process; the rest count as other.",
        ge=1,
    )
    request_log_enabled: bool = ADV_OTHER(
        True, "false: no request_completed / slow_request lines (benchmarks)."
    )
    slow_request_ms: int = ADV_OTHER(
        1000, "A request slower than this also logs a slow_request event.", ge=0
    )
    error_half_life_days: float = ADV_OTHER(
        14.0,
        "Recency weighting of language errors; rebuild the statistics after changing it. "
        "decay_sum grows as 2 ** (days since 2024 / half-life): below 7 days it would "
        "overflow a double within about 20 years.",
        ge=7,
        le=3650,
    )
    evaluator_llm_timeout_ms: int = ADV_OTHER(
        4000,
        "Answer evaluator's deadline; past it the rule-based verdict stands.",
        ge=100,
        le=60_000,
    )
    rate_limit_fail_open_tiers: str = ADV_OTHER(
        "free,pro,premium,tutor",
        "Tiers let through while the rate-limit storage (Redis) is down (fail open); the "
        "others are refused with SERVICE_UNAVAILABLE (fail closed).",
    )
    rate_limits_enabled: bool = ADV_OTHER(
        True,
        "false: nothing is charged (trusted internal deployments, benchmarks); query cost is "
        "still computed and capped.",
    )
    evaluator_llm_provider: str = ADV_OTHER(
        "openai", "The provider name the evaluator's cost is priced and recorded under."
    )
    otel_service_name: str = ADV_OTHER("tutoring-gateway", "`service.name` of every span.")

    # --- Values with a syntax of their own: a bad one stops the process with its name ---

    @field_validator("gc_gen0_threshold")
    @classmethod
    def _sane_gc_threshold(cls, value: int) -> int:
        if value != 0 and not 700 <= value <= 1_000_000:
            raise ValueError("GC_GEN0_THRESHOLD must be 0 (default) or between 700 and 1000000")
        return value

    @field_validator(
        "mongo_uri",
        "redis_url",
        "jwt_issuer",
        "jwt_audience",
        "jwt_jwks_url",
        "persisted_queries_manifest",
        "prometheus_multiproc_dir",
        "otel_exporter_otlp_endpoint",
        "evaluator_llm_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`JWT_ISSUER=` (as in .env.example) means no issuer, not an issuer of ''."""
        return None if value == "" else value

    @field_validator(*(f"rate_limit_{tier}" for tier in TIERS))
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            items = parse_many(value)
        except ValueError:
            items = []
        if len(items) != 1 or items[0].amount < 1:
            raise ValueError(f"{value!r} is not one rate such as '60/minute' or '1000/hour'")
        return value

    @field_validator(*(f"cost_bucket_{tier}" for tier in TIERS))
    @classmethod
    def _bucket(cls, value: str) -> str:
        capacity, _, refill = value.partition(":")
        try:
            ok = int(capacity) >= 1 and float(refill) > 0 and math.isfinite(float(refill))
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{value!r} is not 'capacity:refill_per_second' such as '2000:40'")
        return value

    @field_validator("rate_limit_fail_open_tiers")
    @classmethod
    def _tiers(cls, value: str) -> str:
        unknown = [t for t in _csv(value) if t not in TIERS]
        if unknown:
            raise ValueError(f"unknown tier(s) {unknown}; the tiers are {', '.join(TIERS)}")
        return value

    @field_validator("cors_allow_origins")
    @classmethod
    def _origins(cls, value: str | None) -> str | None:
        # A browser's Origin is scheme://host[:port]; an entry without the scheme
        # (`app.example.com`) or with a path matched no browser, and every call from the
        # app was refused with nothing said at start-up.
        for item in _csv(value or ""):
            if item != "*" and not re.fullmatch(
                r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+", item.rstrip("/")
            ):
                raise ValueError(
                    f"{item!r} is not an origin such as https://app.example.com "
                    "(scheme, host and optional port, no path), nor '*'"
                )
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for item in _csv(value):
            if item == "*" or item.startswith("unix:"):
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or CIDR range") from exc
        return value

    @field_validator("exercise_generator")
    @classmethod
    def _generator(cls, value: str) -> str:
        if value != "builtin" and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", value):
            raise ValueError(f"{value!r} is neither 'builtin' nor 'package.module:factory'")
        return value

    @field_validator("pricing_overrides")
    @classmethod
    def _pricing(cls, value: str) -> str:
        if not value:
            return value
        try:
            table = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"is not JSON: {exc}") from exc
        shape = '{"provider": {"model": {"input": 2.5e-06, "output": 1e-05}}}'
        if not isinstance(table, dict) or not all(
            isinstance(models, dict)
            and all(
                isinstance(price, dict)
                and set(price) == {"input", "output"}
                and all(
                    isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < math.inf
                    for v in price.values()
                )
                for price in models.values()
            )
            for models in table.values()
        ):
            raise ValueError(f"must look like {shape} (prices per token, >= 0)")
        return value

    @field_validator("cors_allow_headers")
    @classmethod
    def _header_names(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        if not names:
            raise ValueError("must name at least one header (or `*`)")
        bad = [n for n in names if n != "*" and not HEADER_NAME.match(n)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))} is not an HTTP header name")
        return value

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"{value!r} is not DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    # --- Derived values ---------------------------------------------------------

    @property
    def redis_timeouts(self) -> dict[str, float]:
        """redis-py's socket options (seconds) for every Redis client of a request path."""
        return {
            "socket_timeout": self.redis_socket_timeout_ms / 1000,
            "socket_connect_timeout": self.redis_connect_timeout_ms / 1000,
        }

    @property
    def cors_headers(self) -> list[str]:
        return [n.strip() for n in self.cors_allow_headers.split(",") if n.strip()]

    @property
    def cors_origins(self) -> list[str]:
        raw = self.cors_allow_origins
        return [o.strip().rstrip("/") for o in (raw or "").split(",") if o.strip()]

    @property
    def cors_origin_regex(self) -> str | None:
        """Embedded mode is for local development: any localhost port may call it."""
        if self.cors_allow_origins is None and self.embedded:
            return r"http://(localhost|127\.0\.0\.1)(:\d+)?"
        return None

    @property
    def embedded(self) -> bool:
        return not self.mongo_uri

    @cached_property
    def jwt_key(self) -> str:
        """Never sign with a guessable key: a missing secret is only tolerated in embedded mode."""
        value = self.jwt_secret.get_secret_value()
        if value:
            if len(value) < 32:
                raise ValueError("JWT_SECRET must be at least 32 characters")
            return value
        if not self.embedded and not self.jwt_jwks_url:
            raise ValueError("JWT_SECRET (or JWT_JWKS_URL) is required when MONGO_URI is set")
        if not self.embedded:
            return ""  # identity-provider tokens only: HS256 is not accepted
        return secrets.token_urlsafe(48)

    def budget(self, tier: str) -> TierBudget:
        """The tier's values, read from its RATE_LIMIT_<TIER> and COST_BUCKET_<TIER> fields
        (the public variable names) and RATE_LIMIT_FAIL_OPEN_TIERS."""
        raw = (
            tier,
            str(getattr(self, f"cost_bucket_{tier}")),
            str(getattr(self, f"rate_limit_{tier}")),
            self.rate_limit_fail_open_tiers,
        )
        budget = _BUDGETS.get(raw)
        if budget is None:
            budget = _budget(*raw)
            if len(_BUDGETS) < 256:
                _BUDGETS[raw] = budget
        return budget

    @property
    def tiers(self) -> Mapping[str, TierBudget]:
        """Every tier's budget, one mapping (docs/configuration.md shows it as one table)."""
        return {tier: self.budget(tier) for tier in TIERS}

    def request_limit(self, tier: str) -> str:
        return self.budget(tier).requests

    def fails_open(self, tier: str) -> bool:
        return tier in _csv(self.rate_limit_fail_open_tiers)

    @property
    def ready_needs_redis(self) -> bool:
        """Whether a replica without Redis should leave the load balancer: only when it
        can serve nobody without it (no tier fails open, or the persisted-query
        allow-list lives only in Redis). Otherwise Redis is shared by every replica, so
        draining them all for it would turn a degraded service into an outage."""
        if not self.redis_url:
            return False
        no_tier_open = self.rate_limits_enabled and not _csv(self.rate_limit_fail_open_tiers)
        allow_list_in_redis = self.persisted_queries_only and not self.persisted_queries_manifest
        return no_tier_open or allow_list_in_redis

    @property
    def index_ttl(self) -> dict[str, int]:
        """The TTL indexes whose length is a setting: "collection.index" -> seconds."""
        return {DAILY_SET_TTL_INDEX: self.daily_set_retention_days * 86_400}

    def cost_bucket(self, tier: str) -> tuple[int, float]:
        budget = self.budget(tier)
        return budget.capacity, budget.refill_per_second


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


__all__ = ["TIERS", "Settings", "TierBudget", "load_settings"]
