"""GCP CanaryRoute: the URL map that splits production traffic between the live and idle backend services
(`weighted_backend_services`, weights on GCP's 0..1000 scale), with a header route that always reaches the
idle slot (smoke tests; the Environment's Cloud Armor policy on the backend services admits it only from
trusted ranges), an optional header that pins a request to the canary, optional cookie stickiness, and the
global external Application Load Balancer frontend serving it.

The URL map is the only resource whose inputs depend on the live color or the canary weight: a canary
step or a live flip changes it and nothing else. The frontend (address, certificate, SSL policy, proxies,
forwarding rules) only references the URL map by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.blue_green import Color
from components.canary import CanaryArgs, weight_split

WEIGHT_TOTAL = 1000
"""GCP weighted backend services take weights 0..1000."""
SLOT_HEADER = "x-rollway-slot"
"""Response header naming the color that served a request (lets smoke tests and people check routing)."""
STICKY_COOKIE = "rollway-slot"
"""Cookie that keeps a client on the color the weighted split first gave it, for `stickiness_seconds`."""
PATH_MATCHER = "slots"


@dataclass(frozen=True)
class GcpCanaryArgs:
    """CanaryArgs plus the backends to split between and the frontend settings."""

    canary: CanaryArgs
    """Live color, canary weight (percent), optional canary header and stickiness."""
    backend_services: Mapping[Color, pulumi.Input[str]]
    """Backend service id per color (from BlueGreenTargets)."""
    project: str
    """Project id."""
    test_header_name: str = "x-rollway-test"
    """Header whose `test_header_value` always routes to the idle color."""
    test_header_value: str = "idle"
    """Value of `test_header_name` that selects the idle color."""
    hostname: str | None = None
    """Public hostname; when set, HTTPS with a Google-managed certificate is served and HTTP only redirects."""
    ssl_profile: str = "MODERN"
    """SSL policy profile (minimum TLS version is always 1.2)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels for the labelable frontend resources (address, forwarding rules)."""


def _header_rule(priority: int, header: str, value: str, backend: pulumi.Input[str], color: Color) -> dict[str, Any]:
    return {
        "priority": priority,
        "match_rules": [{"prefix_match": "/", "header_matches": [{"header_name": header, "exact_match": value}]}],
        "service": backend,
        "header_action": {"response_headers_to_adds": [{"header_name": SLOT_HEADER, "header_value": color, "replace": True}]},
    }


def _cookie_rule(priority: int, backend: pulumi.Input[str], color: Color) -> dict[str, Any]:
    return {
        "priority": priority,
        "match_rules": [
            {
                "prefix_match": "/",
                "header_matches": [{"header_name": "cookie", "regex_match": f"(.*;\\s*)?{STICKY_COOKIE}={color}(;.*)?"}],
            }
        ],
        "service": backend,
        "header_action": {"response_headers_to_adds": [{"header_name": SLOT_HEADER, "header_value": color, "replace": True}]},
    }


def weighted_backends(args: GcpCanaryArgs, secure_cookie: bool) -> list[dict[str, Any]]:
    """Live then idle backend with their 0..1000 weights; each response names its color (and, when sticky, pins it)."""
    canary = args.canary
    split = weight_split(canary.live_color, canary.canary_weight, total=WEIGHT_TOTAL)
    sticky = canary.stickiness_seconds is not None and 0 < split[canary.idle_color] < WEIGHT_TOTAL
    entries: list[dict[str, Any]] = []
    for color in (canary.live_color, canary.idle_color):
        headers = [{"header_name": SLOT_HEADER, "header_value": color, "replace": True}]
        if sticky:
            attributes = f"Max-Age={canary.stickiness_seconds}; Path=/; HttpOnly" + ("; Secure" if secure_cookie else "")
            headers.append(
                {"header_name": "Set-Cookie", "header_value": f"{STICKY_COOKIE}={color}; {attributes}", "replace": False}
            )
        entries.append(
            {
                "backend_service": args.backend_services[color],
                "weight": split[color],
                "header_action": {"response_headers_to_adds": headers},
            }
        )
    return entries


def route_rules(args: GcpCanaryArgs) -> list[dict[str, Any]]:
    """Rules evaluated before the weighted split: test route, canary header, then sticky cookies."""
    canary = args.canary
    idle, live = canary.idle_color, canary.live_color
    rules = [_header_rule(1, args.test_header_name, args.test_header_value, args.backend_services[idle], idle)]
    if canary.header_name and canary.header_value:
        rules.append(_header_rule(2, canary.header_name, canary.header_value, args.backend_services[idle], idle))
    split = weight_split(live, canary.canary_weight, total=WEIGHT_TOTAL)
    # Cookies pin clients only while both colors take traffic; at 0% or 100% the split alone decides, so an
    # aborted canary stops reaching the idle color at once.
    if canary.stickiness_seconds is not None and 0 < split[idle] < WEIGHT_TOTAL:
        rules.append(_cookie_rule(10, args.backend_services[idle], idle))
        rules.append(_cookie_rule(11, args.backend_services[live], live))
    return rules


class CanaryRoute(pulumi.ComponentResource):
    """The weighted URL map of one service and the global external Application Load Balancer in front of it."""

    url_map: gcp.compute.URLMap
    address: gcp.compute.GlobalAddress
    certificate: gcp.compute.ManagedSslCertificate | None
    ssl_policy: gcp.compute.SSLPolicy | None
    https_proxy: gcp.compute.TargetHttpsProxy | None
    https_forwarding_rule: gcp.compute.GlobalForwardingRule | None
    redirect_map: gcp.compute.URLMap | None
    http_proxy: gcp.compute.TargetHttpProxy
    http_forwarding_rule: gcp.compute.GlobalForwardingRule

    def __init__(self, name: str, args: GcpCanaryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rollway:gcp:CanaryRoute", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        secure = args.hostname is not None
        weighted = weighted_backends(args, secure_cookie=secure)
        # Plain dicts in the SDK's snake_case shapes: the nested TypedDicts are too deep to spell out usefully.
        default_action: Any = {"weighted_backend_services": weighted}
        path_matchers: Any = [{"name": PATH_MATCHER, "default_route_action": default_action, "route_rules": route_rules(args)}]
        self.url_map = gcp.compute.URLMap(
            f"{name}-routes",
            project=args.project,
            description=f"{name}: weighted live/idle split, idle test route",
            default_route_action=default_action,
            host_rules=[{"hosts": ["*"], "path_matcher": PATH_MATCHER}],
            path_matchers=path_matchers,
            opts=child,
        )
        self.address = gcp.compute.GlobalAddress(
            f"{name}-address", project=args.project, ip_version="IPV4", labels=dict(args.labels), opts=child
        )

        self.certificate = self.ssl_policy = self.https_proxy = self.https_forwarding_rule = self.redirect_map = None
        http_target_map = self.url_map
        if args.hostname is not None:
            self.certificate = gcp.compute.ManagedSslCertificate(
                f"{name}-certificate", project=args.project, managed={"domains": [args.hostname]}, opts=child
            )
            self.ssl_policy = gcp.compute.SSLPolicy(
                f"{name}-tls", project=args.project, min_tls_version="TLS_1_2", profile=args.ssl_profile, opts=child
            )
            self.https_proxy = gcp.compute.TargetHttpsProxy(
                f"{name}-https",
                project=args.project,
                url_map=self.url_map.id,
                ssl_certificates=[self.certificate.id],
                ssl_policy=self.ssl_policy.id,
                opts=child,
            )
            self.https_forwarding_rule = self._forwarding_rule(f"{name}-https", args, self.https_proxy.id, "443")
            # With HTTPS served, plain HTTP only redirects.
            self.redirect_map = gcp.compute.URLMap(
                f"{name}-https-redirect",
                project=args.project,
                description=f"{name}: redirect HTTP to HTTPS",
                default_url_redirect={
                    "https_redirect": True,
                    "strip_query": False,
                    "redirect_response_code": "MOVED_PERMANENTLY_DEFAULT",
                },
                opts=child,
            )
            http_target_map = self.redirect_map
        self.http_proxy = gcp.compute.TargetHttpProxy(
            f"{name}-http", project=args.project, url_map=http_target_map.id, opts=child
        )
        self.http_forwarding_rule = self._forwarding_rule(f"{name}-http", args, self.http_proxy.id, "80")

        scheme = "https" if args.hostname else "http"
        self.url = (
            pulumi.Output.from_input(f"https://{args.hostname}")
            if args.hostname
            else self.address.address.apply(lambda ip: f"{scheme}://{ip}")
        )
        self.register_outputs(
            {"urlMapId": self.url_map.id, "ipAddress": self.address.address, "url": self.url, "testHeader": args.test_header_name}
        )

    def _forwarding_rule(
        self, name: str, args: GcpCanaryArgs, target: pulumi.Input[str], port: str
    ) -> gcp.compute.GlobalForwardingRule:
        return gcp.compute.GlobalForwardingRule(
            name,
            project=args.project,
            load_balancing_scheme="EXTERNAL_MANAGED",
            ip_protocol="TCP",
            ip_address=self.address.id,
            port_range=port,
            target=target,
            labels=dict(args.labels),
            opts=pulumi.ResourceOptions(parent=self),
        )
