"""`lb-test-ports-not-public`: ports other than 80/443 on an internet-facing load balancer stay off the internet."""

from __future__ import annotations

from typing import Any

from policy_harness import BY_NAME, UNKNOWN, Res, check_stack
from pulumi_policy import EnforcementLevel

POLICY = "lb-test-ports-not-public"
SG_TYPE = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/1"

GROUP = Res(SG_TYPE, "web-alb", {"id": "sg-1", "vpcId": "vpc-1"})


def _balancer(internal: Any = False, groups: tuple[Res, ...] = (GROUP,), name: str = "web-alb-lb") -> Res:
    props: dict[str, Any] = {"arn": LB_ARN, "loadBalancerType": "application", "securityGroups": ["sg-1"]}
    if internal is not None:
        props["internal"] = internal
    return Res(
        "aws:lb/loadBalancer:LoadBalancer",
        name,
        props,
        dependencies=[group.urn for group in groups],
        property_dependencies={"securityGroups": [group.urn for group in groups]},
    )


def _rule(
    port: int,
    cidr: str,
    *,
    name: str | None = None,
    group: Res = GROUP,
    linked: bool = True,
    source_key: str = "cidrIpv4",
    **extra: Any,
) -> Res:
    group_id = group.props["id"]
    props = {"securityGroupId": group_id, "ipProtocol": "tcp", "fromPort": port, "toPort": port, source_key: cidr, **extra}
    return Res(
        INGRESS,
        name or f"web-alb-in-{port}",
        props,
        dependencies=[group.urn] if linked else [],
        property_dependencies={"securityGroupId": [group.urn]} if linked else {},
    )


def _listener(port: int, name: str) -> Res:
    balancer = _balancer()
    return Res(
        "aws:lb/listener:Listener",
        name,
        {"loadBalancerArn": LB_ARN, "port": port, "protocol": "HTTPS"},
        dependencies=[balancer.urn],
        property_dependencies={"loadBalancerArn": [balancer.urn]},
    )


def test_policy_is_advisory_by_default() -> None:
    assert BY_NAME[POLICY].enforcement_level == EnforcementLevel.ADVISORY


def test_public_test_port_on_internet_facing_load_balancer_is_reported() -> None:
    outcome = check_stack(POLICY, [GROUP, _balancer(), _rule(9443, "0.0.0.0/0")])
    assert len(outcome.violations) == 1
    message = outcome.violations[0]
    assert "'web-alb-in-9443': rule admits 0.0.0.0/0 on port 9443" in message
    assert "internet-facing load balancer aws:lb/loadBalancer:LoadBalancer 'web-alb-lb'" in message
    assert "idle, unreleased color" in message and "Fix:" in message


def test_report_names_the_listener_on_the_exposed_port() -> None:
    stack = [GROUP, _balancer(), _rule(9443, "0.0.0.0/0"), _listener(9443, "web-test"), _listener(443, "web-production")]
    message = check_stack(POLICY, stack).violations[0]
    assert "(listener 'web-test' on port 9443)" in message and "web-production" not in message


def test_production_ports_open_to_the_internet_pass() -> None:
    assert check_stack(POLICY, [GROUP, _balancer(), _rule(80, "0.0.0.0/0"), _rule(443, "0.0.0.0/0")]).passed


def test_test_port_restricted_to_trusted_ranges_passes() -> None:
    assert check_stack(POLICY, [GROUP, _balancer(), _rule(9443, "203.0.113.0/24")]).passed


def test_split_public_ranges_on_the_test_port_are_reported() -> None:
    stack = [GROUP, _balancer(), _rule(9443, "0.0.0.0/1", name="a"), _rule(9443, "128.0.0.0/1", name="b")]
    assert len(check_stack(POLICY, stack).violations) == 2


def test_ipv6_any_on_the_test_port_is_reported() -> None:
    rule = _rule(9443, "::/0", source_key="cidrIpv6")
    assert "admits ::/0" in check_stack(POLICY, [GROUP, _balancer(), rule]).violations[0]


def test_internal_load_balancer_is_not_concerned() -> None:
    assert check_stack(POLICY, [GROUP, _balancer(internal=True), _rule(9443, "0.0.0.0/0")]).passed


def test_unset_internal_means_internet_facing() -> None:
    assert not check_stack(POLICY, [GROUP, _balancer(internal=None), _rule(9443, "0.0.0.0/0")]).passed


def test_security_group_not_attached_to_a_load_balancer_is_not_concerned() -> None:
    other = Res(SG_TYPE, "other", {"id": "sg-2"})
    rule = _rule(9443, "0.0.0.0/0", group=other)
    assert check_stack(POLICY, [GROUP, other, _balancer(), rule]).passed


def test_rule_is_matched_by_literal_group_id_without_dependencies() -> None:
    assert not check_stack(POLICY, [_balancer(groups=()), _rule(9443, "0.0.0.0/0", linked=False)]).passed


def test_inline_ingress_of_the_attached_group_is_checked() -> None:
    inline = Res(
        SG_TYPE,
        "web-alb",
        {"id": "sg-1", "ingress": [{"protocol": "tcp", "fromPort": 8000, "toPort": 9000, "cidrBlocks": ["0.0.0.0/0"]}]},
    )
    assert "ingress[0] admits 0.0.0.0/0 on ports 8000-9000" in check_stack(POLICY, [inline, _balancer()]).violations[0]


def test_all_traffic_rule_is_reported() -> None:
    rule = _rule(0, "0.0.0.0/0", ipProtocol="-1")
    assert "on all ports" in check_stack(POLICY, [GROUP, _balancer(), rule]).violations[0]


def test_icmp_rule_opens_no_listener_port() -> None:
    rule = _rule(8, "0.0.0.0/0", ipProtocol="icmp")
    assert check_stack(POLICY, [GROUP, _balancer(), rule]).passed


def test_configured_production_ports_are_allowed() -> None:
    outcome = check_stack(POLICY, [GROUP, _balancer(), _rule(8443, "0.0.0.0/0")], config={"productionPorts": [443, 8443]})
    assert outcome.passed


def test_source_unknown_during_preview_is_left_undecided() -> None:
    assert check_stack(POLICY, [GROUP, _balancer(), _rule(9443, UNKNOWN)]).passed


def test_all_traffic_rule_names_only_the_non_production_listeners() -> None:
    stack = [GROUP, _balancer(), _rule(0, "0.0.0.0/0", ipProtocol="-1"), _listener(9443, "web-test"), _listener(443, "prod")]
    message = check_stack(POLICY, stack).violations[0]
    assert "(listener 'web-test' on port 9443)" in message and "'prod'" not in message
