"""A corpus entry and how it is judged."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policy_harness import Outcome, Res, check, check_stack
from pulumi_policy import EnforcementLevel, Policy

import policies.security
from policies.common.framework import RollwayResourcePolicy
from rollway.preview.gate import analyzed_resources
from rollway.testing import synth

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Program:
    """One corpus program."""

    name: str
    """Short kebab-case name, unique in the corpus."""
    insecure: bool
    """True when the program holds the misconfiguration named in `source`; False for a compliant program."""
    source: str
    """The check(s) it was written from, e.g. `CKV_AWS_64 / FSBP SQS.1`."""
    build: Callable[[], None]
    """The Pulumi program (registers resources with the provider SDKs)."""
    environment: str = "dev"
    """Stack, and so policy config, it is previewed as."""


@dataclass
class Verdict:
    """What both packs said about one program."""

    program: Program
    mandatory: list[str] = field(default_factory=list)
    """`policy: message` of every mandatory finding (the gate fails on these)."""
    advisory: list[str] = field(default_factory=list)
    cannot_know: list[str] = field(default_factory=list)
    """Policies that could not decide on preview values."""
    resolved: list[str] = field(default_factory=list)
    """Mandatory findings that appeared only when re-run on values with provider-computed fields filled in."""

    @property
    def blocked(self) -> bool:
        return bool(self.mandatory)


def pack_config(environment: str) -> dict[str, Any]:
    """The security pack's shipped config for an environment (the corpus measures the security pack)."""
    loaded: dict[str, Any] = json.loads((ROOT / "policies" / "config" / environment / "security.json").read_text())
    return loaded


def _level(policy: Policy, entry: Any) -> str:
    configured = entry if isinstance(entry, str) else (entry or {}).get("enforcementLevel")
    default = policy.enforcement_level or EnforcementLevel.ADVISORY
    return str(configured or default.value)


def _run(program: Program, preview: bool, only: set[str] | None = None) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(level, policy, message) of every finding, and the policies that could not decide."""
    config = pack_config(program.environment)
    stack_config = {"rollway:environment": program.environment}
    analyzed = analyzed_resources(
        synth(program.build, config=stack_config, stack=program.environment, preview=preview).resources,
        "corpus",
        program.environment,
        stack_config,
    )
    findings: list[tuple[str, str, str]] = []
    unknown: list[str] = []
    view = [Res.recorded(r) for r in analyzed]
    for policy in policies.security.POLICIES:
        if only is not None and policy.name not in only:
            continue
        entry = config.get(policy.name)
        level = _level(policy, entry)
        if level == "disabled":
            continue
        properties = entry if isinstance(entry, dict) else None
        outcomes: list[Outcome] = []
        if isinstance(policy, RollwayResourcePolicy):
            for resource in analyzed:
                if resource.custom and resource.type in policy.types:
                    provider = resource.provider.properties if resource.provider else None
                    outcomes.append(
                        check(
                            policy,
                            resource.type,
                            resource.properties,
                            config=properties,
                            provider_props=provider,
                            resource_name=resource.name,
                        )
                    )
        else:
            outcomes.append(check_stack(policy, view, config=properties))
        for outcome in outcomes:
            findings.extend((level, policy.name, message) for message in outcome.violations)
            if outcome.unknown is not None:
                unknown.append(policy.name)
    return findings, unknown


def evaluate(program: Program, resolve_unknowns: bool = True) -> Verdict:
    """Judge a program as `rollway preview` does: preview values first, then (by default) the policies that could
    not decide re-run on values with provider-computed fields filled in."""
    previous = {key: os.environ.get(key) for key in ("PULUMI_STACK", "PULUMI_CONFIG")}
    os.environ["PULUMI_STACK"] = program.environment
    os.environ["PULUMI_CONFIG"] = json.dumps({"rollway:environment": program.environment})
    try:
        findings, unknown = _run(program, preview=True)
        verdict = Verdict(program, cannot_know=sorted(set(unknown)))
        if resolve_unknowns and unknown:
            again, _still = _run(program, preview=False, only=set(unknown))
            findings += again
            verdict.resolved = [f"{name}: {message}" for level, name, message in again if level in ("mandatory", "remediate")]
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    for level, name, message in findings:
        target = verdict.mandatory if level in ("mandatory", "remediate") else verdict.advisory
        target.append(f"{name}: {message}")
    return verdict
