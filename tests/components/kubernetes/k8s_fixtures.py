"""Builders of Kubernetes component Args for the tests in this folder (one synth per distinct input, cached)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import pulumi

from components.autoscaling import AutoscalingArgs, ScaleInProtection, ScheduledCapacity, VerticalScaling
from components.blue_green import BlueGreenArgs, Color, Workload
from components.canary import CanaryArgs
from components.kubernetes import (
    Autoscaling,
    BlueGreenTargets,
    CanaryRoute,
    GatewayParent,
    KubernetesAutoscalingArgs,
    KubernetesBlueGreenArgs,
    KubernetesCanaryArgs,
    TrafficRouter,
)
from rollway.testing import SynthesizedStack, synth

NAMESPACE = "rollway-test"
LABELS = {"cost-center": "platform", "owner": "platform-team", "environment": "dev", "managed-by": "rollway"}
PASSWORD = "correct-horse-battery-staple"

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
CRONJOB = "kubernetes:batch/v1:CronJob"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
API_SERVER = "172.16.0.32/28"


def bare_autoscaling(scaling: AutoscalingArgs) -> SynthesizedStack:
    """Synthesize Autoscaling with only the required inputs (one Deployment, no api_server_cidrs, no labels),
    for tests of what the component refuses."""
    return synth(
        lambda: Autoscaling(
            "web",
            KubernetesAutoscalingArgs(autoscaling=scaling, namespace=NAMESPACE, app="web", deployments={"blue": "web-blue"}),
        )
    )


def pod_spec(stack: SynthesizedStack, type_: str, name: str) -> dict[str, Any]:
    """The pod template spec of a Deployment, or of a CronJob's jobs."""
    spec = stack.get(type_, name).inputs["spec"]
    if type_ == CRONJOB:
        spec = spec["jobTemplate"]["spec"]
    return dict(spec["template"]["spec"])


@cache
def blue_green(
    live: Color = "blue",
    images: tuple[tuple[Color, str | None], ...] = (("blue", "ghcr.io/acme/web:1"), ("green", "ghcr.io/acme/web:2")),
    replicas: int | None = None,
    with_secret: bool = True,
    run_as_user: int | None = None,
) -> SynthesizedStack:
    def program() -> None:
        secrets: Mapping[str, pulumi.Output[str]] = {"DB_PASSWORD": pulumi.Output.secret(PASSWORD)} if with_secret else {}
        BlueGreenTargets(
            "web",
            KubernetesBlueGreenArgs(
                blue_green=BlueGreenArgs(
                    images=dict(images),
                    live_color=live,
                    workload=Workload(
                        port=8080,
                        health_check_path="/healthz",
                        cpu=0.5,
                        memory=1024,
                        environment={"LOG_LEVEL": "info"},
                        secrets=secrets,
                    ),
                    tags=LABELS,
                ),
                namespace=NAMESPACE,
                app="web",
                replicas=replicas,
                run_as_user=run_as_user,
            ),
        )

    return synth(program)


@cache
def canary(
    live: Color = "blue",
    weight: int = 10,
    router: TrafficRouter = "gatewayApi",
    header: bool = True,
    hostnames: tuple[str, ...] = ("web.dev.example.com",),
    stickiness_seconds: int | None = None,
    test_hostnames: tuple[str, ...] = ("test-web.dev.example.com",),
    test_access_cidrs: tuple[str, ...] = (),
) -> SynthesizedStack:
    def program() -> None:
        CanaryRoute(
            "web",
            KubernetesCanaryArgs(
                canary=CanaryArgs(
                    live_color=live,
                    canary_weight=weight,
                    header_name="x-canary" if header else None,
                    header_value="always" if header else None,
                    stickiness_seconds=stickiness_seconds,
                ),
                namespace=NAMESPACE,
                app="web",
                backends={"blue": "web-blue", "green": "web-green"},
                port=8080,
                router=router,
                gateway=GatewayParent(name="public", namespace="gateway-system"),
                hostnames=hostnames,
                test_hostnames=test_hostnames,
                test_access_cidrs=test_access_cidrs,
                tls_secret_name="web-tls",
                labels=LABELS,
            ),
        )

    return synth(program)


BUSINESS_HOURS = ScheduledCapacity(
    name="business-hours", schedule="0 7 * * 1-5", min_capacity=4, max_capacity=10, timezone="Europe/Berlin"
)
NIGHT = ScheduledCapacity(name="night", schedule="0 20 * * *", min_capacity=0, max_capacity=3)


@cache
def autoscaling(
    schedules: tuple[ScheduledCapacity, ...] = (BUSINESS_HOURS,),
    requests_per_target: int | None = 500,
    colors: tuple[Color, ...] = ("blue", "green"),
    run_as_user: int | None = None,
    app: str = "web",
    vertical: VerticalScaling | None = None,
    protection: tuple[ScaleInProtection, ...] = (),
) -> SynthesizedStack:
    def program() -> None:
        Autoscaling(
            "web",
            KubernetesAutoscalingArgs(
                autoscaling=AutoscalingArgs(
                    min_capacity=2,
                    max_capacity=8,
                    cpu_target=65,
                    requests_per_target=requests_per_target,
                    scale_in_cooldown_seconds=600,
                    scale_out_cooldown_seconds=30,
                    schedules=schedules,
                    vertical=vertical,
                    scale_in_protection=protection,
                ),
                namespace=NAMESPACE,
                app=app,
                deployments={color: f"{app}-{color}" for color in colors},
                api_server_cidrs=(API_SERVER,),
                labels=LABELS,
                run_as_user=run_as_user,
            ),
        )

    return synth(program)
