"""Azure canary weighted route: Azure Front Door Standard in front of the two colors.

Per service: an AFD endpoint, an origin group with an HTTPS health probe, one origin per color carrying its
weight, a route, and (with a canary header) a rule that sends pinned requests to a one-origin group holding
the idle color. AFD weights run 1..1000, so the split comes from `weight_split(..., total=1000)` (exact for
0/10/50/100%) and a color whose share is 0 is disabled rather than given weight 0.

A canary step changes the two origins' weights only; a live flip changes the origins and the pinned origin.

`stickiness_seconds` is ignored on Azure, on purpose and without a config error (shipped stacks set it for
the clouds that honour it): AFD's session affinity cookie lasts for the browser session and its lifetime
cannot be bounded, so returning clients would keep their color past later rollout steps. The origin groups
keep session affinity disabled whatever the config says.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import cdn

from components.blue_green import COLORS, Color
from components.canary import CanaryArgs, weight_split

TYPE = "rollway:azure:CanaryRoute"
WEIGHT_TOTAL = 1000
# AFD only spreads by weight among origins within this latency of the fastest one; both colors run in one
# region, so a wide band keeps the weights (not probe jitter) in charge of the split.
LATENCY_BAND_MS = 1000
RULE_SET_NAME_MAX = 60


@dataclass(frozen=True)
class OriginWeight:
    """Front Door weight and state of one color's origin."""

    weight: int
    """1..1000 (AFD's range); meaningless while disabled."""
    enabled: bool
    """False when the color's share is 0."""


def origin_weights(live_color: Color, canary_weight: int) -> dict[Color, OriginWeight]:
    """Per color: AFD weight and enabled state for a canary percent (a 0 share disables the origin)."""
    split = weight_split(live_color, canary_weight, total=WEIGHT_TOTAL)
    return {color: OriginWeight(weight=max(share, 1), enabled=share > 0) for color, share in split.items()}


def rule_set_name(name: str) -> str:
    """AFD rule set name for a component: letters and digits only, unique per component name."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    letters = re.sub(r"[^A-Za-z0-9]", "", name)[: RULE_SET_NAME_MAX - 10]
    return f"pin{letters}{digest}"


@dataclass(frozen=True)
class AzureCanaryArgs:
    """Inputs of one service's Front Door route."""

    canary: CanaryArgs
    """Live color, canary percent and optional pinning header (the cloud-agnostic part)."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the Front Door profile."""
    profile_name: pulumi.Input[str]
    """The environment's Front Door profile."""
    origin_hosts: Mapping[Color, pulumi.Input[str]]
    """Host name per color that has a workload (Container App FQDN or scale set host); HTTPS on 443."""
    health_check_path: str = "/healthz"
    """Path Front Door probes on each origin."""
    probe_interval_seconds: int = 30
    """Seconds between Front Door health probes."""
    tags: Mapping[str, str] | None = None
    """Tags for the endpoint (the only taggable AFD child)."""


