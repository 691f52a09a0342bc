"""The compiled executor's own mechanisms on a small schema, against standard execution:
batch forms (one call per level, per-parent errors), pure subtrees falling back on a bad
value, and the leaf shortcuts that skip coercion only where it changes nothing.

The real schema's comparison (generated documents, damaged rows) is
tests/test_fast_path_differential.py; graphql-core's own cases, tests/execution_ported/.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import strawberry
from strawberry import Info

from gateway.execution.executor import compiled_executor
from gateway.guards import CONVENTIONS
from models.rows import Row
from schema.batching import batch_form

CALLS: list[int] = []


@strawberry.type
class Child:
    name: str
    size: int | None
    weight: float | None
    ok: bool | None


async def _children(parents: list[Any], info: Info, n: int = 2) -> list[Any]:
    CALLS.append(len(parents))
    if n < 0:
        raise ValueError("n must not be negative")
    return [
        ValueError(f"{p.id} has no children") if p.id == "barren" else p.kids[:n] for p in parents
    ]


async def _wrong_count(parents: list[Any], info: Info) -> list[Any]:
    return [[]]  # one result whatever the number of parents


@strawberry.type
class Parent:
    id: str
    kids: strawberry.Private[list[Child]]

    @strawberry.field(metadata=batch_form(_children))
    async def children(self, info: Info, n: int = 2) -> list[Child] | None:
        return (await _children([self], info, n))[0]  # type: ignore[no-any-return]

    @strawberry.field(metadata=batch_form(_wrong_count))
    async def broken(self, info: Info) -> list[Child] | None:
        return (await _wrong_count([self], info))[0]  # type: ignore[no-any-return]


def _kid(name: str, size: Any = 1, weight: Any = 0.5, ok: Any = True) -> Child:
    return Child(name=name, size=size, weight=weight, ok=ok)


PARENTS = [
    Parent(id="a", kids=[_kid("a1"), _kid("a2"), _kid("a3")]),
    Parent(id="barren", kids=[]),
    Parent(id="b", kids=[_kid("b1", size=2**40), _kid("b2", weight=math.nan)]),
    Parent(id="c", kids=[_kid("c1", weight=3), _kid("c2", ok=1)]),
    Parent(id="d", kids=[_kid("d1"), _kid(None)]),  # type: ignore[arg-type]
]


@strawberry.type
class Query:
    @strawberry.field
    def parents(self) -> list[Parent]:
        return PARENTS

    @strawberry.field
    def one(self) -> Parent:
        return PARENTS[0]


STANDARD = strawberry.Schema(Query)
COMPILED = strawberry.Schema(Query, execution_context_class=compiled_executor(CONVENTIONS))


def _shape(result: Any) -> tuple[Any, list[tuple[str, Any]]]:
    errors = sorted((e.message, e.path) for e in result.errors or [])
    return result.data, errors


async def _both(query: str) -> tuple[Any, Any, list[int], list[int]]:
    CALLS.clear()
    standard = await STANDARD.execute(query)
    standard_calls = list(CALLS)
    CALLS.clear()
    compiled = await COMPILED.execute(query)
    return _shape(standard), _shape(compiled), standard_calls, list(CALLS)


async def test_a_batch_form_is_called_once_for_every_parent_of_a_level() -> None:
    standard, compiled, standard_calls, compiled_calls = await _both(
        "{ parents { id children(n: 2) { name } } one { children(n: 1) { name } } }"
    )
    assert compiled == standard
    assert standard_calls == [1, 1, 1, 1, 1, 1]  # one call per parent, the standard way
    # The root's list and `one` complete in the same wave: one call per field.
    assert compiled_calls == [5, 1]
    data, errors = compiled
    # d's second child has no name (non-null): d's whole list is null.
    assert [len(p["children"] or []) for p in data["parents"]] == [2, 0, 2, 2, 0]
    # An Exception in the batch form's results is that parent's error only.
    assert errors == [
        (
            "Cannot return null for non-nullable field Child.name.",
            ["parents", 4, "children", 1, "name"],
        ),
        ("barren has no children", ["parents", 1, "children"]),
    ]


async def test_an_error_of_the_whole_batch_call_is_every_parents_error() -> None:
    standard, compiled, _, compiled_calls = await _both("{ parents { children(n: -1) { name } } }")
    assert compiled == standard
    assert compiled_calls == [5]
    assert len(compiled[1]) == 5
    assert {message for message, _ in compiled[1]} == {"n must not be negative"}


async def test_a_batch_form_returning_the_wrong_number_of_results_fails_every_parent() -> None:
    result = await COMPILED.execute("{ parents { id broken { name } } }")
    assert result.data is not None
    assert [p["broken"] for p in result.data["parents"]] == [None] * 5
    assert result.errors is not None and len(result.errors) == 5
    assert "returned 1 results for 5 parents" in result.errors[0].message


@pytest.mark.parametrize(
    "fields",
    [
        "name size weight ok",  # Int past 32 bits, NaN, int for Float, 1 for Boolean, null name
        "size",
        "weight ok",
        "name",
    ],
)
async def test_values_that_need_coercion_or_fail_match_standard_execution(fields: str) -> None:
    """Values outside the shortcuts (pure.py, plan.IDENTITY) fall back to the positional
    path: the same coerced values (3 -> 3.0 for a Float, 1 -> true for a Boolean), the
    same errors at the same paths, the same nulls."""
    standard, compiled, _, _ = await _both(f"{{ parents {{ id children(n: 3) {{ {fields} }} }} }}")
    assert compiled == standard
    data, _ = compiled
    if "weight" in fields:
        assert data["parents"][3]["children"][0]["weight"] == 3.0
        assert isinstance(data["parents"][3]["children"][0]["weight"], float)
    if "size" in fields:
        assert any("32-bit" in message for message, _ in compiled[1])


@strawberry.type
class Named:
    name: str | None
    nickname: str | None  # no stored shape declares it: a strict Row raises


@strawberry.type
class RowQuery:
    @strawberry.field
    def rows(self) -> list[Named]:
        return [Row({"_id": "r1", "name": "Ann"})]  # type: ignore[list-item]


async def test_a_name_a_strict_row_does_not_declare_is_an_error_as_in_standard_execution() -> None:
    """The inline row read (`row.get`) is what `getattr` returns only for declared names
    (Conventions.row_fields); an undeclared one is read with getattr, and its error is
    standard execution's."""
    from models.rows import FIELDS

    assert "name" in FIELDS and "nickname" not in FIELDS
    query = "{ rows { name nickname } }"
    standard = await strawberry.Schema(RowQuery).execute(query)
    compiled = await strawberry.Schema(
        RowQuery, execution_context_class=compiled_executor(CONVENTIONS)
    ).execute(query)
    assert _shape(compiled) == _shape(standard)
    assert standard.data == {"rows": [{"name": "Ann", "nickname": None}]}
    assert _shape(standard)[1] == [("Row has no field 'nickname'", ["rows", 0, "nickname"])]
