"""Every setting is checked at start-up: a bad value stops the process with a clear message
instead of starting and failing requests later."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from gateway.settings import Settings
from tests.servers import run_gateway_to_exit

BAD = [
    ("RATE_LIMIT_FREE", "sixty a minute", "60/minute"),  # was: every free request a 500
    ("RATE_LIMIT_ANONYMOUS", "0/minute", "60/minute"),
    ("RATE_LIMIT_PRO", "10/minute;5/second", "60/minute"),
    ("COST_BUCKET_PRO", "lots", "capacity:refill_per_second"),
    ("COST_BUCKET_FREE", "2000:0", "capacity:refill_per_second"),
    ("COST_BUCKET_PREMIUM", "2000:nan", "capacity:refill_per_second"),
    ("RATE_LIMIT_FAIL_OPEN_TIERS", "free,gold", "unknown tier"),
    ("FORWARDED_ALLOW_IPS", "10.0.0.1,proxy.local", "not an IP address"),
    ("QUERY_MAX_COST", "0", "greater than or equal to 1"),
    ("EXECUTION_TIMEOUT_MS", "-5", "greater than or equal to 1"),
    ("QUERY_MAX_SELECTIONS", "many", "integer"),
    ("SLOW_REQUEST_MS", "-1", "greater than or equal to 0"),
    ("PORT", "70000", "less than or equal to 65535"),
    ("MONGO_TIMEOUT_MS", "10", "greater than or equal to 50"),
    ("JWT_JWKS_URL", "idp.example/jwks", "valid URL"),
    ("REDIS_URL", "http://127.0.0.1:6379", "URL scheme should be"),
    ("MONGO_URI", "localhost:27017", "scheme"),
    ("PROMETHEUS_MULTIPROC_DIR", "/nonexistent/metrics", "directory"),
    ("LOG_LEVEL", "chatty", "not DEBUG"),
    ("CORS_ALLOW_ORIGINS", "app.example.com", "not an origin"),  # was: every browser refused
    ("CORS_ALLOW_ORIGINS", "https://app.example.com/app", "not an origin"),
    ("EXERCISE_GENERATOR", "my generator", "package.module:factory"),
    ("PRICING_OVERRIDES", "{oops", "not JSON"),
    ("PRICING_OVERRIDES", '{"openai": {"gpt-x": {"input": -1, "output": 1}}}', "must look like"),
    ("PRICING_OVERRIDES", '{"openai": {"gpt-x": 3}}', "must look like"),
]


@pytest.mark.parametrize(("name", "value", "says"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_bad_settings_are_refused_by_name(monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    message = str(caught.value)
    assert name.lower() in message and says in message, message


def test_good_settings_pass(monkeypatch):
    for name, value in {
        "RATE_LIMIT_FREE": "100/hour",
        "COST_BUCKET_FREE": "100:0.5",
        "RATE_LIMIT_FAIL_OPEN_TIERS": "",
        "FORWARDED_ALLOW_IPS": "10.0.0.0/8, 127.0.0.1,::1",
        "PRICING_OVERRIDES": '{"openai": {"gpt-x": {"input": 1e-6, "output": 2e-6}}}',
        "EXERCISE_GENERATOR": "my_pkg.gen:build",
        "LOG_LEVEL": "debug",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.log_level == "DEBUG" and settings.cost_bucket("free") == (100, 0.5)


def test_the_process_refuses_to_start_with_a_bad_setting():
    proc = run_gateway_to_exit({"RATE_LIMIT_FREE": "sixty a minute", "MONGO_URI": "", "PORT": "0"})
    assert proc.returncode == 2
    [line] = (proc.stdout + proc.stderr).splitlines()  # one JSON line, no traceback
    event = json.loads(line)
    assert event["event"] == "invalid_settings" and event["level"] == "critical"
    [problem] = event["problems"]
    assert problem["setting"] == "RATE_LIMIT_FREE" and "sixty a minute" in problem["problem"]


@pytest.mark.parametrize(
    "env",
    [
        {"JWT_SECRET": "too-short", "MONGO_URI": ""},
        {"JWT_SECRET": "", "MONGO_URI": "mongodb://127.0.0.1:1", "JWT_JWKS_URL": ""},
    ],
    ids=["short", "missing-with-mongo-uri"],
)
def test_a_bad_signing_secret_is_one_line_too(env):
    """Before, a JWT_SECRET under 32 characters (or none with MONGO_URI) stopped the
    process with a Python traceback, not the invalid_settings line."""
    proc = run_gateway_to_exit({**env, "PORT": "0"})
    assert proc.returncode == 2
    [line] = (proc.stdout + proc.stderr).splitlines()
    event = json.loads(line)
    assert event["event"] == "invalid_settings"
    [problem] = event["problems"]
    assert problem["setting"] == "JWT_SECRET" and "JWT_SECRET" in problem["problem"]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no_such_module_here:create", "cannot be imported"),
        ("json:no_such_factory", "no callable 'no_such_factory'"),
    ],
)
def test_an_exercise_generator_that_cannot_load_is_refused_at_start_up(spec, says):
    """Before, a well-formed EXERCISE_GENERATOR naming no module started the gateway, and
    every dailyPractice and generateExercise then answered INTERNAL."""
    proc = run_gateway_to_exit({"EXERCISE_GENERATOR": spec, "MONGO_URI": "", "PORT": "0"})
    assert proc.returncode == 2
    [line] = (proc.stdout + proc.stderr).splitlines()
    [problem] = json.loads(line)["problems"]
    assert problem["setting"] == "EXERCISE_GENERATOR" and says in problem["problem"]
