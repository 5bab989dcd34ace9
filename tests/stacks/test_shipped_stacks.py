"""The shipped stack files evaluate end to end under mocks, and a rollout step's blast radius is minimal
across every cloud the stack targets."""

from __future__ import annotations

from typing import Any

import pytest

from rollway.testing import SynthesizedStack, set_path, stack_config, synth, synth_once
from stacks import build_stack

STACKS = ("dev", "staging", "prod", "preview")
FAMILIES = ("Environment", "BlueGreenTargets", "CanaryRoute", "Autoscaling")
# Resources a live flip must never touch: workloads, target pools and autoscaling, on every cloud.
WORKLOAD_TYPES = {
    "aws:ecs/service:Service",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:lb/targetGroup:TargetGroup",
    "aws:appautoscaling/target:Target",
    "aws:appautoscaling/policy:Policy",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "gcp:compute/backendService:BackendService",
    "gcp:compute/instanceGroupManager:InstanceGroupManager",
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
    "gcp:compute/regionAutoscaler:RegionAutoscaler",
    "gcp:cloudrunv2/service:Service",
    "azure-native:app:ContainerApp",
    "azure-native:cdn:AFDOriginGroup",
}


def synthesized(stack: str, preview: bool = False) -> SynthesizedStack:
    # Shared with the policy tests (tests/policies/shipped.py), which evaluate the very same stacks.
    return synth_once(build_stack, config=stack_config(stack), stack=stack, preview=preview)


def targeted_clouds(stack: str) -> list[str]:
    return list(stack_config(stack)["rollway:clouds"])


def services(stack: str) -> dict[str, Any]:
    return dict(stack_config(stack)["rollway:services"])


@pytest.mark.parametrize("stack", STACKS)
def test_every_family_is_built_for_every_targeted_cloud(stack: str) -> None:
    result = synthesized(stack)
    for cloud in targeted_clouds(stack):
        result.resource_count_is(f"rollway:{cloud}:Environment", 1)
        for family in FAMILIES[1:]:
            found = result.of_type(f"rollway:{cloud}:{family}")
            assert len(found) == len(services(stack)), (
                f"{stack}: expected one {cloud} {family} per service, got {[r.name for r in found]}"
            )


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_belongs_to_a_component(stack: str) -> None:
    result = synthesized(stack)
    orphans = [r.urn for r in result.resources if r.custom and r.parent in (None, result.recording.stack_urn)]
    assert orphans == []


@pytest.mark.parametrize("stack", STACKS)
def test_no_invoke_goes_unanswered(stack: str) -> None:
    assert synthesized(stack).unanswered_invokes == []


@pytest.mark.parametrize("stack", STACKS)
def test_stack_exports_each_targeted_cloud(stack: str) -> None:
    outputs = synthesized(stack).outputs
    assert outputs["environment"] == stack
    for cloud in targeted_clouds(stack):
        assert outputs.get(cloud), f"{stack}: no outputs exported for {cloud}"


@pytest.mark.parametrize("stack", STACKS)
def test_preview_mode_evaluates_too(stack: str) -> None:
    result = synthesized(stack, preview=True)
    assert len(result.resources) == len(synthesized(stack).resources)


def test_dev_has_a_service_mid_rollout() -> None:
    rolling = [name for name, s in services("dev").items() if s.get("liveColor") == "blue" and s.get("canaryWeight") == 10]
    assert rolling, "dev ships one service with blue live and 10% canary on green"


def test_prod_is_bigger_than_dev() -> None:
    def capacity(stack: str) -> int:
        return sum(int(s.get("autoscaling", {}).get("max", 2)) for s in services(stack).values())

    assert capacity("prod") > capacity("staging") > capacity("dev")
    assert len(synthesized("prod").resources) > len(synthesized("dev").resources)


# What a canary step may change, per cloud: the one routing resource that carries the weights. Azure Front
# Door keeps a weight per origin, so there it is the service's two origins.
CANARY_ROUTING = {
    "aws": ({"aws:lb/listener:Listener"}, 1),
    "gcp": ({"gcp:compute/uRLMap:URLMap"}, 1),
    "kubernetes": ({"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "kubernetes:networking.k8s.io/v1:Ingress"}, 1),
    "azure": ({"azure-native:cdn:AFDOrigin"}, 2),
}


def test_canary_step_changes_only_the_routing_resource_of_each_cloud() -> None:
    before = synthesized("dev")
    after = synth(build_stack, config=set_path(stack_config("dev"), "rollway:services.web.canaryWeight", 25), stack="dev")
    changes = after.changes_from(before)
    assert all(c.kind == "changed" for c in changes), changes
    for cloud in targeted_clouds("dev"):
        types, count = CANARY_ROUTING[cloud]
        mine = [c for c in changes if c.type.split(":")[0] == _package(cloud)]
        assert len(mine) == count and all(c.type in types and c.name.startswith("web") for c in mine), (
            f"{cloud}: a canary step changed {[(c.type, c.name) for c in mine]}"
        )
    assert len(changes) == sum(CANARY_ROUTING[cloud][1] for cloud in targeted_clouds("dev"))


def test_live_flip_changes_only_routing_resources() -> None:
    before = synthesized("dev")
    config = set_path(
        set_path(stack_config("dev"), "rollway:services.web.liveColor", "green"), "rollway:services.web.canaryWeight", 0
    )
    after = synth(build_stack, config=config, stack="dev")
    changes = after.changes_from(before)
    assert changes and all(c.kind == "changed" for c in changes)
    touched = [f"{c.type} {c.name}" for c in changes if c.type in WORKLOAD_TYPES]
    assert touched == [], f"a live flip touched workload, target pool or autoscaling resources: {touched}"


def _package(cloud: str) -> str:
    return {"aws": "aws", "gcp": "gcp", "azure": "azure-native", "kubernetes": "kubernetes"}[cloud]
