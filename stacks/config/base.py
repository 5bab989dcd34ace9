"""Shared building blocks of the stack config model."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from stacks.config.problems import ConfigProblem


class ConfigModel(BaseModel):
    """Base of every config object: camelCase keys as written in stack files, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        # No silent coercion: `canaryWeight: true` or `port: "80"` in a stack file is a mistake to report.
        strict=True,
        # NaN and infinities pass every range check written as `not lo <= x <= hi` only by accident; refuse them.
        allow_inf_nan=False,
    )


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"must be a network in CIDR notation with no host bits set, e.g. 10.0.0.0/16 ({exc})") from None
    if network.version != 4:
        raise ValueError("must be an IPv4 network, e.g. 10.0.0.0/16")
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]
"""An IPv4 network in CIDR notation with no host bits set."""


class CloudSettings(ConfigModel):
    """Per-cloud settings (`rollway:<cloud>`). Each cloud subclasses this in its own module."""

    def network_ranges(self) -> dict[str, str]:
        """Address ranges this cloud's networks use, keyed by their key path below `rollway:<cloud>`.

        Used to reject overlapping ranges across clouds (they may be peered or VPN-connected).
        """
        return {}

    def problems(self, key_prefix: str, environment: str) -> list[ConfigProblem]:
        """Cross-field checks specific to this cloud; `key_prefix` is e.g. `rollway:aws`."""
        return []

    def service_problems(self, key_prefix: str, services: Mapping[str, Any]) -> list[ConfigProblem]:
        """Checks relating this cloud's settings to the services (name {-> Service}); none by default."""
        return []


def overlapping_ranges(ranges: dict[str, str]) -> list[ConfigProblem]:
    """One problem per pair of overlapping networks (first key wins the blame on the second)."""
    problems: list[ConfigProblem] = []
    items = [(key, ipaddress.ip_network(cidr)) for key, cidr in ranges.items()]
    for index, (key, network) in enumerate(items):
        for other_key, other in items[:index]:
            if network.overlaps(other):
                problems.append(
                    ConfigProblem(
                        key,
                        f"overlaps {other_key} ({other}); give each network its own address range",
                        str(network),
                    )
                )
    return problems
