"""Which messages are AI calls: the one rule every cost figure follows.

A message carries usage when its tokens (in or out) or its cost are above zero, whatever
its role: an ASSISTANT reply, a SYSTEM message the tutor service wrote with the model call
behind it, or a USER message it recorded on the learner's behalf with the call that
produced it (speech-to-text). Each such message is one AI call. Recording prices it from
its tokens when no cost is given and takes the session's provider when it names none, and
it is counted in every cost row: the learner's `cost_daily`, the hour and day
`cost_totals` (and their threshold alerts), `cost_dims` and `provider_daily`. So
`costReport` and `providerStats` count the same calls, and their sums equal what the
calls added to the sessions' totals. A message without usage is not an AI call: it counts
in its session's `totalMessages` only (and a reply without usage can still be rated).

`resolvers/messages.py` (recording), `resolvers/rebuild.py` (the rebuild) and
`scripts/import_legacy.py` (imports) all decide with `is_ai_call` / `AI_CALL`. Answer
evaluator calls (`ai_usage`, resolvers/costs/usage.py) are AI calls by definition.
"""

from __future__ import annotations

from typing import Any

# The same rule as a query filter (the rebuilds' message scopes).
USAGE: list[dict[str, Any]] = [
    {"tokens_in": {"$gt": 0}},
    {"tokens_out": {"$gt": 0}},
    {"cost": {"$gt": 0}},
]
AI_CALL: dict[str, Any] = {"$or": USAGE}


def carries_usage(tokens_in: int | None, tokens_out: int | None, cost: float | None) -> bool:
    return bool((tokens_in or 0) > 0 or (tokens_out or 0) > 0 or (cost or 0) > 0)


def is_ai_call(doc: dict[str, Any]) -> bool:
    """A stored (or about to be stored) message: does it carry usage?"""
    return carries_usage(doc.get("tokens_in"), doc.get("tokens_out"), doc.get("cost"))
