"""What a team might pick instead of the gateway, serving the same rows: the peers of
`make bench` and `bench --http-quick` (docs/performance.md).

* stock Strawberry on Starlette (`python -m bench.peers stock --port P --rows rows.json`):
  Strawberry's own ASGI view, types and resolvers as its docs show them, over the rows in
  memory, the JWT verified per request;
* Node (bench/node/server.mjs): graphql-js with graphql-jit, the same rows and JWT check.

Both answer `mid` and W4 only. The rows come from the gateway's own seeded database
(`dump_rows`) in the database's shape, and each peer converts them per request (enum
values, timestamps, missing lists) and copies each row it reads, as with a driver's
documents; `bench --http-quick` checks every peer's answer against the gateway's before it
measures (`bench/http_quick.py`, `same_answer`).
"""

from __future__ import annotations

import argparse
import json
import resource
from datetime import datetime
from enum import Enum
from typing import Any

import jwt
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from models.db import Database

MESSAGES_PER_SESSION = 21  # what `messages(first: 20)` can ask for, and one more


async def dump_rows(db: Database, path: str) -> None:
    """The users, their sessions (newest first) and each session's first messages, in the
    database's shape (lowercase enum values, stored field names, timestamps as ISO 8601 to
    the millisecond, errors as stored): each peer converts them per request as it would
    a driver's documents, the work the gateway and the hand-written endpoint do."""
    users = {
        u["_id"]: {"name": u["name"], "subscription_tier": u["subscription_tier"]}
        async for u in db.users.find({}, {"name": 1, "subscription_tier": 1})
    }
    sessions: dict[str, list[dict[str, Any]]] = {}
    found = db.sessions.find({}, {"user_id": 1, "topic": 1, "total_messages": 1, "started_at": 1})
    async for s in found.sort([("started_at", -1), ("_id", -1)]):
        sessions.setdefault(s["user_id"], []).append(
            {"_id": s["_id"], "topic": s.get("topic"), "total_messages": s.get("total_messages")}
        )
    messages: dict[str, list[dict[str, Any]]] = {}
    fields = {"role": 1, "content": 1, "timestamp": 1, "errors": 1, "session_id": 1}
    async for m in db.messages.find({}, fields).sort(
        [("session_id", 1), ("timestamp", 1), ("_id", 1)]
    ):
        kept = messages.setdefault(m.pop("session_id"), [])
        if len(kept) < MESSAGES_PER_SESSION:
            m["timestamp"] = m["timestamp"].isoformat()
            kept.append(m)
    with open(path, "w") as f:
        json.dump({"users": users, "sessions": sessions, "messages": messages}, f)


def load_rows(path: str) -> dict[str, Any]:
    """The dump with timestamps as datetimes again, as a driver decodes them."""
    with open(path) as f:
        rows: dict[str, Any] = json.load(f)
    for page in rows["messages"].values():
        for m in page:
            m["timestamp"] = datetime.fromisoformat(m["timestamp"])
    return rows


# --- stock Strawberry ----------------------------------------------------------------


@strawberry.enum
class MessageRole(Enum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


@strawberry.enum
class SubscriptionTier(Enum):
    FREE = "free"
    PRO = "pro"
    PREMIUM = "premium"


@strawberry.type
class LanguageError:
    category: str
    subcategory: str
    excerpt: str | None = None
    correction: str | None = None


@strawberry.type
class Message:
    id: strawberry.ID
    role: MessageRole
    content: str
    timestamp: datetime
    errors: list[LanguageError]


@strawberry.type
class MessageEdge:
    node: Message


@strawberry.type
class MessageConnection:
    edges: list[MessageEdge]


def _fresh(rows: list[dict[str, Any]], first: int) -> list[dict[str, Any]]:
    """A new top-level document per row read, as a driver returns (bench/replay.py)."""
    return [dict(r) for r in rows[:first]]


@strawberry.type
class Session:
    id: strawberry.ID
    topic: str | None
    total_messages: int

    @strawberry.field
    def messages(self, info: strawberry.Info, first: int = 20) -> MessageConnection:
        rows = _fresh(info.context["rows"]["messages"].get(self.id, []), first)
        return MessageConnection(
            edges=[
                MessageEdge(
                    node=Message(
                        id=m["_id"],
                        role=MessageRole(m["role"]),
                        content=m["content"],
                        timestamp=m["timestamp"],
                        errors=[
                            LanguageError(
                                category=e["category"],
                                subcategory=e["subcategory"],
                                excerpt=e.get("excerpt"),
                                correction=e.get("correction"),
                            )
                            for e in m.get("errors") or []
                        ],
                    )
                )
                for m in rows
            ]
        )


@strawberry.type
class SessionEdge:
    node: Session


@strawberry.type
class SessionConnection:
    edges: list[SessionEdge]


@strawberry.type
class User:
    id: strawberry.ID
    name: str
    subscription_tier: SubscriptionTier

    @strawberry.field
    def sessions(self, info: strawberry.Info, first: int = 20) -> SessionConnection:
        rows = _fresh(info.context["rows"]["sessions"].get(self.id, []), first)
        return SessionConnection(
            edges=[
                SessionEdge(
                    node=Session(
                        id=s["_id"], topic=s.get("topic"), total_messages=s["total_messages"] or 0
                    )
                )
                for s in rows
            ]
        )


@strawberry.type
class Query:
    @strawberry.field
    def me(self, info: strawberry.Info) -> User | None:
        sub = info.context["sub"]
        row = info.context["rows"]["users"].get(sub)
        if row is None:
            return None
        row = dict(row)
        return User(
            id=sub, name=row["name"], subscription_tier=SubscriptionTier(row["subscription_tier"])
        )


class StockGraphQL(GraphQL):  # type: ignore[type-arg]
    def __init__(self, rows: dict[str, Any], secret: str) -> None:
        super().__init__(strawberry.Schema(query=Query), graphql_ide=None)
        self.rows, self.secret = rows, secret

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:  # type: ignore[override]
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        claims = jwt.decode(token, self.secret, algorithms=["HS256"])
        return {"rows": self.rows, "sub": claims["sub"]}


def stock_app(rows: dict[str, Any], secret: str) -> Starlette:
    async def stats(_request: Request) -> JSONResponse:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return JSONResponse({"cpu_s": usage.ru_utime + usage.ru_stime})

    return Starlette(
        routes=[
            Route("/bench/stats", stats),
            Route("/graphql", StockGraphQL(rows, secret), methods=["GET", "POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=["stock"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rows", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    rows = load_rows(args.rows)
    uvicorn.run(
        stock_app(rows, args.secret),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
