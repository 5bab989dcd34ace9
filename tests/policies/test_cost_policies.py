"""Each cost resource policy: one violating and one compliant resource, in the dev environment (by tag)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from policy_harness import check
from pulumi_policy import ResourceValidationPolicy

import policies.cost

DEV = {"environment": "dev", "cost-center": "cc", "owner": "team"}
DEV_LABELS = {"environment": "dev", "cost-center": "cc", "owner": "team"}


@dataclass(frozen=True)
class Case:
    policy: str
    type: str
    bad: dict[str, Any]
    good: dict[str, Any]
    says: str


def _deployment(resources: dict[str, Any], image: str = "ghcr.io/rollway/web:1.0.0") -> dict[str, Any]:
    return {
        "metadata": {"namespace": "rollway-dev", "labels": DEV_LABELS},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image, "resources": resources}]}}},
    }


CASES = [
    Case(
        "ec2-instance-type-allowed",
        "aws:ec2/instance:Instance",
        {"instanceType": "m6i.xlarge", "tags": DEV},
        {"instanceType": "t3.small", "tags": DEV},
        "'m6i'",
    ),
    Case(
        "rds-instance-class-allowed",
        "aws:rds/instance:Instance",
        {"instanceClass": "db.t3.xlarge", "tags": DEV},
        {"instanceClass": "db.t4g.micro", "tags": DEV},
        "4 vCPUs",
    ),
    Case(
        "gcp-machine-type-allowed",
        "gcp:compute/instance:Instance",
        {"machineType": "n2-standard-8", "labels": DEV},
        {"machineType": "e2-small", "labels": DEV},
        "'n2'",
    ),
    Case(
        "azure-vm-size-allowed",
        "azure-native:compute:VirtualMachine",
        {"hardwareProfile": {"vmSize": "Standard_B4ms"}, "tags": DEV},
        {"hardwareProfile": {"vmSize": "Standard_B2s"}, "tags": DEV},
        "4 vCPUs",
    ),
    Case(
        "gpu-types-allowed",
        "gcp:compute/instance:Instance",
        {"machineType": "n1-standard-4", "guestAccelerators": [{"type": "nvidia-tesla-t4", "count": 1}], "labels": DEV},
        {"machineType": "n1-standard-4", "labels": DEV},
        "nvidia-tesla-t4",
    ),
    Case(
        "container-size-ceiling",
        "aws:ecs/taskDefinition:TaskDefinition",
        {"family": "web", "cpu": "2048", "memory": "4096", "tags": DEV},
        {"family": "web", "cpu": "256", "memory": "512", "tags": DEV},
        "2 vCPU > 1",
    ),
    Case(
        "autoscaling-max-capacity-ceiling",
        "aws:appautoscaling/target:Target",
        {"maxCapacity": 20, "minCapacity": 1, "tags": DEV},
        {"maxCapacity": 3, "minCapacity": 1, "tags": DEV},
        "is 20",
    ),
    Case(
        "storage-size-cap",
        "aws:ebs/volume:Volume",
        {"size": 500, "type": "gp3", "tags": DEV},
        {"size": 20, "type": "gp3", "tags": DEV},
        "500 GiB",
    ),
    Case(
        "ebs-gp3-over-gp2",
        "aws:ebs/volume:Volume",
        {"size": 20, "type": "gp2", "tags": DEV},
        {"size": 20, "type": "gp3", "tags": DEV},
        "gp2",
    ),
    Case(
        "no-provisioned-iops-outside-prod",
        "aws:rds/instance:Instance",
        {"storageType": "io1", "tags": DEV},
        {"storageType": "gp3", "tags": DEV},
        "io1",
    ),
    Case(
        "log-retention-bounded",
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/rollway/web", "tags": DEV},
        {"retentionInDays": 7, "tags": DEV},
        "kept forever",
    ),
    Case("required-cost-tags", "aws:s3/bucket:Bucket", {"tags": {"owner": "team"}}, {"tags": DEV}, "cost-center, environment"),
]


def test_cases_cover_every_cost_resource_policy() -> None:
    names = {policy.name for policy in policies.cost.POLICIES if isinstance(policy, ResourceValidationPolicy)}
    assert names <= {case.policy for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_violating_resource_is_reported_with_value_and_fix(case: Case) -> None:
    outcome = check(case.policy, case.type, case.bad)
    assert outcome.violations, outcome
    assert case.says in outcome.violations[0] and "Fix:" in outcome.violations[0]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_compliant_resource_passes(case: Case) -> None:
    assert check(case.policy, case.type, case.good).passed


def test_prod_tag_allows_what_dev_forbids() -> None:
    props = {"instanceType": "m6i.2xlarge", "tags": {**DEV, "environment": "prod"}}
    assert check("ec2-instance-type-allowed", "aws:ec2/instance:Instance", props).passed


def test_stack_name_decides_the_environment_without_a_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "acme/rollway/prod")
    outcome = check("autoscaling-max-capacity-ceiling", "aws:appautoscaling/target:Target", {"maxCapacity": 20})
    assert outcome.passed


def test_stack_config_environment_wins_over_the_stack_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"rollway:environment": "preview"}))
    outcome = check("autoscaling-max-capacity-ceiling", "aws:appautoscaling/target:Target", {"maxCapacity": 5})
    assert "preview (from the stack's rollway:environment config)" in outcome.violations[0]


def test_pull_request_stack_names_mean_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "pr-42")
    outcome = check("autoscaling-max-capacity-ceiling", "aws:appautoscaling/target:Target", {"maxCapacity": 4})
    assert "preview (from the stack name 'pr-42')" in outcome.violations[0]


def test_unrecognised_environment_falls_back_to_dev_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "sandbox")
    outcome = check("autoscaling-max-capacity-ceiling", "aws:appautoscaling/target:Target", {"maxCapacity": 6})
    assert "dev (from the fallback" in outcome.violations[0]


def test_config_override_changes_the_outcome() -> None:
    props = {"maxCapacity": 8, "tags": DEV}
    assert not check("autoscaling-max-capacity-ceiling", "aws:appautoscaling/target:Target", props).passed
    relaxed = check(
        "autoscaling-max-capacity-ceiling", "aws:appautoscaling/target:Target", props, config={"dev": {"maxCapacity": 10}}
    )
    assert relaxed.passed


def test_config_for_one_setting_keeps_the_other_defaults_of_that_environment() -> None:
    # The CLI replaces a whole `dev` object; the policy merges it over its defaults, so families stay limited.
    props = {"instanceType": "m6i.large", "tags": DEV}
    outcome = check("ec2-instance-type-allowed", "aws:ec2/instance:Instance", props, config={"dev": {"maxVcpus": 8}})
    assert "not allowed" in outcome.violations[0]


def test_mistyped_config_value_falls_back_to_the_default() -> None:
    props = {"maxCapacity": 8, "tags": DEV}
    outcome = check(
        "autoscaling-max-capacity-ceiling", "aws:appautoscaling/target:Target", props, config={"dev": {"maxCapacity": "lots"}}
    )
    assert "ceiling of 5" in outcome.violations[0]


def test_gpu_allowed_when_listed_for_the_environment() -> None:
    props = {"machineType": "g2-standard-4", "labels": DEV}
    assert check(
        "gpu-types-allowed", "gcp:compute/instance:Instance", props, config={"dev": {"allowedGpuTypes": ["g2-standard-4"]}}
    ).passed


def test_kubernetes_gpu_request_is_denied_by_default() -> None:
    props = _deployment({"limits": {"nvidia.com/gpu": "1", "cpu": "1", "memory": "1Gi"}})
    assert "nvidia.com/gpu" in check("gpu-types-allowed", "kubernetes:apps/v1:Deployment", props).violations[0]


@pytest.mark.parametrize(
    ("resource_type", "props", "says"),
    [
        ("kubernetes:apps/v1:Deployment", _deployment({"limits": {"cpu": "1500m", "memory": "1Gi"}}), "1.5 vCPU > 1"),
        (
            "azure-native:app:ContainerApp",
            {"tags": DEV, "template": {"containers": [{"resources": {"cpu": 0.5, "memory": "3Gi"}}]}},
            "3072 MiB > 2048",
        ),
        (
            "gcp:cloudrunv2/service:Service",
            {"labels": DEV, "template": {"containers": [{"resources": {"limits": {"cpu": "2", "memory": "512Mi"}}}]}},
            "2 vCPU > 1",
        ),
    ],
    ids=["kubernetes", "container-apps", "cloud-run"],
)
def test_container_ceiling_applies_on_every_runtime(resource_type: str, props: dict[str, Any], says: str) -> None:
    assert says in check("container-size-ceiling", resource_type, props).violations[0]


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", {"metadata": {"labels": DEV_LABELS}, "spec": {"maxReplicas": 9}}),
        ("azure-native:app:ContainerApp", {"tags": DEV, "template": {"scale": {"maxReplicas": 9}}}),
        ("gcp:compute/regionAutoscaler:RegionAutoscaler", {"autoscalingPolicy": {"maxReplicas": 9, "minReplicas": 1}}),
        (
            "azure-native:monitor:AutoscaleSetting",
            {"tags": DEV, "profiles": [{"capacity": {"minimum": "1", "maximum": "9", "default": "1"}}]},
        ),
    ],
    ids=["kubernetes-hpa", "container-apps", "gcp-autoscaler", "azure-autoscale"],
)
def test_autoscaling_ceiling_applies_on_every_cloud(resource_type: str, props: dict[str, Any]) -> None:
    assert "is 9" in check("autoscaling-max-capacity-ceiling", resource_type, props).violations[0]


def test_provisioned_iops_allowed_in_prod() -> None:
    assert check(
        "no-provisioned-iops-outside-prod", "aws:ebs/volume:Volume", {"type": "io2", "tags": {**DEV, "environment": "prod"}}
    ).passed


def test_gcp_logging_bucket_without_retention_uses_the_30_day_default() -> None:
    props = {"bucketId": "b", "location": "global", "labels": DEV}
    assert check("log-retention-bounded", "gcp:logging/projectBucketConfig:ProjectBucketConfig", props).passed


def test_log_retention_above_the_bound_is_reported() -> None:
    outcome = check("log-retention-bounded", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 365, "tags": DEV})
    assert "365 days, above dev" in outcome.violations[0]


def test_pvc_storage_quantity_is_capped() -> None:
    props = {"metadata": {"namespace": "a", "labels": DEV_LABELS}, "spec": {"resources": {"requests": {"storage": "200Gi"}}}}
    assert "200 GiB" in check("storage-size-cap", "kubernetes:core/v1:PersistentVolumeClaim", props).violations[0]


def test_kubernetes_objects_need_cost_labels() -> None:
    props = {"metadata": {"namespace": "a", "labels": {"app": "web"}}}
    assert "metadata.labels lacks" in check("required-cost-tags", "kubernetes:core/v1:Service", props).violations[0]


def test_aws_provider_default_tags_count_as_tags() -> None:
    provider = {"defaultTags": json.dumps({"tags": DEV})}
    assert check("required-cost-tags", "aws:s3/bucket:Bucket", {}, provider_props=provider).passed


def test_resources_that_cannot_be_tagged_are_not_asked_to() -> None:
    assert check("required-cost-tags", "aws:s3/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": "{}"}).passed
