"""Canary weighted route on Kubernetes, with one of two routers:

- `gatewayApi`: one Gateway API HTTPRoute whose backendRefs carry both colors' weights, plus a rule that pins
  requests carrying the canary header to the idle color;
- `ingressNginx`: a primary Ingress to the live color and a canary Ingress (ingress-nginx canary annotations:
  weight and header) to the idle color.

With test hostnames, the same router also gets a public test route (an HTTPRoute, or an Ingress) sending all
of those hosts' traffic to the idle color, so it can be smoke-tested from outside the cluster before a switch.
It is an object of its own: Gateway API hostnames belong to a whole HTTPRoute, not to a rule, and
ingress-nginx would apply the canary Ingress's weights to every host the primary Ingress serves.

The idle color is unreleased code, so who may reach its public route matters. ingress-nginx limits the test
Ingress to `test_access_cidrs` (its `whitelist-source-range` annotation; the controller must see client
addresses, e.g. `externalTrafficPolicy: Local` or PROXY protocol, else it refuses every request). Gateway
API has no standard source filter for a route, so a gatewayApi test route takes no ranges: the caller decides
whether it may be public at all (the stack config keeps it off unless `publicTestRoute: true`). The
in-cluster `<app>-test` Service (BlueGreenTargets) always reaches the idle color either way.

Every weight lives in exactly one object (the HTTPRoute, or the canary Ingress), so a canary step updates one
resource; the test route carries no weight and changes only when the live color does. Backends are listed
blue then green whatever is live, so a switch changes weights, not structure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.blue_green import COLORS, Color
from components.canary import CanaryArgs
from components.kubernetes.common import SKIP_AWAIT, app_selector, with_labels

TrafficRouter = Literal["gatewayApi", "ingressNginx"]
GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
NGINX = "nginx.ingress.kubernetes.io"
WEIGHT_TOTAL = 100


@dataclass(frozen=True)
class GatewayParent:
    """The Gateway API Gateway an HTTPRoute attaches to."""

    name: str
    """Name of the Gateway."""
    namespace: str
    """Namespace of the Gateway; its listeners must allow routes from the service's namespace."""
    section_name: str | None = None
    """Listener of the Gateway to attach to; None attaches to every listener that allows the route."""


@dataclass(frozen=True)
class KubernetesCanaryArgs:
    """Inputs of a service's weighted route on Kubernetes."""

    canary: CanaryArgs
    """Live color, canary weight and optional canary header."""
    namespace: pulumi.Input[str]
    """Namespace of the route (the service's namespace)."""
    app: str
    """Kubernetes name of the service; the route objects are named after it."""
    backends: Mapping[Color, pulumi.Input[str]]
    """Service name per color (BlueGreenTargets.service_names())."""
    port: int
    """Service port of the color Services."""
    router: TrafficRouter = "gatewayApi"
    """Which router applies the weights."""
    gateway: GatewayParent | None = None
    """Gateway the HTTPRoute attaches to; required for `gatewayApi`."""
    hostnames: tuple[str, ...] = ()
    """Hostnames the route serves; empty matches every host the Gateway/controller accepts."""
    test_hostnames: tuple[str, ...] = ()
    """Public hostnames of the test route, which always reaches the idle color; empty: no public test route
    (without a hostname it would claim every host, like the production route)."""
    ingress_class_name: str = "nginx"
    """IngressClass of the `ingressNginx` router."""
    test_access_cidrs: tuple[str, ...] = ()
    """Client ranges allowed on the test route (`ingressNginx` only); empty: no source restriction."""
    tls_secret_name: str | None = None
    """TLS secret for the Ingress hosts, test hosts included (`ingressNginx`); Gateway API terminates TLS on the
    Gateway listener."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels for every child."""


