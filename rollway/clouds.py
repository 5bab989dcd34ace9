"""The cloud registry: one entry per cloud, read by the config model, the loader, the rollout controller's
routing rules, the policy packs, the offline mocks and the test kit.

A cloud is a plug-in. Its entry names, as `module:attribute` references resolved on first use, where each
part lives, so reading the registry imports nothing (the tool never imports the project's `components` or
`stacks` at import time; they are resolved from the project directory when a program runs):

- `settings`: the pydantic model of its `rollway:<cloud>` config block (a `CloudSettings` subclass);
- `builder`: the module whose `build(config)` creates the cloud's components for a stack;
- `families`: the module of each of the four component families (environment, blue_green, canary,
  autoscaling), each defining `Environment`, `BlueGreenTargets`, `CanaryRoute` and `Autoscaling`;
- `provider_defaults`: provider config keys the mocks read, with the value used when a stack sets none;
- `routing_types`: resource types whose inputs carry the live color or the canary weight (what
  `rollway rollout` targets);
- `mock_outputs`: the function computing plausible outputs for the cloud's resources offline;
- `security_policies`: the modules of its CrossGuard security policies (each with a `POLICIES` list);
- `cohort_matches`: the request attributes (`header`, `cookie`) its routing component can send to the idle
  color, which `rollway rollout`'s A/B tests may select a cohort by.

Adding a cloud is adding those modules and one `register(Cloud(...))` call.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAMILIES: tuple[str, ...] = ("environment", "blue_green", "canary", "autoscaling")
"""The four component families every cloud implements."""

FAMILY_CLASSES: Mapping[str, str] = {
    "environment": "Environment",
    "blue_green": "BlueGreenTargets",
    "canary": "CanaryRoute",
    "autoscaling": "Autoscaling",
}
"""The component class each family module defines (the same name on every cloud)."""


@dataclass(frozen=True)
class Cloud:
    """One cloud's registry entry (see the module docstring for each part)."""

    name: str
    """Name in `rollway:clouds` and of the `rollway:<name>` settings block, e.g. `aws`."""
    package: str
    """Pulumi package of its resource types (the part of a type token before the first `:`)."""
    settings: str
    """`module:Class` of its settings model."""
    builder: str
    """Module with `build(config)` and optionally `config_problems(config)`."""
    families: Mapping[str, str]
    """Family name -> module implementing it."""
    routing_types: tuple[str, ...]
    """Resource types whose inputs carry the live color or the canary weight."""
    mock_outputs: str
    """`module:function` computing plausible offline outputs for its resources."""
    security_policies: tuple[str, ...]
    """Module of its security policies (a `POLICIES` list)."""
    provider_defaults: Mapping[str, str] = field(default_factory=dict)
    """Provider config key -> value the mocks assume when a stack sets none."""
    cohort_matches: tuple[str, ...] = ()
    """Request attributes (`header`, `cookie`) its routing can send to the idle color (A/B cohorts); none: no A/B."""

    def settings_class(self) -> type[Any]:
        return _resolve(self.settings)

    def builder_module(self) -> Any:
        return importlib.import_module(self.builder)

    def family_class(self, family: str) -> type[Any]:
        """The component class of `family` (e.g. `blue_green` -> `components.aws.blue_green.BlueGreenTargets`)."""
        return _resolve(f"{self.families[family]}:{FAMILY_CLASSES[family]}")

    def mock_outputs_function(self) -> Any:
        return _resolve(self.mock_outputs)


