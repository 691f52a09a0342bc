"""The floor: hand-written Starlette + PyMongo async JSON endpoints doing the same batched queries
(or, for W2/W3, calling the same domain functions) with no GraphQL layer."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway import jsonio
from gateway.context import GatewayContext
from gateway.services import Services
from models.enums import MessageRole
from resolvers.dataloaders import MESSAGE_HIDDEN, SESSION_HIDDEN, exclude
from resolvers.messages import ErrorInput, MessageInput, record_message
from resolvers.practice.generate import generate_exercises
from resolvers.practice.stats import error_stats


def isoformat(value: datetime) -> str:
    """How the first round's endpoint writes a timestamp, which the W1/W1-wide/mid targets
    were set against."""
    return value.isoformat()


def by_the_encoder(value: datetime) -> datetime:
    """Left for gateway/jsonio.py to write, as the gateway's DateTime is (the same text):
    the like-for-like floor for timestamps (docs/performance.md, "Sixth pass")."""
    return value


Stamp = Callable[[datetime], Any]


def _json(payload: Any, status: int = 200) -> Response:
    return Response(jsonio.dumps(payload), status, media_type="application/json")


def _message(m: dict[str, Any], stamp: Stamp = isoformat) -> dict[str, Any]:
    """W1's message fields."""
    return {
        "role": m["role"].upper(),
        "content": m["content"],
        "timestamp": stamp(m["timestamp"]),
        "errors": [
            {
                "category": e["category"],
                "subcategory": e["subcategory"],
                "correction": e.get("correction"),
            }
            for e in m.get("errors", [])
        ],
    }


def mid_message(m: dict[str, Any], stamp: Stamp = isoformat) -> dict[str, Any]:
    """mid's message fields."""
    return {
        "id": m["_id"],
        "role": m["role"].upper(),
        "content": m["content"],
        "timestamp": stamp(m["timestamp"]),
        "errors": [
            {
                "category": e["category"],
                "subcategory": e["subcategory"],
                "excerpt": e.get("excerpt"),
                "correction": e.get("correction"),
            }
            for e in m.get("errors", [])
        ],
    }


def _wide_message(m: dict[str, Any], stamp: Stamp = isoformat) -> dict[str, Any]:
    """W1-wide's: ten scalar fields and five per error."""
    return {
        "id": m["_id"],
        "role": m["role"].upper(),
        "content": m["content"],
        "timestamp": stamp(m["timestamp"]),
        "provider": m.get("provider"),
        "model": m.get("model"),
        "tokensIn": m.get("tokens_in"),
        "tokensOut": m.get("tokens_out"),
        "cost": m.get("cost"),
        "responseTimeMs": m.get("response_time_ms"),
        "errors": [
            {
                "category": e["category"],
                "subcategory": e["subcategory"],
                "excerpt": e.get("excerpt"),
                "correction": e.get("correction"),
                "explanation": e.get("explanation"),
            }
            for e in m.get("errors", [])
        ],
    }


