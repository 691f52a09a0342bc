"""Anonymous budgets are counted per client: an IPv6 /64 is one client, a mapped IPv4 too."""

from __future__ import annotations

import httpx

from gateway.clientaddr import client_key
from tests.conftest import make_settings, running_api

STATUS = "{ rateLimit { remaining } }"


async def remaining_from(app, host: str) -> int:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/graphql", json={"query": STATUS})
        return int(response.json()["extensions"]["rateLimit"]["remaining"])


async def test_addresses_of_one_ipv6_64_share_one_budget():
    # Before: seven addresses of one /64 each got a fresh 30/min budget.
    gateway = running_api(make_settings())
    async with gateway:
        app = gateway.served
        hosts = [f"2001:db8:1:2::{n:x}" for n in range(1, 8)]
        seen = [await remaining_from(app, host) for host in hosts]
        assert seen == [29 - n for n in range(7)]
        other = await remaining_from(app, "2001:db8:1:3::1")  # the next /64
        assert other == 29


async def test_a_mapped_ipv4_address_is_that_ipv4_client():
    gateway = running_api(make_settings())
    async with gateway:
        app = gateway.served
        assert await remaining_from(app, "198.51.100.7") == 29
        assert await remaining_from(app, "::ffff:198.51.100.7") == 28
        assert await remaining_from(app, "::ffff:c633:6407") == 27  # the same, in hex


async def test_the_prefix_is_a_setting():
    gateway = running_api(make_settings(anonymous_ipv6_prefix_length=128))
    async with gateway:
        app = gateway.served
        assert await remaining_from(app, "2001:db8:1:2::1") == 29
        assert await remaining_from(app, "2001:db8:1:2::2") == 29


def test_client_keys():
    assert client_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:2:aaaa::1", 56) == "2001:db8:1::/56"
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("fe80::1%eth0") == "fe80::/64"
    assert client_key("unknown") == "unknown"
