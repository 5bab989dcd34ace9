"""The README's command on Rollway's own dev stack, and the blast radius of a canary step."""

from __future__ import annotations

import json

import pytest
from preflight_support import REPO

PACKS = ("security", "cost")
ROUTING_TYPES = {
    "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    "gcp:compute/uRLMap:URLMap",
    "azure-native:cdn:AFDOrigin",
    "azure-native:cdn:Route",
}


def pack_flags(stack: str) -> list[str]:
    flags = [flag for pack in PACKS for flag in ("--policy-pack", str(REPO / "policies" / pack))]
    return flags + [
        flag for pack in PACKS for flag in ("--policy-pack-config", str(REPO / "policies" / "config" / stack / f"{pack}.json"))
    ]


@pytest.mark.parametrize("mode", [[], ["--resolve-outputs"]], ids=["unknown-outputs", "resolve-outputs"])
def test_dev_stack_passes_both_policy_packs(rollway, mode: list[str]) -> None:
    run = rollway("preview", "--cwd", REPO, "--stack", "dev", *pack_flags("dev"), "--json", "-", *mode)
    report = json.loads(run.out)
    assert run.code == 0, report["diagnostics"]
    assert [pack["name"] for pack in report["summary"]["packs"]] == ["rollway-security", "rollway-cost"]
    assert report["summary"]["resources"] > 50


def test_canary_step_changes_only_routing_resources(rollway) -> None:
    run = rollway("diff", "--cwd", REPO, "--stack", "dev", "--path", "-c", "rollway:services.web.canaryWeight=20", "--json", "-")
    changes = json.loads(run.out)["changes"]
    assert changes
    assert {(change["kind"], change["type"]) for change in changes} <= {("update", type_) for type_ in ROUTING_TYPES}
    assert all(path["path"].endswith("weight") for change in changes for path in change["paths"])
