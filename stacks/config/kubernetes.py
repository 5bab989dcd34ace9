"""Kubernetes settings: `rollway:kubernetes`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from stacks.config.base import Cidr, CloudSettings, ConfigModel
from stacks.config.problems import ConfigProblem

if TYPE_CHECKING:
    from stacks.config.model import Service

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
HOST_NAME_MAX = 253
MAX_UID = 2147483647
"""Largest UID Kubernetes accepts in a securityContext (int32)."""
TEST_HOST_PREFIX = "test-"
"""A service's public test route is `test-<service>.<hostname>`: one label under the same parent as
`<service>.<hostname>`, so the wildcard certificate and Gateway listener (`*.<hostname>`) that serve the
production hostnames serve the test hostnames too."""


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
    """Public hostname routed to the services; each service is served at `<service>.<hostname>`, and its idle
    color at `test-<service>.<hostname>` (smoke tests before a switch). Without it the routes match every host
    and there is no public test route (the in-cluster `<service>-test` Service still reaches the idle color)."""
    tls_secret_name: str | None = None
    """TLS certificate secret for HTTPS on the Ingresses (ingressNginx); it must cover `*.<hostname>`, which
    takes in the test hostnames too. With gatewayApi, TLS is the Gateway listener's."""
    run_as_user: int | None = None
    """UID (and GID) the service containers and the scaling schedule jobs run as, 1..2147483647. Set it for images
    whose USER is a name (`USER app`): the kubelet cannot prove a name is not root, so `runAsNonRoot` refuses
    to start them. Unset: the image's own USER, which must then be numeric and non-zero."""
    pod_cidr: Cidr | None = None
    """The cluster's pod network, checked for overlaps with the other clouds' networks."""
    service_cidr: Cidr | None = None
    """The cluster's service network, checked for overlaps with the other clouds' networks."""

    def namespace_for(self, environment: str) -> str:
        return self.namespace or f"rollway-{environment}"

    def service_hostnames(self, app: str) -> tuple[str, ...]:
        """Public hostnames of a service's production route (`app` is its Kubernetes name); empty without a hostname."""
        return (f"{app}.{self.hostname}",) if self.hostname else ()

    def test_hostnames(self, app: str) -> tuple[str, ...]:
        """Public hostnames of a service's test route, which always reaches the idle color."""
        return (f"{TEST_HOST_PREFIX}{app}.{self.hostname}",) if self.hostname else ()

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
        if self.hostname is not None and not (DNS_NAME.match(self.hostname) and len(self.hostname) <= HOST_NAME_MAX):
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.hostname",
                    "must be a lowercase DNS name such as dev.example.com (labels of letters, digits and '-' "
                    "joined by '.', no wildcard, no trailing dot); services are served at <service>.<hostname>",
                    self.hostname,
                )
            )
        if self.run_as_user is not None and not 1 <= self.run_as_user <= MAX_UID:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.runAsUser",
                    f"must be a non-root uid between 1 and {MAX_UID} (0 is root, which runAsNonRoot refuses); "
                    "leave it unset to use the image's own numeric USER",
                    self.run_as_user,
                )
            )
        return problems

    def service_problems(self, key_prefix: str, services: Mapping[str, Service]) -> list[ConfigProblem]:
        """Checks relating the Kubernetes settings to the services: every public hostname must be a valid host
        name and belong to one route only."""
        if not self.hostname or not DNS_NAME.match(self.hostname):
            return []  # no public hostnames, or `problems` already reports the hostname
        problems: list[ConfigProblem] = []
        # Service names are DNS labels that differ by more than case (the model checks both), so the
        # lowercase name is the Kubernetes name the builder uses.
        apps = {name: name.lower() for name in services}
        longest = max(apps.values(), key=len, default="")
        if longest and len(self.test_hostnames(longest)[0]) > HOST_NAME_MAX:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.hostname",
                    f"is too long: service `{longest}`'s test hostname {TEST_HOST_PREFIX}{longest}.<hostname> would exceed "
                    f"{HOST_NAME_MAX} characters; use a shorter hostname",
                    self.hostname,
                )
            )
        test_host_owner = {self.test_hostnames(app)[0]: name for name, app in apps.items()}
        for name, app in apps.items():
            owner = test_host_owner.get(self.service_hostnames(app)[0])
            if owner is not None:
                problems.append(
                    ConfigProblem(
                        "rollway:services",
                        f"service `{name}` would be served at {self.service_hostnames(app)[0]}, which is service "
                        f"`{owner}`'s public test hostname on Kubernetes (test-<service>.<hostname>); rename one of them",
                        name,
                    )
                )
        return problems