class CanaryRoute(pulumi.ComponentResource):
    """A weighted split of one service's traffic between its live and idle colors."""

    http_route: k8s.apiextensions.CustomResource | None
    """The HTTPRoute (gatewayApi router), else None."""
    primary_ingress: k8s.networking.v1.Ingress | None
    """Ingress to the live color (ingressNginx router), else None."""
    canary_ingress: k8s.networking.v1.Ingress | None
    """Ingress with the canary annotations to the idle color (ingressNginx router), else None."""
    test_http_route: k8s.apiextensions.CustomResource | None
    """HTTPRoute of the test hostnames to the idle color (gatewayApi router with test hostnames), else None."""
    test_ingress: k8s.networking.v1.Ingress | None
    """Ingress of the test hostnames to the idle color (ingressNginx router with test hostnames), else None."""
    route_name: pulumi.Output[str]
    """Name of the production route object (the HTTPRoute, or the primary Ingress)."""
    test_route_name: pulumi.Output[str] | None
    """Name of the public test route object (HTTPRoute or Ingress); None without test hostnames."""

    def __init__(self, name: str, args: KubernetesCanaryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rollway:kubernetes:CanaryRoute", name, None, opts)
        missing = [color for color in COLORS if color not in args.backends]
        if missing:
            raise ValueError(f"CanaryRoute {name}: no backend Service for color(s) {', '.join(missing)}")
        shared = sorted(set(args.hostnames) & set(args.test_hostnames))
        if shared:
            # One host cannot be both routes: the smoke tests would hit production, or production the idle color.
            raise ValueError(f"CanaryRoute {name}: {', '.join(shared)} cannot be both a production and a test hostname")
        if args.router == "gatewayApi" and args.test_access_cidrs:
            # Accepting ranges that nothing enforces would leave the idle color public while looking restricted.
            raise ValueError(
                f"CanaryRoute {name}: the gatewayApi router cannot restrict the test route to test_access_cidrs "
                "(Gateway API has no standard source filter)"
            )
        self._labels = with_labels(args.labels, app_selector(args.app))
        self.http_route = self.test_http_route = None
        self.primary_ingress = self.canary_ingress = self.test_ingress = None
        test_route_name: pulumi.Output[str] | None = None
        idle = args.canary.idle_color
        if args.router == "gatewayApi":
            if args.gateway is None:
                raise ValueError(f"CanaryRoute {name}: the gatewayApi router needs a Gateway to attach to")
            self.http_route = self._http_route(name, args, args.gateway)
            # CustomResource declares no typed outputs; the name is ours, resolved once the route is registered.
            route_name: pulumi.Output[str] = self.http_route.urn.apply(lambda _: args.app)
            if args.test_hostnames:
                self.test_http_route = self._test_http_route(name, args, args.gateway)
                test_route_name = self.test_http_route.urn.apply(lambda _: f"{args.app}-test")
        else:
            sticky = self._sticky_annotations(args)
            self.primary_ingress = self._ingress(
                f"{name}-primary", args, args.app, args.canary.live_color, args.hostnames, sticky
            )
            self.canary_ingress = self._ingress(
                f"{name}-canary",
                args,
                f"{args.app}-canary",
                idle,
                args.hostnames,
                # The canary may point at an idle color with no pods yet (weight 0); nothing to wait for.
                {**self._canary_annotations(args.canary), **sticky, SKIP_AWAIT: "true"},
            )
            route_name = self.primary_ingress.metadata.name
            if args.test_hostnames:
                # Not a canary Ingress: its hosts are its own, so it is the plain (only) route for them. One
                # backend, so no stickiness; the idle color may have no pods, so nothing to wait for.
                test_annotations = {SKIP_AWAIT: "true"}
                if args.test_access_cidrs:
                    test_annotations[f"{NGINX}/whitelist-source-range"] = ",".join(args.test_access_cidrs)
                self.test_ingress = self._ingress(
                    f"{name}-test", args, f"{args.app}-test", idle, args.test_hostnames, test_annotations
                )
                test_route_name = self.test_ingress.metadata.name
        self.route_name = route_name
        self.test_route_name = test_route_name
        self.register_outputs(
            {
                "routeName": route_name,
                "testRouteName": test_route_name,
                "testHostnames": list(args.test_hostnames),
                "router": args.router,
            }
        )

    @staticmethod
    def _parent_ref(gateway: GatewayParent) -> dict[str, Any]:
        parent: dict[str, Any] = {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": gateway.name,
            "namespace": gateway.namespace,
        }
        if gateway.section_name:
            parent["sectionName"] = gateway.section_name
        return parent

    def _http_route(self, name: str, args: KubernetesCanaryArgs, gateway: GatewayParent) -> k8s.apiextensions.CustomResource:
        canary = args.canary
        weights = canary.split(WEIGHT_TOTAL)
        everything = [{"path": {"type": "PathPrefix", "value": "/"}}]
        rules: list[dict[str, Any]] = []
        if canary.header_name and canary.header_value:
            # A rule with a header match outranks the plain rule (Gateway API precedence), whatever its position.
            rules.append(
                {
                    "matches": [
                        {
                            "path": {"type": "PathPrefix", "value": "/"},
                            "headers": [{"type": "Exact", "name": canary.header_name, "value": canary.header_value}],
                        }
                    ],
                    "backendRefs": [self._backend_ref(args, canary.idle_color, None)],
                }
            )
        rules.append(
            {
                "matches": everything,
                # Weight 0 is valid and sends nothing; both backends stay listed so a step only edits numbers.
                "backendRefs": [self._backend_ref(args, color, weights[color]) for color in COLORS],
            }
        )
        spec: dict[str, Any] = {"parentRefs": [self._parent_ref(gateway)], "rules": rules}
        if args.hostnames:
            spec["hostnames"] = list(args.hostnames)
        # CustomResource inputs go to the engine untranslated, so keys here are the CRD's own camelCase.
        return k8s.apiextensions.CustomResource(
            f"{name}-route",
            api_version=GATEWAY_API_VERSION,
            kind="HTTPRoute",
            metadata={"name": args.app, "namespace": args.namespace, "labels": self._labels},
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _test_http_route(self, name: str, args: KubernetesCanaryArgs, gateway: GatewayParent) -> k8s.apiextensions.CustomResource:
        spec: dict[str, Any] = {
            "parentRefs": [self._parent_ref(gateway)],
            "hostnames": list(args.test_hostnames),
            # A single backend without a weight receives every request.
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [self._backend_ref(args, args.canary.idle_color, None)],
                }
            ],
        }
        return k8s.apiextensions.CustomResource(
            f"{name}-test-route",
            api_version=GATEWAY_API_VERSION,
            kind="HTTPRoute",
            metadata={"name": f"{args.app}-test", "namespace": args.namespace, "labels": self._labels},
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self),
        )

    @staticmethod
    def _backend_ref(args: KubernetesCanaryArgs, color: Color, weight: int | None) -> dict[str, Any]:
        ref: dict[str, Any] = {"group": "", "kind": "Service", "name": args.backends[color], "port": args.port}
        if weight is not None:
            ref["weight"] = weight
        return ref

    @staticmethod
    def _canary_annotations(canary: CanaryArgs) -> dict[str, str]:
        annotations = {
            f"{NGINX}/canary": "true",
            f"{NGINX}/canary-weight": str(canary.split(WEIGHT_TOTAL)[canary.idle_color]),
            f"{NGINX}/canary-weight-total": str(WEIGHT_TOTAL),
        }
        if canary.header_name and canary.header_value:
            annotations[f"{NGINX}/canary-by-header"] = canary.header_name
            annotations[f"{NGINX}/canary-by-header-value"] = canary.header_value
        return annotations

    @staticmethod
    def _sticky_annotations(args: KubernetesCanaryArgs) -> dict[str, str]:
        if not args.canary.stickiness_seconds:
            return {}
        # Cookie affinity on both weighted Ingresses: ingress-nginx then keeps a client on the side (canary or
        # not) it first landed on, for at most the configured time.
        return {
            f"{NGINX}/affinity": "cookie",
            f"{NGINX}/session-cookie-name": f"rollway-{args.app}",
            f"{NGINX}/session-cookie-max-age": str(args.canary.stickiness_seconds),
        }

    def _ingress(
        self,
        resource_name: str,
        args: KubernetesCanaryArgs,
        ingress_name: str,
        color: Color,
        hosts: tuple[str, ...],
        annotations: Mapping[str, str],
    ) -> k8s.networking.v1.Ingress:
        backend: k8s.networking.v1.IngressBackendArgsDict = {
            "service": {"name": args.backends[color], "port": {"number": args.port}}
        }
        paths: list[k8s.networking.v1.HTTPIngressPathArgsDict] = [{"path": "/", "path_type": "Prefix", "backend": backend}]
        rules: list[k8s.networking.v1.IngressRuleArgsDict] = (
            [{"host": host, "http": {"paths": paths}} for host in hosts] if hosts else [{"http": {"paths": paths}}]
        )
        spec: k8s.networking.v1.IngressSpecArgsDict = {"ingress_class_name": args.ingress_class_name, "rules": rules}
        if args.tls_secret_name and hosts:
            spec["tls"] = [{"hosts": list(hosts), "secret_name": args.tls_secret_name}]
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {"name": ingress_name, "namespace": args.namespace, "labels": self._labels}
        if annotations:
            metadata["annotations"] = dict(annotations)
        return k8s.networking.v1.Ingress(resource_name, metadata=metadata, spec=spec, opts=pulumi.ResourceOptions(parent=self))


CanaryRouteArgs = KubernetesCanaryArgs
"""Deprecated name of `KubernetesCanaryArgs` (Args are `<Cloud><Family>Args` on every cloud), kept for one release."""
