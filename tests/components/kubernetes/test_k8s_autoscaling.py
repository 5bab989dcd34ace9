"""Autoscaling on Kubernetes: an HPA per color Deployment, scheduled windows as narrowly scoped CronJobs."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from k8s_fixtures import (
    API_SERVER,
    BUSINESS_HOURS,
    CRONJOB,
    HPA,
    LABELS,
    NAMESPACE,
    NETWORK_POLICY,
    NIGHT,
    autoscaling,
    bare_autoscaling,
    pod_spec,
)

from components.autoscaling import AutoscalingArgs, ScheduledCapacity
from components.kubernetes.common import dns_label
from rollway.testing import Match

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"


def test_one_hpa_per_color_deployment() -> None:
    stack = autoscaling()
    for color in ("blue", "green"):
        stack.has_resource_properties(
            HPA,
            {
                "metadata": {"name": f"web-{color}", "namespace": NAMESPACE},
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"web-{color}"}},
            },
            name=f"web-{color}",
        )


def test_only_colors_with_a_deployment_get_an_hpa() -> None:
    stack = autoscaling(colors=("green",))
    stack.resource_count_is(HPA, 1)
    stack.get(HPA, "web-green")


def test_hpa_bounds_come_from_min_and_max() -> None:
    autoscaling().has_resource_properties(HPA, {"spec": {"minReplicas": 2, "maxReplicas": 8}}, name="web-blue")


def test_hpa_tracks_cpu_utilization_and_requests_per_pod() -> None:
    autoscaling().has_resource_properties(
        HPA,
        {
            "spec": {
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 65}},
                    },
                    {
                        "type": "Pods",
                        "pods": {
                            "metric": {"name": "http_requests_per_minute"},
                            "target": {"type": "AverageValue", "averageValue": "500"},
                        },
                    },
                ]
            }
        },
        name="web-blue",
    )


def test_without_requests_per_target_only_cpu_is_tracked() -> None:
    metrics = autoscaling(requests_per_target=None).get(HPA, "web-blue").inputs["spec"]["metrics"]
    assert [metric["type"] for metric in metrics] == ["Resource"]


def test_cooldowns_become_stabilization_windows() -> None:
    autoscaling().has_resource_properties(
        HPA,
        {
            "spec": {
                "behavior": {
                    "scaleUp": {
                        "stabilizationWindowSeconds": 30,
                        "policies": Match.array_with([{"type": "Percent", "periodSeconds": 60}]),
                    },
                    "scaleDown": {
                        "stabilizationWindowSeconds": 600,
                        "policies": Match.array_with([{"type": "Pods", "value": 1}]),
                    },
                }
            }
        },
        name="web-green",
    )


def test_every_child_is_parented_to_the_component() -> None:
    stack = autoscaling()
    component = stack.get("rollway:kubernetes:Autoscaling", "web")
    assert {r.urn for r in stack.resources if r.custom} == {r.urn for r in stack.children_of(component)}


def test_each_window_patches_each_color_hpa_on_its_schedule() -> None:
    stack = autoscaling(schedules=(BUSINESS_HOURS, NIGHT))
    stack.resource_count_is(CRONJOB, 4)
    stack.has_resource_properties(
        CRONJOB,
        {
            "metadata": {"name": "web-green-business-hours"},
            "spec": {"schedule": "0 7 * * 1-5", "timeZone": "Europe/Berlin", "concurrencyPolicy": "Forbid"},
        },
        name="web-green-business-hours",
    )


def test_schedule_job_sets_the_window_bounds_on_its_hpa() -> None:
    container = pod_spec(autoscaling(), CRONJOB, "web-blue-business-hours")["containers"][0]
    assert container["command"] == ["/bin/kubectl"]
    args = container["args"]
    assert args[:3] == ["patch", "horizontalpodautoscaler", "web-blue"]
    patch = json.loads(next(arg for arg in args if arg.startswith("--patch=")).removeprefix("--patch="))
    assert patch == {"spec": {"minReplicas": 4, "maxReplicas": 10}}


def test_a_window_minimum_of_zero_becomes_one() -> None:
    args = pod_spec(autoscaling(schedules=(NIGHT,)), CRONJOB, "web-blue-night")["containers"][0]["args"]
    assert '--patch={"spec":{"minReplicas":1,"maxReplicas":3}}' in args


def test_schedule_jobs_may_only_get_and_patch_this_services_hpas() -> None:
    stack = autoscaling()
    stack.has_resource_properties(
        ROLE,
        {
            "rules": [
                Match.object_equals(
                    {
                        "apiGroups": ["autoscaling"],
                        "resources": ["horizontalpodautoscalers"],
                        "resourceNames": ["web-blue", "web-green"],
                        "verbs": ["get", "patch"],
                    }
                )
            ]
        },
    )
    stack.has_resource_properties(
        ROLE_BINDING,
        {
            "roleRef": {"kind": "Role", "name": "web-scaling-schedule"},
            "subjects": [{"kind": "ServiceAccount", "name": "web-scaling-schedule", "namespace": NAMESPACE}],
        },
    )
    assert pod_spec(stack, CRONJOB, "web-blue-business-hours")["serviceAccountName"] == "web-scaling-schedule"


def test_schedule_pods_are_hardened() -> None:
    spec = pod_spec(autoscaling(), CRONJOB, "web-blue-business-hours")
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["containers"][0]["securityContext"] == {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert spec["containers"][0]["resources"]["limits"] == {"cpu": "50m", "memory": "64Mi"}


def test_schedule_pods_run_as_the_nonroot_uid_by_default() -> None:
    context = pod_spec(autoscaling(), CRONJOB, "web-blue-business-hours")["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"]) == (65532, 65532)


def test_schedule_pods_run_as_the_configured_uid() -> None:
    context = pod_spec(autoscaling(run_as_user=10001), CRONJOB, "web-blue-business-hours")["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"], context["runAsNonRoot"]) == (10001, 10001, True)


def test_only_schedule_pods_may_reach_the_api_server() -> None:
    autoscaling().has_resource_properties(
        NETWORK_POLICY,
        {
            "spec": {
                "podSelector": {
                    "matchLabels": Match.object_equals(
                        {"app.kubernetes.io/name": "web", "app.kubernetes.io/component": "scaling-schedule"}
                    )
                },
                "policyTypes": ["Egress"],
                "egress": [{"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]}],
            }
        },
    )


def test_schedule_pods_may_connect_only_to_the_api_server_addresses() -> None:
    [policy] = autoscaling().of_type(NETWORK_POLICY)
    assert [rule["to"] for rule in policy.inputs["spec"]["egress"]] == [[{"ipBlock": {"cidr": API_SERVER}}]]


def test_windows_without_api_server_addresses_are_refused() -> None:
    with pytest.raises(ValueError, match="scheduled and scale-in protection windows need api_server_cidrs"):
        bare_autoscaling(AutoscalingArgs(min_capacity=1, max_capacity=8, schedules=(BUSINESS_HOURS,)))


def test_scheduled_hpas_let_pulumi_win_bound_conflicts() -> None:
    autoscaling().has_resource_properties(HPA, {"metadata": {"annotations": {"pulumi.com/patchForce": "true"}}}, name="web-blue")


def test_without_windows_there_are_no_jobs_nor_rbac() -> None:
    stack = autoscaling(schedules=())
    for type_ in (CRONJOB, ROLE, ROLE_BINDING, SERVICE_ACCOUNT, NETWORK_POLICY):
        stack.resource_count_is(type_, 0)
    stack.has_resource_properties(HPA, {"metadata": {"annotations": Match.absent()}}, name="web-blue")


def test_every_child_carries_the_labels() -> None:
    autoscaling().all_resources_have("kubernetes:", {"metadata": {"labels": LABELS}})


def test_window_names_must_be_distinct() -> None:
    windows = (
        ScheduledCapacity(name="Peak", schedule="0 8 * * *", min_capacity=3, max_capacity=8),
        ScheduledCapacity(name="peak", schedule="0 9 * * *", min_capacity=4, max_capacity=8),
    )

    with pytest.raises(ValueError, match="these collide: Peak and peak"):
        bare_autoscaling(AutoscalingArgs(min_capacity=1, max_capacity=8, schedules=windows))


def test_long_window_names_still_give_valid_cronjob_names() -> None:
    window = ScheduledCapacity(
        name="Quarter End Reporting Burst Window", schedule="0 6 28-31 3,6,9,12 *", min_capacity=4, max_capacity=8
    )
    job = autoscaling(schedules=(window,)).get(CRONJOB, "web-blue-quarter-end-reporting-burst-window")
    name = job.inputs["metadata"]["name"]
    assert len(name) <= 52
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name


START = ScheduledCapacity(name="weekday-business-hours-start", schedule="0 7 * * 1-5", min_capacity=4, max_capacity=8)
STOP = ScheduledCapacity(name="weekday-business-hours-stop", schedule="0 19 * * 1-5", min_capacity=2, max_capacity=8)


def test_long_names_that_differ_only_past_the_cut_give_distinct_cronjobs() -> None:
    # Cut to 52 characters both would be `payments-gateway-backend-eu-green-weekday-business-h`.
    stack = autoscaling(schedules=(START, STOP), app="payments-gateway-backend-eu")
    names = [job.inputs["metadata"]["name"] for job in stack.of_type(CRONJOB)]
    assert len(names) == 4 and len(set(names)) == 4, names
    for name in names:
        assert len(name) <= 52 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name


def test_a_cut_name_ends_with_a_hash_of_the_whole_name() -> None:
    whole = "payments-gateway-backend-eu-green-weekday-business-hours-start"
    digest = hashlib.sha256(whole.encode()).hexdigest()[:8]
    assert dns_label("payments-gateway-backend-eu", "green", "weekday-business-hours-start", limit=52) == (
        f"{whole[:43]}-{digest}"
    )


def test_a_name_that_fits_is_kept_whole() -> None:
    assert dns_label("web", "blue", "Business Hours", limit=52) == "web-blue-business-hours"


def test_schedule_jobs_mount_only_a_short_lived_api_token() -> None:
    spec = pod_spec(autoscaling(), CRONJOB, "web-blue-business-hours")
    assert spec["automountServiceAccountToken"] is False
    (token,) = [volume for volume in spec["volumes"] if volume["name"] == "api-token"]
    sources = token["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}
    (container,) = spec["containers"]
    assert {"name": "api-token", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert container["imagePullPolicy"] == "Always"
