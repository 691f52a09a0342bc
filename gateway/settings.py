"""All configuration comes from the environment, read in this one place."""

from __future__ import annotations

import secrets
from functools import cached_property
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TIERS = ("anonymous", "free", "pro", "premium")


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

    # --- Database -------------------------------------------------------------
    mongo_uri: str | None = None
    mongo_db: str = "tutoring"
    mongo_timeout_ms: int = 2000
    # Upper bound for any one database operation, retries included (pymongo's timeoutMS).
    mongo_operation_timeout_ms: int = 5000
    seed_demo_data: bool = True
    seed_users: int = 20
    seed_random: int = 42

    # --- Rate-limit storage ----------------------------------------------------
    redis_url: str | None = None
    # Prefix for every rate-limit key, so several deployments can share one Redis.
    redis_key_prefix: str = "tg"

    # --- Auth -----------------------------------------------------------------
    # Empty means: generate a random per-process secret (embedded mode only).
    jwt_secret: SecretStr = SecretStr("")
    jwt_issuer: str | None = None
    token_ttl_seconds: int = 7 * 24 * 3600
    auth_cache_seconds: float = 10.0

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

    # --- Query cost: per-request ceiling and per-tier leaky buckets -------------
    query_max_cost: int = 25_000
    query_max_depth: int = 12
    query_max_aliases: int = 30
    query_max_tokens: int = 5_000
    # Selections once every fragment is inlined: bounds validation and analysis work.
    query_max_selections: int = 2_000
    # Wall-clock budget of one execution; the work is cancelled when it is spent.
    execution_timeout_ms: int = 10_000
    introspection_enabled: bool = True
    # When the rate-limit storage (Redis) is down: these tiers are let through (fail open),
    # all others are refused with SERVICE_UNAVAILABLE (fail closed).
    rate_limit_fail_open_tiers: str = "free,pro,premium"
    cost_bucket_anonymous: str = "500:10"  # capacity:points-per-second refill
    cost_bucket_free: str = "2000:40"
    cost_bucket_pro: str = "10000:200"
    cost_bucket_premium: str = "40000:800"

    # --- Learning core --------------------------------------------------------
    error_half_life_days: float = 14.0
    # 'builtin' (curated bank + the learner's own sentences) or 'package.module:factory'.
    exercise_generator: str = "builtin"

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

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

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
        if not self.embedded:
            raise ValueError("JWT_SECRET is required when MONGO_URI is set")
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
