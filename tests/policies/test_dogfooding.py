"""Rollway's own shipped stacks pass both packs with their environment's config: zero mandatory violations.

The stacks are synthesized with the test kit, turned into exactly what the engine would send to a policy pack
(rollway.preview.gate.analyzed_resources: wire-form inputs for Analyze, outputs for AnalyzeStack), and every policy
runs over them in-process with the environment's policy-pack-config files applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policy_harness import ALL_POLICIES, Res, check, check_stack
from pulumi_policy import EnforcementLevel, Policy
from shipped import decoded, decoded_outputs, engine_config, resources

from policies.common.framework import RollwayResourcePolicy, StackContext, StackResource
from policies.common.props import plain
from policies.cost.budget import estimate

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("dev", "staging", "prod")


def pack_config(stack: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for pack in ("security", "cost"):
        merged.update(json.loads((ROOT / "policies" / "config" / stack / f"{pack}.json").read_text()))
    return merged


def level(policy: Policy, entry: Any) -> str:
    configured = entry if isinstance(entry, str) else (entry or {}).get("enforcementLevel")
    default = policy.enforcement_level or EnforcementLevel.ADVISORY
    return str(configured or default.value)


def mandatory_findings(stack: str, preview: bool = False) -> list[str]:
    config = pack_config(stack)
    findings: list[str] = []
    analyzed = resources(stack, preview)
    stack_view = [Res.recorded(r) for r in analyzed]
    for policy in ALL_POLICIES:
        entry = config.get(policy.name)
        if level(policy, entry) not in ("mandatory", "remediate"):
            continue
        properties = entry if isinstance(entry, dict) else None
        if isinstance(policy, RollwayResourcePolicy):
            for resource in analyzed:
                if not resource.custom or resource.type not in policy.types:
                    continue
                provider = resource.provider.properties if resource.provider else None
                outcome = check(
                    policy,
                    resource.type,
                    resource.properties,
                    config=properties,
                    provider_props=provider,
                    resource_name=resource.name,
                    prepared=decoded(stack, resource.urn, preview),
                )
                findings += [f"{policy.name}: {message}" for message in outcome.violations]
        else:
            findings += [
                f"{policy.name}: {message}"
                for message in check_stack(
                    policy, stack_view, config=properties, prepared=decoded_outputs(stack, preview)
                ).violations
            ]
    return findings


@pytest.fixture
def as_stack(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def identify(stack: str) -> None:
        monkeypatch.setenv("PULUMI_STACK", stack)
        monkeypatch.setenv("PULUMI_CONFIG", engine_config(stack))

    return identify


@pytest.mark.parametrize("stack", SHIPPED)
def test_shipped_stack_has_no_mandatory_violations(stack: str, as_stack: Callable[[str], None]) -> None:
    as_stack(stack)
    assert mandatory_findings(stack) == []


def test_dev_stack_preview_has_no_mandatory_violations(as_stack: Callable[[str], None]) -> None:
    # `make preview` runs the packs on a preview, where outputs of not-yet-created resources are unknown:
    # those must give advisory "can't be known" notes, never a mandatory verdict.
    as_stack("dev")
    assert mandatory_findings("dev", preview=True) == []


@pytest.mark.parametrize("stack", SHIPPED)
def test_budget_estimate_of_shipped_stack_is_real_and_within_budget(stack: str, as_stack: Callable[[str], None]) -> None:
    as_stack(stack)
    view = [
        StackResource(
            r.type,
            r.name,
            r.urn,
            plain(decoded_outputs(stack)[r.urn]),
            r.parent or None,
            list(r.dependencies),
            {k: list(v) for k, v in r.property_dependencies.items()},
        )
        for r in resources(stack)
    ]
    total, lines = estimate(StackContext(view, {}), "max")
    budget = pack_config(stack)["monthly-budget"][stack]["monthlyBudgetUsd"]
    # Every service is priced on every cloud the stack targets (an unpriced stack would pass vacuously).
    priced = {line.label.split(" ")[0] for line in lines}
    assert {"aws:ecs/service:Service", "kubernetes:apps/v1:Deployment"} <= priced
    assert 0 < total <= budget


@pytest.mark.parametrize("stack", SHIPPED)
def test_shipped_stack_keeps_its_test_listeners_off_the_internet(stack: str, as_stack: Callable[[str], None]) -> None:
    # Advisory by default, so the mandatory sweep above would not notice; the shipped stacks must still be clean.
    as_stack(stack)
    analyzed = resources(stack)
    view = [Res.recorded(r) for r in analyzed]
    assert check_stack("lb-test-ports-not-public", view, prepared=decoded_outputs(stack)).violations == []
    # Not vacuous: the same stack with one of its test-port rules widened to the internet is reported.
    test_ports = {(r.outputs or r.properties).get("port") for r in analyzed if r.type == "aws:lb/listener:Listener"} - {80, 443}
    rule = next(
        r
        for r in view
        if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" and r.props.get("fromPort") in test_ports
    )
    widened = Res(
        rule.type, f"{rule.name}-widened", {**rule.props, "cidrIpv4": "0.0.0.0/0"}, rule.dependencies, rule.property_dependencies
    )
    assert check_stack("lb-test-ports-not-public", [*view, widened]).violations
