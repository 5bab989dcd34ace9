"""Builders of GCP component Args for the tests in this folder (one synth per distinct input, cached)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from functools import cache

import pulumi
import pulumi_gcp as gcp

from components.autoscaling import AutoscalingArgs, ScheduledCapacity
from components.blue_green import BlueGreenArgs, Color, Workload
from components.canary import CanaryArgs
from components.environment import EnvironmentArgs
from components.gcp import (
    Autoscaling,
    BlueGreenTargets,
    CanaryRoute,
    Environment,
    GcpAutoscalingArgs,
    GcpBlueGreenArgs,
    GcpCanaryArgs,
    GcpEnvironmentArgs,
    Placement,
)
from rollway.testing import RecordedResource, SynthesizedStack, synth

PROJECT = "rollway-test-4821"
REGION = "europe-west1"
CONFIG = {"gcp:project": PROJECT, "gcp:region": REGION}
LABELS = {"cost-center": "platform", "owner": "platform-team", "environment": "dev", "managed-by": "rollway"}
PASSWORD = "correct-horse-battery-staple"
NETWORK = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/global/networks/rollway-dev-network"
SUBNET = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/regions/{REGION}/subnetworks/rollway-dev-workloads"
RUNTIME_EMAIL = f"rollway-dev-run@{PROJECT}.iam.gserviceaccount.com"
BACKENDS: dict[Color, str] = {
    "blue": f"projects/{PROJECT}/global/backendServices/web-blue-1a2b3c4",
    "green": f"projects/{PROJECT}/global/backendServices/web-green-5d6e7f8",
}
PLACEMENT = Placement(
    project=PROJECT,
    region=REGION,
    network=NETWORK,
    subnetwork=SUBNET,
    workload_tag="rollway-dev-workload",
    service_account_email=RUNTIME_EMAIL,
)

URL_MAP = "gcp:compute/uRLMap:URLMap"
BACKEND_SERVICE = "gcp:compute/backendService:BackendService"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
NEG = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate"
GROUP = "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager"
HEALTH_CHECK = "gcp:compute/healthCheck:HealthCheck"
AUTOSCALER = "gcp:compute/regionAutoscaler:RegionAutoscaler"
FIREWALL = "gcp:compute/firewall:Firewall"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
FORWARDING_RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
SECURITY_POLICY = "gcp:compute/securityPolicy:SecurityPolicy"
RANDOM_ID = "random:index/randomId:RandomId"
POLICY_ID = f"projects/{PROJECT}/global/securityPolicies/rollway-dev-test-route-9a8b7c6"


def scaling(**overrides: object) -> AutoscalingArgs:
    values: dict[str, object] = {"min_capacity": 2, "max_capacity": 6, "cpu_target": 60, "requests_per_target": 600}
    values.update(overrides)
    return AutoscalingArgs(**values)  # type: ignore[arg-type]


def environment_args(**overrides: object) -> GcpEnvironmentArgs:
    values: dict[str, object] = {
        "environment": "dev",
        "tags": LABELS,
        "log_retention_days": 7,
        "project": PROJECT,
        "region": REGION,
        "subnet_cidr": "10.40.0.0/20",
        "workload_ports": (9000, 8080, 8080),
        "resource_prefix": "rollway-dev",
    }
    values.update(overrides)
    common = {key: values.pop(key) for key in ("environment", "tags", "log_retention_days") if key in values}
    return GcpEnvironmentArgs(environment=EnvironmentArgs(**common), **values)  # type: ignore[arg-type]


TRUSTED = ("198.51.100.0/24", "203.0.113.8/29")


@cache
def environment(
    proxy_only: bool = False, flow_logs: bool = False, trusted: tuple[str, ...] = TRUSTED, test_header: str = "x-rollway-test"
) -> SynthesizedStack:
    args = environment_args(
        proxy_only_cidr="10.40.16.0/23" if proxy_only else None,
        flow_logs=flow_logs,
        test_access_cidrs=trusted,
        test_header_name=test_header,
    )
    return synth(lambda: Environment("rollway-dev", args), config=CONFIG)


def blue_green_args(
    runtime: str,
    images: Mapping[Color, str | None],
    live: Color = "blue",
    with_secret: bool = False,
    cpu: float = 0.25,
    requests_per_target: int | None = 600,
) -> GcpBlueGreenArgs:
    secrets = {"DB_PASSWORD": pulumi.Output.secret(PASSWORD)} if with_secret else {}
    return GcpBlueGreenArgs(
        blue_green=BlueGreenArgs(
            images=dict(images),
            live_color=live,
            workload=Workload(
                port=8080, health_check_path="/healthz", cpu=cpu, memory=512, environment={"LOG_LEVEL": "info"}, secrets=secrets
            ),
            tags=LABELS,
        ),
        placement=PLACEMENT,
        autoscaling=scaling(requests_per_target=requests_per_target),
        resource_prefix="rollway-dev",
        runtime=runtime,
        concurrency=40,
        security_policy=POLICY_ID,
    )


BOTH: dict[Color, str | None] = {"blue": "ghcr.io/rollway/web:1.4.0", "green": "ghcr.io/rollway/web:1.5.0"}
BLUE_ONLY: dict[Color, str | None] = {"blue": "ghcr.io/rollway/web:1.4.0", "green": None}


@cache
def cloud_run(blue_only: bool = False, with_secret: bool = False) -> SynthesizedStack:
    images = BLUE_ONLY if blue_only else BOTH
    # Args are built inside the program: secret Outputs belong to the program's event loop.
    return synth(lambda: BlueGreenTargets("web", blue_green_args("cloudRun", images, with_secret=with_secret)), config=CONFIG)


@cache
def instance_groups(
    blue_only: bool = False, with_secret: bool = False, requests_per_target: int | None = 600
) -> SynthesizedStack:
    images = BLUE_ONLY if blue_only else BOTH
    return synth(
        lambda: BlueGreenTargets(
            "web", blue_green_args("instanceGroup", images, with_secret=with_secret, requests_per_target=requests_per_target)
        ),
        config=CONFIG,
    )


def canary_args(
    weight: int = 10,
    live: Color = "blue",
    header: bool = True,
    stickiness: int | None = None,
    hostname: str | None = "web.dev.rollway.example.com",
) -> GcpCanaryArgs:
    return GcpCanaryArgs(
        canary=CanaryArgs(
            live_color=live,
            canary_weight=weight,
            header_name="x-rollway-canary" if header else None,
            header_value="always" if header else None,
            stickiness_seconds=stickiness,
        ),
        backend_services=BACKENDS,
        project=PROJECT,
        hostname=hostname,
        labels={**LABELS, "rollway-service": "web"},
    )


@cache
def canary(
    weight: int = 10,
    live: Color = "blue",
    header: bool = True,
    stickiness: int | None = None,
    hostname: str | None = "web.dev.rollway.example.com",
) -> SynthesizedStack:
    args = canary_args(weight, live, header, stickiness, hostname)
    return synth(lambda: CanaryRoute("web", args), config=CONFIG)


def autoscaling_args(**overrides: object) -> GcpAutoscalingArgs:
    return GcpAutoscalingArgs(
        autoscaling=scaling(**overrides),
        project=PROJECT,
        region=REGION,
        instance_group_managers={
            "blue": f"projects/{PROJECT}/regions/{REGION}/instanceGroupManagers/web-blue-1a2b3c4",
            "green": f"projects/{PROJECT}/regions/{REGION}/instanceGroupManagers/web-green-5d6e7f8",
        },
        warmup_seconds=120,
    )


WINDOWS = (
    ScheduledCapacity(name="business-hours", schedule="0 7 * * 1-5", min_capacity=3, max_capacity=6),
    ScheduledCapacity(name="night", schedule="0 20 * * *", min_capacity=2, max_capacity=4),
)


@cache
def autoscaling(requests: bool = True, windows: bool = False) -> SynthesizedStack:
    args = autoscaling_args(
        requests_per_target=600 if requests else None, schedules=WINDOWS if windows else (), scale_in_cooldown_seconds=30
    )
    return synth(lambda: Autoscaling("web", args), config=CONFIG)


def labelable(resource: RecordedResource) -> bool:
    """Whether the resource's pulumi-gcp type takes `labels`."""
    if not resource.custom or not resource.type.startswith("gcp:"):
        return False
    module_path, _, class_name = resource.type.split(":", 1)[1].partition(":")
    cls = getattr(getattr(gcp, module_path.split("/")[0]), class_name)
    return "labels" in inspect.signature(cls._internal_init).parameters


def weights(weighted: list[dict[str, object]]) -> dict[str, object]:
    """backend id -> weight of a `weightedBackendServices` list."""
    return {str(entry["backendService"]): entry["weight"] for entry in weighted}
