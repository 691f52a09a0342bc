"""Generated documents: pricing agrees with itself and stays bounded, whatever the shape.

Hypothesis builds operations over the real schema with fragments (including chains that
double at every level), inline fragments, variables with and without defaults (some sent
as integral floats), nested connections and plain lists sized by arguments, and
@skip/@include directives. For each one:

* the price with variables equals the price of the same document with the values
  execution would use written in as literals (defaults applied, coercion done);
* validation plus pricing stays within a fixed CPU bound, however far it expands;
* through HTTP the answer is never a 500 and never slower than that bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import parse, validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.guards import guarded_schema, schema_extensions
from gateway.querycost import operation_cost
from gateway.querylimits import ShapeLimits, alias_limit_rule, shape_problems
from tests.conftest import make_settings, running_api

SETTINGS = make_settings()
SCHEMA = guarded_schema(SETTINGS)._schema
RULES = [alias_limit_rule(SETTINGS.query_max_aliases)]
LIMITS = ShapeLimits(
    SETTINGS.query_max_depth, SETTINGS.query_max_selections, SETTINGS.query_max_repeats
)
CPU_BOUND_S = 1.0  # per document; the old walks needed seconds for a 1 KB document
assert schema_extensions  # the rules above are the ones the gateway installs


@dataclass
class Doc:
    """One operation plus the variables it declares and the values a client sends."""

    int_vars: dict[str, tuple[int | None, Any]] = field(default_factory=dict)  # default, sent
    bool_vars: dict[str, tuple[bool | None, Any]] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    body: str = ""

    def effective(self, name: str) -> Any:
        """The value execution uses: what was sent (coerced), else the default, else None."""
        table = self.int_vars if name in self.int_vars else self.bool_vars
        default, sent = table[name]
        if sent is not MISSING:
            return int(sent) if isinstance(sent, float) else sent
        return default

    def declarations(self) -> str:
        decls = []
        for name, (default, _) in self.int_vars.items():
            decls.append(f"${name}: Int" + ("" if default is None else f" = {default}"))
        for name, (default, _) in self.bool_vars.items():
            kind = "Boolean" if default is not None else "Boolean!"
            decls.append(
                f"${name}: {kind}" + ("" if default is None else f" = {str(default).lower()}")
            )
        return f"({', '.join(decls)})" if decls else ""

    def sent(self) -> dict[str, Any]:
        return {
            name: value
            for table in (self.int_vars, self.bool_vars)
            for name, (_, value) in table.items()
            if value is not MISSING
        }

    def text(self, inline: bool) -> str:
        body, fragments = self.body, "\n".join(self.fragments)
        if inline:
            # Longest names first so $n1 never eats the start of $n10.
            for name in sorted([*self.int_vars, *self.bool_vars], key=len, reverse=True):
                value = self.effective(name)
                literal = "null" if value is None else str(value).lower()
                body = body.replace(f"${name}", literal)
                fragments = fragments.replace(f"${name}", literal)
            return f"query Q {{ {body} }}\n{fragments}"
        return f"query Q{self.declarations()} {{ {body} }}\n{fragments}"


MISSING = object()


@st.composite
def documents(draw: Any) -> Doc:
    doc = Doc()
    for i in range(draw(st.integers(0, 3))):
        default = draw(st.none() | st.integers(0, 100))
        sent = draw(
            st.just(MISSING) | st.integers(0, 100) | st.integers(0, 100).map(float)
            if default is not None
            else st.integers(0, 100) | st.integers(0, 100).map(float)
        )
        doc.int_vars[f"n{i}"] = (default, sent)
    for i in range(draw(st.integers(0, 2))):
        default = draw(st.none() | st.booleans())
        sent = (
            draw(st.just(MISSING) | st.booleans()) if default is not None else draw(st.booleans())
        )
        doc.bool_vars[f"b{i}"] = (default, sent)

    def size(arg: str) -> str:
        choices = [st.integers(0, 100).map(str)] + [st.just(f"${v}") for v in doc.int_vars]
        return f"({arg}: {draw(st.one_of(choices))})" if draw(st.booleans()) else ""

    def directive() -> str:
        if not draw(st.integers(0, 3)) == 0:
            return ""
        which = draw(st.sampled_from(["skip", "include"]))
        value = draw(st.sampled_from(["true", "false", *(f"${b}" for b in doc.bool_vars)]))
        return f" @{which}(if: {value})"

    def message(depth: int) -> str:
        fields = ["id", "content"]
        if depth > 0 and draw(st.booleans()):
            fields.append("session { id topic }")
        return " ".join(fields)

    def session(depth: int) -> str:
        fields = ["id" + directive()]
        if depth > 0 and draw(st.booleans()):
            fields.append(
                f"messages{size('first')}{directive()} {{ totalCount edges {{ node {{ "
                f"{message(depth - 1)} }} }} }}"
            )
        if depth > 1 and draw(st.booleans()):
            fields.append(f"user {{ {user(depth - 2)} }}")
        return " ".join(fields)

    def user(depth: int) -> str:
        fields = ["id", "name" + directive()]
        if depth > 0 and draw(st.booleans()):
            fields.append(
                f"sessions{size('first')}{directive()} {{ pageInfo {{ hasNextPage }} "
                f"edges {{ node {{ {session(depth - 1)} }} }} }}"
            )
        if draw(st.booleans()):
            fields.append(f"errorStats{size('top')} {{ totalErrors items {{ count }} }}")
        if doc.fragments and draw(st.booleans()):
            fields.append(f"...UF{draw(st.integers(0, len(doc.fragments) - 1))}{directive()}")
        if draw(st.integers(0, 4)) == 0:
            fields.append(f"... on User{directive()} {{ id }}")
        return " ".join(fields)

    # Fragment chains: each may spread the previous one twice (fan-out) and add fields.
    for i in range(draw(st.integers(0, 12))):
        own = user(draw(st.integers(0, 2))) if i == 0 or draw(st.booleans()) else "id"
        spread = f" ...UF{i - 1} ...UF{i - 1}" if i and draw(st.booleans()) else ""
        doc.fragments.append(f"fragment UF{i} on User {{ {own}{spread} }}")
    roots = [f"me {{ {user(draw(st.integers(0, 4)))} }}"]
    if draw(st.booleans()):
        roots.append(f'errorStats(userId: "u1"){directive()} {{ items {{ count }} }}')
    if draw(st.booleans()):
        roots.append("rateLimit { remaining }")
    doc.body = " ".join(roots)
    # Only declared variables that the document uses, as validation demands.
    text = doc.body + "\n".join(doc.fragments)
    doc.int_vars = {k: v for k, v in doc.int_vars.items() if f"${k}" in text}
    doc.bool_vars = {k: v for k, v in doc.bool_vars.items() if f"${k}" in text}
    return doc


def timed_price(text: str, variables: dict[str, Any] | None) -> tuple[int, float, list[Any]]:
    started = time.process_time()
    document = parse(text, max_tokens=SETTINGS.query_max_tokens)
    errors = shape_problems(document, LIMITS) or validate(SCHEMA, document, RULES)
    cost = operation_cost(SCHEMA, document, "Q", variables)
    return cost, time.process_time() - started, errors


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents())
def test_cost_with_variables_equals_cost_with_literals_and_work_is_bounded(doc):
    with_variables = doc.text(inline=False)
    cost, seconds, errors = timed_price(with_variables, doc.sent())
    inlined, seconds_inlined, _ = timed_price(doc.text(inline=True), None)
    assert cost == inlined, (with_variables, doc.sent())
    assert max(seconds, seconds_inlined) < CPU_BOUND_S
    assert not [e for e in errors if "Variable" in e.message], errors


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents())
async def test_generated_documents_through_http_never_fail_or_stall(doc):
    async with running_api(make_settings(rate_limits_enabled=False)) as api:
        _, token = await api.user(tier="premium")
        started = time.process_time()
        response = await api.gql(doc.text(inline=False), doc.sent(), token=token)
        assert time.process_time() - started < 5 * CPU_BOUND_S
        assert response.status_code in (200, 400), response.text
        body = response.json()
        codes = {e["extensions"]["code"] for e in body.get("errors", [])}
        assert codes <= {"QUERY_TOO_COMPLEX", "BAD_USER_INPUT", "NOT_FOUND"}, body
        if response.status_code == 200:
            assert body["extensions"]["rateLimit"]["cost"] <= SETTINGS.query_max_cost
