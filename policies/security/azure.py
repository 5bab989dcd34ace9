"""Azure security policies (azure-native): storage, NSGs, Key Vault, SQL, VMs, Container Apps."""

from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from policies.common.framework import MANDATORY, Report, ResourceContext, resource_policy
from policies.common.network import ADMIN_PORTS, DATA_PORTS, admin_ports_in, describe_source, is_public_source, parse_port_spec
from policies.common.props import Unknown, flag, get, items, set_value, strings

STORAGE = ("azure-native:storage:StorageAccount",)


@resource_policy(
    name="azure-storage-https-only",
    description="Storage accounts accept HTTPS traffic only.",
    types=STORAGE,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set enableHttpsTrafficOnly: true (the default; do not turn it off).",
    fix=lambda props, resource: (
        set_value(props, "enableHttpsTrafficOnly", True) if props.get("enableHttpsTrafficOnly") is False else False
    ),
)
def azure_storage_https_only(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "enableHttpsTrafficOnly")
    if flag(value) is False:
        report(f"{resource.label}: enableHttpsTrafficOnly is false. Fix: set it to true (or remove it: true is the default).")


@resource_policy(
    name="azure-storage-min-tls12",
    description="Storage accounts require TLS 1.2 or newer.",
    types=STORAGE,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set minimumTlsVersion: TLS1_2.",
    fix=lambda props, resource: (
        set_value(props, "minimumTlsVersion", "TLS1_2") if props.get("minimumTlsVersion") not in ("TLS1_2", "TLS1_3") else False
    ),
)
def azure_storage_min_tls12(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "minimumTlsVersion")
    if isinstance(value, Unknown):
        resource.unknown("minimumTlsVersion")
    elif value not in ("TLS1_2", "TLS1_3"):
        report(
            f"{resource.label}: minimumTlsVersion is {value or 'unset (older API versions default to TLS1_0)'}. Fix: set minimumTlsVersion: TLS1_2."
        )


@resource_policy(
    name="azure-storage-no-blob-public-access",
    description="Storage accounts forbid anonymous public blob access.",
    types=STORAGE,
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Set allowBlobPublicAccess: false; share data with SAS tokens or Entra ID roles.",
    fix=lambda props, resource: set_value(props, "allowBlobPublicAccess", False),
)
def azure_storage_no_blob_public_access(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "allowBlobPublicAccess")
    if isinstance(value, Unknown):
        resource.unknown("allowBlobPublicAccess")
    elif flag(value) is not False:
        report(
            f"{resource.label}: allowBlobPublicAccess is {value if value is not None else 'unset'}. Fix: set allowBlobPublicAccess: false explicitly."
        )


def _nsg_rules(resource: ResourceContext) -> list[tuple[str, Any]]:
    if resource.type == "azure-native:network:SecurityRule":
        return [("rule", resource.props)]
    rules = get(resource.props, "securityRules")
    if isinstance(rules, Unknown):
        resource.unknown("securityRules")
        return []
    return [(f"securityRules[{i}]", rule) for i, rule in enumerate(items(rules))]


def _public_inbound_rules(resource: ResourceContext) -> list[tuple[str, str, list[str]]]:
    """(where, first public source, destination port specs) of every inbound Allow rule from a public source."""
    found = []
    for where, rule in _nsg_rules(resource):
        if str(get(rule, "direction") or "").lower() != "inbound" or str(get(rule, "access") or "").lower() != "allow":
            continue
        sources = strings(get(rule, "sourceAddressPrefix")) + strings(get(rule, "sourceAddressPrefixes"))
        public = [source for source in sources if is_public_source(source)]
        if public:
            specs = strings(get(rule, "destinationPortRange")) + strings(get(rule, "destinationPortRanges"))
            found.append((where, public[0], specs))
    return found


def _port_ranges(specs: list[str]) -> list[tuple[int, int]]:
    return [r for r in (parse_port_spec(spec) for spec in specs) if r is not None]


@resource_policy(
    name="azure-nsg-no-public-admin-ports",
    description="Network security groups do not allow inbound SSH (22) or RDP (3389) from * / Internet / Any or a public range (0.0.0.0/0, ::/0 or another wider than /8 or /16).",
    types=("azure-native:network:NetworkSecurityGroup", "azure-native:network:SecurityRule"),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Use Azure Bastion or just-in-time VM access; restrict sourceAddressPrefix to a VPN range.",
)
def azure_nsg_no_public_admin_ports(resource: ResourceContext, report: Report) -> None:
    for where, source, specs in _public_inbound_rules(resource):
        exposed = admin_ports_in(_port_ranges(specs), ADMIN_PORTS)
        if exposed:
            report(
                f"{resource.label}: {where} allows inbound from {describe_source(source)} on port(s) {', '.join(map(str, exposed))}. Fix: use Azure Bastion or restrict the source to a VPN range."
            )


