"""AWS managed services: encryption at rest and in transit (EFS, SQS, SNS, DynamoDB, OpenSearch, Redshift,
ElastiCache), audit logging (CloudTrail, access logs), EKS control planes, exposure (database ports, subnets,
public OpenSearch/Redshift), IAM users and resilience (point-in-time recovery, deletion protection)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from policies.common.framework import (
    ADVISORY,
    MANDATORY,
    Report,
    ResourceContext,
    StackContext,
    StackReport,
    resource_policy,
    stack_policy,
)
from policies.common.network import DATA_PORTS, admin_ports_in, describe_source, is_public_source
from policies.common.props import Unknown, flag, get, items, json_document, number, strings, text
from policies.security.aws import SECURITY_GROUP_TYPES, ingress_rules, public_statements


def _flag_at(resource: ResourceContext, *path: str) -> bool | Unknown | None:
    """A boolean setting (None when unset); notes it as unknown during preview."""
    value = get(resource.props, *path)
    if isinstance(value, Unknown):
        resource.unknown(".".join(path))
        return value
    return flag(value)


def _shown(value: Any) -> str:
    return "unset" if value is None else repr(value)


# --- Encryption at rest ---------------------------------------------------------------------------------


@resource_policy(
    name="efs-encrypted",
    description="EFS file systems are encrypted at rest.",
    types=("aws:efs/fileSystem:FileSystem",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set encrypted: true (and kmsKeyId for a customer-managed key); an existing file system must be recreated.",
)
def efs_encrypted(resource: ResourceContext, report: Report) -> None:
    encrypted = _flag_at(resource, "encrypted")
    if not isinstance(encrypted, Unknown) and encrypted is not True:
        report(f"{resource.label}: encrypted is {_shown(encrypted)}. Fix: set encrypted: true.")


@resource_policy(
    name="sqs-queue-encrypted",
    description="SQS queues keep server-side encryption on (SSE-SQS or a KMS key).",
    types=("aws:sqs/queue:Queue",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Remove sqsManagedSseEnabled: false, or set kmsMasterKeyId to a KMS key.",
)
def sqs_queue_encrypted(resource: ResourceContext, report: Report) -> None:
    key = get(resource.props, "kmsMasterKeyId")
    if isinstance(key, Unknown) or (isinstance(key, str) and key):
        return
    managed = _flag_at(resource, "sqsManagedSseEnabled")
    if managed is False:
        report(
            f"{resource.label}: sqsManagedSseEnabled is False and no kmsMasterKeyId is set, so messages are stored unencrypted. Fix: drop sqsManagedSseEnabled: false or set kmsMasterKeyId."
        )


@resource_policy(
    name="sns-topic-encrypted",
    description="SNS topics encrypt messages at rest with a KMS key.",
    types=("aws:sns/topic:Topic",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set kmsMasterKeyId (alias/aws/sns or a customer-managed key).",
)
def sns_topic_encrypted(resource: ResourceContext, report: Report) -> None:
    key = get(resource.props, "kmsMasterKeyId")
    if isinstance(key, Unknown):
        return
    if not (isinstance(key, str) and key.strip()):
        report(f"{resource.label}: kmsMasterKeyId is {_shown(key)}. Fix: set kmsMasterKeyId (e.g. alias/aws/sns).")


@resource_policy(
    name="dynamodb-table-kms-encryption",
    description="DynamoDB tables encrypt with a KMS key (AWS-managed or customer-managed), not only the AWS-owned key.",
    types=("aws:dynamodb/table:Table",),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set serverSideEncryption: {enabled: true} (and kmsKeyArn for a customer-managed key).",
)
def dynamodb_table_kms_encryption(resource: ResourceContext, report: Report) -> None:
    enabled = _flag_at(resource, "serverSideEncryption", "enabled")
    if not isinstance(enabled, Unknown) and enabled is not True:
        report(
            f"{resource.label}: serverSideEncryption.enabled is {_shown(enabled)} (AWS-owned key only). Fix: set serverSideEncryption: {{enabled: true}}."
        )


@resource_policy(
    name="opensearch-encryption-at-rest",
    description="OpenSearch domains encrypt data at rest.",
    types=("aws:opensearch/domain:Domain",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set encryptAtRest: {enabled: true}.",
)
def opensearch_encryption_at_rest(resource: ResourceContext, report: Report) -> None:
    enabled = _flag_at(resource, "encryptAtRest", "enabled")
    if not isinstance(enabled, Unknown) and enabled is not True:
        report(f"{resource.label}: encryptAtRest.enabled is {_shown(enabled)}. Fix: set encryptAtRest: {{enabled: true}}.")


@resource_policy(
    name="redshift-cluster-encrypted",
    description="Redshift clusters are encrypted at rest.",
    types=("aws:redshift/cluster:Cluster",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set encrypted: true (and kmsKeyId for a customer-managed key).",
)
def redshift_cluster_encrypted(resource: ResourceContext, report: Report) -> None:
    encrypted = _flag_at(resource, "encrypted")
    if encrypted is False:
        report(f"{resource.label}: encrypted is False. Fix: set encrypted: true.")


@resource_policy(
    name="elasticache-at-rest-encryption",
    description="ElastiCache replication groups encrypt data at rest.",
    types=("aws:elasticache/replicationGroup:ReplicationGroup",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set atRestEncryptionEnabled: true.",
)
def elasticache_at_rest_encryption(resource: ResourceContext, report: Report) -> None:
    enabled = _flag_at(resource, "atRestEncryptionEnabled")
    if enabled is False:
        report(f"{resource.label}: atRestEncryptionEnabled is False. Fix: set atRestEncryptionEnabled: true.")


# --- Encryption in transit ------------------------------------------------------------------------------


@resource_policy(
    name="elasticache-transit-encryption",
    description="ElastiCache replication groups and clusters encrypt traffic in transit (TLS).",
    types=("aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster"),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set transitEncryptionEnabled: true (clients connect with TLS).",
)
def elasticache_transit_encryption(resource: ResourceContext, report: Report) -> None:
    if resource.type == "aws:elasticache/cluster:Cluster" and get(resource.props, "replicationGroupId"):
        return  # a member of a replication group: the group decides
    enabled = _flag_at(resource, "transitEncryptionEnabled")
    if not isinstance(enabled, Unknown) and enabled is not True:
        report(f"{resource.label}: transitEncryptionEnabled is {_shown(enabled)}. Fix: set transitEncryptionEnabled: true.")


@resource_policy(
    name="elasticache-auth-required",
    description="Redis/Valkey replication groups require authentication (an AUTH token or RBAC user groups).",
    types=("aws:elasticache/replicationGroup:ReplicationGroup",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set authToken from a secret (pulumi config set --secret) or userGroupIds; both need transitEncryptionEnabled.",
)
def elasticache_auth_required(resource: ResourceContext, report: Report) -> None:
    engine = get(resource.props, "engine")
    if isinstance(engine, str) and engine.lower() not in ("redis", "valkey"):
        return
    token, token_wo, groups = (get(resource.props, key) for key in ("authToken", "authTokenWo", "userGroupIds"))
    if any(isinstance(value, Unknown) for value in (token, token_wo, groups)):
        return
    if not (text(token) or text(token_wo) or strings(groups)):
        report(
            f"{resource.label}: neither authToken nor userGroupIds is set, so any client on the network can connect. Fix: set authToken (a secret) or userGroupIds."
        )


_OLD_TLS_POLICIES = ("Policy-Min-TLS-1-0-2019-07",)


@resource_policy(
    name="opensearch-in-transit-encryption",
    description="OpenSearch domains enforce HTTPS with TLS 1.2+ and encrypt node-to-node traffic.",
    types=("aws:opensearch/domain:Domain",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set domainEndpointOptions: {enforceHttps: true, tlsSecurityPolicy: Policy-Min-TLS-1-2-2019-07} and nodeToNodeEncryption: {enabled: true}.",
)
def opensearch_in_transit_encryption(resource: ResourceContext, report: Report) -> None:
    problems = []
    https = _flag_at(resource, "domainEndpointOptions", "enforceHttps")
    if not isinstance(https, Unknown) and https is not True:
        problems.append(f"domainEndpointOptions.enforceHttps is {_shown(https)}")
    policy = get(resource.props, "domainEndpointOptions", "tlsSecurityPolicy")
    if isinstance(policy, str) and policy in _OLD_TLS_POLICIES:
        problems.append(f"tlsSecurityPolicy {policy!r} allows TLS 1.0")
    node = _flag_at(resource, "nodeToNodeEncryption", "enabled")
    if not isinstance(node, Unknown) and node is not True:
        problems.append(f"nodeToNodeEncryption.enabled is {_shown(node)}")
    if problems:
        report(
            f"{resource.label}: {'; '.join(problems)}. Fix: enforceHttps: true with Policy-Min-TLS-1-2-2019-07, and nodeToNodeEncryption.enabled: true."
        )


# --- Public exposure ------------------------------------------------------------------------------------


@resource_policy(
    name="security-group-no-public-data-ports",
    description="Security groups do not open database, cache or search ports (3306, 5432, 1433, 6379, 27017, 9200...) to the internet.",
    types=SECURITY_GROUP_TYPES,
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Allow the data port only from the application's security group or private CIDRs.",
    config={
        "dataPorts": {
            "type": "array",
            "items": {"type": "integer"},
            "default": list(DATA_PORTS),
            "description": "Ports that must never be open to the internet.",
        }
    },
)
def security_group_no_public_data_ports(resource: ResourceContext, report: Report) -> None:
    ports = tuple(int(port) for port in resource.config["dataPorts"] if number(port) is not None)
    for rule in ingress_rules(resource.type, resource.props):
        public = [source for source in rule.sources if is_public_source(source)]
        if not public:
            if rule.unknown:
                resource.unknown(rule.where)
            continue
        if rule.all_traffic or rule.ports is None:
            continue  # every port open: security-group-no-public-all-ports reports it
        exposed = admin_ports_in([rule.ports], ports)
        if exposed and rule.ports != (0, 65535):
            report(
                f"{resource.label}: {rule.where} allows {describe_source(public[0])} on data port(s) {', '.join(map(str, exposed))}. Fix: allow it only from the application's security group or private ranges."
            )


@resource_policy(
    name="subnet-no-auto-public-ip",
    description="VPC subnets do not give every instance launched in them a public IP address.",
    types=("aws:ec2/subnet:Subnet",),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set mapPublicIpOnLaunch: false; put internet-facing entry points behind a load balancer or NAT.",
)
def subnet_no_auto_public_ip(resource: ResourceContext, report: Report) -> None:
    if _flag_at(resource, "mapPublicIpOnLaunch") is True:
        report(
            f"{resource.label}: mapPublicIpOnLaunch is True. Fix: set it to false; reach instances through a load balancer or SSM."
        )


@resource_policy(
    name="opensearch-not-public",
    description="OpenSearch domains run inside a VPC or restrict their access policy; never open to everyone.",
    types=("aws:opensearch/domain:Domain", "aws:opensearch/domainPolicy:DomainPolicy"),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Set vpcOptions (subnetIds, securityGroupIds), or name the principals in accessPolicies.",
)
def opensearch_not_public(resource: ResourceContext, report: Report) -> None:
    if resource.type == "aws:opensearch/domain:Domain":
        vpc = get(resource.props, "vpcOptions")
        if isinstance(vpc, Unknown) or strings(get(vpc, "subnetIds")) or isinstance(get(vpc, "subnetIds"), Unknown):
            return
    policies = get(resource.props, "accessPolicies")
    if isinstance(policies, Unknown):
        resource.unknown("accessPolicies")
        return
    for index in public_statements(json_document(policies)):
        report(
            f"{resource.label}: accessPolicies Statement[{index}] allows Principal '*' with no Condition on a domain outside a VPC. Fix: use vpcOptions or name the principals."
        )


@resource_policy(
    name="redshift-not-publicly-accessible",
    description="Redshift clusters are not publicly accessible.",
    types=("aws:redshift/cluster:Cluster",),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Set publiclyAccessible: false and connect through the VPC.",
)
def redshift_not_publicly_accessible(resource: ResourceContext, report: Report) -> None:
    if _flag_at(resource, "publiclyAccessible") is True:
        report(f"{resource.label}: publiclyAccessible is True. Fix: set publiclyAccessible: false.")


# --- EKS ------------------------------------------------------------------------------------------------

EKS_CLUSTER = "aws:eks/cluster:Cluster"


@resource_policy(
    name="eks-endpoint-not-public",
    description="EKS API endpoints are private, or public only to listed CIDRs.",
    types=(EKS_CLUSTER,),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set vpcConfig.endpointPublicAccess: false (with endpointPrivateAccess: true), or list the admin CIDRs in vpcConfig.publicAccessCidrs.",
)
def eks_endpoint_not_public(resource: ResourceContext, report: Report) -> None:
    public = _flag_at(resource, "vpcConfig", "endpointPublicAccess")
    if isinstance(public, Unknown) or public is False:
        return
    cidrs = get(resource.props, "vpcConfig", "publicAccessCidrs")
    if isinstance(cidrs, Unknown):
        resource.unknown("vpcConfig.publicAccessCidrs")
        return
    open_to = [cidr for cidr in strings(cidrs) if is_public_source(cidr)]
    if not strings(cidrs) or open_to:
        report(
            f"{resource.label}: the API endpoint is public to {open_to[0] if open_to else 'the whole internet (publicAccessCidrs unset)'}. Fix: set vpcConfig.endpointPublicAccess: false or list admin CIDRs in publicAccessCidrs."
        )


@resource_policy(
    name="eks-secrets-encryption",
    description="EKS clusters envelope-encrypt Kubernetes Secrets with a KMS key.",
    types=(EKS_CLUSTER,),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set encryptionConfig: {resources: ['secrets'], provider: {keyArn: <KMS key ARN>}}.",
)
def eks_secrets_encryption(resource: ResourceContext, report: Report) -> None:
    config = get(resource.props, "encryptionConfig")
    if isinstance(config, Unknown):
        resource.unknown("encryptionConfig")
        return
    configs = items(config) if isinstance(config, list) else [config]
    if not any("secrets" in strings(get(item, "resources")) for item in configs):
        report(
            f"{resource.label}: encryptionConfig does not cover secrets. Fix: set encryptionConfig.resources: ['secrets'] with a KMS key."
        )


EKS_LOG_TYPES = ("api", "audit", "authenticator")


@resource_policy(
    name="eks-control-plane-logging",
    description="EKS clusters send api, audit and authenticator control-plane logs to CloudWatch.",
    types=(EKS_CLUSTER,),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set enabledClusterLogTypes: ['api', 'audit', 'authenticator'] (add controllerManager, scheduler as needed).",
)
def eks_control_plane_logging(resource: ResourceContext, report: Report) -> None:
    types = get(resource.props, "enabledClusterLogTypes")
    if isinstance(types, Unknown):
        resource.unknown("enabledClusterLogTypes")
        return
    missing = [kind for kind in EKS_LOG_TYPES if kind not in strings(types)]
    if missing:
        report(f"{resource.label}: enabledClusterLogTypes lacks {', '.join(missing)}. Fix: add them to enabledClusterLogTypes.")


# --- Audit logging --------------------------------------------------------------------------------------

TRAIL = "aws:cloudtrail/trail:Trail"


@resource_policy(
    name="cloudtrail-log-file-validation",
    description="CloudTrail trails validate log files (tamper evidence).",
    types=(TRAIL,),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set enableLogFileValidation: true.",
)
def cloudtrail_log_file_validation(resource: ResourceContext, report: Report) -> None:
    enabled = _flag_at(resource, "enableLogFileValidation")
    if not isinstance(enabled, Unknown) and enabled is not True:
        report(f"{resource.label}: enableLogFileValidation is {_shown(enabled)}. Fix: set enableLogFileValidation: true.")


@resource_policy(
    name="cloudtrail-multi-region",
    description="CloudTrail trails record every region.",
    types=(TRAIL,),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set isMultiRegionTrail: true (and includeGlobalServiceEvents: true).",
)
def cloudtrail_multi_region(resource: ResourceContext, report: Report) -> None:
    enabled = _flag_at(resource, "isMultiRegionTrail")
    if not isinstance(enabled, Unknown) and enabled is not True:
        report(f"{resource.label}: isMultiRegionTrail is {_shown(enabled)}. Fix: set isMultiRegionTrail: true.")


@resource_policy(
    name="cloudtrail-kms-encrypted",
    description="CloudTrail trails encrypt their logs with a KMS key.",
    types=(TRAIL,),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set kmsKeyId to a KMS key whose policy lets CloudTrail encrypt.",
)
def cloudtrail_kms_encrypted(resource: ResourceContext, report: Report) -> None:
    key = get(resource.props, "kmsKeyId")
    if not isinstance(key, Unknown) and not text(key):
        report(f"{resource.label}: kmsKeyId is {_shown(key)}. Fix: set kmsKeyId to a KMS key.")


BUCKET_LOGGING = ("aws:s3/bucketLogging:BucketLogging",)
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


@stack_policy(
    name="s3-bucket-access-logging",
    description="Every S3 bucket that is not itself a log target has server access logging (a BucketLogging).",
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Add aws.s3.BucketLogging(bucket=<bucket>.id, target_bucket=<log bucket>.id).",
)
def s3_bucket_access_logging(stack: StackContext, report: StackReport) -> None:
    logged_urns: set[str] = set()
    logged_names: set[str] = set()
    targets_urns: set[str] = set()
    target_names: set[str] = set()
    for logging in stack.of_type(*BUCKET_LOGGING, *BUCKETS):
        if logging.type in BUCKETS:
            inline = get(logging.props, "logging")
            for entry in items(inline) if isinstance(inline, list) else [inline]:
                target = text(get(entry, "targetBucket"))
                if target:
                    logged_urns.add(logging.urn)
                    target_names.add(target)
            continue
        logged_urns.update(logging.property_dependencies.get("bucket", []))
        targets_urns.update(logging.property_dependencies.get("targetBucket", []))
        for key, names in (("bucket", logged_names), ("targetBucket", target_names)):
            value = text(get(logging.props, key))
            if value:
                names.add(value)
    for bucket in stack.of_type(*BUCKETS):
        identifiers = {text(get(bucket.props, key)) for key in ("bucket", "id")} - {None}
        if bucket.urn in targets_urns or identifiers & target_names:
            continue
        if bucket.urn in logged_urns or identifiers & logged_names:
            continue
        report(
            f"{bucket.label} has no server access logging. Fix: add aws.s3.BucketLogging(bucket=<this bucket>.id, target_bucket=<log bucket>.id).",
            bucket.urn,
        )


@resource_policy(
    name="alb-access-logs",
    description="Application and network load balancers write access logs to S3.",
    types=("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set accessLogs: {bucket: <log bucket>, enabled: true}.",
)
def alb_access_logs(resource: ResourceContext, report: Report) -> None:
    if get(resource.props, "loadBalancerType") == "gateway":
        return
    enabled = _flag_at(resource, "accessLogs", "enabled")
    bucket = get(resource.props, "accessLogs", "bucket")
    if isinstance(enabled, Unknown) or isinstance(bucket, Unknown):
        return
    if not text(bucket) or enabled is False:
        report(
            f"{resource.label}: access logs are off (accessLogs {get(resource.props, 'accessLogs') or 'unset'}). Fix: set accessLogs: {{bucket: <log bucket>, enabled: true}}."
        )


@stack_policy(
    name="redshift-audit-logging",
    description="Every Redshift cluster has audit logging (an aws.redshift.Logging).",
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Add aws.redshift.Logging(cluster_identifier=<cluster>.cluster_identifier, log_destination_type='cloudwatch', log_exports=[...]).",
)
def redshift_audit_logging(stack: StackContext, report: StackReport) -> None:
    urns: set[str] = set()
    names: set[str] = set()
    for logging in stack.of_type("aws:redshift/logging:Logging"):
        urns.update(logging.property_dependencies.get("clusterIdentifier", []))
        urns.update(logging.dependencies)
        name = text(get(logging.props, "clusterIdentifier"))
        if name:
            names.add(name)
    for cluster in stack.of_type("aws:redshift/cluster:Cluster"):
        if cluster.urn in urns or text(get(cluster.props, "clusterIdentifier")) in names:
            continue
        report(f"{cluster.label} has no audit logging. Fix: add aws.redshift.Logging for it.", cluster.urn)


# --- IAM users ------------------------------------------------------------------------------------------


@resource_policy(
    name="iam-user-no-policies",
    description="IAM users get permissions only through groups or roles, never inline or attached policies.",
    types=(
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    ),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Attach the policy to a group (aws.iam.GroupPolicyAttachment) or, better, a role the user assumes.",
)
def iam_user_no_policies(resource: ResourceContext, report: Report) -> None:
    if resource.type == "aws:iam/policyAttachment:PolicyAttachment":
        users = get(resource.props, "users")
        if isinstance(users, Unknown):
            resource.unknown("users")
        elif items(users):
            report(
                f"{resource.label}: attaches a policy directly to {len(items(users))} IAM user(s). Fix: attach it to a group or role instead."
            )
        return
    report(
        f"{resource.label}: gives IAM user {get(resource.props, 'user')!r} a policy directly. Fix: attach it to a group or a role the user assumes."
    )


@resource_policy(
    name="iam-no-access-keys",
    description="No long-lived IAM user access keys; workloads use roles, people use SSO.",
    types=("aws:iam/accessKey:AccessKey",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Use an IAM role (instance profile, ECS task role, IRSA, OIDC federation for CI) or IAM Identity Center instead of an access key.",
)
def iam_no_access_keys(resource: ResourceContext, report: Report) -> None:
    if str(get(resource.props, "status") or "Active") == "Inactive":
        return
    report(
        f"{resource.label}: creates a long-lived access key for IAM user {get(resource.props, 'user')!r}. Fix: use a role (task role, IRSA, OIDC federation) instead."
    )


# --- Resilience -----------------------------------------------------------------------------------------


@resource_policy(
    name="dynamodb-point-in-time-recovery",
    description="DynamoDB tables have point-in-time recovery on (mandatory in prod's config).",
    types=("aws:dynamodb/table:Table",),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set pointInTimeRecovery: {enabled: true}.",
)
def dynamodb_point_in_time_recovery(resource: ResourceContext, report: Report) -> None:
    enabled = _flag_at(resource, "pointInTimeRecovery", "enabled")
    if not isinstance(enabled, Unknown) and enabled is not True:
        report(
            f"{resource.label}: pointInTimeRecovery.enabled is {_shown(enabled)}. Fix: set pointInTimeRecovery: {{enabled: true}}."
        )


@resource_policy(
    name="rds-deletion-protection",
    description="RDS instances and clusters have deletion protection on (mandatory in prod's config).",
    types=("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set deletionProtection: true (turn it off deliberately before a planned deletion).",
)
def rds_deletion_protection(resource: ResourceContext, report: Report) -> None:
    if resource.type == "aws:rds/instance:Instance" and get(resource.props, "replicateSourceDb"):
        return  # a read replica: the source's protection is what matters
    enabled = _flag_at(resource, "deletionProtection")
    if not isinstance(enabled, Unknown) and enabled is not True:
        report(f"{resource.label}: deletionProtection is {_shown(enabled)}. Fix: set deletionProtection: true.")


POLICIES = [
    efs_encrypted,
    sqs_queue_encrypted,
    sns_topic_encrypted,
    dynamodb_table_kms_encryption,
    opensearch_encryption_at_rest,
    redshift_cluster_encrypted,
    elasticache_at_rest_encryption,
    elasticache_transit_encryption,
    elasticache_auth_required,
    opensearch_in_transit_encryption,
    security_group_no_public_data_ports,
    subnet_no_auto_public_ip,
    opensearch_not_public,
    redshift_not_publicly_accessible,
    eks_endpoint_not_public,
    eks_secrets_encryption,
    eks_control_plane_logging,
    cloudtrail_log_file_validation,
    cloudtrail_multi_region,
    cloudtrail_kms_encrypted,
    s3_bucket_access_logging,
    alb_access_logs,
    redshift_audit_logging,
    iam_user_no_policies,
    iam_no_access_keys,
    dynamodb_point_in_time_recovery,
    rds_deletion_protection,
]
