"""Compiled execution vs standard graphql-core execution: identical results, operation by
operation, on realistic seeded data (scripts/seed.py) plus a few damaged rows.

Each operation runs through both schemas (EXECUTION_FAST_PATH on and off: the same
extensions, admission and resolvers) with a fresh request context, and the test compares
`data` and every error's message, path, locations, extensions and original error type
(the raw errors: the HTTP layer would mask internal messages).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.context import GatewayContext
from gateway.guards import guarded_schema
from resolvers.demo.seed import seed_database
from resolvers.practice import stats as stats_module
from tests.conftest import make_settings, running_api

Op = tuple[str, str, dict[str, Any] | None, str]  # (name, query, variables, who)

USER_SCALARS = "id email name role subscriptionTier nativeLanguage targetLanguage level createdAt lastActive totalSessions streakDays"
SESSION_SCALARS = "id startedAt endedAt status topic provider totalMessages totalTokens totalCost avgResponseTimeMs"
MESSAGE_SCALARS = "id role content timestamp provider model tokensIn tokensOut cost responseTimeMs"
ERROR_FIELDS = "category subcategory excerpt correction explanation"
EXERCISE_FIELDS = "id type category subcategory difficulty prompt choices status attempts hintsUsed createdAt completedAt dueAt"


def operations(ids: dict[str, str]) -> Iterator[Op]:
    me, other, sess, other_sess = ids["learner"], ids["other"], ids["session"], ids["other_session"]
    missing = str(uuid.uuid4())
    everyone = ("admin", "learner", "other", "anonymous")

    # Scalars, enums, DateTime, __typename on the viewer, for every kind of caller.
    for who in everyone:
        yield "me scalars", f"{{ me {{ {USER_SCALARS} }} }}", None, who
        yield "me typename", "{ __typename me { __typename id } }", None, who
        yield (
            "rateLimit",
            "{ rateLimit { tier limit remaining windowSeconds cost pointsCapacity maxCost exempt __typename } }",
            None,
            who,
        )
        yield (
            "me + rateLimit",
            "{ me { name subscriptionTier } rateLimit { remaining } }",
            None,
            who,
        )

    # user(id): own, someone else's (NOT_FOUND for learners), missing.
    for who in everyone:
        for target in (me, other, missing):
            yield (
                "user by id",
                "query($id: ID!) { user(id: $id) { id name role level } }",
                {"id": target},
                who,
            )
            yield (
                "session by id",
                "query($id: ID!) { session(id: $id) { id status user { id name } } }",
                {"id": sess if target == me else other_sess if target == other else missing},
                who,
            )

    # Nested lists: sessions -> messages -> errors, with every scalar.
    for first in (0, 1, 3, 20):
        for who in ("admin", "learner"):
            yield (
                "nested history",
                f"""query($first: Int) {{ me {{ id sessions(first: $first) {{ totalCount
                  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
                  edges {{ cursor node {{ {SESSION_SCALARS} messages(first: 5) {{ totalCount edges {{ node {{
                    {MESSAGE_SCALARS} errors {{ {ERROR_FIELDS} }} }} }} }} }} }} }} }} }}""",
                {"first": first},
                who,
            )
    for status in ("COMPLETED", "ACTIVE", "ABANDONED"):
        yield (
            "sessions by status",
            "query($s: SessionStatus) { me { sessions(first: 5, status: $s) { totalCount edges { node { status topic } } } } }",
            {"s": status},
            "learner",
        )

    # Back-references through the by-id loaders, and user <- message.
    yield (
        "backrefs",
        "query($id: ID!) { session(id: $id) { messages(first: 4) { edges { node { id session { id topic user { name } } user { id email } } } } } }",
        {"id": sess},
        "learner",
    )
    yield (
        "backrefs admin",
        "query($id: ID!) { session(id: $id) { messages(first: 4) { edges { node { id session { id } user { id } } } } } }",
        {"id": other_sess},
        "admin",
    )

    # Admin-only lists and reports; learners get FORBIDDEN, anonymous UNAUTHENTICATED.
    for who in everyone:
        for tier in (None, "FREE", "PRO", "PREMIUM"):
            yield (
                "users page",
                "query($t: SubscriptionTier) { users(first: 5, tier: $t) { totalCount pageInfo { hasNextPage endCursor } edges { node { name subscriptionTier sessions(first: 2) { edges { node { id } } } } } } }",
                {"t": tier},
                who,
            )
        yield (
            "cost report",
            "{ costReport { from to totalCost totalTokens totalRequests today thisHour thisWeek byProvider { key cost tokens requests } byModel { key cost } byDay { key cost } topUsers { user { id name } cost tokens requests } alerts { level window threshold value message } } }",
            None,
            who,
        )
        yield (
            "cost report window",
            "query($f: DateTime, $t: DateTime) { costReport(from: $f, to: $t) { from to totalCost byDay { key } } }",
            {"f": "2020-01-01T00:00:00+00:00", "t": "2020-01-03T00:00:00+00:00"},
            who,
        )

    # Error statistics, windowed (DateTime arguments) and not.
    for who in ("admin", "learner", "anonymous"):
        for target in (me, other):
            yield (
                "errorStats",
                "query($u: ID!) { errorStats(userId: $u) { userId totalErrors since until items { category subcategory count share weight firstSeen lastSeen } } }",
                {"u": target},
                who,
            )
            yield (
                "errorStats window",
                "query($u: ID!, $s: DateTime) { errorStats(userId: $u, since: $s, top: 3) { totalErrors items { subcategory count } } }",
                {"u": target, "s": (datetime.now(UTC) - timedelta(days=30)).isoformat()},
                who,
            )
    yield (
        "user.errorStats",
        "{ me { errorStats(top: 2) { totalErrors items { category weight } } } }",
        None,
        "learner",
    )

    # Exercises connection and by id.
    for who in ("admin", "learner"):
        yield (
            "exercises",
            f"{{ me {{ exercises(first: 5) {{ totalCount edges {{ cursor node {{ {EXERCISE_FIELDS} user {{ id }} }} }} }} }} }}",
            None,
            who,
        )
        for status in ("PENDING", "COMPLETED", "SKIPPED"):
            yield (
                "exercises by status",
                "query($s: ExerciseStatus) { me { exercises(first: 3, status: $s) { edges { node { status type } } } } }",
                {"s": status},
                who,
            )
    yield (
        "exercise by id",
        "query($id: ID!) { exercise(id: $id) { id prompt user { name } } }",
        {"id": ids["exercise"]},
        "learner",
    )
    yield (
        "exercise by id other",
        "query($id: ID!) { exercise(id: $id) { id prompt } }",
        {"id": ids["exercise"]},
        "other",
    )

    # Aliases, repeated fields merged, the same field with different arguments.
    for who in ("admin", "learner"):
        yield "aliases", "{ a: me { n: name i: id } b: me { id level } }", None, who
        yield (
            "alias args",
            "{ me { recent: sessions(first: 1) { edges { node { t: topic } } } more: sessions(first: 3) { totalCount } } }",
            None,
            who,
        )
        yield (
            "merged",
            "{ me { name ... on User { name id } sessions(first: 2) { edges { node { id } } } sessions(first: 2) { totalCount } } }",
            None,
            who,
        )

    # Fragments and inline fragments, nested and typed.
    frag = """fragment U on User { id name ...Tier }
      fragment Tier on User { subscriptionTier role }
      fragment S on Session { id status messages(first: 2) { edges { node { ...M } } } }
      fragment M on Message { role content errors { ...on LanguageError { category } } }"""
    for who in ("admin", "learner", "anonymous"):
        yield (
            "fragments",
            frag + " { me { ...U sessions(first: 2) { edges { node { ...S } } } } }",
            None,
            who,
        )
        yield (
            "inline fragments",
            "{ me { ... on User { id ... { name } } ... { level } } }",
            None,
            who,
        )

    # @include / @skip with variables, on fields, fragments and inline fragments.
    directives = """query($a: Boolean!, $b: Boolean!) { me {
      id name @include(if: $a) level @skip(if: $b)
      ... on User @include(if: $b) { email }
      ...F @skip(if: $a)
      sessions(first: 2) @include(if: $a) { edges { node { id topic @skip(if: $b) } } }
    } }
    fragment F on User { createdAt }"""
    for who in ("admin", "learner"):
        for a in (True, False):
            for b in (True, False):
                yield "directives", directives, {"a": a, "b": b}, who
                yield (
                    "directive literal",
                    f"{{ me {{ id name @include(if: {str(a).lower()}) level @skip(if: {str(b).lower()}) }} }}",
                    None,
                    who,
                )

    # Introspection (runs on the standard path) mixed with data, and __typename everywhere.
    for who in ("admin", "anonymous"):
        yield (
            "introspection",
            "{ __schema { queryType { name } mutationType { name } } }",
            None,
            who,
        )
        yield (
            "__type",
            '{ __type(name: "Session") { name fields { name type { kind name ofType { name } } } } }',
            None,
            who,
        )
        yield (
            "introspection + data",
            '{ __typename me { id } __type(name: "User") { name } }',
            None,
            who,
        )
        yield (
            "typename everywhere",
            "{ me { __typename sessions(first: 2) { __typename pageInfo { __typename } edges { __typename node { __typename id } } } } }",
            None,
            who,
        )

    # Argument errors in resolvers (BAD_USER_INPUT), at the top and deep inside lists.
    for who in ("admin", "learner"):
        for first in (-1, 101):
            yield (
                "bad first",
                "query($f: Int) { me { sessions(first: $f) { totalCount } } }",
                {"f": first},
                who,
            )
            yield (
                "bad nested first",
                "query($f: Int) { me { name sessions(first: 3) { edges { node { id messages(first: $f) { totalCount } } } } } }",
                {"f": first},
                who,
            )
        for cursor in ("garbage", "eyJhIjoxfQ", ""):
            yield (
                "bad cursor",
                "query($c: String) { me { sessions(first: 2, after: $c) { edges { node { id } } } } }",
                {"c": cursor},
                who,
            )
        yield "bad errorStats top", "{ me { errorStats(top: -5) { totalErrors } } }", None, who
        yield (
            "two failing roots",
            "{ a: me { sessions(first: 500) { totalCount } } b: rateLimit { remaining } c: me { name } }",
            None,
            who,
        )

    # Damaged rows (legacy data): null and wrongly typed values in non-null fields, an
    # unknown enum value, non-list errors. Null propagation to the nearest nullable parent.
    for who in ("admin", "learner"):
        yield (
            "damaged messages",
            f"query($id: ID!) {{ session(id: $id) {{ id messages(first: 20) {{ edges {{ node {{ {MESSAGE_SCALARS} errors {{ {ERROR_FIELDS} }} }} }} }} }} }}",
            {"id": ids["damaged_session"]},
            who,
        )
        yield (
            "damaged content only",
            "query($id: ID!) { session(id: $id) { id messages(first: 20) { totalCount edges { cursor node { content } } } } }",
            {"id": ids["damaged_session"]},
            who,
        )
        yield (
            "damaged role only",
            "query($id: ID!) { session(id: $id) { messages(first: 20) { edges { node { id role } } } } }",
            {"id": ids["damaged_session"]},
            who,
        )
        yield (
            "damaged in history",
            "{ me { sessions(first: 20) { edges { node { id status totalMessages messages(first: 20) { edges { node { id content role } } } } } } } }",
            None,
            who,
        )
        yield (
            "damaged session scalars",
            "query($id: ID!) { session(id: $id) { id status totalMessages totalTokens topic } }",
            {"id": ids["damaged_session"]},
            who,
        )
        yield (
            "damaged nullable scalars",
            "query($id: ID!) { session(id: $id) { messages(first: 20) { edges { node { id tokensIn tokensOut cost provider } } } } }",
            {"id": ids["damaged_session"]},
            who,
        )
        yield (
            "failing roots",
            "query($m: ID!) { a: session(id: $m) { id } b: user(id: $m) { id } c: me { id } d: exercise(id: $m) { id } }",
            {"m": missing},
            who,
        )
        yield (
            "failing nested non-null",
            "{ users(first: 5) { edges { node { name errorStats(top: -5) { totalErrors } } } } }",
            None,
            who,
        )
        for fields in ("subcategory excerpt", "category correction", "__typename"):
            yield (
                "damaged errors",
                f"query($id: ID!) {{ session(id: $id) {{ messages(first: 20) {{ edges {{ node {{ errors {{ {fields} }} }} }} }} }} }}",
                {"id": ids["damaged_session"]},
                who,
            )
        yield (
            "damaged typename",
            "query($id: ID!) { session(id: $id) { __typename messages(first: 20) { edges { node { __typename timestamp } } } } }",
            {"id": ids["damaged_session"]},
            who,
        )

    # Mutations (each was run once before the comparison, so both paths see the same state):
    # idempotent writes, permission denials, bad input.
    for who in ("admin", "learner", "other", "anonymous"):
        yield (
            "updateUser self",
            'mutation($id: ID!) { updateUser(id: $id, input: { level: "B2" }) { id level name role subscriptionTier } }',
            {"id": me},
            who,
        )
        yield (
            "updateUser other",
            'mutation($id: ID!) { updateUser(id: $id, input: { name: "Zed" }) { id name } }',
            {"id": other},
            who,
        )
        yield (
            "endSession again",
            "mutation($id: ID!) { endSession(id: $id, status: COMPLETED) { id status endedAt totalMessages } }",
            {"id": ids["ended_session"]},
            who,
        )
        yield (
            "recordMessage retry",
            """mutation($in: RecordMessageInput!) { a: recordMessage(input: $in) { id role content errors { category subcategory } session { id totalMessages } } }""",
            {
                "in": {
                    "sessionId": ids["active_session"],
                    "role": "USER",
                    "content": "Yesterday I go home.",
                    "idempotencyKey": "diff-1",
                    "errors": [
                        {
                            "category": "Grammar",
                            "subcategory": "Verb Tense",
                            "excerpt": "I go",
                            "correction": "I went",
                        }
                    ],
                }
            },
            who,
        )
        yield (
            "createUser",
            'mutation { createUser(input: { email: "x@example.com", name: "X" }) { id } }',
            None,
            who,
        )
        yield (
            "startSession other",
            'mutation($u: ID!) { startSession(input: { userId: $u, topic: "T" }) { id } }',
            {"u": missing},
            who,
        )
        yield (
            "generateExercise bad",
            "mutation($u: ID!) { generateExercise(userId: $u, count: 0) { id } }",
            {"u": me},
            who,
        )
        yield (
            "submitExercise missing",
            'mutation($id: ID!) { submitExercise(id: $id, answer: "a") { correct } }',
            {"id": missing},
            who,
        )
        yield (
            "two mutations",
            'mutation($id: ID!) { first: updateUser(id: $id, input: { level: "B2" }) { level } second: endSession(id: "nope") { id } third: updateUser(id: $id, input: { level: "B2" }) { id } }',
            {"id": me},
            who,
        )


def _normalise(result: Any) -> dict[str, Any]:
    errors = []
    for e in result.errors or []:
        original = e.original_error
        while getattr(original, "original_error", None) is not None:
            original = original.original_error
        errors.append(
            {
                "message": e.message,
                "path": e.path,
                "locations": [(loc.line, loc.column) for loc in e.locations or []],
                "extensions": e.extensions,
                "original": type(original).__name__ if original is not None else None,
                "code": getattr(original, "code", None),
            }
        )
    return {"data": result.data, "errors": errors}


async def _damage(db: Any, user_id: str) -> str:
    """A session of the learner's with legacy rows: what a careless import leaves behind."""
    sid = str(uuid.uuid4())
    start = datetime(2026, 3, 1, tzinfo=UTC)
    await db.sessions.insert_one(
        {
            "_id": sid,
            "user_id": user_id,
            "started_at": start,
            "status": "completed",
            "topic": None,
            "total_messages": "many",  # Int! that cannot be coerced
            "total_tokens": 12,
            "total_cost": 0.0,
        }
    )
    rows = [
        {"content": "fine", "role": "user"},
        {"content": None, "role": "user"},  # String! is null
        {"content": "odd", "role": "tutor"},  # not a MessageRole
        {"content": "ok", "role": "assistant", "errors": [{"category": None, "subcategory": "x"}]},
        {"content": 42, "role": "user", "tokens_in": "12x"},  # coercible and not
        {"content": "no time", "role": "user", "timestamp": None},
        {"content": "bad numbers", "role": "assistant", "tokens_out": "b2", "cost": "c3"},
        # Message.errors' row shortcut (schema/rowfields.py): null, a string, a non-document
        # item, a null item, out-of-range and wide values in an error.
        {"content": "null errors", "role": "user", "errors": None},
        {"content": "string errors", "role": "user", "errors": "oops"},
        {"content": "odd error items", "role": "user", "errors": ["grammar", None]},
        {"content": "null error item", "role": "user", "errors": [None]},
        {"content": "empty error", "role": "user", "errors": [{}]},
    ]
    for i, row in enumerate(rows):
        await db.messages.insert_one(
            {
                "_id": str(uuid.uuid4()),
                "session_id": sid,
                "user_id": user_id,
                "timestamp": start + timedelta(seconds=i),
                "errors": [],
                **row,
            }
        )
    return sid


