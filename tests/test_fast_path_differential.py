"""Compiled execution vs standard graphql-core execution on documents generated from the
real schema, over rows a careless import could leave behind.

Hypothesis draws, per example, a learner with sessions and messages whose fields may be
damaged (null where the schema says non-null, a value of the wrong type, a relation to a
row that does not exist) and a document over the schema's own types reaching them:
fields with their arguments (good and bad values), aliases, inline and named fragments,
variables, @skip/@include with literal and variable conditions, __typename. It runs on
the gateway's schema with the fast path off (standard execution) and on the same schema
with a fresh compiled executor (a new plan cache and new learned type facts per example,
so no example can teach another a wrong fact), for an admin, the learner or an
anonymous caller, and compares `data` and every error's message, path, locations,
extensions and original error type, in order. (Mutations' serial order and the
executor's own cases are tests/execution_ported/.)

An example that finds a difference is shrunk by Hypothesis to a small document and row;
its answers are in the assertion message.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.auth import issue_token
from gateway.context import GatewayContext
from gateway.execution.executor import compiled_executor
from gateway.guards import CONVENTIONS, guarded_schema
from resolvers.practice import stats as stats_module
from tests.conftest import make_settings, running_api

EXAMPLES = 150
MAX_DEPTH = 4  # object levels below a root field
MAX_FIELDS = 4  # fields drawn per selection set

# Bad values for a damaged field, by the type of its good value: null, a missing key
# (MISSING), values of other types, and the near misses of its own type (an int past 32
# bits, a string no enum has, an empty list, a list item that is not a document).
MISSING = object()
COMMON = [MISSING, None, "x", 7, 1.5, True, [], {"k": 1}]
NEAR: dict[type, list[Any]] = {
    int: [2**40, -(2**31) - 1, "12"],
    float: [float("nan"), float("inf"), 3, "1.5"],
    str: ["", "tutor", b"bytes"],
    datetime: ["2026-03-01", 0],
    list: [["a"], [None], "oops", [{"category": None}]],
    bool: [1, "true"],
}
# Fields whose answer depends on the wall clock: two executions a few milliseconds apart
# may straddle a second or a day.
CLOCKED = {("User", "streakDays")}
# Root fields a document starts from, with the variables they use.
ROOTS = {
    "user": "user(id: $u)",
    "session": "session(id: $s)",
    "users": "users(first: $n)",
    "me": "me",
}
VARIABLE_TYPES = {"u": "ID!", "s": "ID!", "n": "Int", "t": "Boolean!", "f": "Boolean!"}
INT_ARGS = [0, 1, 2, 3, -1, 101]
STRING_ARGS = ["garbage", "", "eyJhIjoxfQ"]
DATETIME_ARGS = ['"2020-01-01T00:00:00+00:00"', '"2999-01-01T00:00:00Z"']


class _Doc:
    """One document being drawn: its fragment definitions and the variables it uses."""

    def __init__(self, draw: Any, schema: Any) -> None:
        self.draw = draw
        self.schema = schema
        self.fragments: list[str] = []
        self.variables: set[str] = set()

    def condition(self) -> str:
        """A directive, or none (most of the time)."""
        kind = self.draw(st.sampled_from(["", "", "", "skip", "include"]))
        if not kind:
            return ""
        value = self.draw(st.sampled_from(["true", "false", "$t", "$f"]))
        if value.startswith("$"):
            self.variables.add(value[1:])
        return f" @{kind}(if: {value})"

    def arguments(self, field: Any) -> str | None:
        """Argument literals for a field, or None when it needs one that is not drawn."""
        parts = []
        for name, arg in field.args.items():
            type_ = arg.type
            required = isinstance(type_, GraphQLNonNull)
            if required:
                type_ = type_.of_type
            if isinstance(type_, GraphQLEnumType):
                values = list(type_.values)
            elif isinstance(type_, GraphQLScalarType) and type_.name == "Int":
                values = [str(v) for v in INT_ARGS]
            elif isinstance(type_, GraphQLScalarType) and type_.name == "String":
                values = [f'"{v}"' for v in STRING_ARGS]
            elif isinstance(type_, GraphQLScalarType) and type_.name == "DateTime":
                values = DATETIME_ARGS
            else:
                if required:
                    return None
                continue
            if required or self.draw(st.booleans()):
                parts.append(f"{name}: {self.draw(st.sampled_from(values))}")
        return f"({', '.join(parts)})" if parts else ""

    def selection(self, type_: GraphQLObjectType, depth: int) -> str:
        names = [
            n for n in type_.fields if (type_.name, n) not in CLOCKED and not n.startswith("_")
        ]
        chosen = self.draw(st.lists(st.sampled_from(names), min_size=1, max_size=MAX_FIELDS))
        items = []
        for index, name in enumerate(chosen):
            item = self.field(type_, name, depth, index)
            if item is None:
                continue
            wrap = self.draw(st.sampled_from(["", "", "", "inline", "typed", "named"]))
            if wrap == "inline":
                item = f"...{self.condition()} {{ {item} }}"
            elif wrap == "typed":
                item = f"... on {type_.name}{self.condition()} {{ {item} }}"
            elif wrap == "named":
                fragment = f"F{len(self.fragments)}"
                self.fragments.append(f"fragment {fragment} on {type_.name} {{ {item} }}")
                item = f"...{fragment}{self.condition()}"
            items.append(item)
        if self.draw(st.booleans()):
            items.insert(self.draw(st.integers(0, len(items))), "__typename")
        return " ".join(items) or "__typename"

    def field(self, type_: GraphQLObjectType, name: str, depth: int, index: int) -> str | None:
        field = type_.fields[name]
        args = self.arguments(field)
        if args is None:
            return None
        alias = f"a{index}: " if self.draw(st.integers(0, 3)) == 0 else ""
        inner = field.type
        while isinstance(inner, GraphQLNonNull | GraphQLList):
            inner = inner.of_type
        text = f"{alias}{name}{args}{self.condition()}"
        if isinstance(inner, GraphQLObjectType):
            if depth >= MAX_DEPTH:
                return None
            text += f" {{ {self.selection(inner, depth + 1)} }}"
        elif not isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            return None  # abstract types: left to other tests
        return text

    def document(self) -> str:
        # Mostly the damaged rows' own roots.
        choices = ["user", "session", "user", "session", "users", "me"]
        roots = self.draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3))
        query_type = self.schema.query_type
        items = []
        for index, root in enumerate(roots):
            field = query_type.fields[root]
            inner = field.type
            while isinstance(inner, GraphQLNonNull | GraphQLList):
                inner = inner.of_type
            self.variables.update(v for v in "usn" if f"${v}" in ROOTS[root])
            items.append(
                f"r{index}: {ROOTS[root]}{self.condition()} {{ {self.selection(inner, 1)} }}"
            )
        declared = ", ".join(f"${v}: {VARIABLE_TYPES[v]}" for v in sorted(self.variables))
        head = f"query({declared})" if declared else "query"
        return " ".join([f"{head} {{ {' '.join(items)} }}", *self.fragments])


USER = {
    "email": "learner@example.com",
    "name": "Lee",
    "role": "user",
    "subscription_tier": "pro",
    "native_language": "German",
    "target_language": "English",
    "level": "B1",
    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    "last_active": datetime(2026, 3, 1, tzinfo=UTC),
    "total_sessions": 2,
    "time_zone": "Europe/Berlin",
}
SESSION = {
    "started_at": datetime(2026, 3, 1, tzinfo=UTC),
    "ended_at": datetime(2026, 3, 1, 1, tzinfo=UTC),
    "topic": "Travel",
    "provider": "openai",
    "status": "completed",
    "total_messages": 2,
    "total_tokens": 120,
    "total_cost": 0.01,
    "response_time_sum_ms": 900,
    "response_time_count": 2,
}
MESSAGE = {
    "role": "user",
    "content": "Yesterday I go home.",
    "provider": "openai",
    "model": "gpt",
    "tokens_in": 10,
    "tokens_out": 20,
    "cost": 0.001,
    "response_time_ms": 450,
    "errors": [{"category": "Grammar", "subcategory": "Verb Tense", "excerpt": "I go"}],
    "rating": 4,
    "helpful": True,
}


@st.composite
def damaged(draw: Any, row: dict[str, Any]) -> dict[str, Any]:
    """The row with each field damaged one time in three."""
    out = dict(row)
    for key in sorted(row):
        if draw(st.integers(0, 2)) == 0:
            value = draw(st.sampled_from(NEAR.get(type(row[key]), []) + COMMON))
            if value is MISSING:
                del out[key]
            else:
                out[key] = value
    return out


@st.composite
def rows(draw: Any) -> dict[str, Any]:
    user = draw(damaged(USER))
    sessions = draw(st.lists(damaged(SESSION), max_size=3))
    messages = [draw(st.lists(damaged(MESSAGE), max_size=3)) for _ in sessions]
    # Missing relations: a session of a user that does not exist, a message by one.
    orphan_session = draw(st.booleans())
    orphan_message = draw(st.booleans())
    return {
        "user": user,
        "sessions": sessions,
        "messages": messages,
        "orphan_session": orphan_session,
        "orphan_message": orphan_message,
    }


async def _insert(db: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The drawn rows under fresh ids (nothing a previous example cached applies)."""
    uid = str(uuid.uuid4())
    await db.users.insert_one({"_id": uid, **data["user"], "email": f"{uid}@example.com"})
    first_session = None
    for i, (session, messages) in enumerate(zip(data["sessions"], data["messages"], strict=True)):
        sid = str(uuid.uuid4())
        owner = str(uuid.uuid4()) if data["orphan_session"] and i == 0 else uid
        await db.sessions.insert_one({"_id": sid, "user_id": owner, **session})
        first_session = first_session or sid
        for j, message in enumerate(messages):
            author = str(uuid.uuid4()) if data["orphan_message"] and j == 0 else uid
            stamp = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=j)
            await db.messages.insert_one(
                {
                    "_id": str(uuid.uuid4()),
                    "session_id": sid,
                    "user_id": author,
                    "timestamp": stamp,
                    **message,
                }
            )
    return {"u": uid, "s": first_session or str(uuid.uuid4()), "n": 3, "t": True, "f": False}


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
            }
        )
    return {"data": result.data, "errors": errors}


