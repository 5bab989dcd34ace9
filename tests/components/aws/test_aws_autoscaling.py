"""Autoscaling on AWS: an Application Auto Scaling target per color with a service, target tracking on CPU
and on ALB requests per target, cooldowns and scheduled windows."""

from __future__ import annotations

import pytest
from aws_fixtures import (
    SCALING_POLICY,
    SCALING_TARGET,
    SCHEDULED_ACTION,
    autoscaling,
    orphans,
    untagged,
)

from components.autoscaling import AutoscalingArgs, PredictiveScaling, ScheduledCapacity
from components.aws.autoscaling import scaling_loop
from components.aws.schedules import aws_cron
from components.time_to_capacity import time_to_capacity

BUSINESS_HOURS = ScheduledCapacity(
    name="business-hours", schedule="0 7 * * 1-5", min_capacity=6, max_capacity=20, timezone="Europe/Berlin"
)


def test_each_color_with_a_service_gets_a_scalable_target_with_the_bounds() -> None:
    stack = autoscaling()
    for color in ("blue", "green"):
        stack.has_resource_properties(
            SCALING_TARGET,
            {
                "serviceNamespace": "ecs",
                "scalableDimension": "ecs:service:DesiredCount",
                "resourceId": f"service/rollway-dev/web-{color}-svc",
                "minCapacity": 2,
                "maxCapacity": 10,
            },
            name=f"web-{color}",
        )


def test_a_color_without_a_service_gets_no_scaling() -> None:
    stack = autoscaling(colors=("green",))
    stack.resource_count_is(SCALING_TARGET, 1)
    stack.resource_count_is(SCALING_POLICY, 2)
    stack.get(SCALING_TARGET, "web-green")


def test_cpu_target_tracking_with_cooldowns() -> None:
    autoscaling().has_resource_properties(
        SCALING_POLICY,
        {
            "policyType": "TargetTrackingScaling",
            "resourceId": "service/rollway-dev/web-blue-svc",
            "targetTrackingScalingPolicyConfiguration": {
                "targetValue": 55,
                "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
                "scaleInCooldown": 600,
                "scaleOutCooldown": 45,
            },
        },
        name="web-blue-cpu",
    )


@pytest.mark.parametrize("color", ["blue", "green"])
def test_request_count_tracking_is_labelled_with_the_alb_and_the_colors_target_group(color: str) -> None:
    autoscaling().has_resource_properties(
        SCALING_POLICY,
        {
            "targetTrackingScalingPolicyConfiguration": {
                "targetValue": 500,
                "predefinedMetricSpecification": {
                    "predefinedMetricType": "ALBRequestCountPerTarget",
                    "resourceLabel": f"app/web-alb/0a1b2c3d/targetgroup/web-{color}/abc",
                },
            }
        },
        name=f"web-{color}-requests",
    )


def test_no_request_count_tracking_without_a_requests_target() -> None:
    stack = autoscaling(requests_per_target=None)
    stack.resource_count_is(SCALING_POLICY, 2)
    assert {p.name for p in stack.of_type(SCALING_POLICY)} == {"web-blue-cpu", "web-green-cpu"}


def test_scheduled_windows_become_aws_cron_actions_in_their_time_zone() -> None:
    stack = autoscaling(schedules=(BUSINESS_HOURS,))
    stack.resource_count_is(SCHEDULED_ACTION, 2)
    stack.has_resource_properties(
        SCHEDULED_ACTION,
        {
            "schedule": "cron(0 7 ? * MON-FRI *)",
            "timezone": "Europe/Berlin",
            "resourceId": "service/rollway-dev/web-green-svc",
            "scalableTargetAction": {"minCapacity": 6, "maxCapacity": 20},
        },
        name="web-green-business-hours",
    )


def test_every_child_is_parented_to_the_component() -> None:
    assert orphans(autoscaling(schedules=(BUSINESS_HOURS,)), "rollway:aws:Autoscaling") == []


def test_every_taggable_resource_carries_the_required_tags() -> None:
    assert untagged(autoscaling(schedules=(BUSINESS_HOURS,))) == []


