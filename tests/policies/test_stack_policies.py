"""Stack policies: companion resources, NetworkPolicy coverage, NAT count and the monthly budget."""

from __future__ import annotations

import json

import pytest
from policy_harness import UNKNOWN, Res, check_stack

BUCKET = Res("aws:s3/bucket:Bucket", "logs", {"bucket": "logs-1", "tags": {"environment": "dev"}})
BLOCK = Res(
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "logs-block",
    {
        "bucket": "logs-1",
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    },
    dependencies=[BUCKET.urn],
    property_dependencies={"bucket": [BUCKET.urn]},
)
SSE = Res(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "logs-sse",
    {"bucket": "logs-1", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
    dependencies=[BUCKET.urn],
)


def test_bucket_without_public_access_block_is_reported() -> None:
    outcome = check_stack("s3-bucket-has-public-access-block", [BUCKET])
    assert "'logs' has no BucketPublicAccessBlock" in outcome.violations[0]


def test_bucket_with_public_access_block_passes() -> None:
    assert check_stack("s3-bucket-has-public-access-block", [BUCKET, BLOCK]).passed


def test_public_access_block_found_by_bucket_name_when_dependencies_are_missing() -> None:
    unlinked = Res(BLOCK.type, BLOCK.name, BLOCK.props)
    assert check_stack("s3-bucket-has-public-access-block", [BUCKET, unlinked]).passed


def test_bucket_without_encryption_config_is_reported() -> None:
    assert "declares no server-side encryption" in check_stack("s3-bucket-server-side-encryption", [BUCKET]).violations[0]


def test_bucket_with_encryption_config_passes() -> None:
    assert check_stack("s3-bucket-server-side-encryption", [BUCKET, SSE]).passed


def _k8s(kind: str, name: str, namespace: str, **extra: object) -> Res:
    return Res(kind, name, {"metadata": {"name": name, "namespace": namespace}, **extra})


def _namespace(name: str) -> Res:
    return Res("kubernetes:core/v1:Namespace", name, {"metadata": {"name": name}})


def test_namespace_the_stack_creates_without_network_policy_is_reported() -> None:
    stack = [_namespace("rollway-dev"), _namespace("other"), _k8s("kubernetes:apps/v1:Deployment", "api", "other")]
    stack.append(_k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "deny", "rollway-dev"))
    outcome = check_stack("k8s-namespace-has-network-policy", stack)
    assert len(outcome.violations) == 1 and "'other'" in outcome.violations[0]
    assert 'policies/config/dev/security.json, key "k8s-namespace-has-network-policy"' in outcome.violations[0]


def test_deployment_into_a_namespace_the_stack_does_not_create_passes() -> None:
    stack = [_k8s("kubernetes:apps/v1:Deployment", "web", "team-apps")]
    assert check_stack("k8s-namespace-has-network-policy", stack).passed


def test_network_policy_matched_to_its_namespace_through_the_dependency_during_preview() -> None:
    namespace = _namespace("shop")
    policy = Res(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "deny",
        {"metadata": {"name": "deny", "namespace": UNKNOWN}},
        property_dependencies={"metadata": [namespace.urn]},
    )
    assert check_stack("k8s-namespace-has-network-policy", [namespace, policy]).passed
    assert len(check_stack("k8s-namespace-has-network-policy", [namespace]).violations) == 1


def test_namespace_with_network_policy_passes() -> None:
    stack = [
        _namespace("rollway-dev"),
        _k8s("kubernetes:apps/v1:Deployment", "web", "rollway-dev"),
        _k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "deny", "rollway-dev"),
    ]
    assert check_stack("k8s-namespace-has-network-policy", stack).passed


def test_nat_gateways_above_the_environment_limit_are_reported() -> None:
    nats = [
        Res("aws:ec2/natGateway:NatGateway", f"nat-{i}", {"subnetId": f"s{i}", "tags": {"environment": "dev"}}) for i in range(2)
    ]
    assert "2 aws:ec2/natGateway:NatGateway resources" in check_stack("nat-gateway-count", nats).violations[0]


def test_nat_gateway_per_zone_is_fine_in_prod() -> None:
    nats = [
        Res("aws:ec2/natGateway:NatGateway", f"nat-{i}", {"subnetId": f"s{i}", "tags": {"environment": "prod"}}) for i in range(3)
    ]
    assert check_stack("nat-gateway-count", nats).passed


