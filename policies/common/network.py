"""Address and port reasoning shared by the firewall/security-group/NSG policies.

A source is *public* when it lets in a large share of the internet, not only when it is spelled `0.0.0.0/0`:
`0.0.0.0/1` plus `128.0.0.0/1` admit exactly the same clients. The rule, applied to each source on its own:

- an IPv4 network shorter than /8 (at least 1/128 of all addresses) that is not inside a private or
  reserved block;
- an IPv6 network shorter than /16 that is not inside a unique-local, link-local, multicast or `::/8` block;
- the "everyone" tags of the clouds: `*`, `Any`, `Internet` (Azure), and a bare `0.0.0.0`, which some
  consoles and tools take to mean "any address".

A /8 or longer prefix is left alone: splitting the internet into 256 /8 rules is not something these checks
try to see through.
"""

from __future__ import annotations

import ipaddress
from fractions import Fraction
from typing import Any

from policies.common.props import number

PUBLIC_TAGS = frozenset({"*", "any", "internet", "0.0.0.0"})
"""Source values meaning "anyone" whatever their address syntax (compared stripped and lower-cased)."""

IPV4_PUBLIC_BELOW = 8
"""An IPv4 source with a prefix shorter than this (a /7 or wider) counts as public."""
IPV6_PUBLIC_BELOW = 16
"""An IPv6 source with a prefix shorter than this (a /15 or wider) counts as public."""

_NOT_PUBLIC_V4 = tuple(
    ipaddress.collapse_addresses(
        ipaddress.IPv4Network(block)
        for block in (
            "0.0.0.0/8",  # "this network"
            "10.0.0.0/8",
            "100.64.0.0/10",  # carrier-grade NAT
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/24",
            "192.0.2.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "224.0.0.0/4",  # multicast
            "240.0.0.0/4",  # reserved
        )
    )
)
"""Private and reserved IPv4 blocks, merged (224/4 and 240/4 become 224/3) so that a network lying in their
union lies inside one of them."""

_NOT_PUBLIC_V6 = tuple(
    ipaddress.collapse_addresses(
        ipaddress.IPv6Network(block)
        for block in (
            "::/8",  # loopback, unspecified, IPv4-mapped
            "fc00::/7",  # unique local
            "fe80::/10",  # link-local
            "ff00::/8",  # multicast
        )
    )
)

ADMIN_PORTS: tuple[int, ...] = (22, 3389)
"""SSH and RDP."""


def parse_network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR (or single address) as a network, host bits ignored; None when the value is not one."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def is_public_source(value: Any) -> bool:
    """Whether a firewall/security-group source admits a large share of the internet (see the module docstring)."""
    if not isinstance(value, str):
        return False
    if value.strip().lower() in PUBLIC_TAGS:
        return True
    network = parse_network(value)
    if network is None:
        return False
    if isinstance(network, ipaddress.IPv4Network):
        return network.prefixlen < IPV4_PUBLIC_BELOW and not any(network.subnet_of(block) for block in _NOT_PUBLIC_V4)
    return network.prefixlen < IPV6_PUBLIC_BELOW and not any(network.subnet_of(block) for block in _NOT_PUBLIC_V6)


def describe_source(value: str) -> str:
    """A public source as messages show it: the value, plus how much of the internet a partial range covers."""
    shown = value.strip()
    network = parse_network(value)
    if shown.lower() in PUBLIC_TAGS or network is None or network.prefixlen == 0 or not is_public_source(value):
        return shown
    share = Fraction(1, 2**network.prefixlen)
    family = "IPv4" if network.version == 4 else "IPv6"
    return f"{shown} (a public range: {share} of all {family} addresses)"


def port_range(from_port: Any, to_port: Any) -> tuple[int, int] | None:
    """Inclusive range from two port numbers; None when either is missing or not a number."""
    low, high = number(from_port), number(to_port)
    if low is None or high is None:
        return None
    low_i, high_i = int(low), int(high)
    if low_i > high_i:
        low_i, high_i = high_i, low_i
    return low_i, high_i


def parse_port_spec(spec: Any) -> tuple[int, int] | None:
    """`"22"`, `"1000-2000"`, `22`, `"*"` (all) as an inclusive range; None when unparsable."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return int(spec), int(spec)
    if not isinstance(spec, str):
        return None
    text = spec.strip()
    if text in ("*", ""):
        return 0, 65535
    if "-" in text:
        low, _, high = text.partition("-")
        return port_range(low, high)
    value = number(text)
    return (int(value), int(value)) if value is not None else None


def covers(ranges: list[tuple[int, int]], port: int) -> bool:
    return any(low <= port <= high for low, high in ranges)


def is_all_ports(ranges: list[tuple[int, int]]) -> bool:
    return any(low <= 1 and high >= 65535 for low, high in ranges)


def admin_ports_in(ranges: list[tuple[int, int]], admin_ports: tuple[int, ...] = ADMIN_PORTS) -> list[int]:
    return [port for port in admin_ports if covers(ranges, port)]


DATA_PORTS: tuple[int, ...] = (
    1433,  # SQL Server
    1521,  # Oracle
    2379,  # etcd
    3306,  # MySQL / MariaDB / Aurora MySQL
    5432,  # PostgreSQL / Aurora PostgreSQL
    5439,  # Redshift
    5984,  # CouchDB
    6379,  # Redis / Valkey
    7000,  # Cassandra inter-node
    9042,  # Cassandra
    9200,  # Elasticsearch / OpenSearch HTTP
    9300,  # Elasticsearch transport
    11211,  # Memcached
    27017,  # MongoDB
)
"""Database, cache and search ports that must never face the internet (clients reach them through the app)."""
