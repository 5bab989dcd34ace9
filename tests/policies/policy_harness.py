"""Run Rollway policies in-process exactly as the pulumi_policy SDK's Analyzer servicer does.

Properties go through the same path as on the wire: a protobuf Struct (so numbers arrive as floats),
`deserialize_properties`, and the SDK's unknown-checking proxy; an `UnknownValueError` escaping a policy is
what the SDK turns into its advisory "can't be known during preview" diagnostic, so it is returned as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties, serialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

import policies.cost
import policies.security
from rollway.preview.analyzer import AnalyzedResource

UNKNOWN = UNKNOWN_STRING_VALUE
"""Put this in test properties for a value unknown during preview."""

ALL_POLICIES: list[Policy] = [*policies.security.POLICIES, *policies.cost.POLICIES]
BY_NAME: dict[str, Policy] = {policy.name: policy for policy in ALL_POLICIES}


def wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """Properties after a round trip through the engine's wire format."""
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return json_format.MessageToDict(struct)


def engine_props(props: Mapping[str, Any]) -> Any:
    return unknown_checking_proxy(deserialize_properties(wire(props)))


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def _provider(resource_type: str, provider_props: Mapping[str, Any] | None) -> PolicyProviderResource | None:
    if provider_props is None:
        return None
    package = resource_type.split(":", 1)[0]
    return PolicyProviderResource(
        f"pulumi:providers:{package}",
        engine_props(provider_props),
        f"urn:pulumi:dev::rollway::pulumi:providers:{package}::default",
        "default",
    )


@dataclass
class Outcome:
    """What one policy said about one resource."""

    violations: list[str] = field(default_factory=list)
    """Messages reported (the message only, without the SDK's description prefix)."""
    unknown: str | None = None
    """The "can't be known during preview" note, when the policy needed an unknown value."""

    def record(self, message: str, urn: str | None = None) -> None:
        """The report_violation callback."""
        self.violations.append(message)

    @property
    def passed(self) -> bool:
        return not self.violations and self.unknown is None


def policy(name: str) -> Policy:
    return BY_NAME[name]


def check(
    name: str | Policy,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    config: Mapping[str, Any] | None = None,
    provider_props: Mapping[str, Any] | None = None,
    resource_name: str = "subject",
    prepared: Any = None,
) -> Outcome:
    """Run one resource policy over one resource, as the SDK's Analyze does.

    `prepared`: the result of `engine_props(props)`, to reuse one decoding across many policies.
    """
    target = BY_NAME[name] if isinstance(name, str) else name
    assert isinstance(target, ResourceValidationPolicy), f"{target.name} is not a resource policy"
    outcome = Outcome()
    args = ResourceValidationArgs(
        resource_type,
        prepared if prepared is not None else engine_props(props),
        f"urn:pulumi:dev::rollway::{resource_type}::{resource_name}",
        resource_name,
        _options(),
        _provider(resource_type, provider_props),
        dict(config) if config else None,
    )
    try:
        target.validate(args, outcome.record)
    except UnknownValueError as error:
        outcome.unknown = error.message
    return outcome


def remediate(
    name: str, resource_type: str, props: Mapping[str, Any], *, config: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """Run a policy's remediation as the SDK's Remediate does (secret-preserving proxies); new props or None."""
    target = BY_NAME[name]
    assert isinstance(target, ResourceValidationPolicy)
    deserialized = deserialize_properties(wire(props), True)
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(deserialized),
        f"urn:pulumi:dev::rollway::{resource_type}::subject",
        "subject",
        _options(),
        None,
        dict(config) if config else None,
    )
    result = target.remediate(args)
    if result is None:
        return None
    # Rollway's remediations return plain mappings (the SDK also accepts awaitables, which none of them use).
    assert isinstance(result, Mapping)
    return json_format.MessageToDict(_struct(serialize_properties(result)))


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return struct


@dataclass(frozen=True)
class Res:
    """A resource for stack policies."""

    type: str
    name: str
    props: Mapping[str, Any]
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    engine_urn: str | None = None
    """The URN the engine gave it (a recorded resource's): what `dependencies` of other resources name."""

    @property
    def urn(self) -> str:
        return self.engine_urn or f"urn:pulumi:dev::rollway::{self.type}::{self.name}"

    @classmethod
    def recorded(cls, resource: AnalyzedResource) -> Res:
        """A recorded resource as AnalyzeStack shows it: its outputs (inputs where it has none), its dependencies
        and the engine's URN."""
        return cls(
            resource.type,
            resource.name,
            resource.outputs or resource.properties,
            resource.dependencies,
            resource.property_dependencies,
            resource.urn,
        )


def check_stack(
    name: str | Policy,
    resources: Sequence[Res],
    *,
    config: Mapping[str, Any] | None = None,
    prepared: Mapping[str, Any] | None = None,
) -> Outcome:
    """Run one stack policy over a stack, as the SDK's AnalyzeStack does (parents and dependencies linked).

    `prepared`: URN -> `engine_props(props)`, to reuse one decoding across many policies.
    """
    target = BY_NAME[name] if isinstance(name, str) else name
    assert isinstance(target, StackValidationPolicy), f"{target.name} is not a stack policy"
    decoded = prepared or {}
    built = {
        resource.urn: PolicyResource(
            resource.type,
            decoded[resource.urn] if resource.urn in decoded else engine_props(resource.props),
            resource.urn,
            resource.name,
            _options(),
            None,
            None,
            [],
            {},
        )
        for resource in resources
    }
    for resource in resources:
        policy_resource = built[resource.urn]
        policy_resource.dependencies.extend(built[urn] for urn in resource.dependencies if urn in built)
        for key, urns in resource.property_dependencies.items():
            policy_resource.property_dependencies[key] = [built[urn] for urn in urns if urn in built]
    outcome = Outcome()
    args = StackValidationArgs(list(built.values()), dict(config) if config else None)
    try:
        target.validate(args, outcome.record)
    except UnknownValueError as error:
        outcome.unknown = error.message
    return outcome
