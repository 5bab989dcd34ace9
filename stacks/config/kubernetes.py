"""Kubernetes settings: `rollway:kubernetes`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from stacks.config.base import Cidr, CloudSettings, ConfigModel
from stacks.config.problems import ConfigProblem

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class GatewayRef(ConfigModel):
    name: str = "rollway"
    """Name of the Gateway API Gateway the HTTPRoutes attach to."""
    namespace: str = "gateway-system"
    """Namespace of that Gateway (also the namespace ingress traffic comes from)."""


class KubernetesSettings(CloudSettings):
    namespace: str | None = None
    """Namespace for the workloads; default `rollway-<environment>`."""
    context: str | None = None
    """kubeconfig context to deploy to; default: the provider's current context."""
    traffic_router: Literal["gatewayApi", "ingressNginx"] = "gatewayApi"
    """How canary weights are applied: Gateway API HTTPRoute weights, or ingress-nginx canary annotations."""
    gateway: GatewayRef = Field(default_factory=GatewayRef)
    """The Gateway (gatewayApi router) HTTPRoutes attach to."""
    ingress_class_name: str = "nginx"
    """IngressClass for the ingressNginx router."""
    ingress_namespace: str = "ingress-nginx"
    """Namespace the ingress controller runs in (NetworkPolicies admit traffic from it)."""
    hostname: str | None = None
    """Public hostname routed to the services; each service is served at `<service>.<hostname>`."""
    tls_secret_name: str | None = None
    """TLS certificate secret for HTTPS on the Gateway listener / Ingress."""
    pod_cidr: Cidr | None = None
    """The cluster's pod network, checked for overlaps with the other clouds' networks."""
    service_cidr: Cidr | None = None
    """The cluster's service network, checked for overlaps with the other clouds' networks."""

    def namespace_for(self, environment: str) -> str:
        return self.namespace or f"rollway-{environment}"

    def network_ranges(self) -> dict[str, str]:
        ranges: dict[str, str] = {}
        if self.pod_cidr:
            ranges["podCidr"] = self.pod_cidr
        if self.service_cidr:
            ranges["serviceCidr"] = self.service_cidr
        return ranges

    def problems(self, key_prefix: str, environment: str) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        for key, value in (
            ("namespace", self.namespace),
            ("gateway.namespace", self.gateway.namespace),
            ("ingressNamespace", self.ingress_namespace),
        ):
            if value is not None and not DNS_LABEL.match(value):
                problems.append(
                    ConfigProblem(
                        f"{key_prefix}.{key}",
                        "must be a DNS label: lowercase letters, digits and '-', at most 63 characters",
                        value,
                    )
                )
        if self.namespace == "default":
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.namespace", "must not be `default`; give the workloads their own namespace", self.namespace
                )
            )
        return problems
