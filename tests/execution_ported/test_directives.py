"""graphql-core's tests/execution/test_directives.py (@skip/@include on fields, fragment
spreads, inline fragments and anonymous inline fragments) on every executor (both.py),
with literal and variable conditions, on resolvers that return values and on ones that
return awaitables."""

from __future__ import annotations

import re
from typing import Any

import pytest
import strawberry

from tests.execution_ported.both import check


async def _value(value: Any) -> Any:
    return value


@strawberry.type(name="TestType")
class SyncRoot:
    @strawberry.field
    def a(self) -> str | None:
        return "a"

    @strawberry.field
    def b(self) -> str | None:
        return "b"


@strawberry.type(name="TestType")
class AsyncRoot:
    @strawberry.field
    async def a(self) -> str | None:
        return "a"

    @strawberry.field
    async def b(self) -> str | None:
        return "b"


A, AB = ({"a": "a"}, None), ({"a": "a", "b": "b"}, None)

CASES = [
    ("{ a, b }", AB),
    # scalars
    ("{ a, b @include(if: true) }", AB),
    ("{ a, b @include(if: false) }", A),
    ("{ a, b @skip(if: false) }", AB),
    ("{ a, b @skip(if: true) }", A),
    # fragment spreads
    ("query Q { a ...Frag @include(if: false) } fragment Frag on TestType { b }", A),
    ("query Q { a ...Frag @include(if: true) } fragment Frag on TestType { b }", AB),
    ("query Q { a ...Frag @skip(if: false) } fragment Frag on TestType { b }", AB),
    ("query Q { a ...Frag @skip(if: true) } fragment Frag on TestType { b }", A),
    # inline fragments
    ("query Q { a ... on TestType @include(if: false) { b } }", A),
    ("query Q { a ... on TestType @include(if: true) { b } }", AB),
    ("query Q { a ... on TestType @skip(if: false) { b } }", AB),
    ("query Q { a ... on TestType @skip(if: true) { b } }", A),
    # anonymous inline fragments
    ("query { a ... @include(if: false) { b } }", A),
    ("query { a ... @include(if: true) { b } }", AB),
    ("query { a ... @skip(if: false) { b } }", AB),
    ("query { a ... @skip(if: true) { b } }", A),
    # skip and include together
    ("{ a b @include(if: true) @skip(if: false) }", AB),
    ("{ a b @include(if: true) @skip(if: true) }", A),
    ("{ a b @include(if: false) @skip(if: false) }", A),
]


def with_variables(document: str) -> tuple[str, dict[str, bool]]:
    """The same document with every literal condition a variable: the plan cache keys
    plans by the values of the variables directives read."""
    values: dict[str, bool] = {}

    def variable(match: re.Match[str]) -> str:
        name = f"v{len(values)}"
        values[name] = match.group(1) == "true"
        return f"(if: ${name})"

    body = re.sub(r"\(if: (true|false)\)", variable, document)
    declared = ", ".join(f"${name}: Boolean!" for name in values)
    head, _, rest = body.partition("{")
    head = head.strip()
    name = head.split()[1] if len(head.split()) > 1 else ""
    return f"query {name}({declared}) {{{rest}", values


@pytest.mark.parametrize(("document", "expected"), CASES)
async def test_directives(document: str, expected: Any) -> None:
    for root in (SyncRoot, AsyncRoot):
        await check(root, document, expected, root=root)
        if "(if:" in document:
            varied, variables = with_variables(document)
            await check(root, varied, expected, root=root, variables=variables)
