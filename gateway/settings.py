"""All configuration comes from the environment, read in this one place."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
import secrets
from functools import cached_property
from typing import Literal

from limits import parse_many
from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TIERS = ("anonymous", "free", "pro", "premium", "tutor")


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


DEFAULT_CORS_ALLOW_HEADERS = ",".join(
    (
        "Authorization",
        "Content-Type",
        "Accept",
        "X-Request-ID",
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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=False)

    # --- HTTP -----------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_048_576
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs, `*`
    # for any; empty = none): the client is the rightmost address not in this list, as
    # Uvicorn's proxy-headers middleware derives it. A client-written first hop is ignored.
    forwarded_allow_ips: str = ""
    # Uvicorn worker processes for `python -m gateway` (several need PROMETHEUS_MULTIPROC_DIR
    # for correct /metrics, and a real MongoDB: the embedded one is per process).
    workers: int = 1
    # Browser origins allowed to call the API (comma-separated, `*` for any). Unset: none,
    # except in embedded mode, where http://localhost:* and http://127.0.0.1:* are allowed.
    cors_allow_origins: str | None = None
    # How long a browser may cache a preflight answer.
    cors_max_age_seconds: int = 600
    # Request headers a browser may send (comma-separated names, `*` for any). The default
    # covers what common tooling adds: Apollo's client awareness and CSRF headers, W3C
    # trace context and Sentry's tracing headers. A header outside the list fails the
    # preflight (logged as cors_preflight_refused, counted in /metrics).
    cors_allow_headers: str = DEFAULT_CORS_ALLOW_HEADERS
    # Slow clients (gateway/connections.py): a request's headers must arrive within
    # HTTP_HEADER_TIMEOUT_SECONDS of the connection's start or the last response, its body
    # within HTTP_BODY_TIMEOUT_SECONDS of its headers; an idle keep-alive connection is
    # closed after HTTP_KEEP_ALIVE_TIMEOUT_SECONDS (Uvicorn's timeout_keep_alive). At most
    # MAX_CONNECTIONS_PER_IP open connections per client (0: no cap; FORWARDED_ALLOW_IPS
    # proxies are never capped).
    http_header_timeout_seconds: float = 10.0
    http_body_timeout_seconds: float = 30.0
    http_keep_alive_timeout_seconds: float = 5.0
    max_connections_per_ip: int = 64
    # Operations in one batched POST (a JSON array, Apollo's BatchHttpLink); each is priced
    # and charged as if sent alone. 0 refuses batches.
    batch_max_operations: int = 10

    # --- Persisted queries (Apollo's automatic persisted queries) ----------------
    # true: only documents registered in advance (scripts/persist_queries.py) are run.
    persisted_queries_only: bool = False
    # Manifests loaded at start-up into the allow-list (comma-separated paths): Apollo's
    # persisted-query manifest or {sha256: document} (gateway/persisted.py).
    persisted_queries_manifest: str | None = None
    # Bounds of the automatic store: entries kept per process without Redis (LRU) and
    # how long an automatically registered document lives in Redis.
    persisted_query_cache_size: int = 5_000
    # ... and the bytes its strings retain (sys.getsizeof: emoji take 4 bytes each).
    persisted_query_cache_bytes: int = 32 * 1024 * 1024
    persisted_query_ttl_seconds: int = 7 * 24 * 3600
    # Characters of new documents Redis accepts per PERSISTED_QUERY_TTL_SECONDS window
    # (shared by all replicas): anyone may register documents, so at most twice this is
    # ever stored. Past it, documents still run but are not stored until the next window.
    persisted_query_redis_budget_chars: int = 100_000_000
    # How long a replica trusts an allow-list entry it read from Redis: removing a hash
    # from the allow-list takes effect everywhere within this many seconds.
    persisted_query_allow_cache_seconds: float = 60.0

    # --- Metrics --------------------------------------------------------------
    metrics_enabled: bool = True
    # Set: /metrics requires `Authorization: Bearer <METRICS_TOKEN>`.
    metrics_token: SecretStr = SecretStr("")
    # Distinct operation names kept as metric labels per process; the rest count as "other".
    metrics_max_operations: int = 200
    # Several worker processes share metrics through files in this directory
    # (prometheus-client's multiprocess mode; must be set in the process environment).
    prometheus_multiproc_dir: str | None = None

    # --- Database -------------------------------------------------------------
    mongo_uri: str | None = None
    mongo_db: str = "tutoring"
    # Server selection and connect: how soon an unreachable MongoDB fails a request.
    mongo_timeout_ms: int = 2000
    # Bound on each database operation of a request (socket reads); batch tools have none.
    mongo_operation_timeout_ms: int = 5000
    # Embedded database only: let operations interleave and upserts race like on a server.
    embedded_interleave: bool = False
    # How often to finish half-applied messages and settle their counter guards.
    maintenance_interval_seconds: float = 15.0
    seed_demo_data: bool = True
    # Embedded demo only: start scripts/tutor_worker.py beside the gateway with the demo's
    # TUTOR client (`make run` sets it), so recorded learner messages get replies.
    demo_tutor_worker: bool = False
    seed_users: int = 20
    seed_random: int = 42

    # --- Subscriptions (WebSocket, graphql-transport-ws; docs/live.md) -------
    ws_init_timeout_seconds: float = 5.0
    ws_max_subscriptions: int = 10
    ws_max_connections_per_user: int = 20
    ws_max_message_bytes: int = 65_536
    ws_ping_interval_seconds: float = 20.0
    # Events a subscriber may be behind before it is closed as a slow consumer.
    ws_buffer_events: int = 256
    # tutorTurns: a turn not acknowledged (ackTurn) this long after its delivery goes to
    # another client of the group, attempt + 1 (docs/live.md).
    turn_ack_timeout_seconds: float = 30.0
    # Turns kept in the stream (Redis: XADD MAXLEN ~; in process: exactly): older ones are
    # dropped, acknowledged or not.
    turn_stream_maxlen: int = 100_000
    # Seconds between the `:` keep-alive comments of an SSE stream (Accept:
    # text/event-stream); a socket that takes no bytes for two intervals loses its stream.
    sse_keepalive_seconds: float = 15.0
    # permessage-deflate on WebSockets: off, as each socket's zlib contexts cost ~70 KB
    # (2,000 idle subscribers: +190 MB RSS with it, bench W5) to shrink small JSON events.
    ws_per_message_deflate: bool = False

    # --- Tracing (OpenTelemetry) -----------------------------------------------
    # Set (e.g. http://otel-collector:4318): traces go there over OTLP/HTTP; unset: off.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "tutoring-gateway"

    # --- Rate-limit storage ----------------------------------------------------
    redis_url: str | None = None
    # Prefix for every rate-limit key, so several deployments can share one Redis.
    redis_key_prefix: str = "tg"
    # Every request reads Redis (rate limits, persisted queries): how long one read or
    # connect may take before the request gets 503. 0.5 s, hard-coded before, was missed
    # by a healthy Redis on a loaded machine.
    redis_socket_timeout_ms: int = 1000
    redis_connect_timeout_ms: int = 1000

    # --- Auth -----------------------------------------------------------------
    # Empty means: generate a random per-process secret (embedded mode only).
    jwt_secret: SecretStr = SecretStr("")
    jwt_issuer: str | None = None
    # An identity provider's JSON Web Key Set (RS256/ES256 tokens), e.g.
    # https://tenant.auth0.com/.well-known/jwks.json. With it JWT_SECRET becomes optional.
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    # Clock skew tolerated on exp/nbf/iat (e.g. 30 with an identity provider).
    jwt_leeway_seconds: float = 0.0
    jwt_jwks_timeout_seconds: float = 3.0
    # How long the fetched key set is trusted before it is fetched again.
    jwt_jwks_cache_seconds: int = 300
    # A token with an unknown `kid` refetches the set at most this often (key rotation
    # is seen at once; a flood of made-up kids cannot hammer the provider).
    jwt_jwks_refetch_seconds: float = 30.0
    token_ttl_seconds: int = 7 * 24 * 3600
    auth_cache_seconds: float = 10.0
    # An API client is read again after this long: a revocation stops its secret on every
    # replica within it (the database is the source of truth, not a process cache).
    api_client_cache_seconds: float = 2.0

    # --- Logging --------------------------------------------------------------
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    request_log_enabled: bool = True
    # A request slower than this also logs a `slow_request` event.
    slow_request_ms: int = 1000

    # --- Request budgets (limits' rate-limit strings) ----------------------------
    # Off only for trusted internal deployments (and the benchmarks' comparison runs):
    # query cost is still computed and capped, nothing is charged.
    rate_limits_enabled: bool = True
    rate_limit_anonymous: str = "30/minute"
    rate_limit_free: str = "60/minute"
    rate_limit_pro: str = "300/minute"
    rate_limit_premium: str = "1000/minute"
    # TUTOR callers (API clients, tutor-scoped tokens): the tutor service answers every
    # learner's turns, so its budget is the platform's, not one learner's.
    rate_limit_tutor: str = "6000/minute"
    # A 429 is sent after this long (at most its Retry-After): a client looping on refusals
    # gets a few per second per connection, not thousands.
    rate_limit_refusal_delay_ms: int = 500
    # Anonymous budgets count an IPv6 client by its network of this many leading bits
    # (a subscriber holds a whole /64); 128 counts every address on its own.
    anonymous_ipv6_prefix_length: int = 64

    # --- Query cost: per-request ceiling and per-tier leaky buckets -------------
    query_max_cost: int = 25_000
    query_max_depth: int = 12
    query_max_aliases: int = 30
    query_max_tokens: int = 5_000
    # Characters of one document (comments and whitespace included). Parsed documents are
    # cached (parse, validation, plans: 512 each) with their source text, so this bounds
    # the memory distinct documents can pin.
    query_max_chars: int = 50_000
    # Bytes the parsed documents of each document cache (parse, plan) may retain, text,
    # nodes and tokens measured (gateway/doccache.py); validation results and execution
    # plans live as long as their document.
    document_cache_bytes: int = 64 * 1024 * 1024
    # Selections once every fragment is inlined: bounds validation and analysis work.
    query_max_selections: int = 2_000
    # Times one response name may be selected in one selection set (fragments inlined):
    # bounds graphql-core's pairwise field-merging check, quadratic in this number.
    query_max_repeats: int = 50
    # Wall-clock budget of one execution; the work is cancelled when it is spent.
    execution_timeout_ms: int = 10_000
    introspection_enabled: bool = True
    # Compiled execution (gateway/execution/): false runs every operation on standard
    # graphql-core execution.
    execution_fast_path: bool = True
    # Garbage collector, applied once start-up is done: freeze what start-up allocated (the
    # schema, plans, pools: never garbage) so collections stop re-scanning it, and collect
    # the youngest generation only when GC_GEN0_THRESHOLD more container objects are alive
    # than at the last collection, instead of Python's 700. A young collection scans every
    # object allocated since the last one, so its pause grows with the threshold: 200,000
    # made each one a 100-200 ms stall (the p99); 20,000 keeps them to a few ms while a
    # large read still triggers few of them (docs/performance.md, "The tail").
    gc_freeze: bool = True
    gc_gen0_threshold: int = 20_000  # 0: keep Python's default thresholds

    @field_validator("gc_gen0_threshold")
    @classmethod
    def _sane_gc_threshold(cls, value: int) -> int:
        if value != 0 and not 700 <= value <= 1_000_000:
            raise ValueError("GC_GEN0_THRESHOLD must be 0 (default) or between 700 and 1000000")
        return value

    # When the rate-limit storage (Redis) is down: these tiers are let through (fail open),
    # all others are refused with SERVICE_UNAVAILABLE (fail closed).
    rate_limit_fail_open_tiers: str = "free,pro,premium,tutor"
    cost_bucket_anonymous: str = "500:10"  # capacity:points-per-second refill
    cost_bucket_free: str = "2000:40"
    cost_bucket_pro: str = "10000:200"
    cost_bucket_premium: str = "40000:800"
    cost_bucket_tutor: str = "200000:4000"

    # --- Learning core --------------------------------------------------------
    error_half_life_days: float = 14.0
    # 'builtin' (curated bank + the learner's own sentences) or 'package.module:factory'.
    exercise_generator: str = "builtin"
    # Optional answer evaluator (resolvers/practice/evaluator.py): an OpenAI-compatible
    # base URL (".../v1"); empty = the rule-based checker alone.
    evaluator_llm_url: str = ""
    evaluator_llm_model: str = "gpt-4o-mini"
    evaluator_llm_provider: str = "openai"  # the name its cost is recorded and priced under
    evaluator_llm_api_key: SecretStr = SecretStr("")
    evaluator_llm_timeout_ms: int = 4000

    @field_validator("evaluator_llm_url")
    @classmethod
    def _evaluator_url(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s]+", value):
            raise ValueError("must be an http(s) URL such as https://api.openai.com/v1")
        return value

    @field_validator("evaluator_llm_timeout_ms")
    @classmethod
    def _evaluator_timeout(cls, value: int) -> int:
        if not 100 <= value <= 60_000:
            raise ValueError("must be between 100 and 60000 ms")
        return value

    @field_validator("mongo_timeout_ms", "mongo_operation_timeout_ms")
    @classmethod
    def _sane_timeout(cls, value: int) -> int:
        if not 50 <= value <= 600_000:
            raise ValueError("MongoDB timeouts must be between 50 and 600000 ms")
        return value

    @field_validator("redis_socket_timeout_ms", "redis_connect_timeout_ms")
    @classmethod
    def _sane_redis_timeout(cls, value: int) -> int:
        if not 50 <= value <= 60_000:
            raise ValueError("Redis timeouts must be between 50 and 60000 ms")
        return value

    @property
    def redis_timeouts(self) -> dict[str, float]:
        """redis-py's socket options (seconds) for every Redis client of a request path."""
        return {
            "socket_timeout": self.redis_socket_timeout_ms / 1000,
            "socket_connect_timeout": self.redis_connect_timeout_ms / 1000,
        }

    @field_validator("maintenance_interval_seconds")
    @classmethod
    def _sane_interval(cls, value: float) -> float:
        if not 1 <= value <= 3600:
            raise ValueError("MAINTENANCE_INTERVAL_SECONDS must be between 1 and 3600")
        return value

    @field_validator(
        "ws_init_timeout_seconds",
        "ws_max_subscriptions",
        "ws_max_connections_per_user",
        "ws_max_message_bytes",
        "ws_ping_interval_seconds",
        "ws_buffer_events",
        "turn_ack_timeout_seconds",
        "turn_stream_maxlen",
        "sse_keepalive_seconds",
    )
    @classmethod
    def _positive_ws_bound(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("the WS_*, SSE_* and TURN_* bounds must be positive")
        return value

    @field_validator("error_half_life_days")
    @classmethod
    def _sane_half_life(cls, value: float) -> float:
        # decay_sum grows as 2 ** (days since 2024 / half-life); below 7 days it would
        # overflow a double within ~20 years.
        if not 7 <= value <= 3650:
            raise ValueError("ERROR_HALF_LIFE_DAYS must be between 7 and 3650")
        return value

    # --- Cost monitoring ------------------------------------------------------
    cost_alert_hourly: float = 10.0
    cost_alert_daily: float = 100.0
    # JSON object {"provider": {"model": {"input": per_token, "output": per_token}}}
    pricing_overrides: str = ""

    @field_validator(
        "workers",
        "persisted_query_cache_size",
        "persisted_query_cache_bytes",
        "document_cache_bytes",
        "persisted_query_redis_budget_chars",
        "metrics_max_operations",
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("persisted_query_allow_cache_seconds")
    @classmethod
    def _allow_cache(cls, value: float) -> float:
        if not 0 <= value <= 3600:
            raise ValueError("must be between 0 and 3600 seconds")
        return value

    @field_validator("jwt_leeway_seconds")
    @classmethod
    def _sane_leeway(cls, value: float) -> float:
        if not 0 <= value <= 300:
            raise ValueError("JWT_LEEWAY_SECONDS must be between 0 and 300")
        return value

    @field_validator("jwt_jwks_timeout_seconds")
    @classmethod
    def _sane_jwks_timeout(cls, value: float) -> float:
        if not 0 < value <= 30:
            raise ValueError("JWT_JWKS_TIMEOUT_SECONDS must be in (0, 30]")
        return value

    @field_validator("jwt_issuer", "jwt_audience", "persisted_queries_manifest", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`JWT_ISSUER=` (as in .env.example) means no issuer, not an issuer of ''."""
        return None if value == "" else value

    @field_validator("jwt_jwks_url")
    @classmethod
    def _jwks_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("JWT_JWKS_URL must be an http(s) URL")
        return value or None

    @field_validator("prometheus_multiproc_dir")
    @classmethod
    def _multiproc_dir(cls, value: str | None) -> str | None:
        if value and not os.path.isdir(value):
            raise ValueError(f"PROMETHEUS_MULTIPROC_DIR {value!r} is not a directory")
        return value or None

    # --- Start-up validation: a bad value stops the process with its name, never a 500 later
    @field_validator(
        "rate_limit_anonymous",
        "rate_limit_free",
        "rate_limit_pro",
        "rate_limit_premium",
        "rate_limit_tutor",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            items = parse_many(value)
        except ValueError:
            items = []
        if len(items) != 1 or items[0].amount < 1:
            raise ValueError(f"{value!r} is not one rate such as '60/minute' or '1000/hour'")
        return value

    @field_validator(
        "cost_bucket_anonymous",
        "cost_bucket_free",
        "cost_bucket_pro",
        "cost_bucket_premium",
        "cost_bucket_tutor",
    )
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

    @field_validator(
        "max_body_bytes",
        "mongo_timeout_ms",
        "mongo_operation_timeout_ms",
        "query_max_cost",
        "query_max_depth",
        "query_max_aliases",
        "query_max_tokens",
        "query_max_chars",
        "query_max_selections",
        "query_max_repeats",
        "execution_timeout_ms",
        "token_ttl_seconds",
    )
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator(
        "slow_request_ms",
        "seed_users",
        "auth_cache_seconds",
        "api_client_cache_seconds",
        "cost_alert_hourly",
        "cost_alert_daily",
        "cors_max_age_seconds",
        "batch_max_operations",
        "rate_limit_refusal_delay_ms",
        "max_connections_per_ip",
    )
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator(
        "http_header_timeout_seconds",
        "http_body_timeout_seconds",
        "http_keep_alive_timeout_seconds",
    )
    @classmethod
    def _sane_http_timeout(cls, value: float) -> float:
        if not 0.5 <= value <= 3600:
            raise ValueError("must be between 0.5 and 3600 seconds")
        return value

    @field_validator("anonymous_ipv6_prefix_length")
    @classmethod
    def _ipv6_prefix(cls, value: int) -> int:
        if not 32 <= value <= 128:
            raise ValueError("ANONYMOUS_IPV6_PREFIX_LENGTH must be between 32 and 128")
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("must be a TCP port (0-65535)")
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

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"{value!r} is not DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

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

    def request_limit(self, tier: str) -> str:
        return str(getattr(self, f"rate_limit_{tier}"))

    def fails_open(self, tier: str) -> bool:
        return tier in {t.strip() for t in self.rate_limit_fail_open_tiers.split(",")}

    def cost_bucket(self, tier: str) -> tuple[int, float]:
        capacity, refill = str(getattr(self, f"cost_bucket_{tier}")).split(":")
        return int(capacity), float(refill)


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


__all__ = ["TIERS", "Settings", "load_settings"]
