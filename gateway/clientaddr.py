"""Which client an anonymous request is charged to: its address, normalised.

One subscriber of an IPv6 provider holds a whole /64 (often a /56) and picks any address
in it at will, so keying on the full address gave every one of them a fresh budget:
IPv6 clients are keyed by their ANONYMOUS_IPV6_PREFIX_LENGTH-bit network instead. An
IPv4 address seen through a dual-stack socket (`::ffff:198.51.100.7`) is the IPv4
client it names, not a second one.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=4096)
def client_key(host: str, ipv6_prefix: int = 64) -> str:
    """The address (IPv4) or network (IPv6) anonymous budgets are counted by."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # no zone index
    except ValueError:
        return host  # "unknown", a unix socket path: as it is
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        if ipv6_prefix >= 128:
            return str(address)
        network = ipaddress.IPv6Network((address, ipv6_prefix), strict=False)
        return str(network)
    return str(address)
