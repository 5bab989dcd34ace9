"""Edges of the policies added for breadth: every input shape a rule must catch, boundaries, preview unknowns."""

from __future__ import annotations

import json

import pytest
from policy_harness import UNKNOWN, Res, check, check_stack

SG = "aws:ec2/securityGroup:SecurityGroup"


def _sg(from_port: int, to_port: int, cidr: str = "0.0.0.0/0", key: str = "cidrBlocks") -> dict[str, object]:
    return {"ingress": [{"protocol": "tcp", "fromPort": from_port, "toPort": to_port, key: [cidr]}]}


@pytest.mark.parametrize(
    ("from_port", "to_port", "reported"),
    [(5431, 5431, False), (5433, 5438, False), (5430, 5433, True), (6379, 6379, True), (27017, 27017, True), (9200, 9300, True)],
)
def test_data_port_ranges_are_reported_exactly_when_they_cover_a_data_port(from_port: int, to_port: int, reported: bool) -> None:
    outcome = check("security-group-no-public-data-ports", SG, _sg(from_port, to_port))
    assert bool(outcome.violations) is reported


def test_data_port_open_to_ipv6_everyone_is_reported() -> None:
    assert check("security-group-no-public-data-ports", SG, _sg(3306, 3306, "::/0", "ipv6CidrBlocks")).violations


def test_data_port_rule_as_a_separate_security_group_rule_is_reported() -> None:
    rule = {"type": "ingress", "protocol": "tcp", "fromPort": 1433, "toPort": 1433, "cidrBlocks": ["0.0.0.0/0"]}
    assert check("security-group-no-public-data-ports", "aws:ec2/securityGroupRule:SecurityGroupRule", rule).violations
    egress = {**rule, "type": "egress"}
    assert check("security-group-no-public-data-ports", "aws:ec2/securityGroupRule:SecurityGroupRule", egress).passed


def test_data_ports_are_configurable() -> None:
    assert check("security-group-no-public-data-ports", SG, _sg(8086, 8086), config={"dataPorts": [8086]}).violations
    assert check("security-group-no-public-data-ports", SG, _sg(5432, 5432), config={"dataPorts": [8086]}).passed


def test_every_port_open_is_left_to_the_all_ports_policy() -> None:
    assert check("security-group-no-public-data-ports", SG, _sg(0, 65535)).passed


def test_gcp_firewall_all_protocol_rule_is_left_to_the_all_ports_policy_and_a_range_is_caught() -> None:
    firewall = "gcp:compute/firewall:Firewall"
    assert check(
        "gcp-firewall-no-public-data-ports", firewall, {"sourceRanges": ["0.0.0.0/0"], "allows": [{"protocol": "all"}]}
    ).passed
    ranged = {"sourceRanges": ["0.0.0.0/0"], "allows": [{"protocol": "tcp", "ports": ["27000-28000"]}]}
    assert "27017" in check("gcp-firewall-no-public-data-ports", firewall, ranged).violations[0]


def test_azure_nsg_data_port_in_a_list_of_ranges_and_prefixes_is_reported() -> None:
    nsg = {
        "securityRules": [
            {
                "direction": "Inbound",
                "access": "Allow",
                "sourceAddressPrefixes": ["10.0.0.0/8", "0.0.0.0/0"],
                "destinationPortRanges": ["443", "5432-5433"],
            }
        ]
    }
    assert "5432" in check("azure-nsg-no-public-data-ports", "azure-native:network:NetworkSecurityGroup", nsg).violations[0]


def test_sqs_with_a_kms_key_passes_even_with_sse_sqs_off() -> None:
    assert check(
        "sqs-queue-encrypted", "aws:sqs/queue:Queue", {"sqsManagedSseEnabled": False, "kmsMasterKeyId": "alias/q"}
    ).passed


def test_sqs_key_from_another_resource_is_not_a_violation_during_preview() -> None:
    assert (
        check("sqs-queue-encrypted", "aws:sqs/queue:Queue", {"sqsManagedSseEnabled": False, "kmsMasterKeyId": UNKNOWN}).violations
        == []
    )


def test_efs_encryption_unknown_during_preview_is_a_cannot_know_note() -> None:
    outcome = check("efs-encrypted", "aws:efs/fileSystem:FileSystem", {"encrypted": UNKNOWN})
    assert outcome.violations == [] and outcome.unknown is not None


def test_efs_encryption_omitted_is_reported() -> None:
    assert "encrypted is unset" in check("efs-encrypted", "aws:efs/fileSystem:FileSystem", {}).violations[0]


def test_redshift_encryption_omitted_passes_because_aws_encrypts_new_clusters() -> None:
    assert check("redshift-cluster-encrypted", "aws:redshift/cluster:Cluster", {}).passed


