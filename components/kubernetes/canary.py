"""Canary weighted route on Kubernetes, with one of two routers:

- `gatewayApi`: one Gateway API HTTPRoute whose backendRefs carry both colors' weights, plus a rule that pins
  requests carrying the canary header to the idle color;
- `ingressNginx`: a primary Ingress to the live color and a canary Ingress (ingress-nginx canary annotations:
  weight and header) to the idle color.

Every weight lives in exactly one object (the HTTPRoute, or the canary Ingress), so a canary step updates one
resource. Backends are listed blue then green whatever is live, so a switch changes weights, not structure.
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
class CanaryRouteArgs:
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
    ingress_class_name: str = "nginx"
    """IngressClass of the `ingressNginx` router."""
    tls_secret_name: str | None = None
    """TLS secret for the Ingress hosts (`ingressNginx`); Gateway API terminates TLS on the Gateway listener."""
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

    def __init__(self, name: str, args: CanaryRouteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rollway:kubernetes:CanaryRoute", name, None, opts)
        missing = [color for color in COLORS if color not in args.backends]
        if missing:
            raise ValueError(f"CanaryRoute {name}: no backend Service for color(s) {', '.join(missing)}")
        self._labels = with_labels(args.labels, app_selector(args.app))
        self.http_route = None
        self.primary_ingress = None
        self.canary_ingress = None
        if args.router == "gatewayApi":
            if args.gateway is None:
                raise ValueError(f"CanaryRoute {name}: the gatewayApi router needs a Gateway to attach to")
            self.http_route = self._http_route(name, args, args.gateway)
            # CustomResource declares no typed outputs; the name is ours, resolved once the route is registered.
            route_name: pulumi.Output[str] = self.http_route.urn.apply(lambda _: args.app)
        else:
            self.primary_ingress = self._ingress(f"{name}-primary", args, args.app, args.canary.live_color, {})
            self.canary_ingress = self._ingress(
                f"{name}-canary",
                args,
                f"{args.app}-canary",
                args.canary.idle_color,
                # The canary may point at an idle color with no pods yet (weight 0); nothing to wait for.
                {**self._canary_annotations(args.canary), SKIP_AWAIT: "true"},
            )
            route_name = self.primary_ingress.metadata.name
        self.route_name = route_name
        self.register_outputs({"routeName": route_name, "router": args.router})

    def _http_route(self, name: str, args: CanaryRouteArgs, gateway: GatewayParent) -> k8s.apiextensions.CustomResource:
        canary = args.canary
        weights = canary.split(WEIGHT_TOTAL)
        parent: dict[str, Any] = {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": gateway.name,
            "namespace": gateway.namespace,
        }
        if gateway.section_name:
            parent["sectionName"] = gateway.section_name
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
        spec: dict[str, Any] = {"parentRefs": [parent], "rules": rules}
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

    @staticmethod
    def _backend_ref(args: CanaryRouteArgs, color: Color, weight: int | None) -> dict[str, Any]:
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

    def _ingress(
        self, resource_name: str, args: CanaryRouteArgs, ingress_name: str, color: Color, annotations: Mapping[str, str]
    ) -> k8s.networking.v1.Ingress:
        all_annotations = dict(annotations)
        if args.canary.stickiness_seconds:
            # Cookie affinity on both Ingresses: ingress-nginx then keeps a client on the side (canary or not)
            # it first landed on, for at most the configured time.
            all_annotations.update(
                {
                    f"{NGINX}/affinity": "cookie",
                    f"{NGINX}/session-cookie-name": f"rollway-{args.app}",
                    f"{NGINX}/session-cookie-max-age": str(args.canary.stickiness_seconds),
                }
            )
        backend: k8s.networking.v1.IngressBackendArgsDict = {
            "service": {"name": args.backends[color], "port": {"number": args.port}}
        }
        paths: list[k8s.networking.v1.HTTPIngressPathArgsDict] = [{"path": "/", "path_type": "Prefix", "backend": backend}]
        rules: list[k8s.networking.v1.IngressRuleArgsDict] = (
            [{"host": host, "http": {"paths": paths}} for host in args.hostnames]
            if args.hostnames
            else [{"http": {"paths": paths}}]
        )
        spec: k8s.networking.v1.IngressSpecArgsDict = {"ingress_class_name": args.ingress_class_name, "rules": rules}
        if args.tls_secret_name and args.hostnames:
            spec["tls"] = [{"hosts": list(args.hostnames), "secret_name": args.tls_secret_name}]
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {"name": ingress_name, "namespace": args.namespace, "labels": self._labels}
        if all_annotations:
            metadata["annotations"] = all_annotations
        return k8s.networking.v1.Ingress(resource_name, metadata=metadata, spec=spec, opts=pulumi.ResourceOptions(parent=self))
