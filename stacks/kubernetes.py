"""Kubernetes builder: one Environment (the namespace), then per service its blue/green slots, canary route
and autoscaling. Config in (already validated), components out."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.environment import EnvironmentArgs
from components.kubernetes import (
    Autoscaling,
    AutoscalingTargetsArgs,
    BlueGreenTargets,
    BlueGreenTargetsArgs,
    CanaryRoute,
    CanaryRouteArgs,
    Environment,
    EnvironmentTargetsArgs,
    GatewayParent,
    WorkloadFootprint,
)
from stacks.config import ConfigError, Service, StackConfig
from stacks.config.kubernetes import KubernetesSettings
from stacks.config.loader import stack_file_name
from stacks.contracts import autoscaling_args, blue_green_args, canary_args, resource_name

PREFIX = "rollway:kubernetes"


def settings_of(config: StackConfig) -> KubernetesSettings:
    settings = config.settings("kubernetes")
    if not isinstance(settings, KubernetesSettings):  # the model guarantees it; this tells the type checker
        raise TypeError(f"rollway:kubernetes settings have the wrong type {type(settings).__name__}")
    return settings


def check(config: StackConfig, settings: KubernetesSettings) -> None:
    """Kubernetes checks that relate settings to services (public hostnames); raises before anything Kubernetes
    is registered, so two routes never claim one hostname.

    The config loader reports them first (before any cloud registers anything); repeating them here keeps a
    builder called on its own (tests, tools) from registering routes that clash.
    """
    problems = settings.service_problems(PREFIX, config.services)
    if problems:
        error = ConfigError(stack_file_name(), problems)
        raise pulumi.RunError(f"invalid stack config:\n{error.render()}")


def footprint(name: str, service: Service) -> WorkloadFootprint:
    scaling = service.autoscaling
    return WorkloadFootprint(
        app=resource_name(name),
        port=service.port,
        cpu=service.cpu,
        memory=service.memory,
        # The config keeps every scheduled window within autoscaling.max; the quota still sizes for the highest
        # bound anywhere, so a window can never be refused pods by the quota.
        max_pods=max([scaling.max, *(window.max for window in scaling.schedules)]),
    )


def build(config: StackConfig) -> dict[str, Any]:
    """Register the Kubernetes side of the stack; returns its outputs (namespace, per service names)."""
    settings = settings_of(config)
    check(config, settings)
    namespace = settings.namespace_for(config.environment)
    labels = config.labels
    opts: pulumi.ResourceOptions | None = None
    if settings.context:
        # An explicit provider pins the kubeconfig context, so a `kubectl config use-context` elsewhere can
        # never point this stack at another cluster; its default namespace is ours, never `default`.
        provider = k8s.Provider("kubernetes", context=settings.context, namespace=namespace)
        opts = pulumi.ResourceOptions(providers=[provider])

    # Ingress traffic reaches the pods from wherever the router's data plane runs.
    ingress_namespace = settings.gateway.namespace if settings.traffic_router == "gatewayApi" else settings.ingress_namespace
    environment = Environment(
        namespace,
        EnvironmentTargetsArgs(
            environment=EnvironmentArgs(environment=config.environment, tags=labels),
            namespace=namespace,
            ingress_namespace=ingress_namespace,
            workloads=tuple(footprint(name, service) for name, service in config.services.items()),
        ),
        opts=opts,
    )
    namespace_name = environment.namespace.metadata.name

    services: dict[str, Any] = {}
    for name, service in config.services.items():
        app = resource_name(name)
        slots = BlueGreenTargets(
            app,
            BlueGreenTargetsArgs(
                slots=blue_green_args(config, service, tags=labels),
                namespace=namespace_name,
                app=app,
                # Every service is autoscaled (the config always has bounds), so the HPA owns replicas.
                replicas=None,
                run_as_user=settings.run_as_user,
            ),
            opts=opts,
        )
        hostnames = settings.service_hostnames(app)
        test_hostnames = settings.test_hostnames(app)
        route = CanaryRoute(
            app,
            CanaryRouteArgs(
                canary=canary_args(service),
                namespace=namespace_name,
                app=app,
                backends=slots.service_names(),
                port=service.port,
                router=settings.traffic_router,
                gateway=GatewayParent(name=settings.gateway.name, namespace=settings.gateway.namespace),
                hostnames=hostnames,
                test_hostnames=test_hostnames,
                ingress_class_name=settings.ingress_class_name,
                tls_secret_name=settings.tls_secret_name,
                labels=labels,
            ),
            opts=opts,
        )
        Autoscaling(
            app,
            AutoscalingTargetsArgs(
                scaling=autoscaling_args(service),
                namespace=namespace_name,
                app=app,
                deployments=slots.deployment_names(),
                labels=labels,
                run_as_user=settings.run_as_user,
            ),
            opts=opts,
        )
        services[name] = {
            "productionService": slots.production_service.metadata.name,
            "testService": slots.test_service.metadata.name,
            "route": route.route_name,
            "hostnames": list(hostnames),
            "testRoute": route.test_route_name,
            "testHostnames": list(test_hostnames),
        }

    return {"namespace": namespace_name, "router": settings.traffic_router, "services": services}