@pytest.mark.slow
async def test_fast_path_matches_standard_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    # Error weights decay continuously (2^(-age / half-life), rounded to 6 places): two
    # executions a few milliseconds apart could round one weight differently. Both
    # executions read the same instant.
    frozen = datetime.now(UTC)

    class _Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return frozen.astimezone(tz) if tz is not None else frozen.replace(tzinfo=None)

    monkeypatch.setattr(stats_module, "datetime", _Clock)
    settings = make_settings(rate_limits_enabled=False)
    fast = guarded_schema(settings)
    standard = guarded_schema(settings.model_copy(update={"execution_fast_path": False}))
    async with running_api(settings) as api:
        services = api.services
        db = services.db
        summary = await seed_database(db, users=6, seed=11)
        other_doc = await db.users.find_one(
            {"_id": {"$nin": [summary.admin_id, summary.learner_id]}, "role": "user"}
        )
        sessions = [s async for s in db.sessions.find({"user_id": summary.learner_id})]
        other_session = await db.sessions.find_one({"user_id": other_doc["_id"]})
        await api.data(
            "mutation($u: ID!) { generateExercise(userId: $u, count: 2) { id } }",
            {"u": summary.learner_id},
            _token(services, summary.learner_id),
        )
        exercise = await db.exercises.find_one({"user_id": summary.learner_id})
        ended = next(s for s in sessions if s["status"] != "active")
        active = await api.data(
            'mutation($u: ID!) { startSession(input: { userId: $u, topic: "Diff" }) { id } }',
            {"u": summary.learner_id},
            _token(services, summary.learner_id),
        )
        ids = {
            "learner": summary.learner_id,
            "other": other_doc["_id"],
            "session": sessions[0]["_id"],
            "other_session": other_session["_id"],
            "ended_session": ended["_id"],
            "active_session": active["startSession"]["id"],
            "exercise": exercise["_id"] if exercise else str(uuid.uuid4()),
            "damaged_session": await _damage(db, summary.learner_id),
        }
        tokens = {
            "admin": _token(services, summary.admin_id),
            "learner": _token(services, summary.learner_id),
            "other": _token(services, other_doc["_id"]),
            "anonymous": None,
        }

        async def run(schema: Any, query: str, variables: Any, who: str) -> Any:
            token = tokens[who]
            viewer = None
            if token:
                viewer, _record = await services.auth.authenticate(f"Bearer {token}")
            ctx = GatewayContext.create(services, viewer, "req", "127.0.0.1")
            return await schema.execute(query, variable_values=variables, context_value=ctx)

        ops = list(operations(ids))
        assert len(ops) >= 200, len(ops)
        for _name, query, variables, who in ops:
            if query.lstrip().startswith("mutation"):
                await run(standard, query, variables, who)  # the state both runs then see
        mismatches = []
        with_data = with_errors = 0
        for name, query, variables, who in ops:
            a = _normalise(await run(fast, query, variables, who))
            b = _normalise(await run(standard, query, variables, who))
            if a != b:
                mismatches.append((name, who, variables, a, b))
            with_data += a["data"] is not None and any(v is not None for v in a["data"].values())
            with_errors += bool(a["errors"])
        # (name, caller, variables, compiled result, standard result) of the first few
        assert not mismatches, mismatches[:3]
        # The operations exercise real data and real failures, not empty answers.
        assert with_data >= 100, with_data
        assert with_errors >= 100, with_errors
        # And the fast path really ran: all but the introspection operations had a plan.
        cache = fast.execution_context_class.plan_cache  # type: ignore[attr-defined]
        planned = [plan for _op, plan in cache._plans.values()]
        assert sum(p is not None for p in planned) >= 0.85 * len(planned), planned


def _token(services: Any, user_id: str) -> str:
    from gateway.auth import issue_token

    return issue_token(services.settings, user_id)


def test_fast_path_is_the_default_and_can_be_turned_off() -> None:
    on = guarded_schema(make_settings())
    off = guarded_schema(make_settings(execution_fast_path=False))
    assert hasattr(on.execution_context_class, "plan_cache")
    assert not hasattr(off.execution_context_class, "plan_cache")


def test_gc_threshold_is_validated_at_start_up() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="GC_GEN0_THRESHOLD"):
        make_settings(gc_gen0_threshold=5)
    assert make_settings(gc_gen0_threshold=0).gc_gen0_threshold == 0
