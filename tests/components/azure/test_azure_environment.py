"""Azure Environment: network isolation, egress, logs, the Container Apps environment, Front Door, tags."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from components.azure.environment import DENY_ALL_PRIORITY, AzureEnvironmentArgs, Environment
from components.environment import EnvironmentArgs
from rollway.testing import Match, SynthesizedStack, synth

TAGS = {"cost-center": "platform-dev", "owner": "platform-team", "environment": "dev", "managed-by": "rollway"}
SUBNET = "10.50.0.0/23"
NSG = "azure-native:network:NetworkSecurityGroup"
# Every azure-native type the Environment registers that Azure lets carry tags.
TAGGABLE = (
    "azure-native:resources:ResourceGroup",
    "azure-native:network:VirtualNetwork",
    NSG,
    "azure-native:network:NatGateway",
    "azure-native:network:PublicIPAddress",
    "azure-native:operationalinsights:Workspace",
    "azure-native:app:ManagedEnvironment",
    "azure-native:cdn:Profile",
)


def args(**overrides: object) -> AzureEnvironmentArgs:
    values: dict[str, object] = {
        "environment": "dev",
        "tags": TAGS,
        "log_retention_days": 45,
        "location": "westeurope",
        "vnet_cidr": "10.50.0.0/16",
        "workload_subnet_cidr": SUBNET,
    }
    values.update(overrides)
    common = {key: values.pop(key) for key in ("environment", "tags", "log_retention_days") if key in values}
    return AzureEnvironmentArgs(environment=EnvironmentArgs(**common), **values)  # type: ignore[arg-type]


FRONT_DOOR_ID = "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f"
TEST_ACCESS = ("198.51.100.0/24",)


@cache
def environment(test_access: tuple[str, ...] = (), nat: bool = True, zone_redundant: bool = False) -> SynthesizedStack:
    return synth(
        lambda: Environment("rollway-dev", args(test_access_cidrs=test_access, nat_gateway=nat, zone_redundant=zone_redundant)),
        config={"azure-native:location": "westeurope"},
        resource_outputs={"azure-native:cdn:Profile": lambda a, c: {"frontDoorId": FRONT_DOOR_ID}},
    )


def with_options() -> SynthesizedStack:
    """The environment with the options that only add to it (test access ranges, zone redundancy): one run
    serves the tests of each."""
    return environment(test_access=TEST_ACCESS, zone_redundant=True)


def security_rules(stack: SynthesizedStack) -> list[dict[str, Any]]:
    return list(stack.of_type(NSG)[0].inputs["securityRules"])


def test_every_child_is_parented_to_the_component() -> None:
    stack = environment()
    component = stack.get("rollway:azure:Environment", "rollway-dev")
    custom = [r for r in stack.resources if r.custom and not r.is_provider]
    assert custom and all(r.parent == component.urn for r in custom)


@pytest.mark.parametrize(
    "type_",
    [
        "azure-native:resources:ResourceGroup",
        "azure-native:network:VirtualNetwork",
        "azure-native:network:Subnet",
        NSG,
        "azure-native:operationalinsights:Workspace",
        "azure-native:app:ManagedEnvironment",
        "azure-native:cdn:Profile",
    ],
)
def test_registers_one_of_each_building_block(type_: str) -> None:
    environment().resource_count_is(type_, 1)


def test_workload_subnet_is_delegated_to_container_apps_behind_the_nsg_and_nat() -> None:
    environment().has_resource_properties(
        "azure-native:network:Subnet",
        {
            "addressPrefix": SUBNET,
            "delegations": [{"serviceName": "Microsoft.App/environments"}],
            "networkSecurityGroup": {"id": Match.string_like_regexp(r"/networkSecurityGroups/")},
            "natGateway": {"id": Match.string_like_regexp(r"(?i)/natgatewa")},
            "defaultOutboundAccess": False,
        },
    )


def test_https_is_admitted_from_front_door_only_by_default() -> None:
    allowed_https = [
        r for r in security_rules(environment()) if r["access"] == "Allow" and r.get("destinationPortRange") == "443"
    ]
    assert [r.get("sourceAddressPrefix") for r in allowed_https] == ["AzureFrontDoor.Backend"]


def test_no_allow_rule_admits_the_internet_or_any_source() -> None:
    sources = {r.get("sourceAddressPrefix") for r in security_rules(environment()) if r["access"] == "Allow"}
    assert sources.isdisjoint({"*", "Internet", "0.0.0.0/0"}), sources


def test_everything_else_inbound_is_denied_after_the_allow_rules() -> None:
    rules = security_rules(environment())
    deny = [r for r in rules if r["access"] == "Deny"]
    assert len(deny) == 1
    assert deny[0]["priority"] == DENY_ALL_PRIORITY and deny[0]["sourceAddressPrefix"] == "*"
    assert all(r["priority"] < DENY_ALL_PRIORITY for r in rules if r["access"] == "Allow")


def test_test_access_ranges_get_their_own_https_rule() -> None:
    rules = security_rules(with_options())
    test_rule = [r for r in rules if r["name"] == "allow-test-access-https"]
    assert test_rule and test_rule[0]["sourceAddressPrefixes"] == ["198.51.100.0/24"]
    assert test_rule[0]["destinationPortRange"] == "443"


def test_without_nat_gateway_no_egress_ip_or_nat_is_created() -> None:
    stack = environment(nat=False)
    stack.resource_count_is("azure-native:network:NatGateway", 0)
    stack.resource_count_is("azure-native:network:PublicIPAddress", 0)
    stack.has_resource_properties("azure-native:network:Subnet", {"natGateway": Match.absent()})


def test_log_analytics_workspace_keeps_logs_for_the_retention() -> None:
    environment().has_resource_properties(
        "azure-native:operationalinsights:Workspace", {"retentionInDays": 45, "sku": {"name": "PerGB2018"}}
    )


def test_container_apps_environment_runs_in_the_workload_subnet() -> None:
    environment().has_resource_properties(
        "azure-native:app:ManagedEnvironment",
        {
            "vnetConfiguration": {"infrastructureSubnetId": Match.string_like_regexp(r"/subnets/"), "internal": False},
            "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"}],
        },
    )


def test_container_apps_logs_reach_the_workspace_without_a_shared_key() -> None:
    stack = environment()
    stack.has_resource_properties(
        "azure-native:app:ManagedEnvironment",
        {"appLogsConfiguration": Match.object_equals({"destination": "azure-monitor"})},
    )
    stack.has_resource_properties(
        "azure-native:monitor:DiagnosticSetting",
        {
            "resourceUri": Match.string_like_regexp(r"/managedEnvironments/"),
            "workspaceId": Match.string_like_regexp(r"/workspaces/"),
            "logs": [{"categoryGroup": "allLogs", "enabled": True}],
        },
    )


def test_zone_redundancy_is_passed_to_the_apps_environment() -> None:
    with_options().has_resource_properties("azure-native:app:ManagedEnvironment", {"zoneRedundant": True})
    environment().has_resource_properties("azure-native:app:ManagedEnvironment", {"zoneRedundant": False})


def test_front_door_profile_is_standard() -> None:
    environment().has_resource_properties(
        "azure-native:cdn:Profile", {"sku": {"name": "Standard_AzureFrontDoor"}, "location": "Global"}
    )


@pytest.mark.parametrize("type_", TAGGABLE)
def test_taggable_resources_carry_the_tags(type_: str) -> None:
    stack = environment()
    assert stack.of_type(type_), f"no {type_} registered"
    for resource in stack.of_type(type_):
        assert resource.inputs.get("tags") == TAGS, resource.name


def test_front_door_id_is_an_output_for_apps_to_check_x_azure_fdid() -> None:
    assert environment().get("rollway:azure:Environment", "rollway-dev").outputs["frontDoorId"] == FRONT_DOOR_ID
