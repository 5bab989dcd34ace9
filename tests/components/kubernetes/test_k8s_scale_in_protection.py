"""Scale-in protection on Kubernetes: per window and color, a CronJob that switches the HPA's scale-down off at
the window's start and one that switches it back on at its end, run by the schedule identity."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from k8s_fixtures import BUSINESS_HOURS, CRONJOB, HPA, NAMESPACE, NETWORK_POLICY, autoscaling, bare_autoscaling

from components.autoscaling import AutoscalingArgs, ScaleInProtection

RELEASE = ScaleInProtection(name="Release Train", schedule="30 9 * * 2", duration_minutes=90, timezone="Europe/Berlin")


def patch_of(job: Any) -> dict[str, Any]:
    args = job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:4] == ["patch", "horizontalpodautoscaler", args[2], "--type=merge"]
    return dict(json.loads(args[4].removeprefix("--patch=")))


def test_a_window_is_a_start_and_an_end_job_per_color() -> None:
    stack = autoscaling(schedules=(), protection=(RELEASE,))
    assert sorted(job.name for job in stack.of_type(CRONJOB)) == [
        "web-blue-protect-release-train-end",
        "web-blue-protect-release-train-start",
        "web-green-protect-release-train-end",
        "web-green-protect-release-train-start",
    ]


def test_the_start_job_disables_scale_down_of_its_colors_hpa() -> None:
    stack = autoscaling(schedules=(), protection=(RELEASE,))
    job = stack.has_resource_properties(
        CRONJOB,
        {
            "metadata": {"name": "web-green-protect-release-train-start", "namespace": NAMESPACE},
            "spec": {"schedule": "30 9 * * 2", "timeZone": "Europe/Berlin", "concurrencyPolicy": "Forbid"},
        },
        name="web-green-protect-release-train-start",
    )
    assert patch_of(job) == {"spec": {"behavior": {"scaleDown": {"selectPolicy": "Disabled"}}}}
    assert job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][2] == "web-green"


def test_the_end_job_restores_the_hpas_scale_down_policy_duration_later() -> None:
    stack = autoscaling(schedules=(), protection=(RELEASE,))
    job = stack.has_resource_properties(
        CRONJOB, {"spec": {"schedule": "0 11 * * 2", "timeZone": "Europe/Berlin"}}, name="web-blue-protect-release-train-end"
    )
    restored = patch_of(job)["spec"]["behavior"]["scaleDown"]["selectPolicy"]
    assert restored == stack.get(HPA, "web-blue").inputs["spec"]["behavior"]["scaleDown"]["selectPolicy"] == "Max"


def test_protection_alone_gets_the_schedule_identity_and_api_server_egress() -> None:
    stack = autoscaling(schedules=(), protection=(RELEASE,))
    stack.resource_count_is(NETWORK_POLICY, 1)
    stack.resource_count_is("kubernetes:rbac.authorization.k8s.io/v1:Role", 1)
    for job in stack.of_type(CRONJOB):
        spec = job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert spec["serviceAccountName"] == "web-scaling-schedule"


def test_hpas_patched_by_protection_jobs_let_pulumi_take_the_fields_back() -> None:
    stack = autoscaling(schedules=(), protection=(RELEASE,))
    assert stack.get(HPA, "web-blue").inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}


def test_protection_composes_with_scheduled_windows() -> None:
    stack = autoscaling(schedules=(BUSINESS_HOURS,), protection=(RELEASE,))
    stack.resource_count_is(CRONJOB, 6)


def test_protection_without_api_server_addresses_is_refused() -> None:
    with pytest.raises(ValueError, match="protection windows need api_server_cidrs"):
        bare_autoscaling(AutoscalingArgs(min_capacity=1, max_capacity=8, scale_in_protection=(RELEASE,)))


def test_without_a_floor_the_jobs_leave_min_replicas_alone() -> None:
    stack = autoscaling(schedules=(), protection=(RELEASE,))
    for job in stack.of_type(CRONJOB):
        assert "minReplicas" not in patch_of(job)["spec"]


def test_a_window_floor_raises_min_replicas_and_the_end_restores_the_hpas() -> None:
    stack = autoscaling(schedules=(), protection=(replace(RELEASE, min_capacity=5),))
    start = patch_of(stack.get(CRONJOB, "web-blue-protect-release-train-start"))
    end = patch_of(stack.get(CRONJOB, "web-blue-protect-release-train-end"))
    assert start == {"spec": {"behavior": {"scaleDown": {"selectPolicy": "Disabled"}}, "minReplicas": 5}}
    assert end["spec"]["minReplicas"] == stack.get(HPA, "web-blue").inputs["spec"]["minReplicas"]
    assert end["spec"]["behavior"] == {"scaleDown": {"selectPolicy": "Max"}}


def test_a_window_floor_next_to_scheduled_windows_is_refused() -> None:
    with pytest.raises(ValueError, match=r"with a min \(Release Train\) cannot be combined with scheduled windows"):
        autoscaling(schedules=(BUSINESS_HOURS,), protection=(replace(RELEASE, min_capacity=5),))
