"""schema.graphql at the repository root is the schema the code serves."""

from __future__ import annotations

import difflib

from scripts.export_schema import COMMAND, SCHEMA_FILE, schema_sdl


def test_schema_graphql_matches_the_code():
    assert SCHEMA_FILE.exists(), f"schema.graphql is missing: run {COMMAND}"
    published = SCHEMA_FILE.read_text(encoding="utf-8")
    actual = schema_sdl()
    diff = "".join(
        list(
            difflib.unified_diff(
                published.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                "schema.graphql",
                "the code's schema",
            )
        )[:60]
    )
    assert published == actual, f"schema.graphql is out of date: run {COMMAND}\n{diff}"


async def test_the_served_schema_is_the_published_one(api):
    # What clients introspect over HTTP is what the file says (introspection is on in tests).
    from graphql import (
        build_client_schema,
        get_introspection_query,
        lexicographic_sort_schema,
        print_schema,
    )
    from graphql import build_schema as parse_sdl

    def printed(schema):
        return print_schema(lexicographic_sort_schema(schema))

    body = (await api.gql(get_introspection_query())).json()
    served = printed(build_client_schema(body["data"]))
    assert served == printed(parse_sdl(SCHEMA_FILE.read_text(encoding="utf-8")))
