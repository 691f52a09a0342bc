"""The tutoring turn as `make run` shows it: the demo learner speaks, the demo TUTOR answers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.servers import start_gateway


def _post(url: str, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


def test_the_banners_learner_and_tutor_credentials_run_a_whole_turn() -> None:
    gateway = start_gateway()
    try:
        url, tokens = gateway.url, gateway.tokens
        assert tokens["TUTOR"].startswith("tgw_")
        learner, tutor, admin = tokens["learner"], tokens["TUTOR"], tokens["admin"]
        before = _post(url, admin, "{ costReport { today } }")["costReport"]["today"]
        sid = _post(url, learner, 'mutation { startSession(input: {topic: "Family"}) { id } }')[
            "startSession"
        ]["id"]
        said = _post(
            url,
            learner,
            """mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: USER,
               content: "My sister live in London since three years.",
               idempotencyKey: "turn-1-user"}) { id } }""",
            {"s": sid},
        )["recordMessage"]["id"]
        reply = _post(
            url,
            tutor,
            """mutation($s: ID!) { recordMessage(input: {sessionId: $s, role: ASSISTANT,
               content: "Nice! We say: My sister has lived in London for three years.",
               provider: "anthropic", model: "claude-3-5-sonnet", tokensIn: 420, tokensOut: 96,
               responseTimeMs: 850, idempotencyKey: "turn-1-reply"}) { cost } }""",
            {"s": sid},
        )["recordMessage"]
        assert reply["cost"] > 0
        _post(
            url,
            tutor,
            """mutation($m: ID!) { annotateMessage(id: $m, idempotencyKey: "turn-1-errors",
               errors: [{category: "Grammar", subcategory: "Verb Tense", excerpt: "live",
                         correction: "has lived"},
                        {category: "Grammar", subcategory: "Prepositions",
                         excerpt: "since three years", correction: "for three years"}]) { id } }""",
            {"m": said},
        )
        after = _post(url, admin, "{ costReport { today } }")["costReport"]["today"]
        assert after - before == reply["cost"] or abs(after - before - reply["cost"]) < 1e-9
        top = _post(url, learner, "{ errorStats { items { subcategory } } }")["errorStats"]
        assert {"Verb Tense", "Prepositions"} <= {i["subcategory"] for i in top["items"]}
    finally:
        gateway.stop()
