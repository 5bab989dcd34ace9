"""Each security policy: one violating and one compliant resource (stack policies in test_stack_policies.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from policy_harness import check
from pulumi_policy import ResourceValidationPolicy

import policies.security


@dataclass(frozen=True)
class Case:
    policy: str
    type: str
    bad: dict[str, Any]
    good: dict[str, Any]
    says: str
    """A fragment the violation message must contain (the offending value or setting)."""
    config: dict[str, Any] | None = None
    """Policy config both resources are checked with (for policies that do nothing until configured)."""


def _pod(container: dict[str, Any], **pod: Any) -> dict[str, Any]:
    base = {"name": "app", "image": "ghcr.io/rollway/web:1.4.0"}
    return {
        "metadata": {"namespace": "rollway-dev"},
        "spec": {"template": {"spec": {"containers": [{**base, **container}], **pod}}},
    }


HARDENED = {
    "securityContext": {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "250m", "memory": "512Mi"}},
}
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ADMIN_STATEMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
SCOPED_STATEMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}],
}

CASES = [
    Case(
        "s3-public-access-block-enabled",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {
            "bucket": "b",
            "blockPublicAcls": True,
            "blockPublicPolicy": False,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        {
            "bucket": "b",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        "blockPublicPolicy",
    ),
    Case(
        "s3-no-public-acl",
        "aws:s3/bucketAcl:BucketAcl",
        {"bucket": "b", "acl": "public-read"},
        {"bucket": "b", "acl": "private"},
        "public-read",
    ),
    Case(
        "s3-bucket-policy-no-public-principal",
        "aws:s3/bucketPolicy:BucketPolicy",
        {
            "bucket": "b",
            "policy": json.dumps(
                {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
            ),
        },
        {
            "bucket": "b",
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": "*",
                        }
                    ]
                }
            ),
        },
        "Principal '*'",
    ),
    Case(
        "security-group-no-public-admin-ports",
        "aws:ec2/securityGroup:SecurityGroup",
        {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]},
        {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}]},
        "port(s) 22",
    ),
    Case(
        "security-group-no-public-all-ports",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {"ipProtocol": "-1", "cidrIpv6": "::/0", "securityGroupId": "sg-1"},
        {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0", "securityGroupId": "sg-1"},
        "all traffic from ::/0",
    ),
    Case(
        "alb-listener-https-only",
        "aws:lb/listener:Listener",
        {"protocol": "HTTP", "port": 80, "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]},
        {
            "protocol": "HTTP",
            "port": 80,
            "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}],
        },
        "forward",
    ),
    Case(
        "alb-listener-modern-tls",
        "aws:lb/listener:Listener",
        {"protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-2016-08"},
        {"protocol": "HTTPS", "port": 443, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        "ELBSecurityPolicy-2016-08",
    ),
    Case(
        "alb-drop-invalid-header-fields",
        "aws:lb/loadBalancer:LoadBalancer",
        {"loadBalancerType": "application"},
        {"dropInvalidHeaderFields": True},
        "dropInvalidHeaderFields",
    ),
    Case(
        "rds-not-publicly-accessible",
        "aws:rds/instance:Instance",
        {"publiclyAccessible": True},
        {"publiclyAccessible": False},
        "publiclyAccessible is true",
    ),
    Case(
        "rds-storage-encrypted",
        "aws:rds/cluster:Cluster",
        {"storageEncrypted": False},
        {"storageEncrypted": True},
        "storageEncrypted",
    ),
    Case(
        "rds-backup-retention", "aws:rds/instance:Instance", {"backupRetentionPeriod": 3}, {"backupRetentionPeriod": 7}, "3 days"
    ),
    Case("ebs-volume-encrypted", "aws:ebs/volume:Volume", {"size": 10}, {"size": 10, "encrypted": True}, "encrypted is None"),
    Case(
        "ec2-block-devices-encrypted",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]},
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}]},
        "blockDeviceMappings[0].ebs",
    ),
    Case(
        "ec2-no-public-ip",
        "aws:ec2/instance:Instance",
        {"associatePublicIpAddress": True},
        {"associatePublicIpAddress": False},
        "associatePublicIpAddress",
    ),
    Case(
        "ec2-imdsv2-required",
        "aws:ec2/instance:Instance",
        {"metadataOptions": {"httpTokens": "optional"}},
        {"metadataOptions": {"httpTokens": "required"}},
        "'optional'",
    ),
    Case(
        "ecs-no-privileged-containers",
        "aws:ecs/taskDefinition:TaskDefinition",
        {"family": "web", "containerDefinitions": json.dumps([{"name": "web", "privileged": True}])},
        {"family": "web", "containerDefinitions": json.dumps([{"name": "web", "privileged": False}])},
        "(web) is privileged",
    ),
    Case(
        "ecs-no-plaintext-secrets",
        "aws:ecs/taskDefinition:TaskDefinition",
        {
            "family": "web",
            "containerDefinitions": json.dumps([{"name": "web", "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]),
        },
        {
            "family": "web",
            "containerDefinitions": json.dumps(
                [
                    {
                        "name": "web",
                        "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                        "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:db"}],
                    }
                ]
            ),
        },
        "DB_PASSWORD",
    ),
    Case(
        "iam-no-wildcard-admin",
        "aws:iam/rolePolicy:RolePolicy",
        {"role": "r", "policy": json.dumps(ADMIN_STATEMENT)},
        {"role": "r", "policy": json.dumps(SCOPED_STATEMENT)},
        "Action '*' on Resource '*'",
    ),
    Case("kms-key-rotation", "aws:kms/key:Key", {"description": "k"}, {"enableKeyRotation": True}, "enableKeyRotation"),
    Case(
        "ecr-scan-on-push",
        "aws:ecr/repository:Repository",
        {"imageScanningConfiguration": {"scanOnPush": False}},
        {"imageScanningConfiguration": {"scanOnPush": True}},
        "scanOnPush",
    ),
    Case(
        "ecr-immutable-tags",
        "aws:ecr/repository:Repository",
        {"imageTagMutability": "MUTABLE"},
        {"imageTagMutability": "IMMUTABLE"},
        "MUTABLE",
    ),
    Case(
        "gcp-firewall-no-public-admin-ports",
        "gcp:compute/firewall:Firewall",
        {"network": "n", "sourceRanges": ["0.0.0.0/0"], "allows": [{"protocol": "tcp", "ports": ["3389"]}]},
        {"network": "n", "sourceRanges": ["35.235.240.0/20"], "allows": [{"protocol": "tcp", "ports": ["22", "3389"]}]},
        "port(s) 3389",
    ),
    Case(
        "gcp-firewall-no-public-all-ports",
        "gcp:compute/firewall:Firewall",
        {"network": "n", "sourceRanges": ["0.0.0.0/0"], "allows": [{"protocol": "tcp"}]},
        {"network": "n", "sourceRanges": ["0.0.0.0/0"], "allows": [{"protocol": "tcp", "ports": ["443"]}]},
        "every port",
    ),
    Case(
        "gcs-uniform-bucket-level-access",
        "gcp:storage/bucket:Bucket",
        {"location": "EU"},
        {"location": "EU", "uniformBucketLevelAccess": True},
        "uniformBucketLevelAccess",
    ),
    Case(
        "gcs-no-public-members",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        {"bucket": "b", "role": "roles/storage.objectViewer", "member": "allUsers"},
        {"bucket": "b", "role": "roles/storage.objectViewer", "member": "group:web@example.com"},
        "allUsers",
    ),
    Case(
        "cloudsql-no-public-authorized-networks",
        "gcp:sql/databaseInstance:DatabaseInstance",
        {"settings": {"tier": "db-f1-micro", "ipConfiguration": {"authorizedNetworks": [{"value": "0.0.0.0/0"}]}}},
        {"settings": {"tier": "db-f1-micro", "ipConfiguration": {"authorizedNetworks": [{"value": "203.0.113.0/24"}]}}},
        "0.0.0.0/0",
    ),
    Case(
        "cloudsql-ssl-required",
        "gcp:sql/databaseInstance:DatabaseInstance",
        {"settings": {"ipConfiguration": {"sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}}},
        {"settings": {"ipConfiguration": {"sslMode": "ENCRYPTED_ONLY"}}},
        "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
    ),
    Case(
        "cloudsql-backups-enabled",
        "gcp:sql/databaseInstance:DatabaseInstance",
        {"settings": {"backupConfiguration": {"enabled": False}}},
        {"settings": {"backupConfiguration": {"enabled": True}}},
        "enabled is False",
    ),
    Case(
        "gce-no-external-ip",
        "gcp:compute/instance:Instance",
        {"networkInterfaces": [{"network": "n", "accessConfigs": [{}]}]},
        {"networkInterfaces": [{"network": "n"}]},
        "networkInterfaces[0]",
    ),
    Case(
        "gce-shielded-vm",
        "gcp:compute/instanceTemplate:InstanceTemplate",
        {"shieldedInstanceConfig": {"enableSecureBoot": False}},
        {"shieldedInstanceConfig": {"enableSecureBoot": True}},
        "enableSecureBoot",
    ),
    Case(
        "gce-no-default-service-account-full-scope",
        "gcp:compute/instance:Instance",
        {"serviceAccount": {"email": "123-compute@developer.gserviceaccount.com", "scopes": ["cloud-platform"]}},
        {"serviceAccount": {"email": "web@p.iam.gserviceaccount.com", "scopes": ["cloud-platform"]}},
        "default compute service account",
    ),
    Case(
        "gcp-ssl-policy-tls12",
        "gcp:compute/sSLPolicy:SSLPolicy",
        {"minTlsVersion": "TLS_1_0"},
        {"minTlsVersion": "TLS_1_2"},
        "TLS_1_0",
    ),
    Case(
        "azure-storage-https-only",
        "azure-native:storage:StorageAccount",
        {"enableHttpsTrafficOnly": False},
        {"enableHttpsTrafficOnly": True},
        "enableHttpsTrafficOnly is false",
    ),
    Case(
        "azure-storage-min-tls12",
        "azure-native:storage:StorageAccount",
        {"minimumTlsVersion": "TLS1_0"},
        {"minimumTlsVersion": "TLS1_2"},
        "TLS1_0",
    ),
    Case(
        "azure-storage-no-blob-public-access",
        "azure-native:storage:StorageAccount",
        {"allowBlobPublicAccess": True},
        {"allowBlobPublicAccess": False},
        "allowBlobPublicAccess is True",
    ),
    Case(
        "azure-nsg-no-public-admin-ports",
        "azure-native:network:NetworkSecurityGroup",
        {
            "securityRules": [
                {
                    "direction": "Inbound",
                    "access": "Allow",
                    "protocol": "Tcp",
                    "sourceAddressPrefix": "Internet",
                    "destinationPortRange": "3389",
                    "priority": 100,
                }
            ]
        },
        {
            "securityRules": [
                {
                    "direction": "Inbound",
                    "access": "Allow",
                    "protocol": "Tcp",
                    "sourceAddressPrefix": "10.0.0.0/8",
                    "destinationPortRange": "3389",
                    "priority": 100,
                }
            ]
        },
        "Internet on port(s) 3389",
    ),
    Case(
        "azure-keyvault-purge-protection",
        "azure-native:keyvault:Vault",
        {"properties": {"enableSoftDelete": True}},
        {"properties": {"enableSoftDelete": True, "enablePurgeProtection": True}},
        "enablePurgeProtection",
    ),
    Case(
        "azure-sql-no-public-network-access",
        "azure-native:sql:Server",
        {"publicNetworkAccess": "Enabled"},
        {"publicNetworkAccess": "Disabled"},
        "Enabled",
    ),
    Case(
        "azure-vm-no-password-auth",
        "azure-native:compute:VirtualMachine",
        {"osProfile": {"adminUsername": "a", "linuxConfiguration": {"disablePasswordAuthentication": False}}},
        {"osProfile": {"adminUsername": "a", "linuxConfiguration": {"disablePasswordAuthentication": True}}},
        "password authentication",
    ),
    Case(
        "azure-containerapp-no-insecure-ingress",
        "azure-native:app:ContainerApp",
        {"configuration": {"ingress": {"external": True, "allowInsecure": True}}},
        {"configuration": {"ingress": {"external": True, "allowInsecure": False}}},
        "allowInsecure is true",
    ),
    Case(
        "k8s-no-privileged-containers",
        DEPLOYMENT,
        _pod({"securityContext": {"privileged": True}}),
        _pod(HARDENED),
        "(app) is privileged",
    ),
    Case("k8s-no-host-namespaces", DEPLOYMENT, _pod(HARDENED, hostNetwork=True), _pod(HARDENED), "hostNetwork"),
    Case(
        "k8s-no-host-path-volumes",
        DEPLOYMENT,
        _pod(HARDENED, volumes=[{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]),
        _pod(HARDENED, volumes=[{"name": "tmp", "emptyDir": {}}]),
        "/var/run/docker.sock",
    ),
    Case("k8s-run-as-non-root", DEPLOYMENT, _pod({"securityContext": {"runAsUser": 0}}), _pod(HARDENED), "may run as root"),
    Case("k8s-no-privilege-escalation", DEPLOYMENT, _pod({}), _pod(HARDENED), "unset (true)"),
    Case(
        "k8s-read-only-root-filesystem",
        DEPLOYMENT,
        _pod({"securityContext": {"readOnlyRootFilesystem": False}}),
        _pod(HARDENED),
        "readOnlyRootFilesystem is False",
    ),
    Case(
        "k8s-drop-all-capabilities",
        DEPLOYMENT,
        _pod({"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}),
        _pod(HARDENED),
        "NET_RAW",
    ),
    Case(
        "k8s-resource-requests-limits",
        DEPLOYMENT,
        _pod({"resources": {"requests": {"cpu": "100m"}}}),
        _pod(HARDENED),
        "requests.memory",
    ),
    Case(
        "k8s-image-tag-pinned",
        DEPLOYMENT,
        _pod({**HARDENED, "image": "ghcr.io/rollway/web:latest"}),
        _pod({**HARDENED, "image": "ghcr.io/rollway/web@sha256:abc"}),
        "latest",
    ),
    Case(
        "container-allowed-registries",
        DEPLOYMENT,
        _pod({**HARDENED, "image": "docker.io/library/nginx:1.27"}),
        _pod(HARDENED),
        "docker.io/library/nginx:1.27",
        config={"allowedRegistries": ["ghcr.io/rollway/"]},
    ),
    Case(
        "k8s-loadbalancer-source-ranges",
        "kubernetes:core/v1:Service",
        {"metadata": {"namespace": "a"}, "spec": {"type": "LoadBalancer"}},
        {"metadata": {"namespace": "a"}, "spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.0/24"]}},
        "open to the internet",
    ),
    Case(
        "k8s-no-default-namespace",
        "kubernetes:core/v1:ConfigMap",
        {"metadata": {"name": "c"}},
        {"metadata": {"name": "c", "namespace": "rollway-dev"}},
        "unset (default)",
    ),
    Case(
        "no-secret-literals",
        "aws:lambda/function:Function",
        {"environment": {"variables": {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}}},
        {
            "environment": {
                "variables": {"AWS_REGION": "us-east-1", "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:db"}
            }
        },
        "an AWS access key id (AKIA…)",
    ),
]


def test_cases_cover_every_resource_policy_of_the_pack() -> None:
    covered = {case.policy for case in CASES}
    resource_policies = {policy.name for policy in policies.security.POLICIES if isinstance(policy, ResourceValidationPolicy)}
    assert resource_policies <= covered


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_violating_resource_is_reported_with_value_and_fix(case: Case) -> None:
    outcome = check(case.policy, case.type, case.bad, config=case.config)
    assert len(outcome.violations) >= 1, outcome
    message = outcome.violations[0]
    assert case.says in message and "'subject'" in message and "Fix:" in message
    assert f'key "{case.policy}"' in message and "policies/config/" in message


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_compliant_resource_passes(case: Case) -> None:
    assert check(case.policy, case.type, case.good, config=case.config).passed


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.policy)
def test_other_resource_types_are_ignored(case: Case) -> None:
    assert check(case.policy, "pulumi:providers:aws", case.bad).passed
