"""Builder wiring of predictive scaling, right-sizing reports and time to capacity on AWS and GCP."""

from __future__ import annotations

from functools import cache
from typing import Any

import pulumi
import pytest

import stacks.aws
import stacks.gcp
from rollway.testing import SynthesizedStack, set_path, stack_config, synth
from stacks.config import load_stack_config

SCALING_POLICY = "aws:appautoscaling/policy:Policy"
AUTOSCALER = "gcp:compute/regionAutoscaler:RegionAutoscaler"


def aws_program() -> None:
    pulumi.export("aws", stacks.aws.build(load_stack_config()))


def gcp_program() -> None:
    pulumi.export("gcp", stacks.gcp.build(load_stack_config()))


@cache
def aws_dev(*changes: tuple[str, Any]) -> SynthesizedStack:
    config = stack_config("dev")
    for key, value in changes:
        config = set_path(config, key, list(value) if isinstance(value, tuple) else value)
    return synth(aws_program, config=config, stack="dev")


@cache
def gcp_dev(*changes: tuple[str, Any]) -> SynthesizedStack:
    config = stack_config("dev")
    for key, value in changes:
        config = set_path(config, key, list(value) if isinstance(value, tuple) else value)
    return synth(gcp_program, config=config, stack="dev")


RECOMMEND = ("rollway:services.web.autoscaling.vertical.mode", "recommend")
PREDICTIVE = (
    ("rollway:services.web.autoscaling.predictive.mode", "forecastOnly"),
    ("rollway:services.web.autoscaling.predictive.clouds", ("aws",)),
)


def test_aws_predictive_config_builds_a_predictive_policy_per_color() -> None:
    stack = aws_dev(*PREDICTIVE)
    found = sorted(p.name for p in stack.find(SCALING_POLICY, {"policyType": "PredictiveScaling"}))
    assert found == ["web-blue-predictive", "web-green-predictive"]
    assert not aws_dev().find(SCALING_POLICY, {"policyType": "PredictiveScaling"})


def test_aws_canary_step_with_predictive_scaling_changes_only_the_listener() -> None:
    before = aws_dev(*PREDICTIVE)
    after = aws_dev(*PREDICTIVE, ("rollway:services.web.canaryWeight", 50))
    assert sorted((c.type, c.name) for c in after.changes_from(before)) == [("aws:lb/listener:Listener", "web-production")]


def test_aws_time_to_capacity_is_exported_and_above_two_minutes() -> None:
    figure = aws_dev().outputs["aws"]["services"]["web"]["timeToCapacity"]
    assert (figure["firstScaleOutSeconds"], figure["targetSeconds"], figure["exceedsTarget"]) == (240, 120, True)


def test_aws_target_can_be_relaxed_to_the_figure() -> None:
    figure = aws_dev(("rollway:services.web.autoscaling.timeToCapacityTargetSeconds", 240)).outputs["aws"]["services"]["web"][
        "timeToCapacity"
    ]
    assert figure["exceedsTarget"] is False


def test_aws_right_sizing_report_prices_the_neighbouring_fargate_sizes() -> None:
    web = aws_dev(RECOMMEND).outputs["aws"]["services"]["web"]
    report = web["rightSizing"]
    # 0.25 vCPU / 512 MiB has no smaller Fargate size; 0.5 vCPU / 1024 MiB is the larger one.
    assert report["smaller"] is None
    assert (report["current"]["cpu"], report["current"]["memoryMib"], report["current"]["monthlyUsdPerReplica"]) == (
        0.25,
        512,
        9.01,
    )
    assert (report["larger"]["cpu"], report["larger"]["memoryMib"], report["larger"]["monthlyUsdPerReplica"]) == (
        0.5,
        1024,
        18.02,
    )
    assert "ContainerInsights" in report["measure"]
    assert "rightSizing" not in aws_dev().outputs["aws"]["services"]["web"]


def test_gcp_predictive_config_turns_on_the_autoscalers_predictive_method() -> None:
    stack = gcp_dev(
        ("rollway:services.web.autoscaling.predictive.mode", "forecastAndScale"),
        ("rollway:services.web.autoscaling.predictive.clouds", ("gcp",)),
    )
    for color in ("blue", "green"):
        policy = stack.get(AUTOSCALER, f"web-{color}").inputs["autoscalingPolicy"]
        assert policy["cpuUtilization"]["predictiveMethod"] == "OPTIMIZE_AVAILABILITY"


def test_gcp_instance_group_time_to_capacity_includes_the_warm_up_as_ready_time() -> None:
    figure = gcp_dev().outputs["gcp"]["services"]["web"]["timeToCapacity"]
    warmup = stack_config("dev").get("rollway:gcp", {}).get("instanceWarmupSeconds", 90)
    assert (figure["firstScaleOutSeconds"], figure["readySeconds"]) == (120, 120 + warmup)
    assert figure["exceedsTarget"] is False


@pytest.mark.parametrize("max_memory", [1024, 1023])
def test_a_right_sizing_larger_step_respects_the_memory_ceiling(max_memory: int) -> None:
    report = aws_dev(RECOMMEND, ("rollway:services.web.autoscaling.vertical.maxMemory", max_memory)).outputs["aws"]["services"][
        "web"
    ]["rightSizing"]
    assert (report["larger"] is None) == (max_memory < 1024)


def test_gcp_instance_group_report_prices_the_e2_types_that_fit() -> None:
    report = gcp_dev(RECOMMEND).outputs["gcp"]["services"]["web"]["rightSizing"]
    assert report["current"]["priced"].startswith("Compute Engine e2-")
    assert "compute.googleapis.com/instance/cpu/utilization" in report["measure"]


def test_no_gcp_report_when_a_machine_type_is_configured() -> None:
    web = gcp_dev(RECOMMEND, ("rollway:gcp.machineType", "e2-standard-2")).outputs["gcp"]["services"]["web"]
    assert "rightSizing" not in web
