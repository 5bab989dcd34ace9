"""AWS security policies: S3, security groups, load balancers, RDS, EBS/EC2, ECS, IAM, KMS, ECR."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Severity

from policies.common.ecs import container_definitions
from policies.common.framework import (
    ADVISORY,
    MANDATORY,
    Report,
    ResourceContext,
    StackContext,
    StackReport,
    StackResource,
    resource_policy,
    stack_policy,
)
from policies.common.network import ADMIN_PORTS, admin_ports_in, describe_source, is_all_ports, is_public_source, port_range
from policies.common.props import Unknown, flag, get, items, json_document, number, set_value, strings, text
from policies.common.secrets import is_literal, looks_like_secret, secret_name

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCKS = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
SSE_CONFIGS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEE_URIS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


# --- S3 -------------------------------------------------------------------------------------------------


def _fix_public_access_block(props: dict[str, Any], resource: ResourceContext) -> bool:
    changed = False
    for key in BLOCK_FLAGS:
        if props.get(key) is not True:
            props[key] = True
            changed = True
    return changed


@resource_policy(
    name="s3-public-access-block-enabled",
    description="S3 bucket public access blocks turn on all four protections.",
    types=PUBLIC_ACCESS_BLOCKS,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true.",
    fix=_fix_public_access_block,
)
def s3_public_access_block_enabled(resource: ResourceContext, report: Report) -> None:
    off = []
    for key in BLOCK_FLAGS:
        value = get(resource.props, key)
        if isinstance(value, Unknown):
            resource.unknown(key)
        elif flag(value) is not True:
            off.append(key)
    if off:
        report(
            f"{resource.label}: {', '.join(off)} not true. Fix: set all four flags to true; serve public content through CloudFront with an origin access control instead."
        )


@stack_policy(
    name="s3-bucket-has-public-access-block",
    description="Every S3 bucket has a public access block in the stack.",
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Add an aws.s3.BucketPublicAccessBlock for each bucket with all four flags true.",
)
def s3_bucket_has_public_access_block(stack: StackContext, report: StackReport) -> None:
    covered = _covered_buckets(stack, PUBLIC_ACCESS_BLOCKS)
    for bucket in stack.of_type(*BUCKETS):
        if not _is_covered(bucket, covered):
            report(
                f"{bucket.label} has no BucketPublicAccessBlock. Fix: add aws.s3.BucketPublicAccessBlock(bucket=<this bucket>.id) with all four flags true.",
                bucket.urn,
            )


@stack_policy(
    name="s3-bucket-server-side-encryption",
    description="Every S3 bucket declares server-side encryption (SSE-KMS preferred).",
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Add an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms (or AES256).",
)
def s3_bucket_server_side_encryption(stack: StackContext, report: StackReport) -> None:
    covered = _covered_buckets(stack, SSE_CONFIGS)
    for sse in stack.of_type(*SSE_CONFIGS):
        for index, rule in enumerate(items(get(sse.props, "rules"))):
            algorithm = get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
            if isinstance(algorithm, str) and algorithm not in ("aws:kms", "aws:kms:dsse", "AES256"):
                report(
                    f"{sse.label}: rules[{index}] sseAlgorithm {algorithm!r} is not an S3 encryption algorithm. Fix: use aws:kms or AES256.",
                    sse.urn,
                )
    for bucket in stack.of_type(*BUCKETS):
        inline = get(bucket.props, "serverSideEncryptionConfiguration")
        if not _is_covered(bucket, covered) and not inline:
            report(
                f"{bucket.label} declares no server-side encryption. Fix: add aws.s3.BucketServerSideEncryptionConfiguration(bucket=<this bucket>.id) with sseAlgorithm aws:kms.",
                bucket.urn,
            )


def _covered_buckets(stack: StackContext, types: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """(bucket URNs the companion resources depend on, bucket names/ids they name)."""
    urns: set[str] = set()
    names: set[str] = set()
    for companion in stack.of_type(*types):
        urns.update(companion.property_dependencies.get("bucket", []))
        urns.update(companion.dependencies)
        bucket = text(get(companion.props, "bucket"))
        if bucket:
            names.add(bucket)
    return urns, names


def _is_covered(bucket: Any, covered: tuple[set[str], set[str]]) -> bool:
    urns, names = covered
    identifiers = {text(get(bucket.props, key)) for key in ("bucket", "id")} - {None}
    return bucket.urn in urns or bool(identifiers & names)


@resource_policy(
    name="s3-no-public-acl",
    description="S3 buckets and bucket ACLs grant nothing to everyone or to all authenticated AWS users.",
    types=(*BUCKETS, "aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Use the private ACL (or BucketOwnerEnforced ownership, which disables ACLs) and remove AllUsers/AuthenticatedUsers grants.",
)
def s3_no_public_acl(resource: ResourceContext, report: Report) -> None:
    acl = get(resource.props, "acl")
    if isinstance(acl, str) and acl in PUBLIC_ACLS:
        report(f"{resource.label}: acl is {acl!r}. Fix: use 'private' and serve public content through CloudFront.")
    grants = items(get(resource.props, "accessControlPolicy", "grants")) + items(get(resource.props, "grants"))
    for grant in grants:
        uris = strings(get(grant, "grantee", "uri")) + strings(get(grant, "uri"))
        public = [uri for uri in uris if uri in PUBLIC_GRANTEE_URIS]
        if public:
            report(
                f"{resource.label}: grants {get(grant, 'permission') or get(grant, 'permissions')} to {public[0]}. Fix: remove the grant."
            )


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = get(document, "Statement")
    if isinstance(statements, dict):
        return [statements]
    return [statement for statement in items(statements) if isinstance(statement, dict)]


def _principal_is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(value == "*" or "*" in strings(value) for value in principal.values())
    return False


def public_statements(document: Any) -> list[int]:
    """Indexes of the statements of an IAM-style policy document that Allow Principal "*" with no Condition."""
    return [
        index
        for index, statement in enumerate(_statements(document))
        if statement.get("Effect") == "Allow"
        and _principal_is_public(statement.get("Principal"))
        and not statement.get("Condition")
    ]


@resource_policy(
    name="s3-bucket-policy-no-public-principal",
    description='S3 bucket policies do not allow everyone (Principal "*") without a condition.',
    types=("aws:s3/bucketPolicy:BucketPolicy", *BUCKETS),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Name the principals (accounts, roles, CloudFront OAC service principal) or add a Condition such as aws:SourceArn.",
)
def s3_bucket_policy_no_public_principal(resource: ResourceContext, report: Report) -> None:
    policy = get(resource.props, "policy")
    if isinstance(policy, Unknown):
        resource.unknown("policy")
        return
    for index in public_statements(json_document(policy)):
        report(
            f"{resource.label}: policy Statement[{index}] allows Principal '*' with no Condition. Fix: name the principals or add a Condition (e.g. aws:SourceArn)."
        )


# --- Security groups ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngressRule:
    """One ingress rule, whatever security-group resource shape it came from."""

    where: str
    sources: list[str]
    ports: tuple[int, int] | None
    all_traffic: bool
    unknown: bool
    protocol: str = ""
    """Lower-cased protocol as written (`tcp`, `6`, `-1`, ...); empty when missing or unknown."""


def ingress_rules(resource_type: str, props: Any) -> list[IngressRule]:
    """Every ingress rule of a security group, security group rule or VPC ingress rule resource."""
    shapes: list[tuple[str, Any, tuple[str, str], tuple[str, str]]] = []
    if resource_type == "aws:ec2/securityGroup:SecurityGroup":
        ingress = get(props, "ingress")
        if isinstance(ingress, Unknown):
            return [IngressRule("ingress", [], None, False, True)]
        shapes += [
            (f"ingress[{i}]", rule, ("protocol", "cidrBlocks"), ("fromPort", "ipv6CidrBlocks"))
            for i, rule in enumerate(items(ingress))
        ]
    elif resource_type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if get(props, "type") != "ingress":
            return []
        shapes.append(("rule", props, ("protocol", "cidrBlocks"), ("fromPort", "ipv6CidrBlocks")))
    else:
        shapes.append(("rule", props, ("ipProtocol", "cidrIpv4"), ("fromPort", "cidrIpv6")))
    rules = []
    for where, rule, (protocol_key, v4_key), (_, v6_key) in shapes:
        raw = [get(rule, key) for key in (protocol_key, v4_key, v6_key, "fromPort", "toPort")]
        protocol = raw[0]
        sources = strings(raw[1]) + strings(raw[2])
        unknown = any(isinstance(value, Unknown) for value in raw) or any(
            isinstance(value, Unknown) for value in items(raw[1]) + items(raw[2])
        )
        written = str(protocol).lower().removesuffix(".0") if isinstance(protocol, (str, int, float)) else ""
        rules.append(IngressRule(where, sources, port_range(raw[3], raw[4]), _all_protocols(protocol), unknown, written))
    return rules


def _all_protocols(protocol: Any) -> bool:
    return isinstance(protocol, (str, int, float)) and str(protocol).lower().removesuffix(".0") in ("-1", "all")


SECURITY_GROUP_TYPES = (
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
)


@resource_policy(
    name="security-group-no-public-admin-ports",
    description="Security groups do not open SSH (22) or RDP (3389) to the internet (0.0.0.0/0, ::/0 or another public range wider than /8 or /16).",
    types=SECURITY_GROUP_TYPES,
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Restrict the source to a VPN/office range or use SSM Session Manager instead of inbound SSH/RDP.",
    config={
        "adminPorts": {
            "type": "array",
            "items": {"type": "integer"},
            "default": list(ADMIN_PORTS),
            "description": "Ports that must never be open to the internet.",
        }
    },
)
def security_group_no_public_admin_ports(resource: ResourceContext, report: Report) -> None:
    admin = tuple(int(port) for port in resource.config["adminPorts"] if number(port) is not None)
    for rule in ingress_rules(resource.type, resource.props):
        public = [source for source in rule.sources if is_public_source(source)]
        if rule.unknown and not public:
            resource.unknown(rule.where)
            continue
        if not public:
            continue
        if rule.all_traffic:
            exposed = list(admin)
        elif rule.ports is None:
            if rule.unknown:
                resource.unknown(rule.where)
            exposed = []
        else:
            exposed = admin_ports_in([rule.ports], admin)
        if exposed:
            report(
                f"{resource.label}: {rule.where} allows {describe_source(public[0])} on port(s) {', '.join(map(str, exposed))}. Fix: restrict the source CIDR to trusted ranges or use SSM Session Manager."
            )


@resource_policy(
    name="security-group-no-public-all-ports",
    description="Security groups do not open every port (or all protocols) to the internet (0.0.0.0/0, ::/0 or another public range wider than /8 or /16).",
    types=SECURITY_GROUP_TYPES,
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Open only the ports the service listens on (e.g. 443) to the internet.",
)
def security_group_no_public_all_ports(resource: ResourceContext, report: Report) -> None:
    for rule in ingress_rules(resource.type, resource.props):
        public = [source for source in rule.sources if is_public_source(source)]
        if public and (rule.all_traffic or (rule.ports is not None and is_all_ports([rule.ports]))):
            report(
                f"{resource.label}: {rule.where} allows all traffic from {describe_source(public[0])}. Fix: allow only the listener ports (e.g. 443) from the internet."
            )
        elif rule.unknown:
            resource.unknown(rule.where)


# --- Load balancers -------------------------------------------------------------------------------------


def _redirects_to_https(action: Any) -> bool:
    return get(action, "type") == "redirect" and str(get(action, "redirect", "protocol") or "").upper() == "HTTPS"


@resource_policy(
    name="alb-listener-https-only",
    description="Load balancer HTTP listeners only redirect to HTTPS; traffic is served over HTTPS.",
    types=LISTENERS,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Serve on an HTTPS listener with an ACM certificate; make the HTTP listener's default action a redirect to HTTPS.",
)
def alb_listener_https_only(resource: ResourceContext, report: Report) -> None:
    protocol = get(resource.props, "protocol")
    if isinstance(protocol, Unknown):
        resource.unknown("protocol")
        return
    if str(protocol or "").upper() != "HTTP":
        return
    actions = items(get(resource.props, "defaultActions"))
    if not actions or not all(_redirects_to_https(action) for action in actions):
        kinds = ", ".join(str(get(action, "type")) for action in actions) or "none"
        report(
            f"{resource.label}: plain HTTP listener on port {get(resource.props, 'port')} with default action(s) {kinds}. Fix: make it a redirect to HTTPS (statusCode HTTP_301) and serve traffic on an HTTPS listener."
        )


MODERN_TLS = re.compile(r"TLS13-1-[23]|TLS-1-2|FS-1-2|TLS13-1-2")


@resource_policy(
    name="alb-listener-modern-tls",
    description="HTTPS/TLS listeners use a TLS 1.2+ security policy.",
    types=LISTENERS,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS 1.2+ policy).",
    config={
        "allowedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Extra SSL policy names to accept besides the built-in TLS 1.2+ set.",
        }
    },
)
def alb_listener_modern_tls(resource: ResourceContext, report: Report) -> None:
    protocol = str(get(resource.props, "protocol") or "").upper()
    if protocol not in ("HTTPS", "TLS"):
        return
    policy = get(resource.props, "sslPolicy")
    if isinstance(policy, Unknown):
        resource.unknown("sslPolicy")
        return
    if not isinstance(policy, str) or not policy:
        report(
            f"{resource.label}: no sslPolicy, so AWS uses ELBSecurityPolicy-2016-08 (TLS 1.0). Fix: set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06."
        )
    elif not MODERN_TLS.search(policy) and policy not in resource.config["allowedPolicies"]:
        report(f"{resource.label}: sslPolicy {policy!r} allows TLS below 1.2. Fix: use ELBSecurityPolicy-TLS13-1-2-2021-06.")


@resource_policy(
    name="alb-drop-invalid-header-fields",
    description="Application load balancers drop invalid HTTP header fields (request smuggling defence).",
    types=LOAD_BALANCERS,
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set dropInvalidHeaderFields: true on the application load balancer.",
    fix=lambda props, resource: (
        set_value(props, "dropInvalidHeaderFields", True)
        if get(resource.props, "loadBalancerType") in (None, "application")
        else False
    ),
)
def alb_drop_invalid_header_fields(resource: ResourceContext, report: Report) -> None:
    kind = get(resource.props, "loadBalancerType")
    if kind not in (None, "application"):
        return
    value = get(resource.props, "dropInvalidHeaderFields")
    if isinstance(value, Unknown):
        resource.unknown("dropInvalidHeaderFields")
    elif flag(value) is not True:
        report(f"{resource.label}: dropInvalidHeaderFields is {value!r}. Fix: set dropInvalidHeaderFields: true.")


PRODUCTION_PORTS: tuple[int, ...] = (80, 443)
"""Listener ports an internet-facing load balancer is expected to serve the public on."""
_PORT_PROTOCOLS = frozenset({"tcp", "6", "udp", "17"})
"""Rule protocols that reach a listener (ICMP and others carry no ports)."""


def _pointed_at(resource: StackResource, *properties: str) -> set[str]:
    """What the named properties refer to: the URNs they depend on and the literal ids/ARNs they hold."""
    found: set[str] = set()
    for name in properties:
        found.update(resource.property_dependencies.get(name, []))
        found.update(strings(get(resource.props, name)))
    return found


def _identities(resource: StackResource, *properties: str) -> set[str]:
    """How other resources may refer to this one: its URN and its known id/ARN outputs."""
    return {resource.urn} | {value for name in properties for value in strings(get(resource.props, name))}


def _non_production_exposure(rule: IngressRule, production: set[int]) -> str | None:
    """The ports of a rule beyond the production ones, as shown in messages; None when there are none."""
    if rule.all_traffic:
        return "all ports"
    if rule.protocol not in _PORT_PROTOCOLS or rule.ports is None:
        return None
    low, high = rule.ports
    if high - low + 1 <= sum(1 for port in production if low <= port <= high):
        return None
    return f"port {low}" if low == high else f"ports {low}-{high}"


@stack_policy(
    name="lb-test-ports-not-public",
    description="Internet-facing load balancers open only their production ports (80/443) to the internet; other "
    "ports, such as the test listener that reaches the idle color, admit only trusted ranges.",
    enforcement=ADVISORY,
    severity=Severity.HIGH,
    remediation_steps="Limit the security group rules for the test listener port to trusted CIDRs (office, VPN, CI "
    "runners); keep only 80/443 open to 0.0.0.0/0.",
    config={
        "productionPorts": {
            "type": "array",
            "items": {"type": "integer"},
            "default": list(PRODUCTION_PORTS),
            "description": "Ports an internet-facing load balancer may open to the internet.",
        }
    },
)
def lb_test_ports_not_public(stack: StackContext, report: StackReport) -> None:
    # Which port carries the test route is not visible on the rule itself, so this works from the one thing
    # that is: a public rule on an internet-facing load balancer's security group for a non-production port.
    production = {int(port) for port in stack.config["productionPorts"] if number(port) is not None}
    # Unset `internal` is AWS's default, internet-facing; an unknown one is left undecided.
    balancers = [
        balancer
        for balancer in stack.of_type(*LOAD_BALANCERS)
        if get(balancer.props, "internal") is None or flag(get(balancer.props, "internal")) is False
    ]
    if not balancers:
        return
    listeners = stack.of_type(*LISTENERS)
    reported: set[tuple[str, str, str]] = set()
    for resource in stack.of_type(*SECURITY_GROUP_TYPES):
        group = (
            _identities(resource, "id")
            if resource.type == "aws:ec2/securityGroup:SecurityGroup"
            else _pointed_at(resource, "securityGroupId")
        )
        for balancer in balancers:
            if not group & _pointed_at(balancer, "securityGroups"):
                continue
            for rule in ingress_rules(resource.type, resource.props):
                public = [source for source in rule.sources if is_public_source(source)]
                exposed = _non_production_exposure(rule, production) if public else None
                key = (resource.urn, rule.where, balancer.urn)
                if exposed is None or key in reported:
                    continue
                reported.add(key)
                served = _listeners_in(listeners, balancer, rule, production)
                via = f" (listener {', '.join(served)})" if served else ""
                allowed = f"Only ports {', '.join(map(str, sorted(production)))}" if production else "No port"
                report(
                    f"{resource.label}: {rule.where} admits {describe_source(public[0])} on {exposed}{via} of "
                    f"internet-facing load balancer {balancer.label}. {allowed} should be public; a test listener on "
                    "another port reaches the idle, unreleased color. Fix: restrict this rule's source to trusted "
                    "ranges (office, VPN, CI runners).",
                    resource.urn,
                )


def _listeners_in(listeners: list[StackResource], balancer: StackResource, rule: IngressRule, production: set[int]) -> list[str]:
    """Names and ports of the balancer's non-production listeners that a rule's ports reach."""
    own = _identities(balancer, "arn", "id")
    found = []
    for listener in listeners:
        port = number(get(listener.props, "port"))
        if port is None or port in production or not own & _pointed_at(listener, "loadBalancerArn"):
            continue
        if rule.all_traffic or (rule.ports is not None and rule.ports[0] <= port <= rule.ports[1]):
            found.append(f"'{listener.name}' on port {port:g}")
    return found


# --- RDS ------------------------------------------------------------------------------------------------

RDS_INSTANCES = ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance")


@resource_policy(
    name="rds-not-publicly-accessible",
    description="RDS instances are not publicly accessible.",
    types=RDS_INSTANCES,
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Set publiclyAccessible: false and reach the database from inside the VPC (or through a bastion/SSM).",
)
def rds_not_publicly_accessible(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "publiclyAccessible")
    if isinstance(value, Unknown):
        resource.unknown("publiclyAccessible")
    elif flag(value) is True:
        report(f"{resource.label}: publiclyAccessible is true. Fix: set it to false; connect from inside the VPC.")


@resource_policy(
    name="rds-storage-encrypted",
    description="RDS instances and clusters encrypt their storage.",
    types=("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set storageEncrypted: true (optionally with kmsKeyId); existing databases need a snapshot restore.",
)
def rds_storage_encrypted(resource: ResourceContext, report: Report) -> None:
    if resource.type == "aws:rds/cluster:Cluster" and get(resource.props, "engineMode") == "serverless":
        return  # Serverless v1 clusters are always encrypted.
    value = get(resource.props, "storageEncrypted")
    if isinstance(value, Unknown):
        resource.unknown("storageEncrypted")
    elif flag(value) is not True:
        report(f"{resource.label}: storageEncrypted is {value!r}. Fix: set storageEncrypted: true.")


@resource_policy(
    name="rds-backup-retention",
    description="RDS instances and clusters keep automated backups long enough.",
    types=("aws:rds/instance:Instance", "aws:rds/cluster:Cluster"),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set backupRetentionPeriod to at least the configured minimum (7 days by default).",
    config={
        "minDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 35,
            "default": 7,
            "description": "Minimum backup retention in days.",
        }
    },
)
def rds_backup_retention(resource: ResourceContext, report: Report) -> None:
    if resource.type == "aws:rds/instance:Instance" and get(resource.props, "replicateSourceDb"):
        return  # Read replicas take no automated backups of their own.
    value = get(resource.props, "backupRetentionPeriod")
    if isinstance(value, Unknown):
        resource.unknown("backupRetentionPeriod")
        return
    days = number(value)
    minimum = resource.config["minDays"]
    if days is None or days < minimum:
        shown = "unset (AWS defaults to 1 day)" if days is None else f"{days:g} days"
        report(f"{resource.label}: backupRetentionPeriod is {shown}. Fix: set backupRetentionPeriod >= {minimum}.")


# --- EBS / EC2 ------------------------------------------------------------------------------------------


@resource_policy(
    name="ebs-volume-encrypted",
    description="EBS volumes are encrypted.",
    types=("aws:ebs/volume:Volume",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    # No automatic fix: turning on encryption replaces the volume (its data would be lost).
    remediation_steps="Set encrypted: true (or turn on EBS encryption by default for the account and region); existing volumes need a snapshot copy.",
)
def ebs_volume_encrypted(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "encrypted")
    if isinstance(value, Unknown):
        resource.unknown("encrypted")
    elif flag(value) is not True:
        report(f"{resource.label}: encrypted is {value!r}. Fix: set encrypted: true.")


@resource_policy(
    name="ec2-block-devices-encrypted",
    description="EC2 instances and launch templates encrypt their root and EBS block devices.",
    types=("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set encrypted: true on rootBlockDevice/ebsBlockDevices (instances) or blockDeviceMappings[].ebs (launch templates).",
)
def ec2_block_devices_encrypted(resource: ResourceContext, report: Report) -> None:
    devices: list[tuple[str, Any]] = []
    if resource.type == "aws:ec2/instance:Instance":
        devices.append(("rootBlockDevice", get(resource.props, "rootBlockDevice", "encrypted")))
        devices += [
            (f"ebsBlockDevices[{i}]", get(d, "encrypted")) for i, d in enumerate(items(get(resource.props, "ebsBlockDevices")))
        ]
    else:
        devices += [
            (f"blockDeviceMappings[{i}].ebs", get(m, "ebs", "encrypted"))
            for i, m in enumerate(items(get(resource.props, "blockDeviceMappings")))
            if isinstance(get(m, "ebs"), dict)
        ]
    for where, value in devices:
        if isinstance(value, Unknown):
            resource.unknown(where)
        elif flag(value) is not True:
            report(f"{resource.label}: {where} encrypted is {value!r}. Fix: set encrypted: true.")


@resource_policy(
    name="ec2-no-public-ip",
    description="EC2 instances and launch templates do not get public IP addresses.",
    types=("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Place instances in private subnets with associatePublicIpAddress false; expose them through a load balancer.",
)
def ec2_no_public_ip(resource: ResourceContext, report: Report) -> None:
    if resource.type == "aws:ec2/instance:Instance":
        values = [("associatePublicIpAddress", get(resource.props, "associatePublicIpAddress"))]
    else:
        values = [
            (f"networkInterfaces[{i}].associatePublicIpAddress", get(n, "associatePublicIpAddress"))
            for i, n in enumerate(items(get(resource.props, "networkInterfaces")))
        ]
    for where, value in values:
        if flag(value) is True:
            report(
                f"{resource.label}: {where} is true. Fix: set it to false and put the instance behind a load balancer in a private subnet."
            )


def _fix_imdsv2(props: dict[str, Any], resource: ResourceContext) -> bool:
    options = props.get("metadataOptions")
    if not isinstance(options, dict):
        options = {}
        props["metadataOptions"] = options
    if options.get("httpTokens") == "required":
        return False
    options["httpTokens"] = "required"
    return True


@resource_policy(
    name="ec2-imdsv2-required",
    description="EC2 instances and launch templates require IMDSv2 (metadataOptions.httpTokens = required).",
    types=("aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps='Set metadataOptions.httpTokens to "required".',
    fix=_fix_imdsv2,
)
def ec2_imdsv2_required(resource: ResourceContext, report: Report) -> None:
    if get(resource.props, "metadataOptions", "httpEndpoint") == "disabled":
        return
    tokens = get(resource.props, "metadataOptions", "httpTokens")
    if isinstance(tokens, Unknown):
        resource.unknown("metadataOptions.httpTokens")
    elif tokens != "required":
        report(
            f"{resource.label}: metadataOptions.httpTokens is {tokens!r}, so IMDSv1 stays on. Fix: set metadataOptions.httpTokens to 'required'."
        )


# --- ECS ------------------------------------------------------------------------------------------------


@resource_policy(
    name="ecs-no-privileged-containers",
    description="ECS task definitions run no privileged containers.",
    types=("aws:ecs/taskDefinition:TaskDefinition",),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Remove privileged: true; grant specific Linux capabilities only if really needed.",
)
def ecs_no_privileged_containers(resource: ResourceContext, report: Report) -> None:
    definitions = container_definitions(resource.props)
    if isinstance(definitions, Unknown):
        resource.unknown("containerDefinitions")
        return
    for index, definition in enumerate(definitions):
        if flag(definition.get("privileged")) is True:
            report(
                f"{resource.label}: containerDefinitions[{index}] ({definition.get('name')}) is privileged. Fix: remove privileged: true."
            )


@resource_policy(
    name="ecs-no-plaintext-secrets",
    description="ECS task definitions pass secrets through `secrets` (Secrets Manager/SSM), never as plain environment values.",
    types=("aws:ecs/taskDefinition:TaskDefinition",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Store the value in Secrets Manager or SSM Parameter Store (SecureString) and reference it from the container's `secrets` list.",
)
def ecs_no_plaintext_secrets(resource: ResourceContext, report: Report) -> None:
    definitions = container_definitions(resource.props)
    if isinstance(definitions, Unknown):
        resource.unknown("containerDefinitions")
        return
    for index, definition in enumerate(definitions):
        for variable in items(definition.get("environment")):
            name, value = get(variable, "name"), get(variable, "value")
            if not isinstance(name, str) or not is_literal(value):
                continue
            if secret_name(name) or looks_like_secret(str(value)):
                report(
                    f"{resource.label}: containerDefinitions[{index}] environment {name} holds a plain-text secret. Fix: move it to Secrets Manager/SSM and list it under `secrets` with valueFrom."
                )


# --- IAM ------------------------------------------------------------------------------------------------

IAM_DOCUMENT_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/role:Role",
)
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
ADMIN_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")


@resource_policy(
    name="iam-no-wildcard-admin",
    description='IAM policies never allow Action "*" on Resource "*" (full admin), nor attach AdministratorAccess.',
    types=(*IAM_DOCUMENT_TYPES, *ATTACHMENT_TYPES),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="List the actions and resources the workload needs (least privilege).",
)
def iam_no_wildcard_admin(resource: ResourceContext, report: Report) -> None:
    if resource.type in ATTACHMENT_TYPES:
        arn = get(resource.props, "policyArn")
        if isinstance(arn, str) and ADMIN_POLICY_ARN.match(arn):
            report(f"{resource.label}: attaches {arn}. Fix: attach a least-privilege policy instead.")
        return
    documents: list[tuple[str, Any]] = []
    if resource.type == "aws:iam/role:Role":
        documents += [
            (f"inlinePolicies[{i}].policy", get(p, "policy")) for i, p in enumerate(items(get(resource.props, "inlinePolicies")))
        ]
        documents += [(f"managedPolicyArns[{i}]", arn) for i, arn in enumerate(strings(get(resource.props, "managedPolicyArns")))]
    else:
        documents.append(("policy", get(resource.props, "policy")))
    for where, document in documents:
        if isinstance(document, Unknown):
            resource.unknown(where)
            continue
        if isinstance(document, str) and ADMIN_POLICY_ARN.match(document):
            report(f"{resource.label}: {where} is {document}. Fix: use a least-privilege policy instead.")
            continue
        for index, statement in enumerate(_statements(json_document(document))):
            actions, targets = strings(statement.get("Action")), strings(statement.get("Resource"))
            if statement.get("Effect") == "Allow" and "*" in actions and "*" in targets:
                report(
                    f"{resource.label}: {where} Statement[{index}] allows Action '*' on Resource '*'. Fix: list the specific actions and resource ARNs needed."
                )


# --- KMS / ECR ------------------------------------------------------------------------------------------


def _symmetric(props: Any) -> bool:
    spec = get(props, "customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = get(props, "keyUsage") or "ENCRYPT_DECRYPT"
    return spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT"


@resource_policy(
    name="kms-key-rotation",
    description="Symmetric KMS keys rotate automatically.",
    types=("aws:kms/key:Key",),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set enableKeyRotation: true.",
    fix=lambda props, resource: set_value(props, "enableKeyRotation", True) if _symmetric(resource.props) else False,
)
def kms_key_rotation(resource: ResourceContext, report: Report) -> None:
    if not _symmetric(resource.props):
        return  # AWS supports automatic rotation only for symmetric encryption keys.
    value = get(resource.props, "enableKeyRotation")
    if isinstance(value, Unknown):
        resource.unknown("enableKeyRotation")
    elif flag(value) is not True:
        report(f"{resource.label}: enableKeyRotation is {value!r}. Fix: set enableKeyRotation: true.")


def _fix_scan_on_push(props: dict[str, Any], resource: ResourceContext) -> bool:
    scanning = props.get("imageScanningConfiguration")
    if not isinstance(scanning, dict):
        scanning = {}
        props["imageScanningConfiguration"] = scanning
    if scanning.get("scanOnPush") is True:
        return False
    scanning["scanOnPush"] = True
    return True


@resource_policy(
    name="ecr-scan-on-push",
    description="ECR repositories scan images on push.",
    types=("aws:ecr/repository:Repository",),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set imageScanningConfiguration.scanOnPush: true (or enable registry-level enhanced scanning).",
    fix=_fix_scan_on_push,
)
def ecr_scan_on_push(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "imageScanningConfiguration", "scanOnPush")
    if isinstance(value, Unknown):
        resource.unknown("imageScanningConfiguration.scanOnPush")
    elif flag(value) is not True:
        report(f"{resource.label}: imageScanningConfiguration.scanOnPush is {value!r}. Fix: set it to true.")


@resource_policy(
    name="ecr-immutable-tags",
    description="ECR repositories make image tags immutable, so a deployed tag always means the same image.",
    types=("aws:ecr/repository:Repository",),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set imageTagMutability to IMMUTABLE and publish a new tag per build.",
)
def ecr_immutable_tags(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "imageTagMutability")
    if isinstance(value, Unknown):
        resource.unknown("imageTagMutability")
    elif not (isinstance(value, str) and value.startswith("IMMUTABLE")):
        report(
            f"{resource.label}: imageTagMutability is {value or 'MUTABLE (default)'}. Fix: set imageTagMutability to IMMUTABLE."
        )


POLICIES = [
    s3_public_access_block_enabled,
    s3_bucket_has_public_access_block,
    s3_bucket_server_side_encryption,
    s3_no_public_acl,
    s3_bucket_policy_no_public_principal,
    security_group_no_public_admin_ports,
    security_group_no_public_all_ports,
    alb_listener_https_only,
    alb_listener_modern_tls,
    alb_drop_invalid_header_fields,
    lb_test_ports_not_public,
    rds_not_publicly_accessible,
    rds_storage_encrypted,
    rds_backup_retention,
    ebs_volume_encrypted,
    ec2_block_devices_encrypted,
    ec2_no_public_ip,
    ec2_imdsv2_required,
    ecs_no_privileged_containers,
    ecs_no_plaintext_secrets,
    iam_no_wildcard_admin,
    kms_key_rotation,
    ecr_scan_on_push,
    ecr_immutable_tags,
]
