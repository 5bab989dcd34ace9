"""Builder wiring of scale-in protection windows on every cloud at once (the dev stack targeting all four),
and the blast radius with them: a canary step and a live flip still touch routing resources only."""

from __future__ import annotations

from functools import cache
from typing import Any

from rollway.rollout.routing import ROUTING_TYPES
from rollway.testing import SynthesizedStack, set_path, stack_config, synth
from stacks import build_stack

PROFILE = "azure-native:cdn:Profile"
SCHEDULED_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
AUTOSCALER = "gcp:compute/regionAutoscaler:RegionAutoscaler"
CONTAINER_APP = "azure-native:app:ContainerApp"
CRONJOB = "kubernetes:batch/v1:CronJob"
WINDOW = {"name": "release", "schedule": "0 9 * * TUE", "durationMinutes": 120, "timezone": "Europe/Berlin"}
# What a canary step may change, per cloud: the routing resource carrying the weights (two origins on Azure).
CANARY_ROUTING = {
    "aws:lb/listener:Listener": 1,
    "gcp:compute/uRLMap:URLMap": 1,
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 1,
    "azure-native:cdn:AFDOrigin": 2,
}
# What a live flip may change: the routing types the rollout controller targets (the cloud registry's list).
ROUTING = {type_ for types in ROUTING_TYPES.values() for type_ in types}


def protected_config(*changes: tuple[str, Any]) -> dict[str, Any]:
    config = set_path(stack_config("dev"), "rollway:clouds", ["aws", "gcp", "azure", "kubernetes"])
    config = set_path(config, "rollway:services.web.autoscaling.scaleInProtection", [WINDOW])
    config = set_path(config, "rollway:kubernetes.apiServerCidrs", ["10.0.0.1/32"])
    for key, value in changes:
        config = set_path(config, key, value)
    return config


@cache
def built(*changes: tuple[str, Any]) -> SynthesizedStack:
    return synth(
        build_stack,
        config=protected_config(*changes),
        resource_outputs={PROFILE: lambda args, context: {"frontDoorId": "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"}},
        stack="dev",
    )


def test_aws_gets_a_start_and_end_action_per_color() -> None:
    names = sorted(r.name for r in built().of_type(SCHEDULED_ACTION) if r.name.startswith("web-"))
    assert names == [f"web-{color}-protect-release-{phase}" for color in ("blue", "green") for phase in ("end", "start")]
    built().has_resource_properties(
        SCHEDULED_ACTION,
        {"schedule": "cron(0 9 ? * TUE *)", "timezone": "Europe/Berlin", "scalableTargetAction": {"minCapacity": 3}},
        name="web-blue-protect-release-start",
    )


def test_gcp_autoscalers_hold_the_max_for_two_hours() -> None:
    for color in ("blue", "green"):
        built().has_resource_properties(
            AUTOSCALER,
            {
                "autoscalingPolicy": {
                    "scalingSchedules": [
                        {"name": "protect-release", "schedule": "0 9 * * TUE", "minRequiredReplicas": 3, "durationSec": 7200}
                    ]
                }
            },
            name=f"web-{color}",
        )


def test_container_apps_carry_the_keda_cron_rule() -> None:
    app = built().get(CONTAINER_APP, "web-blue")
    [rule] = [r for r in app.inputs["template"]["scale"]["rules"] if r["name"] == "protect-release"]
    assert rule["custom"]["metadata"] == {
        "timezone": "Europe/Berlin",
        "start": "0 9 * * TUE",
        "end": "0 11 * * TUE",
        "desiredReplicas": "3",
    }


def test_kubernetes_gets_the_switch_jobs() -> None:
    names = sorted(r.name for r in built().of_type(CRONJOB))
    assert names == [f"web-{color}-protect-release-{phase}" for color in ("blue", "green") for phase in ("end", "start")]


def test_a_canary_step_still_changes_only_the_weight_carriers() -> None:
    changes = built(("rollway:services.web.canaryWeight", 25)).changes_from(built())
    assert all(c.kind == "changed" for c in changes), changes
    counted: dict[str, int] = {}
    for change in changes:
        assert change.name.startswith("web"), change
        counted[change.type] = counted.get(change.type, 0) + 1
    assert counted == CANARY_ROUTING


def test_a_live_flip_still_changes_only_routing_resources() -> None:
    after = built(("rollway:services.web.liveColor", "green"), ("rollway:services.web.canaryWeight", 0))
    changes = after.changes_from(built())
    assert changes and all(c.kind == "changed" for c in changes)
    assert {c.type for c in changes} <= ROUTING, [(c.type, c.name) for c in changes]


def test_a_window_floor_reaches_every_cloud() -> None:
    stack = built(("rollway:services.web.autoscaling.scaleInProtection[0].min", 2))
    stack.has_resource_properties(
        SCHEDULED_ACTION, {"scalableTargetAction": {"minCapacity": 2, "maxCapacity": 3}}, name="web-green-protect-release-start"
    )
    [schedule] = stack.get(AUTOSCALER, "web-green").inputs["autoscalingPolicy"]["scalingSchedules"]
    assert schedule["minRequiredReplicas"] == 2
    [rule] = [
        r for r in stack.get(CONTAINER_APP, "web-green").inputs["template"]["scale"]["rules"] if r["name"] == "protect-release"
    ]
    assert rule["custom"]["metadata"]["desiredReplicas"] == "2"
    args = stack.get(CRONJOB, "web-green-protect-release-start").inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert '"minReplicas":2' in args["containers"][0]["args"][4]