def test_memcached_needs_no_auth_token_but_redis_with_a_token_passes() -> None:
    group = "aws:elasticache/replicationGroup:ReplicationGroup"
    assert check("elasticache-auth-required", group, {"engine": "memcached"}).passed
    assert check("elasticache-auth-required", group, {"engine": "valkey", "authToken": "from-a-secret"}).passed
    assert check("elasticache-auth-required", group, {}).violations  # engine omitted: the provider's default is redis


def test_cache_cluster_inside_a_replication_group_is_left_to_the_group() -> None:
    cluster = "aws:elasticache/cluster:Cluster"
    assert check("elasticache-transit-encryption", cluster, {"replicationGroupId": "rg"}).passed
    assert check("elasticache-transit-encryption", cluster, {"engine": "memcached"}).violations


def test_opensearch_missing_https_and_node_to_node_are_both_named() -> None:
    message = check("opensearch-in-transit-encryption", "aws:opensearch/domain:Domain", {}).violations[0]
    assert "enforceHttps is unset" in message and "nodeToNodeEncryption.enabled is unset" in message


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::1:root", "*"]}])
def test_public_opensearch_principal_in_every_shape_is_reported(principal: object) -> None:
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "es:*"}]})
    assert check("opensearch-not-public", "aws:opensearch/domain:Domain", {"accessPolicies": policy}).violations


def test_opensearch_policy_with_a_condition_passes() -> None:
    policy = '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "es:*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}'
    assert check("opensearch-not-public", "aws:opensearch/domain:Domain", {"accessPolicies": policy}).passed


def test_eks_private_endpoint_passes_and_unset_cidrs_are_public() -> None:
    eks = "aws:eks/cluster:Cluster"
    assert check(
        "eks-endpoint-not-public", eks, {"vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}}
    ).passed
    assert "whole internet" in check("eks-endpoint-not-public", eks, {"vpcConfig": {"subnetIds": ["s"]}}).violations[0]


def test_eks_encryption_config_as_a_list_is_read() -> None:
    config = {"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "k"}}]}
    assert check("eks-secrets-encryption", "aws:eks/cluster:Cluster", config).passed


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        ("aws:iam/userPolicy:UserPolicy", {"user": "deploy", "policy": "{}"}),
        (
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            {"user": "deploy", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ),
    ],
)
def test_every_way_of_giving_a_user_a_policy_is_reported(resource_type: str, props: dict[str, object]) -> None:
    assert "'deploy'" in check("iam-user-no-policies", resource_type, props).violations[0]


def test_an_access_key_with_status_omitted_is_active() -> None:
    assert check("iam-no-access-keys", "aws:iam/accessKey:AccessKey", {"user": "ci"}).violations
    assert check("iam-no-access-keys", "aws:iam/accessKey:AccessKey", {"user": "ci", "status": "Active"}).violations


def test_read_replica_is_left_to_its_source_for_deletion_protection() -> None:
    assert check("rds-deletion-protection", "aws:rds/instance:Instance", {"replicateSourceDb": "db-1"}).passed
    assert check("rds-deletion-protection", "aws:rds/cluster:Cluster", {"deletionProtection": False}).violations


def test_gateway_load_balancer_needs_no_access_logs_and_a_disabled_log_is_reported() -> None:
    lb = "aws:lb/loadBalancer:LoadBalancer"
    assert check("alb-access-logs", lb, {"loadBalancerType": "gateway"}).passed
    assert check("alb-access-logs", lb, {"accessLogs": {"bucket": "b", "enabled": False}}).violations


@pytest.mark.parametrize(
    ("value", "reported"), [("TRUE", True), ("true", True), ("1", True), (True, True), ("FALSE", False), ("0", False)]
)
def test_gce_metadata_switches_in_every_spelling(value: object, reported: bool) -> None:
    outcome = check("gce-serial-port-disabled", "gcp:compute/instance:Instance", {"metadata": {"serial-port-enable": value}})
    assert bool(outcome.violations) is reported


def test_gce_metadata_from_another_resource_is_a_cannot_know_note() -> None:
    outcome = check("gce-block-project-ssh-keys", "gcp:compute/instance:Instance", {"metadata": UNKNOWN})
    assert outcome.violations == [] and outcome.unknown is not None


def test_gce_os_login_omitted_is_left_to_the_project_setting() -> None:
    assert check("gce-os-login-enabled", "gcp:compute/instance:Instance", {"metadata": {}}).passed


def test_gke_private_endpoint_needs_no_authorized_networks_but_none_listed_is_reported() -> None:
    gke = "gcp:container/cluster:Cluster"
    assert check("gke-master-authorized-networks", gke, {"privateClusterConfig": {"enablePrivateEndpoint": True}}).passed
    assert "lists no networks" in check("gke-master-authorized-networks", gke, {}).violations[0]
    assert check("gke-master-authorized-networks", gke, {"masterAuthorizedNetworksConfig": {}}).violations


def test_aks_rbac_omitted_passes_because_aks_defaults_it_on() -> None:
    assert check("aks-rbac-enabled", "azure-native:containerservice:ManagedCluster", {}).passed


@pytest.mark.parametrize(("state", "reported"), [(None, True), ("AllAllowed", True), ("FtpsOnly", False), ("Disabled", False)])
def test_app_service_ftp_states(state: str | None, reported: bool) -> None:
    props = {"siteConfig": {"ftpsState": state}} if state else {"siteConfig": {}}
    assert bool(check("azure-appservice-ftp-disabled", "azure-native:web:WebApp", props).violations) is reported


@pytest.mark.parametrize(("version", "reported"), [("1.0", True), ("1.1", True), ("1.2", False), ("1.3", False), (None, False)])
def test_app_service_tls_versions(version: str | None, reported: bool) -> None:
    props = {"siteConfig": {"minTlsVersion": version}} if version else {}
    assert bool(check("azure-appservice-min-tls12", "azure-native:web:WebAppSlot", props).violations) is reported


def _deployment(capabilities: dict[str, object]) -> dict[str, object]:
    container = {"name": "app", "image": "a:1", "securityContext": {"capabilities": capabilities}}
    return {"spec": {"template": {"spec": {"containers": [container]}}}}


@pytest.mark.parametrize("added", [["SYS_ADMIN"], ["CAP_SYS_ADMIN"], ["net_raw"], ["ALL"], ["NET_ADMIN", "CHOWN"]])
def test_dangerous_capabilities_in_every_spelling_are_reported(added: list[str]) -> None:
    assert check("k8s-no-dangerous-capabilities", "kubernetes:apps/v1:Deployment", _deployment({"add": added})).violations


def test_harmless_added_capability_passes() -> None:
    assert check(
        "k8s-no-dangerous-capabilities", "kubernetes:apps/v1:Deployment", _deployment({"add": ["NET_BIND_SERVICE"]})
    ).passed


def test_seccomp_on_the_container_overrides_the_pod() -> None:
    pod = {
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "a:1", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}],
    }
    assert check("k8s-seccomp-profile", "kubernetes:core/v1:Pod", {"spec": pod}).violations


