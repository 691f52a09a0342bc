"""One admission step (gateway/admission.py `charge`): whatever becomes of a request, its
caller is authenticated once, one request comes out of their window and their points are
charged at most once.

Before, three places charged (admission control, a second `admit(ctx, 0)` in the endpoint
and gateway/refusals.py, which authenticated again): an executed document long enough to
cost points was charged twice, and a batch authenticated once per operation.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.querycost import CHARS_PER_POINT
from tests.conftest import Api, make_settings, running_api

# Long enough that its text costs points of its own (querycost.document_points).
PADDING = "#" + "x" * CHARS_PER_POINT + "\n"
EXECUTED = PADDING + "{ me { id } }"
INVALID = PADDING + "{ me { nope } }"
OVER_COST = PADDING + "{ users(first: 50) { edges { node { id } } } }"


class Counted:
    """Calls to the authenticator and the rate limiter's charging methods."""

    def __init__(self, api: Api) -> None:
        self.calls: Counter[str] = Counter()
        self.points: list[int] = []
        auth, limiter = api.services.auth, api.services.limiter
        real_auth, real_hit = auth.authenticate_cached, limiter.hit_request
        real_points = limiter.charge_points

        async def authenticate_cached(*args: Any, **kwargs: Any) -> Any:
            self.calls["authenticate"] += 1
            return await real_auth(*args, **kwargs)

        async def hit_request(*args: Any, **kwargs: Any) -> Any:
            self.calls["request"] += 1
            return await real_hit(*args, **kwargs)

        async def charge_points(tier: str, key: str, cost: int, charge: bool = True) -> Any:
            if charge:
                self.calls["points"] += 1
                self.points.append(cost)
            return await real_points(tier, key, cost, charge)

        auth.authenticate_cached = authenticate_cached  # type: ignore[method-assign]
        limiter.hit_request = hit_request  # type: ignore[method-assign]
        limiter.charge_points = charge_points  # type: ignore[method-assign]

    def reset(self) -> None:
        self.calls.clear()
        self.points.clear()


@pytest.fixture
async def counted() -> AsyncIterator[tuple[Api, Counted, str]]:
    settings = make_settings(rate_limit_free="1000/minute", query_max_cost=10)
    async with running_api(settings) as api:
        _, token = await api.user(tier="free")
        yield api, Counted(api), token


def post(api: Api, token: str, body: Any) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json", "Authorization": f"Bearer {token}"}
    return api.client.post("/graphql", content=content, headers=headers)


@pytest.mark.parametrize(
    ("body", "code", "points"),
    [
        (b"{not json", "BAD_USER_INPUT", 0),  # refused before parse
        ({"query": INVALID}, "BAD_USER_INPUT", 1),
        ({"query": OVER_COST}, "QUERY_TOO_COMPLEX", 1),
        ({"query": EXECUTED}, None, 1),
    ],
    ids=["refused", "invalid", "over-cost", "executed"],
)
async def test_each_outcome_authenticates_once_and_charges_once(counted, body, code, points):
    api, calls, token = counted
    for _ in range(2):  # the second sees cached documents and a cached caller
        calls.reset()
        response = await post(api, token, body)
        errors = response.json().get("errors") or []
        assert (errors[0]["extensions"]["code"] if errors else None) == code, errors
        assert calls.calls == Counter(authenticate=1, request=1, points=points)
    if code is None:  # the document's length and the operation's price, in one charge
        cost = response.json()["extensions"]["rateLimit"]["cost"]
        assert calls.points == [cost] and cost > 1


async def test_a_caller_refused_before_parsing_is_charged_once():
    settings = make_settings(rate_limit_free="1/minute")
    async with running_api(settings) as api:
        _, token = await api.user(tier="free")
        assert (await post(api, token, {"query": EXECUTED})).status_code == 200
        calls = Counted(api)
        response = await post(api, token, {"query": EXECUTED})
        assert response.status_code == 429
        assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert calls.calls == Counter(authenticate=1, request=1)


async def test_a_batch_authenticates_once_and_charges_each_operation_once(counted):
    api, calls, token = counted
    batch = [{"query": EXECUTED}, {"query": INVALID}, {"query": 5}]
    response = await post(api, token, batch)
    assert response.status_code == 200 and len(response.json()) == 3
    assert calls.calls == Counter(authenticate=1, request=3, points=2)
