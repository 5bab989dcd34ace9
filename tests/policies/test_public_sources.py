"""Public-source detection: a rule open to a large share of the internet is public however the range is spelled."""

from __future__ import annotations

from typing import Any

import pytest
from policy_harness import check

from policies.common.network import describe_source, is_public_source

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
FIREWALL = "gcp:compute/firewall:Firewall"
NSG_RULE = "azure-native:network:SecurityRule"
CLOUD_SQL = "gcp:sql/databaseInstance:DatabaseInstance"


@pytest.mark.parametrize(
    "source",
    ["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "64.0.0.0/2", "10.0.0.0/7", "::/0", "::/0 ", "::/1", "2000::/3", "8000::/1"],
)
def test_wide_non_private_ranges_are_public(source: str) -> None:
    assert is_public_source(source)


@pytest.mark.parametrize("source", ["*", "Any", "Internet", "internet", "0.0.0.0"])
def test_everyone_tags_are_public(source: str) -> None:
    assert is_public_source(source)


@pytest.mark.parametrize(
    "source",
    [
        "10.0.0.0/8",
        "11.0.0.0/8",
        "172.16.0.0/12",
        "203.0.113.0/24",
        "224.0.0.0/3",
        "240.0.0.0/4",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
        "2001:db8::/32",
        "2600::/16",
        "VirtualNetwork",
        "AzureLoadBalancer",
        "not-a-cidr",
        "",
    ],
)
def test_private_reserved_and_narrow_ranges_are_not_public(source: str) -> None:
    assert not is_public_source(source)


@pytest.mark.parametrize("value", [None, 0, ["0.0.0.0/0"], {"cidr": "0.0.0.0/0"}])
def test_non_string_sources_are_not_public(value: Any) -> None:
    assert not is_public_source(value)


def test_partial_public_range_is_described_with_its_share() -> None:
    assert describe_source("0.0.0.0/1") == "0.0.0.0/1 (a public range: 1/2 of all IPv4 addresses)"


def test_whole_internet_and_tags_are_shown_as_written() -> None:
    assert [describe_source(value) for value in ("0.0.0.0/0", " ::/0 ", "Internet")] == ["0.0.0.0/0", "::/0", "Internet"]


def _split_ingress(port_from: int, port_to: int, protocol: str = "tcp") -> dict[str, Any]:
    halves = ["0.0.0.0/1", "128.0.0.0/1"]
    return {"ingress": [{"protocol": protocol, "fromPort": port_from, "toPort": port_to, "cidrBlocks": halves}]}


def test_split_ipv4_halves_on_ssh_violate_the_admin_port_policy() -> None:
    outcome = check("security-group-no-public-admin-ports", SG, _split_ingress(22, 22))
    assert "allows 0.0.0.0/1 (a public range: 1/2 of all IPv4 addresses) on port(s) 22" in outcome.violations[0]


def test_split_ipv4_halves_on_every_port_violate_the_all_ports_policy() -> None:
    outcome = check("security-group-no-public-all-ports", SG, _split_ingress(0, 65535))
    assert "allows all traffic from 0.0.0.0/1" in outcome.violations[0]


def test_ipv6_half_on_rdp_violates_the_admin_port_policy() -> None:
    props = {"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIpv6": "8000::/1", "securityGroupId": "sg-1"}
    outcome = check("security-group-no-public-admin-ports", SG_INGRESS, props)
    assert "8000::/1 (a public range: 1/2 of all IPv6 addresses) on port(s) 3389" in outcome.violations[0]


def test_ipv6_any_with_trailing_space_violates_the_all_ports_policy() -> None:
    props = {
        "type": "ingress",
        "protocol": "-1",
        "fromPort": 0,
        "toPort": 0,
        "ipv6CidrBlocks": ["::/0 "],
        "securityGroupId": "sg-1",
    }
    assert "all traffic from ::/0" in check("security-group-no-public-all-ports", SG_RULE, props).violations[0]


def test_private_range_on_ssh_passes_the_admin_port_policy() -> None:
    props = {
        "ingress": [
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"], "ipv6CidrBlocks": ["fd00::/8"]}
        ]
    }
    assert check("security-group-no-public-admin-ports", SG, props).passed


def test_split_ranges_on_a_gcp_firewall_violate_the_admin_port_policy() -> None:
    props = {"network": "vpc", "sourceRanges": ["0.0.0.0/1", "128.0.0.0/1"], "allows": [{"protocol": "tcp", "ports": ["22"]}]}
    assert "allows 0.0.0.0/1" in check("gcp-firewall-no-public-admin-ports", FIREWALL, props).violations[0]


def test_ipv6_range_on_a_gcp_firewall_violates_the_all_ports_policy() -> None:
    props = {"network": "vpc", "sourceRanges": ["2000::/3"], "allows": [{"protocol": "all"}]}
    assert "every port from 2000::/3" in check("gcp-firewall-no-public-all-ports", FIREWALL, props).violations[0]


@pytest.mark.parametrize("source", ["0.0.0.0/1", "Any", "::/0"])
def test_public_sources_on_an_azure_nsg_rule_violate_the_admin_port_policy(source: str) -> None:
    props = {
        "direction": "Inbound",
        "access": "Allow",
        "protocol": "Tcp",
        "sourceAddressPrefix": source,
        "destinationPortRange": "22",
        "priority": 100,
    }
    assert "port(s) 22" in check("azure-nsg-no-public-admin-ports", NSG_RULE, props).violations[0]


def test_split_range_in_cloud_sql_authorized_networks_is_reported() -> None:
    props = {"settings": {"ipConfiguration": {"authorizedNetworks": [{"value": "128.0.0.0/1"}], "sslMode": "ENCRYPTED_ONLY"}}}
    assert "128.0.0.0/1 (a public range" in check("cloudsql-no-public-authorized-networks", CLOUD_SQL, props).violations[0]