def routes(services: Services, stamp: Stamp = isoformat) -> list[Route]:
    """`stamp`: how timestamps are written (`isoformat`, the targets' baseline, or
    `by_the_encoder`)."""
    db, settings = services.db, services.settings

    async def viewer(request: Request) -> dict[str, Any] | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        claims = jwt.decode(token, settings.jwt_key, algorithms=["HS256"])
        return await db.users.find_one(
            {"_id": claims["sub"]}, {"role": 1, "subscription_tier": 1, "email": 1}
        )

    async def w1(request: Request) -> Response:
        return await nested(request, _message)

    async def w1_wide(request: Request) -> Response:
        return await nested(request, _wide_message)

    async def nested(request: Request, message: Any) -> Response:
        me = await viewer(request)
        if not me or me["role"] != "admin":
            return _json({"error": "forbidden"}, 403)
        users = [
            u async for u in db.users.find({}).sort([("created_at", -1), ("_id", -1)]).limit(51)
        ]
        ids = [u["_id"] for u in users]
        sessions = {
            r["_id"]: r["docs"]
            async for r in await db.sessions.aggregate(
                [
                    {"$match": {"user_id": {"$in": ids}}},
                    {"$project": exclude(SESSION_HIDDEN)},
                    {"$sort": {"user_id": 1, "started_at": -1, "_id": -1}},
                    {"$group": {"_id": "$user_id", "docs": {"$push": "$$ROOT"}, "n": {"$sum": 1}}},
                    {"$project": {"docs": {"$slice": ["$docs", 11]}, "n": 1}},
                ]
            )
        }
        sids = [s["_id"] for docs in sessions.values() for s in docs[:10]]
        msgs = {
            r["_id"]: r["docs"]
            async for r in await db.messages.aggregate(
                [
                    {"$match": {"session_id": {"$in": sids}}},
                    {"$project": exclude(MESSAGE_HIDDEN)},
                    {"$sort": {"session_id": 1, "timestamp": 1, "_id": 1}},
                    {
                        "$group": {
                            "_id": "$session_id",
                            "docs": {"$push": "$$ROOT"},
                            "n": {"$sum": 1},
                        }
                    },
                    {"$project": {"docs": {"$slice": ["$docs", 21]}, "n": 1}},
                ]
            )
        }
        out = [
            {
                "id": u["_id"],
                "name": u["name"],
                "sessions": [
                    {
                        "id": s["_id"],
                        "topic": s.get("topic"),
                        "startedAt": stamp(s["started_at"]),
                        "messages": [message(m, stamp) for m in msgs.get(s["_id"], [])[:20]],
                    }
                    for s in sessions.get(u["_id"], [])[:10]
                ],
            }
            for u in users[:50]
        ]
        return _json({"users": out})

    def ctx_for(me: dict[str, Any]) -> GatewayContext:
        from resolvers.viewer import Viewer

        v = Viewer(id=me["_id"], role=me["role"], tier=me["subscription_tier"], email=me["email"])
        return GatewayContext.create(services, v, "hand", "127.0.0.1")

    async def w2(request: Request) -> Response:
        me = await viewer(request)
        assert me
        ctx = ctx_for(me)
        stats = await error_stats(ctx, me["_id"], None, None, 5)
        made = await generate_exercises(ctx, me["_id"], 3, None)
        return _json(
            {
                "stats": [i.subcategory for i in stats.items],
                "exercises": [{"id": e["_id"], "prompt": e["prompt"]} for e in made],
            }
        )

    async def w3(request: Request) -> Response:
        me = await viewer(request)
        assert me
        body = await request.json()
        data = MessageInput(
            session_id=body["sessionId"],
            role=MessageRole.USER,
            content=body["content"],
            errors=[ErrorInput(**e) for e in body["errors"]],
        )
        msg = await record_message(ctx_for(me), data)
        return _json({"id": msg["_id"]})

    async def w4(request: Request) -> Response:
        # The floor for "who am I": verify the token, one lookup, serialise.
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        claims = jwt.decode(token, settings.jwt_key, algorithms=["HS256"])
        doc = await db.users.find_one({"_id": claims["sub"]}, {"name": 1, "subscription_tier": 1})
        return _json(
            {"me": {"name": doc["name"], "subscriptionTier": doc["subscription_tier"].upper()}}
        )

    async def mid(request: Request) -> Response:
        # A learner's page: their last 3 sessions with 20 messages each, errors included.
        me = await viewer(request)
        assert me
        found = db.sessions.find({"user_id": me["_id"]}, exclude(SESSION_HIDDEN))
        sessions = [s async for s in found.sort([("started_at", -1), ("_id", -1)]).limit(4)]
        sids = [s["_id"] for s in sessions[:3]]
        msgs = {
            r["_id"]: r["docs"]
            async for r in await db.messages.aggregate(
                [
                    {"$match": {"session_id": {"$in": sids}}},
                    {"$project": exclude(MESSAGE_HIDDEN)},
                    {"$sort": {"session_id": 1, "timestamp": 1, "_id": 1}},
                    {"$group": {"_id": "$session_id", "docs": {"$push": "$$ROOT"}}},
                    {"$project": {"docs": {"$slice": ["$docs", 21]}}},
                ]
            )
        }
        user = await db.users.find_one({"_id": me["_id"]}, {"name": 1})
        return _json(
            {
                "me": {
                    "name": user["name"] if user else None,
                    "sessions": [
                        {
                            "id": s["_id"],
                            "topic": s.get("topic"),
                            "totalMessages": s.get("total_messages", 0),
                            "messages": [
                                mid_message(m, stamp) for m in msgs.get(s["_id"], [])[:20]
                            ],
                        }
                        for s in sessions[:3]
                    ],
                }
            }
        )

    # W4 with the two caches the gateway keeps (verified tokens; user records for
    # AUTH_CACHE_SECONDS): the like-for-like floor for "who am I" (docs/performance.md).
    verified: dict[str, str] = {}
    records: dict[str, tuple[float, dict[str, Any]]] = {}

    async def w4_cached(request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        sub = verified.get(token)
        if sub is None:
            sub = verified[token] = jwt.decode(token, settings.jwt_key, algorithms=["HS256"])["sub"]
        now = time.monotonic()
        hit = records.get(sub)
        if hit is None or hit[0] < now:
            doc = await db.users.find_one({"_id": sub}, {"name": 1, "subscription_tier": 1})
            assert doc is not None
            hit = records[sub] = (now + settings.auth_cache_seconds, doc)
        doc = hit[1]
        return _json(
            {"me": {"name": doc["name"], "subscriptionTier": doc["subscription_tier"].upper()}}
        )

    return [
        Route("/hand/mid", mid),
        Route("/hand/w4-cached", w4_cached),
        Route("/hand/w1", w1),
        Route("/hand/w1-wide", w1_wide),
        Route("/hand/w2", w2, methods=["POST"]),
        Route("/hand/w3", w3, methods=["POST"]),
        Route("/hand/w4", w4),
    ]
