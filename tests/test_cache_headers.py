"""Who may keep a copy of a /graphql answer: Cache-Control and Vary."""

from __future__ import annotations

import hashlib
import json


def persisted_get(query: str) -> dict[str, str]:
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    return {"extensions": json.dumps(extensions)}


async def test_an_authenticated_get_is_private_and_varies_on_authorization(api):
    # Before: a learner's e-mail came back with no Cache-Control and `Vary: Origin` only,
    # while the docs invite CDN caching of GET.
    _, token = await api.user(email="private@example.com")
    query = "query Me { me { id email } }"
    auth = {"Authorization": f"Bearer {token}"}
    params = persisted_get(query)
    miss = await api.client.get("/graphql", params=params, headers=auth)
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await api.client.get("/graphql", params={**params, "query": query}, headers=auth)
    hit = await api.client.get("/graphql", params=params, headers=auth)
    for response in (miss, registered, hit):
        assert response.headers["cache-control"] == "private, no-store"
        assert "Authorization" in [v.strip() for v in response.headers["vary"].split(",")]
        assert "Origin" in response.headers["vary"]
    assert hit.json()["data"]["me"]["email"] == "private@example.com"
    posted = await api.gql(query, token=token)
    assert posted.headers["cache-control"] == "private, no-store"


async def test_only_an_anonymous_successful_get_may_be_stored_by_a_shared_cache(api):
    public = await api.client.get("/graphql", params={"query": "{ __typename }"})
    assert public.status_code == 200
    assert "cache-control" not in public.headers  # the CDN's configuration decides
    assert "Authorization" in public.headers["vary"]
    for response in (
        await api.gql("{ __typename }"),  # a POST
        await api.client.get("/graphql", params={"query": "{ nope }"}),  # refused
        await api.gql("{ me { id } }", token="not-a-token"),
        # An anonymous persisted-query miss is a 200 with errors: a CDN that kept it would
        # answer the client's retry with the full query (which registers it) from cache.
        await api.client.get(
            "/graphql", params=persisted_get("{ __typename __schema { queryType { name } } }")
        ),
        # A 200 with a field error (an anonymous `me`) is not a success to keep either.
        await api.client.get("/graphql", params={"query": "{ me { id } }"}),
    ):
        assert response.headers["cache-control"] in ("no-store", "private, no-store")
        assert "Authorization" in response.headers["vary"]
