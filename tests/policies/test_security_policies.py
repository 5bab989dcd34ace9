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
    # --- AWS managed services (policies/security/aws_services.py) ---
    Case("efs-encrypted", "aws:efs/fileSystem:FileSystem", {"encrypted": False}, {"encrypted": True}, "encrypted is False"),
    Case("sqs-queue-encrypted", "aws:sqs/queue:Queue", {"sqsManagedSseEnabled": False}, {}, "sqsManagedSseEnabled is False"),
    Case(
        "sns-topic-encrypted",
        "aws:sns/topic:Topic",
        {"name": "t"},
        {"kmsMasterKeyId": "alias/aws/sns"},
        "kmsMasterKeyId is unset",
    ),
    Case(
        "dynamodb-table-kms-encryption",
        "aws:dynamodb/table:Table",
        {"serverSideEncryption": {"enabled": False}},
        {"serverSideEncryption": {"enabled": True}},
        "serverSideEncryption.enabled is False",
    ),
    Case(
        "opensearch-encryption-at-rest",
        "aws:opensearch/domain:Domain",
        {"encryptAtRest": {"enabled": False}},
        {"encryptAtRest": {"enabled": True}},
        "encryptAtRest.enabled is False",
    ),
    Case(
        "redshift-cluster-encrypted",
        "aws:redshift/cluster:Cluster",
        {"encrypted": False},
        {"encrypted": True},
        "encrypted is False",
    ),
    Case(
        "elasticache-at-rest-encryption",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"atRestEncryptionEnabled": False},
        {"atRestEncryptionEnabled": True},
        "atRestEncryptionEnabled is False",
    ),
    Case(
        "elasticache-transit-encryption",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"engine": "redis"},
        {"engine": "redis", "transitEncryptionEnabled": True},
        "transitEncryptionEnabled is unset",
    ),
    Case(
        "elasticache-auth-required",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"engine": "redis", "transitEncryptionEnabled": True},
        {"engine": "redis", "transitEncryptionEnabled": True, "userGroupIds": ["app-users"]},
        "neither authToken nor userGroupIds",
    ),
    Case(
        "opensearch-in-transit-encryption",
        "aws:opensearch/domain:Domain",
        {
            "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"},
            "nodeToNodeEncryption": {"enabled": True},
        },
        {
            "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"},
            "nodeToNodeEncryption": {"enabled": True},
        },
        "allows TLS 1.0",
    ),
    Case(
        "security-group-no-public-data-ports",
        "aws:ec2/securityGroup:SecurityGroup",
        {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}]},
        {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/16"]}]},
        "data port(s) 5432",
    ),
    Case(
        "subnet-no-auto-public-ip",
        "aws:ec2/subnet:Subnet",
        {"mapPublicIpOnLaunch": True},
        {"mapPublicIpOnLaunch": False},
        "mapPublicIpOnLaunch is True",
    ),
    Case(
        "opensearch-not-public",
        "aws:opensearch/domain:Domain",
        {"accessPolicies": json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "es:*"}]})},
        {
            "vpcOptions": {"subnetIds": ["subnet-1"]},
            "accessPolicies": json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "es:*"}]}),
        },
        "Principal '*'",
    ),
    Case(
        "redshift-not-publicly-accessible",
        "aws:redshift/cluster:Cluster",
        {"publiclyAccessible": True},
        {"publiclyAccessible": False},
        "publiclyAccessible is True",
    ),
    Case(
        "eks-endpoint-not-public",
        "aws:eks/cluster:Cluster",
        {"vpcConfig": {"subnetIds": ["s"], "endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}},
        {"vpcConfig": {"subnetIds": ["s"], "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}},
        "public to 0.0.0.0/0",
    ),
    Case(
        "eks-secrets-encryption",
        "aws:eks/cluster:Cluster",
        {"vpcConfig": {"subnetIds": ["s"]}},
        {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:us-east-1:1:key/k"}}},
        "does not cover secrets",
    ),
    Case(
        "eks-control-plane-logging",
        "aws:eks/cluster:Cluster",
        {"enabledClusterLogTypes": ["api"]},
        {"enabledClusterLogTypes": ["api", "audit", "authenticator"]},
        "lacks audit, authenticator",
    ),
    Case(
        "cloudtrail-log-file-validation",
        "aws:cloudtrail/trail:Trail",
        {"s3BucketName": "logs"},
        {"s3BucketName": "logs", "enableLogFileValidation": True},
        "enableLogFileValidation is unset",
    ),
    Case(
        "cloudtrail-multi-region",
        "aws:cloudtrail/trail:Trail",
        {"isMultiRegionTrail": False},
        {"isMultiRegionTrail": True},
        "isMultiRegionTrail is False",
    ),
    Case(
        "cloudtrail-kms-encrypted",
        "aws:cloudtrail/trail:Trail",
        {"s3BucketName": "logs"},
        {"kmsKeyId": "arn:aws:kms:us-east-1:1:key/k"},
        "kmsKeyId is unset",
    ),
    Case(
        "alb-access-logs",
        "aws:lb/loadBalancer:LoadBalancer",
        {"loadBalancerType": "application"},
        {"loadBalancerType": "application", "accessLogs": {"bucket": "lb-logs", "enabled": True}},
        "access logs are off",
    ),
    Case(
        "iam-user-no-policies",
        "aws:iam/policyAttachment:PolicyAttachment",
        {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "users": ["deploy"]},
        {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "roles": ["app"]},
        "1 IAM user(s)",
    ),
    Case(
        "iam-no-access-keys",
        "aws:iam/accessKey:AccessKey",
        {"user": "ci"},
        {"user": "ci", "status": "Inactive"},
        "long-lived access key",
    ),
    Case(
        "dynamodb-point-in-time-recovery",
        "aws:dynamodb/table:Table",
        {"pointInTimeRecovery": {"enabled": False}},
        {"pointInTimeRecovery": {"enabled": True}},
        "pointInTimeRecovery.enabled is False",
    ),
    Case(
        "rds-deletion-protection",
        "aws:rds/instance:Instance",
        {"engine": "postgres"},
        {"deletionProtection": True},
        "deletionProtection is unset",
    ),
    # --- GCP ---
    Case(
        "gcp-firewall-no-public-data-ports",
        "gcp:compute/firewall:Firewall",
        {"sourceRanges": ["0.0.0.0/0"], "allows": [{"protocol": "tcp", "ports": ["6379", "8080"]}]},
        {"sourceRanges": ["0.0.0.0/0"], "allows": [{"protocol": "tcp", "ports": ["443"]}]},
        "data port(s) 6379",
    ),
    Case(
        "gce-serial-port-disabled",
        "gcp:compute/instance:Instance",
        {"metadata": {"serial-port-enable": "TRUE"}},
        {"metadata": {"serial-port-enable": "FALSE"}},
        "serial-port-enable is on",
    ),
    Case(
        "gce-os-login-enabled",
        "gcp:compute/instance:Instance",
        {"metadata": {"enable-oslogin": "false"}},
        {"metadata": {"enable-oslogin": "TRUE"}},
        "enable-oslogin is FALSE",
    ),
    Case(
        "gce-block-project-ssh-keys",
        "gcp:compute/instanceTemplate:InstanceTemplate",
        {"metadata": {"enable-oslogin": "TRUE"}},
        {"metadata": {"block-project-ssh-keys": "true"}},
        "block-project-ssh-keys is unset",
    ),
    Case(
        "gke-no-legacy-abac",
        "gcp:container/cluster:Cluster",
        {"enableLegacyAbac": True},
        {"enableLegacyAbac": False},
        "enableLegacyAbac is true",
    ),
    Case(
        "gke-private-nodes",
        "gcp:container/cluster:Cluster",
        {"location": "us-central1"},
        {"privateClusterConfig": {"enablePrivateNodes": True}},
        "enablePrivateNodes is unset",
    ),
    Case(
        "gke-master-authorized-networks",
        "gcp:container/cluster:Cluster",
        {"masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "0.0.0.0/0"}]}},
        {"masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "203.0.113.0/24", "displayName": "office"}]}},
        "allows 0.0.0.0/0",
    ),
    # --- Azure ---
    Case(
        "azure-nsg-no-public-data-ports",
        "azure-native:network:SecurityRule",
        {"direction": "Inbound", "access": "Allow", "sourceAddressPrefix": "Internet", "destinationPortRange": "1433"},
        {"direction": "Inbound", "access": "Allow", "sourceAddressPrefix": "10.0.1.0/24", "destinationPortRange": "1433"},
        "data port(s) 1433",
    ),
    Case(
        "aks-rbac-enabled",
        "azure-native:containerservice:ManagedCluster",
        {"enableRBAC": False},
        {"enableRBAC": True},
        "enableRBAC is false",
    ),
    Case(
        "aks-local-accounts-disabled",
        "azure-native:containerservice:ManagedCluster",
        {"enableRBAC": True},
        {"enableRBAC": True, "disableLocalAccounts": True},
        "disableLocalAccounts is unset",
    ),
    Case(
        "azure-appservice-https-only", "azure-native:web:WebApp", {"httpsOnly": False}, {"httpsOnly": True}, "httpsOnly is False"
    ),
    Case(
        "azure-appservice-ftp-disabled",
        "azure-native:web:WebApp",
        {"siteConfig": {"ftpsState": "AllAllowed"}},
        {"siteConfig": {"ftpsState": "Disabled"}},
        "ftpsState is AllAllowed",
    ),
    Case(
        "azure-appservice-min-tls12",
        "azure-native:web:WebApp",
        {"siteConfig": {"minTlsVersion": "1.0"}},
        {"siteConfig": {"minTlsVersion": "1.2"}},
        "minTlsVersion is 1.0",
    ),
    # --- Kubernetes ---
    Case(
        "k8s-no-dangerous-capabilities",
        DEPLOYMENT,
        _pod({"securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE", "SYS_ADMIN"]}}}),
        _pod({"securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}}}),
        "SYS_ADMIN",
    ),
    Case(
        "k8s-seccomp-profile",
        DEPLOYMENT,
        _pod({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}),
        _pod({}, securityContext={"seccompProfile": {"type": "RuntimeDefault"}}),
        "Unconfined",
    ),
    Case(
        "k8s-no-cluster-admin-for-workloads",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        {
            "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "apps"}],
        },
        {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "Group", "name": "platform-admins"}]},
        "ServiceAccount 'default'",
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
