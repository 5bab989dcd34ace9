"""Google Cloud security policies: firewalls, Cloud Storage, Cloud SQL, Compute Engine, SSL policies."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from policies.common.framework import ADVISORY, MANDATORY, Report, ResourceContext, resource_policy
from policies.common.network import (
    ADMIN_PORTS,
    DATA_PORTS,
    admin_ports_in,
    describe_source,
    is_all_ports,
    is_public_source,
    parse_port_spec,
)
from policies.common.props import Unknown, flag, get, items, json_document, set_value, strings

PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
INSTANCE_TYPES = (
    "gcp:compute/instance:Instance",
    "gcp:compute/instanceTemplate:InstanceTemplate",
    "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate",
)


def _public_allow_rules(resource: ResourceContext) -> list[tuple[str, str, list[tuple[int, int]] | None]]:
    """(where, public source, port ranges; None = all ports) of each allow rule open to the internet."""
    props = resource.props
    if str(get(props, "direction") or "INGRESS").upper() != "INGRESS" or flag(get(props, "disabled")) is True:
        return []
    sources = get(props, "sourceRanges")
    if isinstance(sources, Unknown):
        resource.unknown("sourceRanges")
        return []
    public = [source for source in strings(sources) if is_public_source(source)]
    if not public:
        return []
    found = []
    for index, allow in enumerate(items(get(props, "allows"))):
        protocol = str(get(allow, "protocol") or "").lower()
        if protocol not in ("tcp", "udp", "all", "sctp", "6", "17"):
            continue
        specs = get(allow, "ports")
        if isinstance(specs, Unknown):
            resource.unknown(f"allows[{index}].ports")
            continue
        ranges = [r for r in (parse_port_spec(spec) for spec in items(specs)) if r is not None]
        found.append((f"allows[{index}]", public[0], None if protocol == "all" or not items(specs) else ranges))
    return found


@resource_policy(
    name="gcp-firewall-no-public-admin-ports",
    description="VPC firewall rules do not open SSH (22) or RDP (3389) to the internet (0.0.0.0/0, ::/0 or another public range wider than /8 or /16).",
    types=("gcp:compute/firewall:Firewall",),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Use IAP TCP forwarding (source 35.235.240.0/20) or a VPN range instead of the internet.",
)
def gcp_firewall_no_public_admin_ports(resource: ResourceContext, report: Report) -> None:
    for where, source, ranges in _public_allow_rules(resource):
        exposed = list(ADMIN_PORTS) if ranges is None else admin_ports_in(ranges)
        if exposed:
            report(
                f"{resource.label}: {where} allows {describe_source(source)} on port(s) {', '.join(map(str, exposed))}. Fix: restrict sourceRanges to IAP (35.235.240.0/20) or a VPN range."
            )


@resource_policy(
    name="gcp-firewall-no-public-all-ports",
    description="VPC firewall rules do not open every port to the internet (0.0.0.0/0, ::/0 or another public range wider than /8 or /16).",
    types=("gcp:compute/firewall:Firewall",),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Allow only the serving ports (e.g. 443) from the internet, or only the load balancer ranges.",
)
def gcp_firewall_no_public_all_ports(resource: ResourceContext, report: Report) -> None:
    for where, source, ranges in _public_allow_rules(resource):
        if ranges is None or is_all_ports(ranges):
            report(
                f"{resource.label}: {where} allows every port from {describe_source(source)}. Fix: list only the serving ports in `ports`."
            )


@resource_policy(
    name="gcs-uniform-bucket-level-access",
    description="Cloud Storage buckets use uniform bucket-level access (IAM only, no object ACLs).",
    types=("gcp:storage/bucket:Bucket",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    # No automatic fix: switching an existing bucket drops its object ACLs, which readers may rely on.
    remediation_steps="Set uniformBucketLevelAccess: true after granting readers IAM roles instead of object ACLs.",
)
def gcs_uniform_bucket_level_access(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "uniformBucketLevelAccess")
    if isinstance(value, Unknown):
        resource.unknown("uniformBucketLevelAccess")
    elif flag(value) is not True:
        report(f"{resource.label}: uniformBucketLevelAccess is {value!r}. Fix: set uniformBucketLevelAccess: true.")


@resource_policy(
    name="gcs-no-public-members",
    description="Cloud Storage buckets grant nothing to allUsers or allAuthenticatedUsers.",
    types=(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp:storage/bucketIAMBinding:BucketIAMBinding",
        "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
        "gcp:storage/bucketAccessControl:BucketAccessControl",
        "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Grant roles to specific principals; serve public content through Cloud CDN with signed URLs or a backend bucket.",
)
def gcs_no_public_members(resource: ResourceContext, report: Report) -> None:
    props = resource.props
    members = strings(get(props, "member")) + strings(get(props, "members")) + strings(get(props, "entity"))
    for binding in items(get(json_document(get(props, "policyData")), "bindings")):
        members += strings(get(binding, "members"))
    for member in members:
        if member in PUBLIC_MEMBERS:
            report(
                f"{resource.label}: grants {get(props, 'role') or 'access'} to {member}. Fix: grant the role to specific users, groups or service accounts."
            )


def _settings(resource: ResourceContext) -> Any:
    return (
        get(resource.props, "settings", 0)
        if isinstance(get(resource.props, "settings"), list)
        else get(resource.props, "settings")
    )


@resource_policy(
    name="cloudsql-no-public-authorized-networks",
    description="Cloud SQL instances do not authorize the internet (0.0.0.0/0 or another public range wider than /8 or /16).",
    types=("gcp:sql/databaseInstance:DatabaseInstance",),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Use private IP (ipConfiguration.privateNetwork) or the Cloud SQL Auth Proxy; authorize only specific ranges.",
)
def cloudsql_no_public_authorized_networks(resource: ResourceContext, report: Report) -> None:
    networks = get(_settings(resource), "ipConfiguration", "authorizedNetworks")
    for index, network in enumerate(items(networks)):
        if is_public_source(get(network, "value")):
            report(
                f"{resource.label}: settings.ipConfiguration.authorizedNetworks[{index}] is {describe_source(str(get(network, 'value')))}. Fix: use private IP or the Cloud SQL Auth Proxy."
            )


@resource_policy(
    name="cloudsql-ssl-required",
    description="Cloud SQL instances only accept encrypted connections.",
    types=("gcp:sql/databaseInstance:DatabaseInstance",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED.",
)
def cloudsql_ssl_required(resource: ResourceContext, report: Report) -> None:
    ip = get(_settings(resource), "ipConfiguration")
    mode = get(ip, "sslMode")
    if isinstance(mode, Unknown):
        resource.unknown("settings.ipConfiguration.sslMode")
    elif mode not in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED") and flag(get(ip, "requireSsl")) is not True:
        report(
            f"{resource.label}: settings.ipConfiguration.sslMode is {mode or 'unset (unencrypted allowed)'}. Fix: set sslMode to ENCRYPTED_ONLY."
        )


@resource_policy(
    name="cloudsql-backups-enabled",
    description="Cloud SQL instances take automated backups.",
    types=("gcp:sql/databaseInstance:DatabaseInstance",),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set settings.backupConfiguration.enabled: true (and pointInTimeRecoveryEnabled for production).",
)
def cloudsql_backups_enabled(resource: ResourceContext, report: Report) -> None:
    if get(resource.props, "masterInstanceName"):
        return  # Replicas are backed up through their primary.
    enabled = get(_settings(resource), "backupConfiguration", "enabled")
    if isinstance(enabled, Unknown):
        resource.unknown("settings.backupConfiguration.enabled")
    elif flag(enabled) is not True:
        report(f"{resource.label}: settings.backupConfiguration.enabled is {enabled!r}. Fix: set it to true.")


@resource_policy(
    name="gce-no-external-ip",
    description="Compute Engine instances and templates have no external IP (no accessConfigs).",
    types=INSTANCE_TYPES,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Remove accessConfigs; use Cloud NAT for egress and a load balancer or IAP for ingress.",
)
def gce_no_external_ip(resource: ResourceContext, report: Report) -> None:
    for index, interface in enumerate(items(get(resource.props, "networkInterfaces"))):
        configs = get(interface, "accessConfigs")
        if items(configs):
            report(
                f"{resource.label}: networkInterfaces[{index}] has accessConfigs (an external IP). Fix: remove accessConfigs and use Cloud NAT for egress."
            )


@resource_policy(
    name="gce-shielded-vm",
    description="Compute Engine instances and templates run as Shielded VMs with Secure Boot.",
    types=INSTANCE_TYPES,
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set shieldedInstanceConfig { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true } on a Shielded VM image.",
)
def gce_shielded_vm(resource: ResourceContext, report: Report) -> None:
    config = get(resource.props, "shieldedInstanceConfig")
    if isinstance(config, Unknown):
        resource.unknown("shieldedInstanceConfig")
        return
    off = [key for key in ("enableSecureBoot",) if flag(get(config, key)) is not True]
    off += [key for key in ("enableVtpm", "enableIntegrityMonitoring") if flag(get(config, key)) is False]
    if off:
        report(
            f"{resource.label}: shieldedInstanceConfig {', '.join(off)} not on. Fix: enable Secure Boot, vTPM and integrity monitoring."
        )


@resource_policy(
    name="gce-no-default-service-account-full-scope",
    description="Compute Engine instances do not run as the default service account with the cloud-platform scope.",
    types=INSTANCE_TYPES,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Create a dedicated service account with only the roles the workload needs and set serviceAccount.email to it.",
)
def gce_no_default_service_account_full_scope(resource: ResourceContext, report: Report) -> None:
    account = get(resource.props, "serviceAccount")
    if account is None:
        return  # No service account attached: no credentials on the VM.
    email = get(account, "email")
    if isinstance(email, Unknown):
        resource.unknown("serviceAccount.email")
        return
    default = email in (None, "", "default") or (
        isinstance(email, str) and email.endswith("-compute@developer.gserviceaccount.com")
    )
    scopes = strings(get(account, "scopes"))
    full = any(scope in ("cloud-platform", "https://www.googleapis.com/auth/cloud-platform") for scope in scopes)
    if default and full:
        report(
            f"{resource.label}: runs as the default compute service account ({email or 'default'}) with the cloud-platform scope. Fix: use a dedicated least-privilege service account."
        )


@resource_policy(
    name="gcp-ssl-policy-tls12",
    description="SSL policies require TLS 1.2 or newer.",
    types=("gcp:compute/sSLPolicy:SSLPolicy", "gcp:compute/regionSslPolicy:RegionSslPolicy"),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set minTlsVersion to TLS_1_2 (profile MODERN or RESTRICTED).",
    fix=lambda props, resource: (
        set_value(props, "minTlsVersion", "TLS_1_2")
        if get(resource.props, "minTlsVersion") not in ("TLS_1_2", "TLS_1_3")
        else False
    ),
)
def gcp_ssl_policy_tls12(resource: ResourceContext, report: Report) -> None:
    version = get(resource.props, "minTlsVersion")
    if isinstance(version, Unknown):
        resource.unknown("minTlsVersion")
    elif version not in ("TLS_1_2", "TLS_1_3"):
        report(f"{resource.label}: minTlsVersion is {version or 'unset (TLS_1_0)'}. Fix: set minTlsVersion to TLS_1_2.")


@resource_policy(
    name="gcp-firewall-no-public-data-ports",
    description="VPC firewall rules do not open database, cache or search ports (3306, 5432, 1433, 6379, 27017, 9200...) to the internet.",
    types=("gcp:compute/firewall:Firewall",),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Allow the data port only from the application's network tags or service accounts, or private ranges.",
)
def gcp_firewall_no_public_data_ports(resource: ResourceContext, report: Report) -> None:
    for where, source, ranges in _public_allow_rules(resource):
        if ranges is None or is_all_ports(ranges):
            continue  # every port open: gcp-firewall-no-public-all-ports reports it
        exposed = admin_ports_in(ranges, DATA_PORTS)
        if exposed:
            report(
                f"{resource.label}: {where} allows {describe_source(source)} on data port(s) {', '.join(map(str, exposed))}. Fix: restrict sourceRanges to private ranges or use sourceTags/sourceServiceAccounts."
            )


def _metadata_flag(resource: ResourceContext, key: str) -> bool | Unknown | None:
    """A GCE metadata switch (`"TRUE"`, `"true"`, `"1"`...), None when unset."""
    metadata = get(resource.props, "metadata")
    if isinstance(metadata, Unknown):
        resource.unknown("metadata")
        return metadata
    value = get(metadata, key)
    if isinstance(value, Unknown):
        resource.unknown(f"metadata.{key}")
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "0", "yes", "no"):
        return value.strip().lower() in ("1", "yes")
    return flag(value.strip() if isinstance(value, str) else value)


@resource_policy(
    name="gce-serial-port-disabled",
    description="Compute Engine instances and templates keep the interactive serial console off.",
    types=INSTANCE_TYPES,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Remove metadata serial-port-enable (or set it to FALSE).",
)
def gce_serial_port_disabled(resource: ResourceContext, report: Report) -> None:
    if _metadata_flag(resource, "serial-port-enable") is True:
        report(f"{resource.label}: metadata serial-port-enable is on. Fix: remove it or set it to FALSE.")


@resource_policy(
    name="gce-os-login-enabled",
    description="Compute Engine instances and templates do not turn OS Login off (SSH access through IAM).",
    types=INSTANCE_TYPES,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set metadata enable-oslogin: TRUE (or leave it to the project's setting, never FALSE).",
)
def gce_os_login_enabled(resource: ResourceContext, report: Report) -> None:
    if _metadata_flag(resource, "enable-oslogin") is False:
        report(f"{resource.label}: metadata enable-oslogin is FALSE. Fix: set enable-oslogin: TRUE.")


@resource_policy(
    name="gce-block-project-ssh-keys",
    description="Compute Engine instances and templates block project-wide SSH keys.",
    types=INSTANCE_TYPES,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set metadata block-project-ssh-keys: TRUE (use OS Login for SSH).",
)
def gce_block_project_ssh_keys(resource: ResourceContext, report: Report) -> None:
    value = _metadata_flag(resource, "block-project-ssh-keys")
    if not isinstance(value, Unknown) and value is not True:
        report(
            f"{resource.label}: metadata block-project-ssh-keys is {'unset' if value is None else 'FALSE'}. Fix: set block-project-ssh-keys: TRUE."
        )


GKE_CLUSTER = "gcp:container/cluster:Cluster"


@resource_policy(
    name="gke-no-legacy-abac",
    description="GKE clusters keep legacy ABAC off (RBAC only).",
    types=(GKE_CLUSTER,),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Remove enableLegacyAbac (or set it to false).",
)
def gke_no_legacy_abac(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "enableLegacyAbac")
    if isinstance(value, Unknown):
        resource.unknown("enableLegacyAbac")
    elif flag(value) is True:
        report(f"{resource.label}: enableLegacyAbac is true. Fix: set it to false and grant access with RBAC.")


@resource_policy(
    name="gke-private-nodes",
    description="GKE cluster nodes have no public IP addresses (private nodes).",
    types=(GKE_CLUSTER,),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set privateClusterConfig.enablePrivateNodes: true (with Cloud NAT for egress).",
)
def gke_private_nodes(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "privateClusterConfig", "enablePrivateNodes")
    if isinstance(value, Unknown):
        resource.unknown("privateClusterConfig.enablePrivateNodes")
    elif flag(value) is not True:
        report(
            f"{resource.label}: privateClusterConfig.enablePrivateNodes is {'unset' if value is None else repr(value)}. Fix: set it to true."
        )


@resource_policy(
    name="gke-master-authorized-networks",
    description="GKE control planes are private or reachable only from authorized networks.",
    types=(GKE_CLUSTER,),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set masterAuthorizedNetworksConfig.cidrBlocks to admin/CI ranges, or privateClusterConfig.enablePrivateEndpoint: true.",
)
def gke_master_authorized_networks(resource: ResourceContext, report: Report) -> None:
    private = get(resource.props, "privateClusterConfig", "enablePrivateEndpoint")
    config = get(resource.props, "masterAuthorizedNetworksConfig")
    if isinstance(private, Unknown) or isinstance(config, Unknown):
        resource.unknown("masterAuthorizedNetworksConfig")
        return
    if flag(private) is True:
        return
    blocks = [get(block, "cidrBlock") for block in items(get(config, "cidrBlocks"))]
    public = [block for block in blocks if isinstance(block, str) and is_public_source(block)]
    if config is None or not blocks or public:
        shown = f"allows {public[0]}" if public else "lists no networks"
        report(
            f"{resource.label}: the control plane is public and masterAuthorizedNetworksConfig {shown}. Fix: list admin/CI CIDRs in masterAuthorizedNetworksConfig.cidrBlocks."
        )


POLICIES = [
    gcp_firewall_no_public_admin_ports,
    gcp_firewall_no_public_all_ports,
    gcs_uniform_bucket_level_access,
    gcs_no_public_members,
    cloudsql_no_public_authorized_networks,
    cloudsql_ssl_required,
    cloudsql_backups_enabled,
    gce_no_external_ip,
    gce_shielded_vm,
    gce_no_default_service_account_full_scope,
    gcp_ssl_policy_tls12,
    gcp_firewall_no_public_data_ports,
    gce_serial_port_disabled,
    gce_os_login_enabled,
    gce_block_project_ssh_keys,
    gke_no_legacy_abac,
    gke_private_nodes,
    gke_master_authorized_networks,
]