def _resolve(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _families(cloud: str) -> dict[str, str]:
    return {family: f"components.{cloud}.{family}" for family in FAMILIES}


_REGISTRY: dict[str, Cloud] = {}


def register(cloud: Cloud) -> None:
    """Add a cloud (or replace the entry of the same name)."""
    missing = [family for family in FAMILIES if family not in cloud.families]
    if missing:
        raise ValueError(f"cloud {cloud.name!r} does not name a module for: {', '.join(missing)}")
    _REGISTRY[cloud.name] = cloud


def get(name: str) -> Cloud:
    """The entry of cloud `name`; KeyError naming the registered clouds when there is none."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no cloud named {name!r} is registered (registered: {', '.join(_REGISTRY)})") from None


def names() -> tuple[str, ...]:
    """Registered cloud names, in registration order."""
    return tuple(_REGISTRY)


def all_clouds() -> tuple[Cloud, ...]:
    return tuple(_REGISTRY.values())


def routing_types() -> dict[str, tuple[str, ...]]:
    """Routing resource types per cloud."""
    return {cloud.name: cloud.routing_types for cloud in _REGISTRY.values()}


def cohort_matches() -> dict[str, tuple[str, ...]]:
    """A/B cohort kinds each cloud's routing can select, per cloud."""
    return {cloud.name: cloud.cohort_matches for cloud in _REGISTRY.values()}


def provider_defaults() -> dict[str, str]:
    """Every cloud's provider defaults in one mapping (keys are namespaced, e.g. `aws:region`)."""
    return {key: value for cloud in _REGISTRY.values() for key, value in cloud.provider_defaults.items()}


register(
    Cloud(
        name="aws",
        package="aws",
        settings="stacks.config.aws:AwsSettings",
        builder="stacks.aws",
        families=_families("aws"),
        routing_types=(
            "aws:lb/listener:Listener",
            "aws:lb/listenerRule:ListenerRule",
            "aws:alb/listener:Listener",
            "aws:alb/listenerRule:ListenerRule",
        ),
        mock_outputs="rollway.engine.mocks:_aws_outputs",
        security_policies=("policies.security.aws", "policies.security.aws_services"),
        provider_defaults={"aws:region": "us-east-1"},
        # The production listener's header rule (`<name>-canary-header`, a ListenerRule forwarding to the idle
        # target group). An ALB can match a Cookie header with wildcards, but the component has no such rule.
        cohort_matches=("header",),
    )
)
register(
    Cloud(
        name="gcp",
        package="gcp",
        settings="stacks.config.gcp:GcpSettings",
        builder="stacks.gcp",
        families=_families("gcp"),
        routing_types=("gcp:compute/uRLMap:URLMap", "gcp:compute/regionUrlMap:RegionUrlMap"),
        mock_outputs="rollway.engine.mocks:_gcp_outputs",
        security_policies=("policies.security.gcp",),
        provider_defaults={"gcp:project": "rollway-mock-project", "gcp:region": "us-central1"},
        # The URL map's route rule with an exact `header_matches` to the idle backend service (its cookie rules are
        # only the weighted split's stickiness).
        cohort_matches=("header",),
    )
)
register(
    Cloud(
        name="azure",
        package="azure-native",
        settings="stacks.config.azure:AzureSettings",
        builder="stacks.azure",
        families=_families("azure"),
        routing_types=("azure-native:cdn:Route", "azure-native:cdn:AFDOrigin"),
        mock_outputs="rollway.engine.mocks:_azure_outputs",
        security_policies=("policies.security.azure",),
        provider_defaults={"azure-native:location": "westeurope"},
        # Front Door's rule set: a RequestHeader condition overriding the origin group to the idle color's.
        cohort_matches=("header",),
    )
)
register(
    Cloud(
        name="kubernetes",
        package="kubernetes",
        settings="stacks.config.kubernetes:KubernetesSettings",
        builder="stacks.kubernetes",
        families=_families("kubernetes"),
        routing_types=(
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            "kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute",
            "kubernetes:networking.k8s.io/v1:Ingress",
            "kubernetes:core/v1:Service",
        ),
        mock_outputs="rollway.engine.mocks:_kubernetes_outputs",
        security_policies=("policies.security.kubernetes",),
        # The HTTPRoute's header-matched rule (Gateway API), or ingress-nginx's canary-by-header annotations.
        cohort_matches=("header",),
    )
)