@pytest.mark.parametrize(
    ("unix", "aws"),
    [
        ("0 7 * * 1-5", "cron(0 7 ? * MON-FRI *)"),
        ("30 18 * * *", "cron(30 18 * * ? *)"),
        ("0 0 1 * *", "cron(0 0 1 * ? *)"),
        ("0 9 * * 0,6", "cron(0 9 ? * SUN,SAT *)"),
        ("0 9 * * 5-7", "cron(0 9 ? * FRI-SAT,SUN *)"),
        ("0 9 * * sat", "cron(0 9 ? * SAT *)"),
        ("0 9 * * 0-7", "cron(0 9 ? * SUN-SAT *)"),
        ("*/15 */2 */3 */2 *", "cron(0/15 0/2 1/3 1/2 ? *)"),
        ("0 9 ? * MON-FRI *", "cron(0 9 ? * MON-FRI *)"),
    ],
)
def test_unix_cron_converts_to_aws_cron(unix: str, aws: str) -> None:
    assert aws_cron(unix) == aws


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("0 9 1 * 1", "sets both day-of-month and day-of-week"),
        ("0 9 * * */2", r"steps \(/\) in day-of-week"),
        ("0 9 * * 8", "'8' is not a day of the week"),
        ("0 9 * *", "must be a cron expression with 5 fields"),
        ("0 9 * * MON *", "day-of-month or day-of-week must be `\\?`"),
    ],
)
def test_cron_that_aws_cannot_express_is_a_clear_error(schedule: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aws_cron(schedule)


# --- predictive scaling ---------------------------------------------------------------------------


@pytest.mark.parametrize(("forecast_only", "mode"), [(True, "ForecastOnly"), (False, "ForecastAndScale")])
def test_predictive_policy_per_color_in_the_configured_mode(forecast_only: bool, mode: str) -> None:
    stack = autoscaling(predictive=PredictiveScaling(forecast_only=forecast_only, lead_seconds=300))
    for color in ("blue", "green"):
        stack.has_resource_properties(
            SCALING_POLICY,
            {
                "policyType": "PredictiveScaling",
                "resourceId": f"service/rollway-dev/web-{color}-svc",
                "serviceNamespace": "ecs",
                "scalableDimension": "ecs:service:DesiredCount",
                "predictiveScalingPolicyConfiguration": {
                    "mode": mode,
                    "schedulingBufferTime": 300,
                    "maxCapacityBreachBehavior": "HonorMaxCapacity",
                    "metricSpecifications": [
                        {
                            "targetValue": "55",
                            "predefinedMetricPairSpecification": {"predefinedMetricType": "ECSServiceCPUUtilization"},
                        }
                    ],
                },
            },
            name=f"web-{color}-predictive",
        )


def test_predictive_policy_never_raises_the_max() -> None:
    policy = autoscaling(predictive=PredictiveScaling(forecast_only=False)).get(SCALING_POLICY, "web-blue-predictive")
    config = policy.inputs["predictiveScalingPolicyConfiguration"]
    assert config["maxCapacityBreachBehavior"] == "HonorMaxCapacity"
    assert "maxCapacityBuffer" not in config
    assert "schedulingBufferTime" not in config  # the cloud's default lead when none is configured


def test_no_predictive_policy_unless_asked_for() -> None:
    stack = autoscaling()
    stack.resource_count_is(SCALING_POLICY, 4)
    assert not stack.find(SCALING_POLICY, {"policyType": "PredictiveScaling"})


def test_a_color_without_a_service_gets_no_predictive_policy() -> None:
    stack = autoscaling(colors=("green",), predictive=PredictiveScaling(forecast_only=True))
    assert [p.name for p in stack.find(SCALING_POLICY, {"policyType": "PredictiveScaling"})] == ["web-green-predictive"]


def test_time_to_capacity_of_target_tracking_is_alarm_datapoints_plus_evaluation() -> None:
    loop = scaling_loop(AutoscalingArgs(min_capacity=1, max_capacity=4, scale_out_cooldown_seconds=60))
    assert time_to_capacity(loop, 120).first_action_seconds == 3 * 60 + 60
    # A cooldown longer than detection is what the worst case waits for.
    loop = scaling_loop(AutoscalingArgs(min_capacity=1, max_capacity=4, scale_out_cooldown_seconds=600))
    assert time_to_capacity(loop, 120).first_action_seconds == 600
