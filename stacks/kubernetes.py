"""Kubernetes builder: one Environment (the namespace), then per service its blue/green slots, canary route
and autoscaling. Config in, components out: the config loader has already run KubernetesSettings' checks
(`problems`, `service_problems`) before anything is registered, so `build` does not repeat them."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.environment import EnvironmentArgs
from components.kubernetes import (
    Autoscaling,
    BlueGreenTargets,
    CanaryRoute,
    Environment,
    GatewayParent,
    KubernetesAutoscalingArgs,
    KubernetesBlueGreenArgs,
    KubernetesCanaryArgs,
    KubernetesEnvironmentArgs,
    WorkloadFootprint,
)
from components.kubernetes.autoscaling import scaling_loop
from stacks.capacity import scaling_outputs
from stacks.config import Service, StackConfig
from stacks.contracts import autoscaling_args, blue_green_args, canary_args, resource_name

PREFIX = "rollway:kubernetes"


def footprint(name: str, service: Service, metrics_port: int | None) -> WorkloadFootprint:
    scaling = service.autoscaling
    memory = service.memory
    vertical = scaling.vertical
    if vertical is not None and vertical.mode != "recommend" and vertical.max_memory is not None:
        # A VPA that acts may raise memory up to its ceiling; the quota and limit range must leave room for it.
        memory = max(memory, vertical.max_memory)
    return WorkloadFootprint(
        app=resource_name(name),
        port=service.port,
        cpu=service.cpu,
        memory=memory,
        # The config keeps every scheduled window within autoscaling.max; the quota still sizes for the highest
        # bound anywhere, so a window can never be refused pods by the quota.
        max_pods=max([scaling.max, *(window.max for window in scaling.schedules)]),
        metrics_port=metrics_port,
    )


def build(config: StackConfig) -> dict[str, Any]:
    """Register the Kubernetes side of the stack; returns its outputs (namespace, per service names)."""
    settings = config.settings("kubernetes")
    namespace = settings.namespace_for(config.environment)
    labels = config.labels
    opts: pulumi.ResourceOptions | None = None
    if settings.context:
        # An explicit provider pins the kubeconfig context, so a `kubectl config use-context` elsewhere can
        # never point this stack at another cluster; its default namespace is ours, never `default`.
        provider = k8s.Provider("kubernetes", context=settings.context, namespace=namespace)
        opts = pulumi.ResourceOptions(providers=[provider])

    environment = Environment(
        namespace,
        KubernetesEnvironmentArgs(
            environment=EnvironmentArgs(environment=config.environment, tags=labels),
            namespace=namespace,
            # Ingress traffic reaches the pods from wherever the router's data plane runs.
            ingress_namespace=settings.data_plane_namespace(),
            ingress_from_cidrs=tuple(settings.ingress_from_cidrs),
            cilium_ingress=settings.traffic_router == "gatewayApi" and settings.gateway.cilium_ingress,
            monitoring_namespace=settings.monitoring_namespace,
            workloads=tuple(footprint(name, service, settings.metrics_port) for name, service in config.services.items()),
        ),
        opts=opts,
    )
    namespace_name = environment.namespace.metadata.name

    services: dict[str, Any] = {}
    for name, service in config.services.items():
        app = resource_name(name)
        slots = BlueGreenTargets(
            app,
            KubernetesBlueGreenArgs(
                blue_green=blue_green_args(config, service, tags=labels),
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
            KubernetesCanaryArgs(
                canary=canary_args(service),
                namespace=namespace_name,
                app=app,
                backends=slots.service_names(),
                port=service.port,
                router=settings.traffic_router,
                gateway=GatewayParent(name=settings.gateway.name, namespace=settings.gateway.namespace),
                hostnames=hostnames,
                test_hostnames=test_hostnames,
                test_access_cidrs=tuple(settings.test_access_cidrs) if settings.traffic_router == "ingressNginx" else (),
                ingress_class_name=settings.ingress_class_name,
                tls_secret_name=settings.tls_secret_name,
                labels=labels,
            ),
            opts=opts,
        )
        scaling = autoscaling_args(service, "kubernetes")
        Autoscaling(
            app,
            KubernetesAutoscalingArgs(
                autoscaling=scaling,
                namespace=namespace_name,
                app=app,
                deployments=slots.deployment_names(),
                api_server_cidrs=settings.api_server_destinations(),
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
            **scaling_outputs(config, "kubernetes", name, service, scaling_loop(scaling)),
        }

    return {"namespace": namespace_name, "router": settings.traffic_router, "services": services}