def _fargate_service(name: str, cpu: str, memory: str, maximum: int) -> list[Res]:
    task = Res(
        "aws:ecs/taskDefinition:TaskDefinition",
        f"{name}-task",
        {"cpu": cpu, "memory": memory, "requiresCompatibilities": ["FARGATE"]},
    )
    service = Res(
        "aws:ecs/service:Service",
        name,
        {"name": name, "launchType": "FARGATE", "desiredCount": 1, "tags": {"environment": "dev"}},
        dependencies=[task.urn],
        property_dependencies={"taskDefinition": [task.urn]},
    )
    target = Res(
        "aws:appautoscaling/target:Target",
        f"{name}-scaling",
        {"minCapacity": 1, "maxCapacity": maximum, "resourceId": f"service/cluster/{name}"},
        dependencies=[service.urn],
    )
    return [task, service, target]


def test_budget_breakdown_names_the_largest_items() -> None:
    stack = [
        *_fargate_service("big", "4096", "8192", 20),
        Res("aws:ec2/natGateway:NatGateway", "nat", {"tags": {"environment": "dev"}}),
    ]
    message = check_stack("monthly-budget", stack).violations[0]
    assert "exceeds the dev" in message
    assert "aws:ecs/service:Service 'big': 20 x Fargate 4 vCPU / 8 GB" in message
    assert message.index("'big'") < message.index("'nat'")


def test_budget_uses_the_configured_capacity_basis() -> None:
    stack = _fargate_service("big", "4096", "8192", 20)
    assert check_stack("monthly-budget", stack, config={"capacityBasis": "min"}).passed


def test_budget_override_changes_the_outcome() -> None:
    stack = _fargate_service("big", "4096", "8192", 20)
    assert check_stack("monthly-budget", stack, config={"dev": {"monthlyBudgetUsd": 5000}}).passed


def test_small_stack_is_within_the_dev_budget() -> None:
    assert check_stack("monthly-budget", _fargate_service("web", "256", "512", 3)).passed


@pytest.mark.parametrize(
    "stack",
    [
        [
            Res(
                "kubernetes:apps/v1:Deployment",
                "web",
                {
                    "metadata": {"name": "web"},
                    "spec": {
                        "replicas": 200,
                        "template": {"spec": {"containers": [{"resources": {"requests": {"cpu": "2", "memory": "4Gi"}}}]}},
                    },
                },
            )
        ],
        [
            Res(
                "azure-native:app:ContainerApp",
                "web",
                {"template": {"scale": {"maxReplicas": 300}, "containers": [{"resources": {"cpu": 2, "memory": "4Gi"}}]}},
            )
        ],
        [Res("gcp:compute/instance:Instance", f"vm{i}", {"machineType": "n2-standard-16"}) for i in range(8)],
        [Res("aws:rds/instance:Instance", "db", {"instanceClass": "db.r6g.16xlarge", "multiAz": True, "allocatedStorage": 1000})],
    ],
    ids=["kubernetes", "container-apps", "gce", "rds"],
)
def test_budget_prices_every_cloud(stack: list[Res]) -> None:
    assert "exceeds the dev" in check_stack("monthly-budget", stack).violations[0]


def test_budget_reads_the_environment_from_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"rollway:environment": "prod"}))
    assert check_stack("monthly-budget", _fargate_service("big", "4096", "8192", 20)).passed


def test_budget_rollout_allowance_applies_only_during_a_rollout() -> None:
    # 14 x Fargate 1 vCPU / 2 GB at max capacity: $504.56/month against the dev budget of $500.
    stack = _fargate_service("web", "1024", "2048", 14)
    assert not check_stack("monthly-budget", stack, config={"rolloutAllowancePercent": 100}).passed
    assert check_stack("monthly-budget", stack, config={"duringRollout": True}).passed  # default allowance 100%
    during = check_stack("monthly-budget", stack, config={"duringRollout": True, "rolloutAllowancePercent": 0})
    assert "budget of $500.00 (with the 0% rollout allowance)" in during.violations[0]


def test_budget_rollout_allowance_boundary_in_cents() -> None:
    stack = _fargate_service("web", "1024", "2048", 14)  # $504.56/month
    assert check_stack("monthly-budget", stack, config={"duringRollout": True, "rolloutAllowancePercent": 0.92}).passed
    assert not check_stack("monthly-budget", stack, config={"duringRollout": True, "rolloutAllowancePercent": 0.91}).passed
