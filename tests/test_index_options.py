"""Indexes are compared by keys and options (issue 28): a non-unique
`user_category_unique`, a partial index without its filter or a TTL of another length is
not the declared index. `daily_sets` expires (DAILY_SET_RETENTION_DAYS)."""

from __future__ import annotations

import uuid

import pymongo

from gateway.settings import Settings
from models.db import Database, connect, ensure_indexes, missing_indexes
from resolvers.maintenance import Maintenance
from scripts.init_db import init_indexes

WEEK = 7 * 86_400


async def bare(**kwargs: object) -> Database:
    return await connect(None, f"t_{uuid.uuid4().hex[:8]}", create_indexes=False, **kwargs)  # type: ignore[arg-type]


async def test_init_db_builds_the_daily_sets_ttl_from_the_setting() -> None:
    """Before: daily_sets had no index at all and grew by a document per learner-day."""
    settings = Settings(_env_file=None, daily_set_retention_days=7)
    db = await bare(index_ttl=settings.index_ttl)
    report = await init_indexes(db)
    assert "daily_sets.expiry" in report["created"]
    info = await db.daily_sets.index_information()
    assert info["expiry"]["expireAfterSeconds"] == WEEK
    assert dict(info["expiry"]["key"]) == {"created_at": 1}
    assert Settings(_env_file=None).daily_set_retention_days == 30  # the default
    assert not await missing_indexes(db)


async def test_a_non_unique_user_category_unique_is_reported_and_repaired() -> None:
    db = await bare()
    keys = [("user_id", 1), ("category", 1), ("subcategory", 1)]
    await db.error_stats.create_indexes([pymongo.IndexModel(keys, name="user_category_unique")])
    # Before: the same keys were taken for the index, uniqueness never checked.
    assert "error_stats.user_category_unique" in await missing_indexes(db)
    report = await ensure_indexes(db)
    [conflict] = [c for c in report["conflicts"] if c.startswith("error_stats.")]
    assert "unique: server False, declared True" in conflict and "--repair" in conflict
    assert not (await db.error_stats.index_information())["user_category_unique"].get("unique")
    repaired = await init_indexes(db, repair=True)
    assert [r.split(":")[0] for r in repaired["repaired"]] == ["error_stats.user_category_unique"]
    assert (await db.error_stats.index_information())["user_category_unique"]["unique"] is True
    assert not await missing_indexes(db)


async def test_a_partial_index_without_its_filter_and_another_ttl_are_reported(capsys) -> None:
    db = await bare(index_ttl={"daily_sets.expiry": WEEK})
    await db.messages.create_indexes([pymongo.IndexModel([("applied", 1)], name="unapplied")])
    await db.daily_sets.create_indexes(
        [pymongo.IndexModel([("created_at", 1)], name="expiry", expireAfterSeconds=60)]
    )
    await ensure_indexes(db)  # builds the rest, leaves these two
    assert sorted(await missing_indexes(db)) == ["daily_sets.expiry", "messages.unapplied"]
    await Maintenance(db, 14.0, None, 60, check_indexes=True).run_once()
    assert "messages.unapplied" in capsys.readouterr().out  # indexes_missing names it
    report = await ensure_indexes(db, repair=True)
    assert sorted(r.split(":")[0] for r in report["repaired"]) == [
        "daily_sets.expiry",
        "messages.unapplied",
    ]
    info = await db.messages.index_information()
    assert info["unapplied"]["partialFilterExpression"] == {"applied": False}
    assert (await db.daily_sets.index_information())["expiry"]["expireAfterSeconds"] == WEEK
    assert not await missing_indexes(db)