@resource_policy(
    name="azure-keyvault-purge-protection",
    description="Key Vaults keep soft delete on and enable purge protection.",
    types=("azure-native:keyvault:Vault",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set properties.enablePurgeProtection: true and leave enableSoftDelete on (true).",
)
def azure_keyvault_purge_protection(resource: ResourceContext, report: Report) -> None:
    properties = get(resource.props, "properties")
    soft_delete, purge = get(properties, "enableSoftDelete"), get(properties, "enablePurgeProtection")
    if flag(soft_delete) is False:
        report(f"{resource.label}: properties.enableSoftDelete is false. Fix: keep soft delete on.")
    if isinstance(purge, Unknown):
        resource.unknown("properties.enablePurgeProtection")
    elif flag(purge) is not True:
        report(
            f"{resource.label}: properties.enablePurgeProtection is {purge!r}. Fix: set it to true (it cannot be turned off again)."
        )


@resource_policy(
    name="azure-sql-no-public-network-access",
    description="Azure SQL servers disable public network access and never allow the whole internet.",
    types=("azure-native:sql:Server", "azure-native:sql:FirewallRule"),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Set publicNetworkAccess: Disabled and connect through a private endpoint.",
)
def azure_sql_no_public_network_access(resource: ResourceContext, report: Report) -> None:
    if resource.type == "azure-native:sql:FirewallRule":
        start, end = get(resource.props, "startIpAddress"), get(resource.props, "endIpAddress")
        if start == "0.0.0.0" and end == "255.255.255.255":
            report(f"{resource.label}: allows 0.0.0.0-255.255.255.255. Fix: remove the rule and use a private endpoint.")
        return
    value = get(resource.props, "publicNetworkAccess")
    if isinstance(value, Unknown):
        resource.unknown("publicNetworkAccess")
    elif value != "Disabled":
        report(
            f"{resource.label}: publicNetworkAccess is {value or 'unset (Enabled)'}. Fix: set publicNetworkAccess: Disabled and use a private endpoint."
        )


@resource_policy(
    name="azure-vm-no-password-auth",
    description="Linux VMs and scale sets disable password authentication (SSH keys only).",
    types=("azure-native:compute:VirtualMachine", "azure-native:compute:VirtualMachineScaleSet"),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set osProfile.linuxConfiguration.disablePasswordAuthentication: true and provide ssh.publicKeys.",
)
def azure_vm_no_password_auth(resource: ResourceContext, report: Report) -> None:
    if resource.type == "azure-native:compute:VirtualMachineScaleSet":
        profile = get(resource.props, "virtualMachineProfile", "osProfile")
        where = "virtualMachineProfile.osProfile"
    else:
        profile = get(resource.props, "osProfile")
        where = "osProfile"
    if profile is None or get(profile, "windowsConfiguration") is not None:
        return  # No OS profile (attached disk) or Windows: password auth is how Windows signs in.
    value = get(profile, "linuxConfiguration", "disablePasswordAuthentication")
    if isinstance(value, Unknown):
        resource.unknown(f"{where}.linuxConfiguration.disablePasswordAuthentication")
    elif flag(value) is not True or get(profile, "adminPassword"):
        report(
            f"{resource.label}: {where} allows password authentication. Fix: set linuxConfiguration.disablePasswordAuthentication: true, remove adminPassword, use SSH keys."
        )


@resource_policy(
    name="azure-containerapp-no-insecure-ingress",
    description="Container Apps ingress does not allow plain HTTP (allowInsecure).",
    types=("azure-native:app:ContainerApp",),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set configuration.ingress.allowInsecure: false (HTTP is then redirected to HTTPS).",
)
def azure_containerapp_no_insecure_ingress(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "configuration", "ingress", "allowInsecure")
    if isinstance(value, Unknown):
        resource.unknown("configuration.ingress.allowInsecure")
    elif flag(value) is True:
        report(f"{resource.label}: configuration.ingress.allowInsecure is true. Fix: set it to false so HTTP redirects to HTTPS.")


@resource_policy(
    name="azure-nsg-no-public-data-ports",
    description="Network security groups do not allow inbound database, cache or search ports (1433, 3306, 5432, 6379, 27017, 9200...) from the internet.",
    types=("azure-native:network:NetworkSecurityGroup", "azure-native:network:SecurityRule"),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation_steps="Allow the data port only from the application subnet or a private endpoint.",
)
def azure_nsg_no_public_data_ports(resource: ResourceContext, report: Report) -> None:
    for where, source, specs in _public_inbound_rules(resource):
        if "*" in specs:
            continue
        exposed = admin_ports_in(_port_ranges(specs), DATA_PORTS)
        if exposed:
            report(
                f"{resource.label}: {where} allows inbound from {describe_source(source)} on data port(s) {', '.join(map(str, exposed))}. Fix: restrict the source to the application subnet or use a private endpoint."
            )


AKS = ("azure-native:containerservice:ManagedCluster",)


@resource_policy(
    name="aks-rbac-enabled",
    description="AKS clusters keep Kubernetes RBAC on.",
    types=AKS,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set enableRBAC: true (it cannot be changed on an existing cluster: recreate it).",
)
def aks_rbac_enabled(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "enableRBAC")
    if isinstance(value, Unknown):
        resource.unknown("enableRBAC")
    elif flag(value) is False:
        report(f"{resource.label}: enableRBAC is false. Fix: set enableRBAC: true.")


@resource_policy(
    name="aks-local-accounts-disabled",
    description="AKS clusters disable local accounts (sign-in through Entra ID only).",
    types=AKS,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set disableLocalAccounts: true with aadProfile (managed Entra ID integration).",
)
def aks_local_accounts_disabled(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "disableLocalAccounts")
    if isinstance(value, Unknown):
        resource.unknown("disableLocalAccounts")
    elif flag(value) is not True:
        report(
            f"{resource.label}: disableLocalAccounts is {'unset' if value is None else repr(value)}, so a static admin kubeconfig exists. Fix: set disableLocalAccounts: true."
        )


WEB_APPS = ("azure-native:web:WebApp", "azure-native:web:WebAppSlot")


@resource_policy(
    name="azure-appservice-https-only",
    description="App Service apps redirect HTTP to HTTPS (httpsOnly).",
    types=WEB_APPS,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set httpsOnly: true.",
    fix=lambda props, resource: set_value(props, "httpsOnly", True),
)
def azure_appservice_https_only(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "httpsOnly")
    if isinstance(value, Unknown):
        resource.unknown("httpsOnly")
    elif flag(value) is not True:
        report(f"{resource.label}: httpsOnly is {'unset' if value is None else repr(value)}. Fix: set httpsOnly: true.")


@resource_policy(
    name="azure-appservice-ftp-disabled",
    description="App Service apps allow no plain FTP deployment (ftpsState Disabled or FtpsOnly).",
    types=WEB_APPS,
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation_steps="Set siteConfig.ftpsState: Disabled (or FtpsOnly).",
)
def azure_appservice_ftp_disabled(resource: ResourceContext, report: Report) -> None:
    value = get(resource.props, "siteConfig", "ftpsState")
    if isinstance(value, Unknown):
        resource.unknown("siteConfig.ftpsState")
    elif value not in ("Disabled", "FtpsOnly"):
        report(
            f"{resource.label}: siteConfig.ftpsState is {value or 'unset (AllAllowed)'}. Fix: set siteConfig.ftpsState: Disabled."
        )


@resource_policy(
    name="azure-appservice-min-tls12",
    description="App Service apps require TLS 1.2 or newer.",
    types=WEB_APPS,
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Set siteConfig.minTlsVersion: '1.2' (and scmMinTlsVersion).",
)
def azure_appservice_min_tls12(resource: ResourceContext, report: Report) -> None:
    for key in ("minTlsVersion", "scmMinTlsVersion"):
        value = get(resource.props, "siteConfig", key)
        if isinstance(value, Unknown):
            resource.unknown(f"siteConfig.{key}")
        elif value in ("1.0", "1.1"):
            report(f"{resource.label}: siteConfig.{key} is {value}. Fix: set it to '1.2'.")


POLICIES = [
    azure_storage_https_only,
    azure_storage_min_tls12,
    azure_storage_no_blob_public_access,
    azure_nsg_no_public_admin_ports,
    azure_keyvault_purge_protection,
    azure_sql_no_public_network_access,
    azure_vm_no_password_auth,
    azure_containerapp_no_insecure_ingress,
    azure_nsg_no_public_data_ports,
    aks_rbac_enabled,
    aks_local_accounts_disabled,
    azure_appservice_https_only,
    azure_appservice_ftp_disabled,
    azure_appservice_min_tls12,
]
