"""Shared building blocks of the stack config model."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from rollway.helpers import CronSchedule
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
        # Attribute docstrings become field descriptions: the JSON Schema and docs/config-reference.md show them.
        use_attribute_docstrings=True,
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


@dataclass(frozen=True)
class Between:
    """Bounds declared on a config field: `Annotated[int, Between(0, 100)]`.

    The model checks them with one message naming both ends ("must be between 0 and 100"), and the JSON
    Schema for stack files (stacks/config/schema.py) publishes them as minimum/maximum, so editors flag a
    value out of range while it is typed.
    """

    low: float
    high: float
    unit: str = ""
    why: str = ""

    def _check(self, value: float) -> float:
        if not self.low <= value <= self.high:
            raise ValueError(f"must be between {self.low:g} and {self.high:g}{self.unit}{self.why}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        found = handler.resolve_ref_schema(handler(schema))
        found.update(minimum=self.low, maximum=self.high)
        return found


Cidr = Annotated[str, AfterValidator(_cidr)]
"""An IPv4 network in CIDR notation with no host bits set."""


class WindowFields(Protocol):
    """What per-cloud checks read of a scheduled window (`stacks.config.model.ScheduledWindow` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def schedule(self) -> str: ...
    @property
    def min(self) -> int: ...
    @property
    def max(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def cron(self) -> CronSchedule: ...


class ProtectionFields(Protocol):
    """What per-cloud checks read of a scale-in protection window (`stacks.config.model.ScaleInProtectionWindow`)."""

    @property
    def name(self) -> str: ...


class AutoscalingFields(Protocol):
    @property
    def schedules(self) -> Sequence[WindowFields]: ...
    @property
    def scale_in_protection(self) -> Sequence[ProtectionFields]: ...


class ImageFields(Protocol):
    def for_color(self, color: Literal["blue", "green"]) -> str | None: ...


class ServiceFields(Protocol):
    """What per-cloud checks read of a service (`stacks.config.model.Service` has it).

    Per-cloud settings modules type their checks against this, so they never import the model, which
    imports them: the model depends on the clouds, never the other way round.
    """

    @property
    def cpu(self) -> float: ...
    @property
    def memory(self) -> int: ...
    @property
    def live_color(self) -> Literal["blue", "green"]: ...
    @property
    def idle_color(self) -> Literal["blue", "green"]: ...
    @property
    def canary_weight(self) -> int: ...
    @property
    def environment(self) -> Mapping[str, str]: ...
    @property
    def secrets(self) -> Mapping[str, str]: ...
    @property
    def autoscaling(self) -> AutoscalingFields: ...
    @property
    def image(self) -> ImageFields: ...


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

    def service_problems(self, key_prefix: str, services: Mapping[str, ServiceFields]) -> list[ConfigProblem]:
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