@pytest.mark.parametrize(
    "subject",
    [
        {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"},
        {"kind": "Group", "name": "system:serviceaccounts"},
        {"kind": "Group", "name": "system:serviceaccounts:apps"},
        {"kind": "Group", "name": "system:authenticated"},
        {"kind": "User", "name": "system:anonymous"},
    ],
)
def test_cluster_admin_for_any_workload_identity_is_reported(subject: dict[str, str]) -> None:
    binding = {
        "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "User", "name": "alice"}, subject],
    }
    outcome = check("k8s-no-cluster-admin-for-workloads", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", binding)
    assert len(outcome.violations) == 1 and "subjects[1]" in outcome.violations[0]


def test_a_narrower_role_bound_to_a_service_account_passes() -> None:
    binding = {"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "ServiceAccount", "name": "default"}]}
    assert check(
        "k8s-no-cluster-admin-for-workloads", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", binding
    ).passed


BUCKET = Res("aws:s3/bucketV2:BucketV2", "data", {"bucket": "data"})
LOGS = Res("aws:s3/bucketV2:BucketV2", "logs", {"bucket": "logs"})


def test_bucket_without_access_logging_is_reported_but_its_log_target_is_not() -> None:
    logging = Res("aws:s3/bucketLogging:BucketLogging", "data-logging", {"bucket": "data", "targetBucket": "logs"})
    assert check_stack("s3-bucket-access-logging", [BUCKET, LOGS, logging]).passed
    outcome = check_stack("s3-bucket-access-logging", [BUCKET, LOGS])
    assert len(outcome.violations) == 2 and "'data'" in outcome.violations[0]


def test_bucket_logging_matched_through_dependencies_during_preview() -> None:
    logging = Res(
        "aws:s3/bucketLogging:BucketLogging",
        "data-logging",
        {"bucket": UNKNOWN, "targetBucket": UNKNOWN},
        property_dependencies={"bucket": [BUCKET.urn], "targetBucket": [LOGS.urn]},
    )
    assert check_stack("s3-bucket-access-logging", [BUCKET, LOGS, logging]).passed


def test_redshift_cluster_without_logging_is_reported() -> None:
    cluster = Res("aws:redshift/cluster:Cluster", "dw", {"clusterIdentifier": "dw"})
    logging = Res("aws:redshift/logging:Logging", "dw-audit", {"clusterIdentifier": "dw", "logDestinationType": "cloudwatch"})
    assert check_stack("redshift-audit-logging", [cluster, logging]).passed
    assert "'dw' has no audit logging" in check_stack("redshift-audit-logging", [cluster]).violations[0]