class CanaryRoute(pulumi.ComponentResource):
    """A weighted Front Door route between a service's live and idle color."""

    endpoint: cdn.AFDEndpoint
    origin_group: cdn.AFDOriginGroup
    origins: dict[Color, cdn.AFDOrigin]
    pinned_group: cdn.AFDOriginGroup | None
    pinned_origin: cdn.AFDOrigin | None
    rule_set: cdn.RuleSet | None
    pin_rule: cdn.Rule | None
    route: cdn.Route

    def __init__(self, name: str, args: AzureCanaryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        canary = args.canary
        group = args.resource_group_name
        profile = args.profile_name
        weights = origin_weights(canary.live_color, canary.canary_weight)
        for color, share in weights.items():
            if share.enabled and color not in args.origin_hosts:
                raise ValueError(f"{name}: {color} gets {canary.split()[color]}% of traffic but has no origin host")

        self.endpoint = cdn.AFDEndpoint(
            f"{name}-endpoint",
            resource_group_name=group,
            profile_name=profile,
            location="Global",
            enabled_state="Enabled",
            auto_generated_domain_name_label_scope="TenantReuse",
            tags=dict(args.tags or {}),
            opts=child,
        )
        self.origin_group = cdn.AFDOriginGroup(
            f"{name}-origins",
            resource_group_name=group,
            profile_name=profile,
            health_probe_settings=_probe(args),
            load_balancing_settings=_load_balancing(),
            # Stickiness is not applied: AFD's affinity cookie lives for the browser session, longer than a
            # rollout step, so a step's weight would not take effect for returning clients.
            session_affinity_state="Disabled",
            # Newly enabled origins get their full weight at once, so each rollout step's split is exact.
            traffic_restoration_time_to_healed_or_new_endpoints_in_minutes=0,
            opts=child,
        )
        self.origins = {}
        for color in COLORS:
            host = args.origin_hosts.get(color)
            if host is None:
                continue
            self.origins[color] = _origin(f"{name}-{color}", self.origin_group, group, profile, host, weights[color], child)

        idle_host = args.origin_hosts.get(canary.idle_color)
        pinned = canary.header_name is not None and canary.header_value is not None and idle_host is not None
        self.pinned_group = self.pinned_origin = None
        self.rule_set = self.pin_rule = None
        if pinned and idle_host is not None:
            self.pinned_group = cdn.AFDOriginGroup(
                f"{name}-pinned",
                resource_group_name=group,
                profile_name=profile,
                health_probe_settings=_probe(args),
                load_balancing_settings=_load_balancing(),
                session_affinity_state="Disabled",
                opts=child,
            )
            self.pinned_origin = _origin(
                f"{name}-pinned", self.pinned_group, group, profile, idle_host, OriginWeight(WEIGHT_TOTAL, True), child
            )
            self.rule_set = cdn.RuleSet(
                f"{name}-rules", rule_set_name=rule_set_name(name), resource_group_name=group, profile_name=profile, opts=child
            )
            self.pin_rule = cdn.Rule(
                f"{name}-pin-canary",
                rule_name="pincanary",
                rule_set_name=self.rule_set.name,
                resource_group_name=group,
                profile_name=profile,
                order=1,
                conditions=[
                    cdn.DeliveryRuleRequestHeaderConditionArgs(
                        name="RequestHeader",
                        parameters=cdn.RequestHeaderMatchConditionParametersArgs(
                            type_name="DeliveryRuleRequestHeaderConditionParameters",
                            operator="Equal",
                            selector=canary.header_name,
                            match_values=[canary.header_value or ""],
                            negate_condition=False,
                            transforms=[],
                        ),
                    )
                ],
                actions=[
                    cdn.DeliveryRuleRouteConfigurationOverrideActionArgs(
                        name="RouteConfigurationOverride",
                        parameters=cdn.RouteConfigurationOverrideActionParametersArgs(
                            type_name="DeliveryRuleRouteConfigurationOverrideActionParameters",
                            origin_group_override=cdn.OriginGroupOverrideArgs(
                                origin_group=cdn.ResourceReferenceArgs(id=self.pinned_group.id),
                                forwarding_protocol="HttpsOnly",
                            ),
                        ),
                    )
                ],
                match_processing_behavior="Stop",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.pinned_origin]),
            )

        # AFD refuses a route to an origin group that has no origins yet, and a rule set without its rule.
        route_deps: list[pulumi.Resource] = [*self.origins.values()]
        if self.pin_rule is not None:
            route_deps.append(self.pin_rule)
        self.route = cdn.Route(
            f"{name}-route",
            resource_group_name=group,
            profile_name=profile,
            endpoint_name=self.endpoint.name,
            origin_group=cdn.ResourceReferenceArgs(id=self.origin_group.id),
            rule_sets=[cdn.ResourceReferenceArgs(id=self.rule_set.id)] if self.rule_set is not None else None,
            supported_protocols=["Http", "Https"],
            patterns_to_match=["/*"],
            forwarding_protocol="HttpsOnly",
            https_redirect="Enabled",
            link_to_default_domain="Enabled",
            enabled_state="Enabled",
            opts=pulumi.ResourceOptions(parent=self, depends_on=route_deps),
        )

        self.host_name: pulumi.Output[str] = self.endpoint.host_name
        self.url: pulumi.Output[str] = pulumi.Output.concat("https://", self.endpoint.host_name)
        self.register_outputs(
            {
                "url": self.url,
                "weights": {color: (w.weight if w.enabled else 0) for color, w in weights.items()},
                "pinnedHeader": canary.header_name if pinned else None,
            }
        )


def _probe(args: AzureCanaryArgs) -> cdn.HealthProbeParametersArgs:
    return cdn.HealthProbeParametersArgs(
        probe_path=args.health_check_path,
        probe_protocol=cdn.ProbeProtocol.HTTPS,
        probe_request_type=cdn.HealthProbeRequestType.GET,
        probe_interval_in_seconds=args.probe_interval_seconds,
    )


def _load_balancing() -> cdn.LoadBalancingSettingsParametersArgs:
    return cdn.LoadBalancingSettingsParametersArgs(
        sample_size=4, successful_samples_required=3, additional_latency_in_milliseconds=LATENCY_BAND_MS
    )


def _origin(
    resource_name: str,
    origin_group: cdn.AFDOriginGroup,
    group: pulumi.Input[str],
    profile: pulumi.Input[str],
    host: pulumi.Input[str],
    weight: OriginWeight,
    opts: pulumi.ResourceOptions,
) -> cdn.AFDOrigin:
    return cdn.AFDOrigin(
        resource_name,
        resource_group_name=group,
        profile_name=profile,
        origin_group_name=origin_group.name,
        host_name=host,
        # Container Apps route by Host header, so the origin's own name is sent rather than the AFD host.
        origin_host_header=host,
        http_port=80,
        https_port=443,
        priority=1,
        weight=weight.weight,
        enabled_state="Enabled" if weight.enabled else "Disabled",
        enforce_certificate_name_check=True,
        opts=opts,
    )
