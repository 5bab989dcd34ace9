"""Azure Environment: resource group, virtual network with a workload subnet delegated to Container Apps
(NSG admitting only Front Door, test ranges and the platform's own traffic; NAT gateway for egress),
Log Analytics workspace with retention, a Container Apps managed environment wired to it, and the
environment's Azure Front Door Standard profile that every service's routes live in.

The NSG's `AzureFrontDoor.Backend` service tag covers every tenant's Front Door, not just this profile; the
profile's `front_door_id` (sent as `X-Azure-FDID`) is what apps check to refuse the others (docs/azure.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import app, cdn, monitor, network, operationalinsights, resources

from components.environment import EnvironmentArgs

TYPE = "rollway:azure:Environment"
FRONT_DOOR_SERVICE_TAG = "AzureFrontDoor.Backend"
CONSUMPTION_PROFILE = "Consumption"
HTTPS_PORT = "443"
# Lowest priority number Azure accepts is 100; our explicit deny sits at the bottom of the custom range
# so it overrides the platform's default AllowVnetInBound (65000).
DENY_ALL_PRIORITY = 4096


@dataclass(frozen=True)
class AzureEnvironmentArgs:
    """The cloud-agnostic EnvironmentArgs plus the Azure network and region."""

    environment: EnvironmentArgs
    """Environment kind, tags/labels for every taggable child, and the log destination's retention."""
    location: str = "westeurope"
    """Azure region every regional resource is created in."""
    vnet_cidr: str = "10.50.0.0/16"
    """Address space of the virtual network."""
    workload_subnet_cidr: str = "10.50.0.0/23"
    """Subnet delegated to the Container Apps environment."""
    zone_redundant: bool = False
    """Spread the Container Apps environment (and NAT gateway IP) over availability zones."""
    nat_gateway: bool = True
    """Route egress through a NAT gateway with a static public IP."""
    test_access_cidrs: Sequence[str] = field(default_factory=tuple)
    """Extra source ranges admitted on 443 to reach the idle color's own FQDN (the test route)."""


class Environment(pulumi.ComponentResource):
    """One environment's shared Azure infrastructure; services' components are built on its outputs."""

    resource_group: resources.ResourceGroup
    network_security_group: network.NetworkSecurityGroup
    virtual_network: network.VirtualNetwork
    workload_subnet: network.Subnet
    nat_gateway: network.NatGateway | None
    egress_ip: network.PublicIPAddress | None
    workspace: operationalinsights.Workspace
    diagnostics: monitor.DiagnosticSetting
    managed_environment: app.ManagedEnvironment
    front_door: cdn.Profile
    front_door_diagnostics: monitor.DiagnosticSetting

    def __init__(self, name: str, args: AzureEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.environment.tags)
        location = args.location

        self.resource_group = resources.ResourceGroup(f"{name}-rg", location=location, tags=tags, opts=child)
        group = self.resource_group.name

        self.network_security_group = network.NetworkSecurityGroup(
            f"{name}-workload-nsg",
            resource_group_name=group,
            location=location,
            security_rules=workload_security_rules(args.workload_subnet_cidr, args.test_access_cidrs),
            tags=tags,
            opts=child,
        )
        self.virtual_network = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=group,
            location=location,
            address_space=network.AddressSpaceArgs(address_prefixes=[args.vnet_cidr]),
            tags=tags,
            # The workload subnet is its own resource below; ignoring the VNet's `subnets` keeps refreshes of the
            # VNet from proposing to drop it (subnets are declared either all inline or all standalone).
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )

        self.nat_gateway = None
        self.egress_ip = None
        if args.nat_gateway:
            zones = ["1", "2", "3"] if args.zone_redundant else None
            self.egress_ip = network.PublicIPAddress(
                f"{name}-egress-ip",
                resource_group_name=group,
                location=location,
                sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
                public_ip_allocation_method="Static",
                public_ip_address_version="IPv4",
                zones=zones,
                tags=tags,
                opts=child,
            )
            self.nat_gateway = network.NatGateway(
                f"{name}-nat",
                resource_group_name=group,
                location=location,
                sku=network.NatGatewaySkuArgs(name="Standard"),
                public_ip_addresses=[network.SubResourceArgs(id=self.egress_ip.id)],
                idle_timeout_in_minutes=4,
                tags=tags,
                opts=child,
            )

        self.workload_subnet = network.Subnet(
            f"{name}-workload-subnet",
            resource_group_name=group,
            virtual_network_name=self.virtual_network.name,
            address_prefix=args.workload_subnet_cidr,
            delegations=[network.DelegationArgs(name="container-apps", service_name="Microsoft.App/environments")],
            network_security_group=network.NetworkSecurityGroupArgs(id=self.network_security_group.id),
            nat_gateway=network.SubResourceArgs(id=self.nat_gateway.id) if self.nat_gateway else None,
            # With a NAT gateway every outbound flow has a known address; implicit default outbound is off.
            default_outbound_access=False if self.nat_gateway else None,
            opts=child,
        )

        self.workspace = operationalinsights.Workspace(
            f"{name}-logs",
            resource_group_name=group,
            location=location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.environment.log_retention_days,
            tags=tags,
            opts=child,
        )
        self.managed_environment = app.ManagedEnvironment(
            f"{name}-apps",
            resource_group_name=group,
            location=location,
            # Logs flow through Azure Monitor diagnostic settings (below) rather than the workspace's shared
            # key, so no workspace key is read into the program or stored in state.
            app_logs_configuration=app.AppLogsConfigurationArgs(destination="azure-monitor"),
            vnet_configuration=app.VnetConfigurationArgs(infrastructure_subnet_id=self.workload_subnet.id, internal=False),
            workload_profiles=[app.WorkloadProfileArgs(name=CONSUMPTION_PROFILE, workload_profile_type=CONSUMPTION_PROFILE)],
            zone_redundant=args.zone_redundant,
            tags=tags,
            opts=child,
        )

        self.diagnostics = monitor.DiagnosticSetting(
            f"{name}-apps-logs",
            resource_uri=self.managed_environment.id,
            workspace_id=self.workspace.id,
            log_analytics_destination_type="Dedicated",
            logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
            metrics=[monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)],
            opts=child,
        )

        self.front_door = cdn.Profile(
            f"{name}-frontdoor",
            resource_group_name=group,
            location="Global",
            sku=cdn.SkuArgs(name="Standard_AzureFrontDoor"),
            origin_response_timeout_seconds=60,
            tags=tags,
            opts=child,
        )
        self.front_door_diagnostics = monitor.DiagnosticSetting(
            f"{name}-frontdoor-logs",
            resource_uri=self.front_door.id,
            workspace_id=self.workspace.id,
            log_analytics_destination_type="Dedicated",
            # Access and health probe logs are what a canary's error rate per origin is read from.
            logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
            metrics=[monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)],
            opts=child,
        )

        self.resource_group_name: pulumi.Output[str] = group
        self.location = location
        self.environment_id: pulumi.Output[str] = self.managed_environment.id
        self.default_domain: pulumi.Output[str] = self.managed_environment.default_domain
        self.front_door_profile_name: pulumi.Output[str] = self.front_door.name
        # What the profile sends in X-Azure-FDID; apps compare it to tell this profile's requests from any
        # other Front Door's (the NSG's service tag admits them all).
        self.front_door_id: pulumi.Output[str] = self.front_door.front_door_id
        self.register_outputs(
            {
                "resourceGroupName": group,
                "location": location,
                "virtualNetworkId": self.virtual_network.id,
                "workloadSubnetId": self.workload_subnet.id,
                "managedEnvironmentId": self.managed_environment.id,
                "defaultDomain": self.default_domain,
                "staticIp": self.managed_environment.static_ip,
                "egressIp": self.egress_ip.ip_address if self.egress_ip else None,
                "workspaceId": self.workspace.id,
                "frontDoorProfileName": self.front_door.name,
                "frontDoorId": self.front_door_id,
            }
        )