@pytest.mark.slow
def test_compiled_execution_matches_standard_on_generated_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Error weights decay continuously with age: both executions read the same instant.
    frozen = datetime.now(UTC)

    class _Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return frozen.astimezone(tz) if tz is not None else frozen.replace(tzinfo=None)

    monkeypatch.setattr(stats_module, "datetime", _Clock)
    config = make_settings(rate_limits_enabled=False)
    standard = guarded_schema(config.model_copy(update={"execution_fast_path": False}))
    fast = guarded_schema(config)
    graphql_schema = standard._schema
    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    try:
        api = loop.run_until_complete(stack.enter_async_context(running_api(config)))
        services = api.services
        admin = str(uuid.uuid4())
        loop.run_until_complete(
            services.db.users.insert_one(
                {**USER, "_id": admin, "email": "admin@example.com", "role": "admin"}
            )
        )
        compared = {"planned": 0, "errors": 0}

        async def viewer_of(user_id: str | None) -> Any:
            """The caller, authenticated once per example (a damaged learner's record may
            not authenticate: then the caller is anonymous, for both executors)."""
            if user_id is None:
                return None
            try:
                token = issue_token(config, user_id)
                return (await services.auth.authenticate(f"Bearer {token}"))[0]
            except Exception:
                return None

        async def run(schema: Any, document: str, variables: dict[str, Any], viewer: Any) -> Any:
            ctx = GatewayContext.create(services, viewer, "req", "127.0.0.1")
            return _normalise(
                await schema.execute(document, variable_values=variables, context_value=ctx)
            )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            data=rows(),
            who=st.sampled_from(["admin", "admin", "learner", "anonymous"]),
            draw=st.data(),
        )
        def compare(data: dict[str, Any], who: str, draw: Any) -> None:
            doc = _Doc(draw.draw, graphql_schema)
            document = doc.document()
            ids = loop.run_until_complete(_insert(services.db, data))
            variables = {k: v for k, v in ids.items() if k in doc.variables}
            caller = {"admin": admin, "learner": ids["u"], "anonymous": None}[who]
            viewer = loop.run_until_complete(viewer_of(caller))
            executor = compiled_executor(CONVENTIONS, max_bytes=config.document_cache_bytes)
            fast.execution_context_class = executor
            expected = loop.run_until_complete(run(standard, document, variables, viewer))
            answer = loop.run_until_complete(run(fast, document, variables, viewer))
            assert answer == expected, (document, variables, who, data)
            plans = [plan for _op, plan in executor.plan_cache._plans.values()]  # type: ignore[attr-defined]
            compared["planned"] += any(plan is not None for plan in plans)
            compared["errors"] += bool(expected["errors"])

        compare()
        # The documents were executed by compiled plans and met real failures.
        assert compared["planned"] >= EXAMPLES // 2, compared
        assert compared["errors"] >= EXAMPLES // 10, compared
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()


def test_fast_path_is_the_default_and_can_be_turned_off() -> None:
    on = guarded_schema(make_settings())
    off = guarded_schema(make_settings(execution_fast_path=False))
    assert hasattr(on.execution_context_class, "plan_cache")
    assert not hasattr(off.execution_context_class, "plan_cache")


def test_gc_threshold_is_validated_at_start_up() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="GC_GEN0_THRESHOLD"):
        make_settings(gc_gen0_threshold=5)
    assert make_settings(gc_gen0_threshold=0).gc_gen0_threshold == 0
