"""The embedded database answers a leading-$match aggregation as mongomock's own pipeline does.

The adapter applies a leading $match through find (filtering stored documents before
copying them) instead of letting mongomock copy the whole collection first; a learner's
`progress` went from 0.93 s to 0.13 s on the demo data (docs/performance.md). These
pipelines are the shapes production code sends, compared with mongomock's path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.embedded import EmbeddedClient

START = datetime(2026, 3, 1, tzinfo=UTC)

PIPELINES: list[list[dict[str, Any]]] = [
    [{"$match": {"user_id": "u1"}}],
    [
        {"$match": {"user_id": "u1", "timestamp": {"$gte": START + timedelta(days=3)}}},
        {"$group": {"_id": "$role", "n": {"$sum": 1}, "last": {"$max": "$timestamp"}}},
        {"$sort": {"_id": 1}},
    ],
    [
        {"$match": {"errors": {"$elemMatch": {"category": "Grammar"}}}},
        {"$unwind": "$errors"},
        {"$group": {"_id": "$errors.subcategory", "n": {"$sum": 1}}},
        {"$sort": {"n": -1, "_id": 1}},
    ],
    [
        {"$match": {"user_id": {"$in": ["u1", "u3"]}, "applied": {"$exists": True}}},
        {
            "$bucket": {
                "groupBy": "$timestamp",
                "boundaries": [START + timedelta(days=d) for d in range(0, 31, 5)],
                "default": "later",
                "output": {"n": {"$sum": 1}},
            }
        },
    ],
    [
        {"$match": {"$or": [{"role": "assistant"}, {"cost": {"$gt": 0.5}}]}},
        {"$project": {"_id": 0, "user_id": 1, "cost": 1}},
        {"$sort": {"cost": -1, "user_id": 1}},
        {"$limit": 7},
    ],
    [{"$match": {"nothing": "matches"}}, {"$count": "n"}],
]


@pytest.mark.parametrize("pipeline", PIPELINES, ids=lambda p: "+".join(k for s in p for k in s))
async def test_a_leading_match_gives_mongomocks_answer(pipeline: list[dict[str, Any]]) -> None:
    db = EmbeddedClient().get_database("aggregation")
    messages = db["messages"]
    await messages.insert_many(
        [
            {
                "_id": f"m{i}",
                "user_id": f"u{i % 4}",
                "role": "user" if i % 3 else "assistant",
                "timestamp": START + timedelta(days=i % 30, hours=i),
                "cost": (i % 11) / 10,
                "errors": [{"category": "Grammar", "subcategory": f"s{i % 5}"}] if i % 2 else [],
                **({"applied": True} if i % 7 else {}),
            }
            for i in range(200)
        ]
    )
    reference = list(messages._sync.aggregate(pipeline))
    assert await (await messages.aggregate(pipeline)).to_list() == reference
    assert reference or pipeline[0]["$match"] == {"nothing": "matches"}
