"""The top-level input names the policies read exist, spelt as the engine sees them (camelCase), in the installed
provider SDKs' Args classes: a misspelt name would make a policy read None forever and pass everything."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest

READS: dict[str, list[str]] = {
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": [
        "bucket",
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ],
    "aws:s3/bucket:Bucket": ["acl", "grants", "policy", "serverSideEncryptionConfiguration", "bucket", "tags"],
    "aws:s3/bucketAcl:BucketAcl": ["acl", "accessControlPolicy"],
    "aws:s3/bucketPolicy:BucketPolicy": ["policy", "bucket"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ["bucket", "rules"],
    "aws:ec2/securityGroup:SecurityGroup": ["ingress"],
    "aws:ec2/securityGroupRule:SecurityGroupRule": ["type", "protocol", "cidrBlocks", "ipv6CidrBlocks", "fromPort", "toPort"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["ipProtocol", "cidrIpv4", "cidrIpv6", "fromPort", "toPort"],
    "aws:lb/listener:Listener": ["protocol", "port", "defaultActions", "sslPolicy"],
    "aws:lb/loadBalancer:LoadBalancer": ["loadBalancerType", "dropInvalidHeaderFields", "accessLogs"],
    "aws:rds/instance:Instance": [
        "publiclyAccessible",
        "storageEncrypted",
        "backupRetentionPeriod",
        "replicateSourceDb",
        "deletionProtection",
        "instanceClass",
        "multiAz",
        "allocatedStorage",
        "maxAllocatedStorage",
        "storageType",
        "password",
    ],
    "aws:rds/cluster:Cluster": [
        "engineMode",
        "storageEncrypted",
        "backupRetentionPeriod",
        "storageType",
        "masterPassword",
        "deletionProtection",
    ],
    "aws:rds/clusterInstance:ClusterInstance": ["publiclyAccessible", "instanceClass"],
    "aws:ebs/volume:Volume": ["encrypted", "size", "type", "iops"],
    "aws:ec2/instance:Instance": [
        "rootBlockDevice",
        "ebsBlockDevices",
        "associatePublicIpAddress",
        "metadataOptions",
        "instanceType",
    ],
    "aws:ec2/launchTemplate:LaunchTemplate": ["blockDeviceMappings", "networkInterfaces", "metadataOptions", "instanceType"],
    "aws:ecs/taskDefinition:TaskDefinition": [
        "containerDefinitions",
        "cpu",
        "memory",
        "runtimePlatform",
        "requiresCompatibilities",
    ],
    "aws:ecs/service:Service": ["launchType", "capacityProviderStrategies", "taskDefinition", "desiredCount", "name"],
    "aws:iam/role:Role": ["inlinePolicies", "managedPolicyArns"],
    "aws:iam/rolePolicy:RolePolicy": ["policy"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["policyArn"],
    "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage", "enableKeyRotation"],
    "aws:ecr/repository:Repository": ["imageScanningConfiguration", "imageTagMutability"],
    "aws:appautoscaling/target:Target": ["maxCapacity", "minCapacity", "resourceId"],
    "aws:autoscaling/group:Group": ["maxSize", "minSize", "desiredCapacity", "launchTemplate"],
    "aws:cloudwatch/logGroup:LogGroup": ["retentionInDays"],
    "aws:ec2/natGateway:NatGateway": ["connectivityType"],
    "aws:ssm/parameter:Parameter": ["type", "value"],
    "aws:secretsmanager/secretVersion:SecretVersion": ["secretString", "secretBinary"],
    "aws:lambda/function:Function": ["environment"],
    "gcp:compute/firewall:Firewall": ["direction", "disabled", "sourceRanges", "allows"],
    "gcp:storage/bucket:Bucket": ["uniformBucketLevelAccess", "labels"],
    "gcp:storage/bucketIAMMember:BucketIAMMember": ["member", "role"],
    "gcp:storage/bucketIAMBinding:BucketIAMBinding": ["members", "role"],
    "gcp:storage/bucketIAMPolicy:BucketIAMPolicy": ["policyData"],
    "gcp:storage/bucketAccessControl:BucketAccessControl": ["entity", "role"],
    "gcp:sql/databaseInstance:DatabaseInstance": ["settings", "masterInstanceName"],
    "gcp:compute/instance:Instance": [
        "metadata",
        "networkInterfaces",
        "shieldedInstanceConfig",
        "serviceAccount",
        "machineType",
        "guestAccelerators",
        "bootDisk",
        "labels",
    ],
    "gcp:compute/instanceTemplate:InstanceTemplate": [
        "networkInterfaces",
        "shieldedInstanceConfig",
        "serviceAccount",
        "machineType",
        "guestAccelerators",
    ],
    "gcp:compute/sSLPolicy:SSLPolicy": ["minTlsVersion"],
    "gcp:compute/autoscaler:Autoscaler": ["autoscalingPolicy"],
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": ["targetSize"],
    "gcp:cloudrunv2/service:Service": ["template", "scaling"],
    "gcp:compute/disk:Disk": ["size", "type"],
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": ["retentionDays"],
    "gcp:secretmanager/secretVersion:SecretVersion": ["secretData"],
    "azure-native:storage:StorageAccount": ["enableHttpsTrafficOnly", "minimumTlsVersion", "allowBlobPublicAccess"],
    "azure-native:network:NetworkSecurityGroup": ["securityRules"],
    "azure-native:network:SecurityRule": [
        "direction",
        "access",
        "sourceAddressPrefix",
        "sourceAddressPrefixes",
        "destinationPortRange",
        "destinationPortRanges",
    ],
    "azure-native:keyvault:Vault": ["properties"],
    "azure-native:keyvault:Secret": ["properties"],
    "azure-native:sql:Server": ["publicNetworkAccess", "administratorLoginPassword"],
    "azure-native:sql:FirewallRule": ["startIpAddress", "endIpAddress"],
    "azure-native:compute:VirtualMachine": ["osProfile", "hardwareProfile"],
    "azure-native:compute:VirtualMachineScaleSet": ["virtualMachineProfile", "sku"],
    "azure-native:app:ContainerApp": ["configuration", "template"],
    "azure-native:operationalinsights:Workspace": ["retentionInDays"],
    "azure-native:compute:Disk": ["diskSizeGB", "sku"],
    "azure-native:monitor:AutoscaleSetting": ["profiles"],
    "aws:efs/fileSystem:FileSystem": ["encrypted"],
    "aws:sqs/queue:Queue": ["kmsMasterKeyId", "sqsManagedSseEnabled"],
    "aws:sns/topic:Topic": ["kmsMasterKeyId"],
    "aws:dynamodb/table:Table": ["serverSideEncryption", "pointInTimeRecovery"],
    "aws:opensearch/domain:Domain": [
        "encryptAtRest",
        "nodeToNodeEncryption",
        "domainEndpointOptions",
        "vpcOptions",
        "accessPolicies",
    ],
    "aws:opensearch/domainPolicy:DomainPolicy": ["accessPolicies"],
    "aws:redshift/cluster:Cluster": ["encrypted", "publiclyAccessible", "clusterIdentifier"],
    "aws:redshift/logging:Logging": ["clusterIdentifier"],
    "aws:elasticache/replicationGroup:ReplicationGroup": [
        "atRestEncryptionEnabled",
        "transitEncryptionEnabled",
        "engine",
        "authToken",
        "authTokenWo",
        "userGroupIds",
    ],
    "aws:elasticache/cluster:Cluster": ["transitEncryptionEnabled", "replicationGroupId"],
    "aws:eks/cluster:Cluster": ["vpcConfig", "encryptionConfig", "enabledClusterLogTypes"],
    "aws:cloudtrail/trail:Trail": ["enableLogFileValidation", "isMultiRegionTrail", "kmsKeyId"],
    "aws:s3/bucketLogging:BucketLogging": ["bucket", "targetBucket"],
    "aws:ec2/subnet:Subnet": ["mapPublicIpOnLaunch"],
    "aws:iam/userPolicy:UserPolicy": ["user"],
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ["user"],
    "aws:iam/policyAttachment:PolicyAttachment": ["users"],
    "aws:iam/accessKey:AccessKey": ["user", "status"],
    "gcp:container/cluster:Cluster": ["enableLegacyAbac", "privateClusterConfig", "masterAuthorizedNetworksConfig"],
    "gcp:cloudrunv2/job:Job": ["template"],
    "gcp:cloudrun/service:Service": ["template"],
    "azure-native:containerservice:ManagedCluster": ["enableRBAC", "disableLocalAccounts"],
    "azure-native:web:WebApp": ["httpsOnly", "siteConfig"],
    "azure-native:web:WebAppSlot": ["httpsOnly", "siteConfig"],
    "azure-native:app:Job": ["template"],
    "azure-native:containerinstance:ContainerGroup": ["containers"],
}
NESTED: dict[tuple[str, str], list[str]] = {
    ("pulumi_aws/eks/_inputs.py", "ClusterVpcConfigArgs"): ["endpointPublicAccess", "publicAccessCidrs"],
    ("pulumi_aws/eks/_inputs.py", "ClusterEncryptionConfigArgs"): ["resources"],
    ("pulumi_aws/opensearch/_inputs.py", "DomainDomainEndpointOptionsArgs"): ["enforceHttps", "tlsSecurityPolicy"],
    ("pulumi_aws/opensearch/_inputs.py", "DomainVpcOptionsArgs"): ["subnetIds"],
    ("pulumi_aws/lb/_inputs.py", "LoadBalancerAccessLogsArgs"): ["bucket", "enabled"],
    ("pulumi_aws/dynamodb/_inputs.py", "TablePointInTimeRecoveryArgs"): ["enabled"],
    ("pulumi_aws/dynamodb/_inputs.py", "TableServerSideEncryptionArgs"): ["enabled"],
    ("pulumi_gcp/container/_inputs.py", "ClusterPrivateClusterConfigArgs"): ["enablePrivateNodes", "enablePrivateEndpoint"],
    ("pulumi_gcp/container/_inputs.py", "ClusterMasterAuthorizedNetworksConfigArgs"): ["cidrBlocks"],
    ("pulumi_azure_native/web/_inputs.py", "SiteConfigArgs"): ["ftpsState", "minTlsVersion", "scmMinTlsVersion"],
    ("pulumi_aws/ec2/_inputs.py", "InstanceMetadataOptionsArgs"): ["httpTokens", "httpEndpoint"],
    ("pulumi_aws/ec2/_inputs.py", "LaunchTemplateBlockDeviceMappingEbsArgs"): ["encrypted", "volumeSize", "volumeType"],
    ("pulumi_aws/ec2/_inputs.py", "InstanceRootBlockDeviceArgs"): ["encrypted", "volumeSize", "volumeType"],
    ("pulumi_aws/lb/_inputs.py", "ListenerDefaultActionRedirectArgs"): ["protocol"],
    ("pulumi_aws/ecr/_inputs.py", "RepositoryImageScanningConfigurationArgs"): ["scanOnPush"],
    ("pulumi_gcp/sql/_inputs.py", "DatabaseInstanceSettingsIpConfigurationArgs"): ["authorizedNetworks", "sslMode"],
    ("pulumi_gcp/sql/_inputs.py", "DatabaseInstanceSettingsBackupConfigurationArgs"): ["enabled"],
    ("pulumi_gcp/sql/_inputs.py", "DatabaseInstanceSettingsArgs"): [
        "ipConfiguration",
        "backupConfiguration",
        "diskSize",
        "diskAutoresizeLimit",
    ],
    ("pulumi_gcp/compute/_inputs.py", "InstanceShieldedInstanceConfigArgs"): [
        "enableSecureBoot",
        "enableVtpm",
        "enableIntegrityMonitoring",
    ],
    ("pulumi_gcp/compute/_inputs.py", "AutoscalerAutoscalingPolicyArgs"): ["maxReplicas", "minReplicas"],
    ("pulumi_gcp/cloudrunv2/_inputs.py", "ServiceTemplateScalingArgs"): ["maxInstanceCount", "minInstanceCount"],
    ("pulumi_gcp/cloudrunv2/_inputs.py", "ServiceTemplateContainerResourcesArgs"): ["limits"],
    ("pulumi_azure_native/keyvault/_inputs.py", "VaultPropertiesArgs"): ["enableSoftDelete", "enablePurgeProtection"],
    ("pulumi_azure_native/compute/_inputs.py", "LinuxConfigurationArgs"): ["disablePasswordAuthentication"],
    ("pulumi_azure_native/compute/_inputs.py", "OSProfileArgs"): ["adminPassword", "linuxConfiguration", "windowsConfiguration"],
    ("pulumi_azure_native/compute/_inputs.py", "HardwareProfileArgs"): ["vmSize"],
    ("pulumi_azure_native/app/_inputs.py", "IngressArgs"): ["allowInsecure"],
    ("pulumi_azure_native/app/_inputs.py", "ScaleArgs"): ["maxReplicas", "minReplicas"],
    ("pulumi_azure_native/app/_inputs.py", "ContainerResourcesArgs"): ["cpu", "memory"],
}
PACKAGES = {"aws": "pulumi_aws", "gcp": "pulumi_gcp", "azure-native": "pulumi_azure_native"}
GETTER = re.compile(r"@pulumi\.getter(?:\(name=\"(\w+)\"\))?\n(?:\s+@.*\n)*\s+def (\w+)\(")


@cache
def site_packages() -> Path:
    spec = importlib.util.find_spec("pulumi_aws")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parents[1]


def class_inputs(source: str, class_name: str) -> set[str]:
    start = source.find(f"class {class_name}:")
    assert start >= 0, f"no class {class_name}"
    end = source.find("\nclass ", start + 1)
    return {match.group(1) or match.group(2) for match in GETTER.finditer(source[start : end if end > 0 else None])}


@cache
def resource_inputs(token: str) -> set[str]:
    package, module_path, name = token.split(":")
    folder = site_packages() / PACKAGES[package] / module_path.split("/")[0].replace("lambda", "lambda_")
    for path in folder.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if f"'{token}'" in source:
            for class_name in (f"{name}Args", f"{name}InitArgs"):
                if f"class {class_name}:" in source:
                    return class_inputs(source, class_name)
    raise AssertionError(f"no Args class for {token}")


@pytest.mark.parametrize("token", sorted(READS))
def test_top_level_inputs_read_by_policies_exist(token: str) -> None:
    assert sorted(set(READS[token]) - resource_inputs(token)) == []


@pytest.mark.parametrize(("file", "class_name"), sorted(NESTED))
def test_nested_inputs_read_by_policies_exist(file: str, class_name: str) -> None:
    source = (site_packages() / file).read_text(encoding="utf-8")
    assert sorted(set(NESTED[(file, class_name)]) - class_inputs(source, class_name)) == []
