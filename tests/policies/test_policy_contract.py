"""What every policy promises: metadata, levels, unknown handling, remediation."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_harness import ALL_POLICIES, UNKNOWN, check, remediate
from pulumi_policy import EnforcementLevel, Policy

import policies.cost
import policies.security
from policies.common.framework import RollwayResourcePolicy, RollwayStackPolicy

SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "#!/bin/sh\necho hi"}


def test_policy_names_are_unique_across_both_packs() -> None:
    names = [policy.name for policy in ALL_POLICIES]
    assert len(names) == len(set(names))


def test_packs_meet_the_policy_counts() -> None:
    assert len(policies.security.POLICIES) >= 40
    assert len(policies.cost.POLICIES) >= 12


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda policy: policy.name)
def test_every_policy_has_description_severity_level_and_remediation_steps(policy: Policy) -> None:
    assert policy.description and policy.severity is not None and policy.remediation_steps
    assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda policy: policy.name)
def test_config_schema_defaults_match_what_the_code_applies(policy: Policy) -> None:
    assert isinstance(policy, RollwayResourcePolicy | RollwayStackPolicy)
    schema = policy.config_schema.properties if policy.config_schema else {}
    for key, spec in policy.config_properties.items():
        assert schema[key]["default"] == spec["default"]
    if policy.limits_spec is not None:
        for environment, block in policy.limits_spec.defaults.items():
            assert schema[environment]["default"] == block
            assert set(block) == set(policy.limits_spec.properties)


CLEAR_HOLES = [
    "s3-no-public-acl",
    "s3-bucket-policy-no-public-principal",
    "security-group-no-public-admin-ports",
    "rds-not-publicly-accessible",
    "iam-no-wildcard-admin",
    "gcp-firewall-no-public-admin-ports",
    "gcs-no-public-members",
    "azure-storage-no-blob-public-access",
    "azure-nsg-no-public-admin-ports",
    "k8s-no-privileged-containers",
    "no-secret-literals",
]
HYGIENE = [
    "ecr-scan-on-push",
    "ecr-immutable-tags",
    "rds-backup-retention",
    "gce-shielded-vm",
    "k8s-read-only-root-filesystem",
    "ebs-gp3-over-gp2",
]


@pytest.mark.parametrize("name", CLEAR_HOLES)
def test_clear_security_holes_default_to_mandatory(name: str) -> None:
    assert next(p for p in ALL_POLICIES if p.name == name).enforcement_level == EnforcementLevel.MANDATORY


@pytest.mark.parametrize("name", HYGIENE)
def test_hygiene_defaults_to_advisory(name: str) -> None:
    assert next(p for p in ALL_POLICIES if p.name == name).enforcement_level == EnforcementLevel.ADVISORY


def test_unknown_deciding_value_gives_the_preview_advisory_not_a_verdict() -> None:
    outcome = check("rds-not-publicly-accessible", "aws:rds/instance:Instance", {"publiclyAccessible": UNKNOWN})
    assert outcome.violations == [] and "publiclyAccessible can't be known during preview" in str(outcome.unknown)


def test_known_violation_wins_over_an_unknown_elsewhere() -> None:
    props = {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}, {"protocol": UNKNOWN}]}
    outcome = check("security-group-no-public-admin-ports", "aws:ec2/securityGroup:SecurityGroup", props)
    assert len(outcome.violations) == 1 and outcome.unknown is None


def test_unknown_namespace_is_not_mistaken_for_default() -> None:
    outcome = check("k8s-no-default-namespace", "kubernetes:core/v1:Service", {"metadata": {"namespace": UNKNOWN}})
    assert outcome.violations == [] and outcome.unknown is not None


def test_remediation_adds_missing_cost_tags_from_environment_and_config_defaults() -> None:
    fixed = remediate(
        "required-cost-tags",
        "aws:s3/bucket:Bucket",
        {"tags": {"owner": "team", "environment": "staging"}},
        config={"defaults": {"cost-center": "platform"}},
    )
    assert fixed == {"tags": {"owner": "team", "environment": "staging", "cost-center": "platform"}}


def test_remediation_writes_label_safe_values_on_kubernetes() -> None:
    props = {"metadata": {"name": "web", "labels": {"environment": "dev"}}}
    fixed = remediate(
        "required-cost-tags",
        "kubernetes:core/v1:Service",
        props,
        config={"defaults": {"cost-center": "Platform Team", "owner": "Ops"}},
    )
    assert fixed is not None and fixed["metadata"]["labels"] == {
        "environment": "dev",
        "cost-center": "platform-team",
        "owner": "ops",
    }


def test_remediation_leaves_complete_tags_alone() -> None:
    props = {"tags": {"owner": "a", "environment": "dev", "cost-center": "c"}}
    assert remediate("required-cost-tags", "aws:s3/bucket:Bucket", props) is None


def test_imdsv2_remediation_keeps_other_inputs_secret() -> None:
    fixed = remediate(
        "ec2-imdsv2-required", "aws:ec2/instance:Instance", {"metadataOptions": {"httpTokens": "optional"}, "userData": SECRET}
    )
    assert fixed == {"metadataOptions": {"httpTokens": "required"}, "userData": SECRET}


@pytest.mark.parametrize(
    ("name", "resource_type", "props", "expected"),
    [
        (
            "s3-public-access-block-enabled",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {"bucket": "b"},
            {"blockPublicAcls": True, "restrictPublicBuckets": True},
        ),
        ("ebs-gp3-over-gp2", "aws:ebs/volume:Volume", {"type": "gp2", "size": 10}, {"type": "gp3"}),
        ("kms-key-rotation", "aws:kms/key:Key", {}, {"enableKeyRotation": True}),
        ("ecr-scan-on-push", "aws:ecr/repository:Repository", {}, {"imageScanningConfiguration": {"scanOnPush": True}}),
        (
            "azure-storage-no-blob-public-access",
            "azure-native:storage:StorageAccount",
            {"allowBlobPublicAccess": True},
            {"allowBlobPublicAccess": False},
        ),
        ("gcp-ssl-policy-tls12", "gcp:compute/sSLPolicy:SSLPolicy", {"minTlsVersion": "TLS_1_0"}, {"minTlsVersion": "TLS_1_2"}),
    ],
    ids=lambda value: value if isinstance(value, str) and "-" in value and ":" not in value else "",
)
def test_safe_remediations_fix_the_violation(
    name: str, resource_type: str, props: dict[str, object], expected: dict[str, object]
) -> None:
    fixed = remediate(name, resource_type, props)
    assert fixed is not None and all(fixed[key] == value for key, value in expected.items())
    assert check(name, resource_type, fixed).passed


def test_asymmetric_kms_keys_are_not_asked_to_rotate() -> None:
    props = {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}
    assert check("kms-key-rotation", "aws:kms/key:Key", props).passed
    assert remediate("kms-key-rotation", "aws:kms/key:Key", props) is None


def test_docs_list_every_policy() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text()
    assert [policy.name for policy in ALL_POLICIES if f"`{policy.name}`" not in docs] == []


def test_remediation_never_writes_a_guessed_environment() -> None:
    fixed = remediate(
        "required-cost-tags", "aws:s3/bucket:Bucket", {"tags": {"owner": "team"}}, config={"defaults": {"cost-center": "c"}}
    )
    assert fixed == {"tags": {"owner": "team", "cost-center": "c"}}


def test_remediation_takes_the_environment_from_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "staging")
    fixed = remediate("required-cost-tags", "aws:s3/bucket:Bucket", {"tags": {"owner": "team", "cost-center": "c"}})
    assert fixed == {"tags": {"owner": "team", "cost-center": "c", "environment": "staging"}}
