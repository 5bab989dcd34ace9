"""Address and port reasoning shared by the firewall/security-group/NSG policies."""

from __future__ import annotations

from typing import Any

from policies.common.props import number

PUBLIC_SOURCES = frozenset({"0.0.0.0/0", "::/0", "*", "internet", "any", "0.0.0.0", "::/0 "})
"""Source values meaning "anyone on the internet" across AWS, GCP and Azure (compared lower-cased)."""

ADMIN_PORTS: tuple[int, ...] = (22, 3389)
"""SSH and RDP."""


def is_public_source(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in PUBLIC_SOURCES


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
