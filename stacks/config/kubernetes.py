"""Kubernetes settings: `rollway:kubernetes`."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from rollway.helpers import dns_label
from stacks.config.base import Cidr, CloudSettings, ConfigModel, ServiceFields
from stacks.config.problems import ConfigProblem

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
HOST_NAME_MAX = 253
MAX_UID = 2147483647
"""Largest UID Kubernetes accepts in a securityContext (int32)."""
TEST_HOST_PREFIX = "test-"
"""A service's public test route is `test-<service>.<hostname>`: one label under the same parent as
`<service>.<hostname>`, so the wildcard certificate and Gateway listener (`*.<hostname>`) that serve the
production hostnames serve the test hostnames too."""
ENDPOINTS_HINT = "kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes"
"""Shows the API server's endpoint addresses, which egress rules must name (see apiServerCidrs)."""


class GatewayRef(ConfigModel):
    name: str = "rollway"
    """Name of the Gateway API Gateway the HTTPRoutes attach to."""
    namespace: str = "gateway-system"
    """Namespace of that Gateway."""
    data_plane_namespace: str | None = None
    """Namespace the Gateway's proxy pods run in, which the NetworkPolicies admit; default: `namespace`. Envoy
    Gateway runs them in its own namespace (`envoy-gateway-system`); see components/kubernetes/environment.py
    for other implementations."""
    cilium_ingress: bool = False
    """The Gateway is Cilium's: its Envoy reaches the pods as Cilium's reserved `ingress` identity, which a
    Kubernetes NetworkPolicy cannot name, so a CiliumNetworkPolicy per service admits it."""


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
    ingress_from_cidrs: list[Cidr] = Field(default_factory=list)
    """Address ranges the router's traffic reaches the pods from, besides its namespace: load balancer proxies
    that send straight to pods (GKE Gateway: 35.191.0.0/16 and 130.211.0.0/22, or the proxy-only subnet), or
    the node ranges of a host-network controller."""
    test_access_cidrs: list[Cidr] = Field(default_factory=list)
    """Client ranges that may use the public test routes (ingressNginx only: its whitelist-source-range), e.g. a
    VPN range. Setting them turns the public test routes on."""
    public_test_route: bool | None = None
    """Serve the idle color at `test-<service>.<hostname>`. Default: only when testAccessCidrs restrict it.
    Gateway API has no standard source filter for a route, so with gatewayApi the public test route is off
    unless this is `true`, which accepts that anyone reaching the Gateway reaches the idle color (restrict the
    Gateway's listener yourself). The in-cluster `<service>-test` Service is always there."""
    monitoring_namespace: str | None = None
    """Namespace of the Prometheus that scrapes the services; its pods may reach every service's pods on
    metricsPort. The HPA's requests-per-target (Pods) metric is computed from that scrape, so it needs this."""
    metrics_port: int | None = None
    """Port the monitoring namespace scrapes (one for every service); default: each service's own port."""
    api_server_cidrs: list[Cidr] = Field(default_factory=list)
    """The API server's endpoint addresses (`kubectl get endpointslices -n default -l
    kubernetes.io/service-name=kubernetes`); scheduled windows' jobs may connect only there (443/6443).
    Required when a service has scheduled windows."""
    hostname: str | None = None
    """Public hostname routed to the services; each service is served at `<service>.<hostname>`, and, when there
    is a public test route (testAccessCidrs or publicTestRoute), its idle color at `test-<service>.<hostname>`.
    Without it the routes match every host and there is no public test route (the in-cluster `<service>-test`
    Service still reaches the idle color)."""
    tls_secret_name: str | None = None
    """TLS certificate secret for HTTPS on the Ingresses (ingressNginx); it must cover `*.<hostname>`, which
    takes in the test hostnames too. With gatewayApi, TLS is the Gateway listener's."""
    run_as_user: int | None = None
    """UID (and GID) the service containers and the scaling schedule jobs run as, 1..2147483647. Unset: the
    services run as 10001 and the schedule jobs as 65532, whatever the images' USER."""
    pod_cidr: Cidr | None = None
    """The cluster's pod network, checked for overlaps with the other clouds' networks."""
    service_cidr: Cidr | None = None
    """The cluster's service network, checked for overlaps with the other clouds' networks. Its first address
    (the `kubernetes` Service) is added to the schedule jobs' egress, next to apiServerCidrs."""

    def namespace_for(self, environment: str) -> str:
        return self.namespace or f"rollway-{environment}"

    def data_plane_namespace(self) -> str:
        """Namespace the router's traffic reaches the pods from."""
        if self.traffic_router == "gatewayApi":
            return self.gateway.data_plane_namespace or self.gateway.namespace
        return self.ingress_namespace

    def has_public_test_route(self) -> bool:
        """Whether the idle colors get public test routes: with a hostname, when asked or when restricted."""
        if not self.hostname:
            return False
        if self.public_test_route is not None:
            return self.public_test_route
        return bool(self.test_access_cidrs)

    def api_server_destinations(self) -> tuple[str, ...]:
        """Where the schedule jobs may connect: the API server's endpoints, and the `kubernetes` Service's
        ClusterIP (the first address of the service network) for network plugins that check before translating."""
        destinations = list(self.api_server_cidrs)
        if self.service_cidr:
            destinations.append(f"{ipaddress.IPv4Network(self.service_cidr)[1]}/32")
        return tuple(destinations)

    def service_hostnames(self, app: str) -> tuple[str, ...]:
        """Public hostnames of a service's production route (`app` is its Kubernetes name); empty without a hostname."""
        return (f"{app}.{self.hostname}",) if self.hostname else ()

    def test_hostnames(self, app: str) -> tuple[str, ...]:
        """Public hostnames of a service's test route, which always reaches the idle color; empty without one."""
        return (f"{TEST_HOST_PREFIX}{app}.{self.hostname}",) if self.has_public_test_route() else ()

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
            ("gateway.dataPlaneNamespace", self.gateway.data_plane_namespace),
            ("ingressNamespace", self.ingress_namespace),
            ("monitoringNamespace", self.monitoring_namespace),
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
        problems += self._network_problems(key_prefix)
        problems += self._test_route_problems(key_prefix)
        return problems

    def _network_problems(self, key_prefix: str) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        for key, cidrs, message in (
            (
                "ingressFromCidrs",
                self.ingress_from_cidrs,
                "would admit every address, every pod in the cluster included; list the ranges the router's traffic comes from",
            ),
            (
                "apiServerCidrs",
                self.api_server_cidrs,
                f"would let the schedule jobs connect anywhere; list the API server's endpoint addresses ({ENDPOINTS_HINT})",
            ),
        ):
            for index, cidr in enumerate(cidrs):
                if ipaddress.ip_network(cidr).prefixlen == 0:
                    problems.append(ConfigProblem(f"{key_prefix}.{key}[{index}]", message, cidr))
        if self.metrics_port is not None:
            if not 1 <= self.metrics_port <= 65535:
                problems.append(ConfigProblem(f"{key_prefix}.metricsPort", "must be between 1 and 65535", self.metrics_port))
            elif self.monitoring_namespace is None:
                problems.append(
                    ConfigProblem(
                        f"{key_prefix}.metricsPort",
                        "has no effect without monitoringNamespace (the namespace allowed to scrape it)",
                        self.metrics_port,
                    )
                )
        return problems

    def _test_route_problems(self, key_prefix: str) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        for index, cidr in enumerate(self.test_access_cidrs):
            if ipaddress.ip_network(cidr).prefixlen == 0:
                problems.append(
                    ConfigProblem(
                        f"{key_prefix}.testAccessCidrs[{index}]",
                        "must not admit the whole internet; the test route serves the idle color for smoke tests "
                        "(use a VPN or office range)",
                        cidr,
                    )
                )
        if self.test_access_cidrs and self.traffic_router == "gatewayApi":
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.testAccessCidrs",
                    "cannot be enforced with trafficRouter gatewayApi (Gateway API has no standard source filter for "
                    "a route); restrict the Gateway's listener yourself and set publicTestRoute: true, use "
                    "trafficRouter ingressNginx, or test through the in-cluster <service>-test Service",
                    self.test_access_cidrs,
                )
            )
        if self.test_access_cidrs and not self.hostname:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.testAccessCidrs",
                    "needs hostname: the public test routes are served at test-<service>.<hostname>",
                    self.test_access_cidrs,
                )
            )
        if self.public_test_route and not self.hostname:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.publicTestRoute",
                    "needs hostname: the public test routes are served at test-<service>.<hostname>",
                    self.public_test_route,
                )
            )
        if self.public_test_route is False and self.test_access_cidrs:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.publicTestRoute",
                    "is false, so testAccessCidrs has nothing to restrict; remove one of them",
                    self.public_test_route,
                )
            )
        return problems

    def service_problems(self, key_prefix: str, services: Mapping[str, ServiceFields]) -> list[ConfigProblem]:
        """Checks relating the Kubernetes settings to the services: scheduled windows need distinct Kubernetes
        names and the API server's address; every public hostname must be valid and belong to one route only."""
        problems = self._schedule_problems(key_prefix, services)
        if not self.has_public_test_route() or not DNS_NAME.match(self.hostname or ""):
            return problems  # no public test hostnames, or `problems` already reports the hostname
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

    def _schedule_problems(self, key_prefix: str, services: Mapping[str, ServiceFields]) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        for name, service in services.items():
            first_by_label: dict[str, str] = {}
            for index, window in enumerate(service.autoscaling.schedules):
                label = dns_label(window.name)
                first = first_by_label.setdefault(label, window.name)
                if first != window.name:  # identical names are the model's to report
                    problems.append(
                        ConfigProblem(
                            f"rollway:services.{name}.autoscaling.schedules[{index}].name",
                            f"names the same Kubernetes CronJobs as window `{first}` ({label}); window names must "
                            "differ in more than case and punctuation",
                            window.name,
                        )
                    )
        scheduled = sorted(
            name for name, service in services.items() if service.autoscaling.schedules or service.autoscaling.scale_in_protection
        )
        if scheduled and not self.api_server_cidrs:
            problems.append(
                ConfigProblem(
                    f"{key_prefix}.apiServerCidrs",
                    f"is required: {', '.join(f'`{name}`' for name in scheduled)} "
                    f"{'has' if len(scheduled) == 1 else 'have'} scheduled or scale-in protection windows, whose jobs may connect only to the "
                    f"API server; list its endpoint addresses ({ENDPOINTS_HINT})",
                )
            )
        return problems