def workload_security_rules(subnet_cidr: str, test_access_cidrs: Sequence[str]) -> list[network.SecurityRuleArgs]:
    """Inbound rules of the workload subnet: HTTPS from Front Door (and test ranges), the platform's load
    balancer and traffic inside the subnet; everything else inbound is denied."""
    rules = [
        network.SecurityRuleArgs(
            name="allow-front-door-https",
            description="Production traffic arrives only through Azure Front Door",
            priority=100,
            direction="Inbound",
            access="Allow",
            protocol="Tcp",
            source_address_prefix=FRONT_DOOR_SERVICE_TAG,
            source_port_range="*",
            destination_address_prefix=subnet_cidr,
            destination_port_range=HTTPS_PORT,
        )
    ]
    if test_access_cidrs:
        rules.append(
            network.SecurityRuleArgs(
                name="allow-test-access-https",
                description="Smoke tests reach the idle color on its own FQDN from these ranges",
                priority=110,
                direction="Inbound",
                access="Allow",
                protocol="Tcp",
                source_address_prefixes=list(test_access_cidrs),
                source_port_range="*",
                destination_address_prefix=subnet_cidr,
                destination_port_range=HTTPS_PORT,
            )
        )
    rules += [
        network.SecurityRuleArgs(
            name="allow-azure-load-balancer",
            description="Health probes of the environment's load balancer",
            priority=120,
            direction="Inbound",
            access="Allow",
            protocol="*",
            source_address_prefix="AzureLoadBalancer",
            source_port_range="*",
            destination_address_prefix=subnet_cidr,
            destination_port_range="*",
        ),
        network.SecurityRuleArgs(
            name="allow-within-subnet",
            description="Container Apps infrastructure and replicas talk to each other inside the subnet",
            priority=130,
            direction="Inbound",
            access="Allow",
            protocol="*",
            source_address_prefix=subnet_cidr,
            source_port_range="*",
            destination_address_prefix=subnet_cidr,
            destination_port_range="*",
        ),
        network.SecurityRuleArgs(
            name="deny-all-inbound",
            description="Nothing else reaches the workloads (overrides Azure's default AllowVnetInBound)",
            priority=DENY_ALL_PRIORITY,
            direction="Inbound",
            access="Deny",
            protocol="*",
            source_address_prefix="*",
            source_port_range="*",
            destination_address_prefix="*",
            destination_port_range="*",
        ),
    ]
    return rules
