"""Vertical scaling on Kubernetes: a VerticalPodAutoscaler per color Deployment that never changes the
requests the HPA scales on; predictive scaling refused (Kubernetes has none)."""

from __future__ import annotations

import pytest
from k8s_fixtures import API_SERVER, HPA, NAMESPACE, autoscaling

from components.autoscaling import AutoscalingArgs, PredictiveScaling, VerticalScaling
from components.kubernetes import Autoscaling, KubernetesAutoscalingArgs
from components.kubernetes.autoscaling import scaling_loop
from components.kubernetes.vertical import controlled_resources, vpa_spec
from components.time_to_capacity import time_to_capacity

VPA = "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler"


def test_no_vpa_unless_vertical_scaling_is_on() -> None:
    autoscaling().resource_count_is(VPA, 0)


@pytest.mark.parametrize("color", ["blue", "green"])
def test_recommend_mode_is_a_vpa_with_updates_off_for_each_color(color: str) -> None:
    stack = autoscaling(vertical=VerticalScaling())
    stack.resource_count_is(VPA, 2)
    stack.has_resource_properties(
        VPA,
        {
            "metadata": {"name": f"web-{color}", "namespace": NAMESPACE},
            "spec": {
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"web-{color}"},
                "updatePolicy": {"updateMode": "Off"},
                "resourcePolicy": {"containerPolicies": [{"containerName": "*", "controlledResources": ["cpu", "memory"]}]},
            },
        },
        name=f"web-{color}-vpa",
    )


@pytest.mark.parametrize(("mode", "update_mode"), [("initial", "Initial"), ("recreate", "Recreate")])
def test_an_acting_vpa_changes_memory_only_because_the_hpa_scales_on_cpu(mode: str, update_mode: str) -> None:
    stack = autoscaling(vertical=VerticalScaling(mode=mode, max_memory_mib=2048))  # type: ignore[arg-type]
    stack.has_resource_properties(
        VPA,
        {
            "spec": {
                "updatePolicy": {"updateMode": update_mode},
                "resourcePolicy": {
                    "containerPolicies": [{"controlledResources": ["memory"], "maxAllowed": {"memory": "2048Mi"}}]
                },
            }
        },
        name="web-blue-vpa",
    )
    hpa_metrics = stack.get(HPA, "web-blue").inputs["spec"]["metrics"]
    assert {m["resource"]["name"] for m in hpa_metrics if m["type"] == "Resource"} == {"cpu"}


def test_a_color_without_a_deployment_gets_no_vpa() -> None:
    stack = autoscaling(vertical=VerticalScaling(), colors=("green",))
    assert [r.name for r in stack.of_type(VPA)] == ["web-green-vpa"]


def test_a_vpa_that_acts_on_every_hpa_resource_is_refused() -> None:
    with pytest.raises(ValueError, match="would change requests the HPA scales on"):
        controlled_resources(VerticalScaling(mode="recreate"), ("cpu", "memory"))
    # Recommending only touches nothing, so it may look at every resource.
    assert controlled_resources(VerticalScaling(mode="recommend"), ("cpu", "memory")) == ["cpu", "memory"]


def test_no_max_memory_means_no_max_allowed() -> None:
    spec = vpa_spec("web-blue", VerticalScaling(mode="initial"), ("cpu",))
    assert spec["resourcePolicy"] == {
        "containerPolicies": [{"containerName": "*", "controlledResources": ["memory"], "controlledValues": "RequestsAndLimits"}]
    }


def test_predictive_scaling_is_refused_on_kubernetes() -> None:
    args = KubernetesAutoscalingArgs(
        autoscaling=AutoscalingArgs(min_capacity=1, max_capacity=3, predictive=PredictiveScaling(forecast_only=True)),
        namespace=NAMESPACE,
        app="web",
        deployments={"blue": "web-blue"},
        api_server_cidrs=(API_SERVER,),
    )
    with pytest.raises(ValueError, match="Kubernetes has no predictive autoscaling"):
        Autoscaling("web", args)


@pytest.mark.parametrize(("cooldown", "seconds"), [(0, 30), (60, 90), (91, 121)])
def test_time_to_capacity_is_a_sample_a_sync_and_the_stabilization_window(cooldown: int, seconds: int) -> None:
    figure = time_to_capacity(
        scaling_loop(AutoscalingArgs(min_capacity=1, max_capacity=3, scale_out_cooldown_seconds=cooldown)), 120
    )
    assert figure.first_action_seconds == seconds
    assert figure.exceeds_target == (seconds > 120)
