"""The shipped per-environment policy-pack-config files: the CLI's format, valid against each policy's schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pulumi_policy import EnforcementLevel, Policy

import policies.cost
import policies.security
from policies.common.environment import ENVIRONMENTS

CONFIG_ROOT = Path(__file__).resolve().parents[2] / "policies" / "config"
PACKS: dict[str, list[Policy]] = {"security": policies.security.POLICIES, "cost": policies.cost.POLICIES}
LEVELS = ["advisory", "mandatory", "remediate", "disabled"]
FILES = [(environment, pack) for environment in ENVIRONMENTS for pack in PACKS]


def load(environment: str, pack: str) -> dict[str, Any]:
    return json.loads((CONFIG_ROOT / environment / f"{pack}.json").read_text())


def cli_schema(policy: Policy) -> dict[str, Any]:
    """The schema the CLI validates a policy's config with: the policy's properties plus enforcementLevel."""
    properties = dict(policy.config_schema.properties) if policy.config_schema else {}
    properties["enforcementLevel"] = {"type": "string", "enum": LEVELS}
    return {"type": "object", "properties": properties}


@pytest.mark.parametrize(("environment", "pack"), FILES)
def test_config_names_only_policies_of_its_own_pack(environment: str, pack: str) -> None:
    names = {policy.name for policy in PACKS[pack]}
    assert set(load(environment, pack)) - {"all"} <= names


@pytest.mark.parametrize(("environment", "pack"), FILES)
def test_config_entries_validate_against_the_policy_schema(environment: str, pack: str) -> None:
    by_name = {policy.name: policy for policy in PACKS[pack]}
    for name, entry in load(environment, pack).items():
        if isinstance(entry, str):
            assert entry in LEVELS, name
        else:
            jsonschema.validate(entry, cli_schema(by_name[name]))


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_security_config_never_relaxes_a_mandatory_policy(environment: str) -> None:
    config = load(environment, "security")
    for policy in policies.security.POLICIES:
        entry = config.get(policy.name)
        level = entry if isinstance(entry, str) else (entry or {}).get("enforcementLevel")
        if policy.enforcement_level == EnforcementLevel.MANDATORY:
            assert level in (None, "mandatory"), policy.name
    assert config.get("all") in (None, "mandatory")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cost_config_sets_its_own_environments_limits_for_every_limit_policy(environment: str) -> None:
    config = load(environment, "cost")
    for policy in policies.cost.POLICIES:
        limits = getattr(policy, "limits_spec", None)
        if limits is not None:
            assert set(config[policy.name][environment]) == set(limits.properties), policy.name


def test_production_promotes_hygiene_policies_to_mandatory() -> None:
    assert load("prod", "security")["ecr-scan-on-push"] == "mandatory"
    assert load("dev", "security").get("ecr-scan-on-push") is None
