"""providerStats: traffic, latency and ratings per provider and model, from daily rollups.

Each AI call (a message carrying usage, whatever its role, or an answer-evaluator call:
resolvers/costs/calls.py) adds to its (UTC day, provider, model) row in `provider_daily`:
requests, tokens, cost, and its response time into a histogram of log-spaced buckets
(upper bounds RT_BASE_MS * RT_GROWTH^k), so p95 over any window is read from at most
366 rows per provider/model instead of every message. The p95 is interpolated inside its
bucket: within RT_GROWTH - 1 = 10% of the exact value. These are the calls costReport
counts, in the same rows of the same days, so `requests`, `tokens` and `cost` equal
costReport.byModel's bucket "provider/model" for the same window. A reply without usage
(a canned or cached answer: no model call) is in no traffic or latency counter; ratings,
of every rated ASSISTANT reply, are kept in the same rows (resolvers/ratings.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resolvers.context import RequestContext
from resolvers.costs.report import window
from resolvers.counters import WITHOUT_GUARDS
from resolvers.permissions import require_admin

RT_BASE_MS = 10.0
RT_GROWTH = 1.1
RT_MAX_BUCKET = 130  # 10 ms * 1.1^130 > 2 hours: every response time the API accepts
PERCENTILE = 0.95


def rt_bucket(ms: int) -> int:
    """The histogram bucket holding `ms`: bucket k covers (upper(k-1), upper(k)]."""
    if ms <= RT_BASE_MS:
        return 0
    k = math.ceil(math.log(ms / RT_BASE_MS) / math.log(RT_GROWTH) - 1e-9)
    return min(RT_MAX_BUCKET, k)


def rt_upper(k: int) -> float:
    return RT_BASE_MS * RT_GROWTH**k


def percentile(hist: dict[int, int], q: float) -> float | None:
    """The q-quantile of a bucketed distribution, linear inside the bucket it falls in."""
    total = sum(hist.values())
    if not total:
        return None
    rank = q * total
    seen = 0
    for k in sorted(hist):
        n = hist[k]
        if seen + n >= rank:
            lower = rt_upper(k - 1) if k > 0 else 0.0
            return round(lower + (rt_upper(k) - lower) * (rank - seen) / n, 1)
        seen += n
    return round(rt_upper(max(hist)), 1)


def provider_names(doc: dict[str, Any]) -> tuple[str, str, str]:
    """(UTC day, provider, model) of a message's provider_daily row."""
    provider, model = doc.get("provider") or "unknown", doc.get("model") or "unknown"
    return doc["timestamp"].strftime("%Y-%m-%d"), provider, model


def _id_part(name: str) -> str:
    # Clients name providers and models: a `|` in one must not shift the `_id`'s fields,
    # or ("a|b", "c") and ("a", "b|c") would share a row. Pipe-free names are unchanged.
    return name.replace("%", "%25").replace("|", "%7C")


def provider_key(doc: dict[str, Any]) -> dict[str, Any]:
    day, provider, model = provider_names(doc)
    return {"_id": f"{day}|{_id_part(provider)}|{_id_part(model)}"}


def provider_update(doc: dict[str, Any]) -> dict[str, Any]:
    """The $inc one AI call makes to its provider_daily row."""
    inc: dict[str, Any] = {
        "requests": 1,
        "tokens": (doc.get("tokens_in") or 0) + (doc.get("tokens_out") or 0),
        "cost": doc.get("cost") or 0.0,
    }
    ms = doc.get("response_time_ms")
    if ms is not None:
        inc.update({"rt_count": 1, "rt_sum_ms": ms, f"rt_hist.{rt_bucket(ms)}": 1})
    day, provider, model = provider_names(doc)
    return {"$inc": inc, "$setOnInsert": {"date": day, "provider": provider, "model": model}}


@dataclass(slots=True)
class ProviderStat:
    provider: str
    model: str
    requests: int
    tokens: int
    cost: float
    avg_response_time_ms: float | None
    p95_response_time_ms: float | None
    rated_count: int
    avg_rating: float | None
    helpful_share: float | None


async def provider_stats(
    ctx: RequestContext, start: datetime | None, end: datetime | None
) -> list[ProviderStat]:
    """Whole UTC days like costReport (default the last 7, at most 366); most requests first."""
    require_admin(ctx)
    days = window(start, end)
    span = {"$gte": days.first_day, "$lte": days.last_day}
    sums: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"hist": defaultdict(int), "n": defaultdict(float)}
    )
    async for row in ctx.db.provider_daily.find({"date": span}, dict(WITHOUT_GUARDS)):
        acc = sums[(row["provider"], row["model"])]
        for f in (
            "requests",
            "tokens",
            "cost",
            "rt_count",
            "rt_sum_ms",
            "rated",
            "rating_sum",
            "helpful_yes",
            "helpful_answered",
        ):
            acc["n"][f] += row.get(f) or 0
        for k, n in (row.get("rt_hist") or {}).items():
            acc["hist"][int(k)] += n
    out = []
    for (provider, model), acc in sums.items():
        n = acc["n"]
        if not n["requests"] and not n["rated"]:
            continue  # nothing left to show (e.g. a rebuild moved its calls elsewhere)
        out.append(
            ProviderStat(
                provider=provider,
                model=model,
                requests=int(n["requests"]),
                tokens=int(n["tokens"]),
                cost=round(n["cost"], 8),
                avg_response_time_ms=round(n["rt_sum_ms"] / n["rt_count"], 1)
                if n["rt_count"]
                else None,
                p95_response_time_ms=percentile(acc["hist"], PERCENTILE),
                rated_count=int(n["rated"]),
                avg_rating=round(n["rating_sum"] / n["rated"], 3) if n["rated"] else None,
                helpful_share=round(n["helpful_yes"] / n["helpful_answered"], 4)
                if n["helpful_answered"]
                else None,
            )
        )
    return sorted(out, key=lambda s: (-s.requests, s.provider, s.model))
