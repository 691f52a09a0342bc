"""Persisted queries: Apollo's automatic protocol over POST and GET, and the production allow-list."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from gateway.persisted import MemoryLru, sha256_hex
from scripts.persist_queries import run as persist_queries
from tests.conftest import make_settings, redis_url, running_api

DOC = "query Budget { rateLimit { tier limit } }"
HASH = sha256_hex(DOC)


def ext(digest: str = HASH) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_apq_round_trip_over_post_and_get(api):
    unknown = await api.client.post("/graphql", json={"extensions": ext()})
    assert unknown.status_code == 200
    error = unknown.json()["errors"][0]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = await api.client.post("/graphql", json={"query": DOC, "extensions": ext()})
    assert registered.json()["data"] == {"rateLimit": {"tier": "ANONYMOUS", "limit": 30}}

    by_post = await api.client.post("/graphql", json={"extensions": ext()})
    assert by_post.json()["data"]["rateLimit"]["tier"] == "ANONYMOUS"
    by_get = await api.client.get(
        "/graphql", params={"extensions": json.dumps(ext()), "operationName": "Budget"}
    )
    assert by_get.status_code == 200
    assert by_get.json()["data"]["rateLimit"]["limit"] == 30


async def test_not_found_is_a_400_request_error_under_the_spec_type(api):
    response = await api.client.post(
        "/graphql",
        json={"extensions": ext()},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400 and "data" not in response.json()


async def test_a_hash_that_does_not_match_is_refused_and_not_stored(api):
    wrong = sha256_hex("{ __typename }")
    response = await api.client.post("/graphql", json={"query": DOC, "extensions": ext(wrong)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    after = await api.client.post("/graphql", json={"extensions": ext(wrong)})
    assert after.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_malformed_persisted_query_extensions_are_refused(api):
    for extensions in (
        {"persistedQuery": {"version": 2, "sha256Hash": HASH}},
        {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
        "not an object",
    ):
        response = await api.client.post("/graphql", json={"extensions": extensions})
        assert response.status_code == 400, extensions
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_invalid_document_is_not_registered(api):
    bad = "{ noSuchField }"
    await api.client.post("/graphql", json={"query": bad, "extensions": ext(sha256_hex(bad))})
    again = await api.client.post("/graphql", json={"extensions": ext(sha256_hex(bad))})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_the_memory_store_is_a_bounded_lru():
    import sys

    weight = sys.getsizeof("a") + sys.getsizeof("1")
    budget = weight + sys.getsizeof("d") + sys.getsizeof("😀" * 10) - 1
    lru = MemoryLru(max_entries=2, max_bytes=budget)
    lru.put("a", "1")
    lru.put("b", "2")
    assert lru.get("a") == "1"  # a is now the most recent
    lru.put("c", "3")
    assert lru.get("b") is None and lru.get("a") == "1" and lru.get("c") == "3"
    # The byte budget weighs what a string retains: ten emoji are 4 bytes each.
    lru.put("d", "😀" * 10)
    assert list(lru.lru.entries) == ["d"]
    assert lru.bytes == sys.getsizeof("d") + sys.getsizeof("😀" * 10)


async def test_replicas_share_documents_through_redis():
    prefix = f"t{uuid.uuid4().hex[:8]}"
    settings = dict(redis_url=redis_url(), redis_key_prefix=prefix)
    async with (
        running_api(make_settings(**settings)) as one,
        running_api(make_settings(**settings)) as two,
    ):
        await one.client.post("/graphql", json={"query": DOC, "extensions": ext()})
        response = await two.client.post("/graphql", json={"extensions": ext()})
        assert response.json()["data"]["rateLimit"]["tier"] == "ANONYMOUS"
        ttl = await two.services.persisted.redis.ttl(f"{prefix}:apq:{HASH}")
        assert 0 < ttl <= two.services.settings.persisted_query_ttl_seconds


async def test_anonymous_registrations_cannot_fill_redis():
    # Found in review: anyone could store any valid document padded by a comment to 50 KB,
    # for 7 days, in the Redis that also keeps the rate limits: unbounded growth.
    prefix = f"t{uuid.uuid4().hex[:8]}"
    settings = make_settings(
        redis_url=redis_url(), redis_key_prefix=prefix, persisted_query_redis_budget_chars=5_000
    )
    async with running_api(settings) as api:
        redis = api.services.persisted.redis
        padded = [f"# {i} {'x' * 3_000}\n{{ __typename }}" for i in range(3)]
        for doc in padded:
            response = await api.client.post(
                "/graphql", json={"query": doc, "extensions": ext(sha256_hex(doc))}
            )
            assert response.json()["data"] == {"__typename": "Query"}  # still runs
        stored = [await redis.exists(f"{prefix}:apq:{sha256_hex(d)}") for d in padded]
        assert stored == [1, 0, 0]  # the second would take Redis past 5,000 characters


def _write_queries(tmp_path) -> None:
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "budget.graphql").write_text(DOC)


async def test_only_mode_runs_manifest_documents_and_refuses_the_rest(tmp_path, capsys):
    _write_queries(tmp_path)
    assert persist_queries([str(tmp_path / "q")]) == 0
    manifest = tmp_path / "manifest.json"
    manifest.write_text(capsys.readouterr().out)
    assert json.loads(manifest.read_text()) == {HASH: DOC}
    settings = make_settings(persisted_queries_only=True, persisted_queries_manifest=str(manifest))
    async with running_api(settings) as api:
        by_hash = await api.client.post("/graphql", json={"extensions": ext()})
        assert by_hash.json()["data"]["rateLimit"]["tier"] == "ANONYMOUS"
        by_text = await api.client.post("/graphql", json={"query": DOC})
        assert by_text.status_code == 200
        for body in (
            {"query": "{ __typename }"},
            {"query": "{ __typename }", "extensions": ext(sha256_hex("{ __typename }"))},
            {"extensions": ext(sha256_hex("{ __typename }"))},
        ):
            refused = await api.client.post("/graphql", json=body)
            assert refused.status_code == 400, body
            assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


async def test_the_script_registers_documents_in_redis_for_every_replica(tmp_path, capsys):
    _write_queries(tmp_path)
    settings = make_settings(
        redis_url=redis_url(),
        redis_key_prefix=f"t{uuid.uuid4().hex[:8]}",
        persisted_queries_only=True,
    )
    # The script runs its own event loop, as it does from the command line.
    assert await asyncio.to_thread(persist_queries, [str(tmp_path / "q"), "--redis"], settings) == 0
    async with running_api(settings) as api:
        response = await api.client.post("/graphql", json={"extensions": ext()})
        assert response.json()["data"]["rateLimit"]["tier"] == "ANONYMOUS"
        other = await api.client.post("/graphql", json={"query": "{ __typename }"})
        assert other.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        await api.services.persisted.redis.delete(api.services.persisted.allow_key)


async def test_a_hash_removed_from_the_allow_list_stops_running(tmp_path):
    # Found in review: replicas cached allow-list hits from Redis until evicted or
    # restarted, so a document could not be withdrawn from a running fleet.
    _write_queries(tmp_path)
    settings = make_settings(
        redis_url=redis_url(),
        redis_key_prefix=f"t{uuid.uuid4().hex[:8]}",
        persisted_queries_only=True,
        persisted_query_allow_cache_seconds=0.2,
    )
    assert await asyncio.to_thread(persist_queries, [str(tmp_path / "q"), "--redis"], settings) == 0
    async with running_api(settings) as api:
        first = await api.client.post("/graphql", json={"extensions": ext()})
        assert first.json()["data"]["rateLimit"]["tier"] == "ANONYMOUS"
        await api.services.persisted.redis.hdel(api.services.persisted.allow_key, HASH)
        await asyncio.sleep(0.3)
        withdrawn = await api.client.post("/graphql", json={"extensions": ext()})
        assert withdrawn.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        await api.services.persisted.redis.delete(api.services.persisted.allow_key)


def test_the_script_refuses_documents_that_do_not_validate(tmp_path, capsys):
    (tmp_path / "typo.graphql").write_text("{ rateLimit { tierr } }")
    assert persist_queries([str(tmp_path)]) == 1
    assert "tierr" in capsys.readouterr().err


@pytest.mark.slow
async def test_redis_down_is_a_cache_miss_not_an_error():
    from tests.servers import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with running_api(make_settings(redis_url=dead)) as api:
        _, token = await api.user(tier="pro")  # paying tiers fail open while Redis is down
        headers = {"Authorization": f"Bearer {token}"}
        miss = await api.client.post("/graphql", json={"extensions": ext()}, headers=headers)
        assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        sent = await api.client.post(
            "/graphql", json={"query": DOC, "extensions": ext()}, headers=headers
        )
        assert sent.status_code == 200 and sent.json()["data"]["rateLimit"]["tier"] == "PRO"
        # Kept in the process's own LRU meanwhile.
        again = await api.client.post("/graphql", json={"extensions": ext()}, headers=headers)
        assert again.json()["data"]["rateLimit"]["tier"] == "PRO"
    only = make_settings(redis_url=dead, persisted_queries_only=True)
    async with running_api(only) as api:
        _, token = await api.user(tier="pro")
        refused = await api.client.post(
            "/graphql", json={"extensions": ext()}, headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 503
        assert refused.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


# Found by a frontend team: the allow-list was built from each file's text, while Apollo
# Client hashes the document as it prints it (with the __typename it adds), so under
# PERSISTED_QUERIES_ONLY=true the app's own operations were refused.
APOLLO_BODY = "query Me {\n  me {\n    id\n    name\n    __typename\n  }\n}"


def _apollo_manifest(body: str = APOLLO_BODY, digest: str | None = None) -> dict:
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": digest or sha256_hex(body), "name": "Me", "type": "query", "body": body}
        ],
    }


async def test_only_mode_accepts_apollo_and_codegen_manifests_together(tmp_path):
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(json.dumps(_apollo_manifest()))
    codegen = tmp_path / "persisted-documents.json"  # GraphQL Code Generator, sha256
    codegen.write_text(json.dumps({HASH: DOC}))
    settings = make_settings(
        persisted_queries_only=True, persisted_queries_manifest=f"{apollo}, {codegen}"
    )
    async with running_api(settings) as api:
        _, token = await api.user()
        auth = {"Authorization": f"Bearer {token}"}
        me = await api.client.post(
            "/graphql", json={"extensions": ext(sha256_hex(APOLLO_BODY))}, headers=auth
        )
        assert me.json()["data"]["me"]["__typename"] == "User"
        budget = await api.client.post("/graphql", json={"extensions": ext()})
        assert budget.json()["data"]["rateLimit"]["tier"] == "ANONYMOUS"
        # The file's text (without Apollo's __typename) is not what Apollo sends.
        text = "query Me { me { id name } }"
        refused = await api.client.post(
            "/graphql", json={"extensions": ext(sha256_hex(text))}, headers=auth
        )
        assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


def test_a_manifest_whose_ids_are_not_sha256_is_refused_at_start(tmp_path):
    from gateway.persisted import load_manifest

    bad = tmp_path / "m.json"
    bad.write_text(json.dumps(_apollo_manifest(digest="ab" * 32)))
    with pytest.raises(ValueError, match="not the SHA-256"):
        load_manifest(str(bad))
    bad.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 2}))
    with pytest.raises(ValueError, match="version 1"):
        load_manifest(str(bad))


async def test_the_script_validates_and_registers_a_client_manifest(tmp_path, capsys):
    manifest = tmp_path / "persisted-query-manifest.json"
    manifest.write_text(json.dumps(_apollo_manifest()))
    assert persist_queries([str(manifest)]) == 0
    assert json.loads(capsys.readouterr().out) == {sha256_hex(APOLLO_BODY): APOLLO_BODY}
    broken = "query Me {\n  me {\n    nope\n  }\n}"
    manifest.write_text(json.dumps(_apollo_manifest(broken)))
    assert persist_queries([str(manifest)]) == 1
    assert "nope" in capsys.readouterr().err


# Found by a frontend team: each first use of an operation cost two requests (the miss
# and its registration): 22 charged for 13 operations in one app session.
@pytest.mark.parametrize("shared", [False, True])
async def test_a_miss_and_its_registration_count_as_one_request(shared):
    extra = {"redis_url": redis_url()} if shared else {}
    async with running_api(make_settings(rate_limit_free="50/minute", **extra)) as api:
        _, token = await api.user()
        auth = {"Authorization": f"Bearer {token}"}

        async def remaining() -> int:
            body = (
                await api.client.post("/graphql", json={"query": "{ me { id } }"}, headers=auth)
            ).json()
            return body["extensions"]["rateLimit"]["remaining"]

        doc = "query Mine { me { id } }"
        before = await remaining()
        miss = await api.client.post(
            "/graphql", json={"extensions": ext(sha256_hex(doc))}, headers=auth
        )
        assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        registration = await api.client.post(
            "/graphql", json={"query": doc, "extensions": ext(sha256_hex(doc))}, headers=auth
        )
        assert registration.json()["data"]["me"]["id"]
        assert await remaining() == before - 1 - 1  # the pair once, and this read
        # The credit is used up: a second registration without a miss is charged.
        again = await api.client.post(
            "/graphql", json={"query": doc, "extensions": ext(sha256_hex(doc))}, headers=auth
        )
        assert again.status_code == 200
        assert await remaining() == before - 2 - 2
        # A registration without a miss before it is charged as any request.
        other = "query Other { me { name } }"
        await api.client.post(
            "/graphql", json={"query": other, "extensions": ext(sha256_hex(other))}, headers=auth
        )
        assert await remaining() == before - 3 - 3
