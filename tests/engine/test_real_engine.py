"""Rollway against the real Pulumi engine: the CLI built by `make engine`, a throwaway file:// backend, and the
offline test provider as every resource plugin. What the engine plans and what its policy run reports must equal
what `rollway preview` reports; a release step's blast radius is the engine's own plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from rollway.rollout.routing import ROUTING_TYPES
from rollway.testing.real_engine import PASSPHRASE, RealEngine, StackWorkspace

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ROLLWAY = Path(sys.executable).parent / "rollway"
SECURITY, COST = ROOT / "policies" / "security", ROOT / "policies" / "cost"
ROUTING = {type_ for types in ROUTING_TYPES.values() for type_ in types}
WORKLOAD_PREFIXES = (
    "aws:ecs/", "aws:lb/targetGroup", "aws:appautoscaling/", "kubernetes:apps/v1:Deployment",
    "kubernetes:autoscaling/", "gcp:compute/regionInstanceGroupManager", "gcp:compute/regionAutoscaler",
    "gcp:compute/regionBackendService", "gcp:compute/backendService", "gcp:cloudrunv2/", "azure-native:app:ContainerApp",
)  # fmt: skip

pytestmark = pytest.mark.engine


def rollway_preview(directory: Path, stack: str, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    done = subprocess.run(
        [str(ROLLWAY), "preview", "--cwd", str(directory), "--stack", stack, "--json", "-", *extra],
        capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.stdout.strip(), f"rollway preview printed no JSON (exit {done.returncode}): {done.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(done.stdout)
    report["exitCode"] = done.returncode
    return report


def planned_resources(plan: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(type, name, parent type) of every resource in the engine's plan, the stack itself left out."""
    steps = [step for step in plan["steps"] if step["urn"].split("::")[2] != "pulumi:pulumi:Stack"]
    types = {step["urn"]: step["urn"].split("::")[2].split("$")[-1] for step in plan["steps"]}
    result = set()
    for step in steps:
        state = step.get("newState") or step.get("oldState") or {}
        parent = state.get("parent", "")
        result.add((types[step["urn"]], step["urn"].split("::")[-1], types.get(parent, "")))
    return result


def rollway_resources(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    """As planned_resources; a resource registered without a parent is the stack's child, as the engine makes it."""
    types = {resource["urn"]: resource["type"] for resource in report["resources"]}
    return {
        (resource["type"], resource["name"], types.get(resource["parent"] or "", "pulumi:pulumi:Stack"))
        for resource in report["resources"]
        if resource["type"] != "pulumi:pulumi:Stack"
    }


Finding = tuple[str, str, str, str]
"""(pack, policy, enforcement level, URN)."""
FILLED_IN = "[decided on values with provider-computed fields filled in] "


def _cannot_run(message: str) -> bool:
    return message.startswith("can't run policy ") and " during preview: " in message


def engine_findings(plan: dict[str, Any]) -> tuple[Counter[Finding], set[tuple[str, str, str]]]:
    """The engine's findings, and the (pack, policy, URN) it could not decide on preview values."""
    decided: Counter[Finding] = Counter()
    blind: set[tuple[str, str, str]] = set()
    for event in plan["policyEvents"]:
        key = (event["policyPackName"], event["policyName"], event["enforcementLevel"], event.get("resourceUrn") or "")
        message = str(event.get("message", "")).split("\n", 1)[-1]
        if _cannot_run(message) or _cannot_run(str(event.get("message", ""))):
            blind.add((key[0], key[1], key[3]))
        decided[key] += 1
    return decided, blind


def rollway_findings(report: dict[str, Any]) -> tuple[Counter[Finding], Counter[Finding]]:
    """rollway preview's findings on preview values, and those it decided on the re-run with filled-in values."""
    plain: Counter[Finding] = Counter()
    filled_in: Counter[Finding] = Counter()
    for d in report["diagnostics"]:
        key = (d["pack"], d["policy"], d["level"], d["urn"] or "")
        (filled_in if d["message"].startswith(FILLED_IN) else plain)[key] += 1
    return plain, filled_in


def _default_provider(urn: str) -> bool:
    """The engine's own default providers (`default_7_51_1`), which a program never registers."""
    return urn.split("::")[2].startswith("pulumi:providers:") and urn.split("::")[-1].startswith("default")


def updates(plan: dict[str, Any]) -> list[tuple[str, str]]:
    changed = [step for step in plan["steps"] if step["op"] != "same"]
    assert all(step["op"] == "update" for step in changed), [(s["op"], s["urn"]) for s in changed]
    return sorted((step["urn"].split("::")[2].split("$")[-1], step["urn"].split("::")[-1]) for step in changed)


# -- the shipped stacks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "preview"])
def test_engine_plans_and_applies_the_same_resources_as_rollway_preview(engine: RealEngine, stack: str) -> None:
    report = rollway_preview(ROOT, stack)
    assert report["exitCode"] == 0, report["summary"]
    with engine.workspace(ROOT, stack) as ws:
        plan = ws.preview()
        assert planned_resources(plan) == rollway_resources(report)
        ws.up()
        applied = {r["urn"] for r in ws.resources() if r["type"] != "pulumi:pulumi:Stack" and not _default_provider(r["urn"])}
        assert applied == {r["urn"] for r in report["resources"] if r["type"] != "pulumi:pulumi:Stack"}
        assert ws.preview()["changeSummary"] == {"same": len(plan["steps"])}, "a second plan after up is not empty"


@pytest.fixture(scope="module")
def dev_applied(engine: RealEngine) -> Iterator[StackWorkspace]:
    with engine.workspace(ROOT, "dev") as ws:
        ws.up()
        yield ws


def test_canary_step_updates_exactly_the_routing_resource_per_cloud(dev_applied: StackWorkspace) -> None:
    ws = dev_applied
    ws.set_config("rollway:services.web.canaryWeight", "25", path=True)
    try:
        assert updates(ws.preview()) == [
            ("aws:lb/listener:Listener", "web-production"),
            ("azure-native:cdn:AFDOrigin", "web-blue"),
            ("azure-native:cdn:AFDOrigin", "web-green"),
            ("gcp:compute/uRLMap:URLMap", "web-routes"),
            ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "web-route"),
        ]
    finally:
        ws.set_config("rollway:services.web.canaryWeight", "10", path=True)


def test_live_flip_updates_only_routing_resources(dev_applied: StackWorkspace) -> None:
    ws = dev_applied
    ws.set_config("rollway:services.web.liveColor", "green", path=True)
    ws.set_config("rollway:services.web.canaryWeight", "0", path=True)
    try:
        changed = updates(ws.preview())
    finally:
        ws.set_config("rollway:services.web.liveColor", "blue", path=True)
        ws.set_config("rollway:services.web.canaryWeight", "10", path=True)
    assert changed, "a live flip planned no update"
    assert [c for c in changed if c[0] not in ROUTING] == []
    assert [c for c in changed if c[0].startswith(WORKLOAD_PREFIXES)] == []
    assert {c[0].split(":")[0] for c in changed} == {"aws", "azure-native", "gcp", "kubernetes"}


def test_secret_config_stays_encrypted_in_stack_file_and_state(dev_applied: StackWorkspace) -> None:
    ws = dev_applied
    plaintext = "Sup3r-secret-db-pw"
    ws.set_config("rollway:secrets.databasePassword", plaintext, path=True, secret=True)
    try:
        stack_file = (ws.directory / "Pulumi.dev.yaml").read_text(encoding="utf-8")
        assert plaintext not in stack_file and "secure:" in stack_file
        ws.up()
        assert plaintext not in json.dumps(ws.export())
        report = rollway_preview(ws.directory, "dev")
        assert report["exitCode"] == 0, report["summary"]
        assert plaintext not in json.dumps(report)
    finally:
        ws.run("config", "rm", "rollway:secrets.databasePassword", "--path")


# -- policy packs: the engine's findings equal rollway preview's ---------------------------------------------

FIXTURE_CASES: list[tuple[str, Path, Sequence[Path], Sequence[Path]]] = [  # (id, program, packs, configs)
    ("public-bucket/security", FIXTURES / "programs" / "public-bucket", [SECURITY], []),
    ("aws-bucket/security+cost", FIXTURES / "programs" / "aws-bucket", [SECURITY, COST], []),
    ("k8s-app/security", FIXTURES / "programs" / "k8s-app", [SECURITY], []),
    ("gcp-network/security", FIXTURES / "programs" / "gcp-network", [SECURITY], []),
    ("azure-storage/security+cost", FIXTURES / "programs" / "azure-storage", [SECURITY, COST], []),
    (
        "public-bucket/guardrails+config",
        FIXTURES / "programs" / "public-bucket",
        [FIXTURES / "packs" / "guardrails"],
        [FIXTURES / "packs" / "guardrails-config.json"],
    ),
    ("public-bucket/pack-wide-all", FIXTURES / "programs" / "public-bucket", [FIXTURES / "packs" / "all-mandatory"], []),
    ("public-bucket/nodejs", FIXTURES / "programs" / "public-bucket", [FIXTURES / "packs" / "node-guardrails"], []),
]
SHIPPED_STACKS = ("dev", "staging")
"""Shipped stacks checked with both packs and their environment's config; staging, not only dev, because the packs
must pick the stack's limits from its name under the engine as under rollway."""
PARITY_CASES: list[tuple[str, str, Path, Sequence[Path], Sequence[Path]]] = [  # (id, stack, program, packs, configs)
    *((case_id, "dev", program, packs, configs) for case_id, program, packs, configs in FIXTURE_CASES),
    *(
        (f"{stack}-stack/security+cost", stack, ROOT, [SECURITY, COST],
         [ROOT / "policies" / "config" / stack / f"{pack}.json" for pack in ("security", "cost")])
        for stack in SHIPPED_STACKS
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("stack", "program", "packs", "configs"), [case[1:] for case in PARITY_CASES], ids=[c[0] for c in PARITY_CASES]
)
def test_engine_policy_findings_equal_rollway_preview(
    engine: RealEngine, stack: str, program: Path, packs: Sequence[Path], configs: Sequence[Path]
) -> None:
    extra: list[str] = []
    for pack in packs:
        extra += ["--policy-pack", str(pack)]
    for config in configs:
        extra += ["--policy-pack-config", str(config)]
    report = rollway_preview(program, stack, *extra)
    with engine.workspace(program, stack) as ws:
        plan = ws.preview(packs, configs, check=False)
    theirs, blind = engine_findings(plan)
    mine, filled_in = rollway_findings(report)
    # What the engine could not decide on preview values, rollway preview decides on a re-run with provider-
    # computed values filled in: those notes are replaced by the re-run's findings (or by none, when compliant).
    # Everything else is the same finding from the same policy on the same resource at the same level.
    assert {(pack, policy, urn) for pack, policy, _, urn in filled_in} <= blind
    redecided = {key for key in theirs if (key[0], key[1], key[3]) in blind and key not in mine}
    expected = Counter({key: n for key, n in theirs.items() if key not in redecided})
    assert mine == expected, f"only rollway: {mine - expected}\nonly engine: {expected - mine}"
    if not filled_in:
        assert (report["exitCode"] == 0) == (plan["exitCode"] == 0)


STACK_AWARE = FIXTURES / "packs" / "stack-aware"


@pytest.mark.parametrize(
    ("stack", "environment", "expected"),
    [
        ("staging", None, "stack=staging project=public-bucket environment=None"),
        ("acme-blue", "prod", "stack=acme-blue project=public-bucket environment=prod"),
    ],
)
def test_a_policy_pack_sees_the_stack_it_serves(
    engine: RealEngine, tmp_path: Path, stack: str, environment: str | None, expected: str
) -> None:
    """The engine names the stack to a pack over gRPC only; the pack reads it as PULUMI_STACK / PULUMI_CONFIG. Our
    packs choose their limits by it: a pack that saw no stack would hold staging and prod to dev's limits."""
    program = tmp_path / "program"
    program.mkdir()
    source = FIXTURES / "programs" / "public-bucket"
    for name in ("Pulumi.yaml", "__main__.py"):
        (program / name).write_bytes((source / name).read_bytes())
    config = "config:\n  aws:region: us-east-1\n"
    if environment:
        config += f"  rollway:environment: {environment}\n"
    (program / f"Pulumi.{stack}.yaml").write_text(config)
    report = rollway_preview(program, stack, "--policy-pack", str(STACK_AWARE))
    with engine.workspace(program, stack) as ws:
        plan = ws.preview([STACK_AWARE], [], check=False)
    engine_messages = [str(event["message"]).strip().split("\n")[-1] for event in plan["policyEvents"]]
    assert engine_messages == [expected]
    assert [d["message"].strip().split("\n")[-1] for d in report["diagnostics"]] == [expected]


def test_pack_wide_initial_config_makes_policies_mandatory() -> None:
    report = rollway_preview(
        FIXTURES / "programs" / "public-bucket", "dev", "--policy-pack", str(FIXTURES / "packs" / "all-mandatory")
    )
    levels = {(d["policy"], d["level"]) for d in report["diagnostics"]}
    assert levels == {("no-public-read-acl", "mandatory"), ("buckets-are-tagged", "mandatory"), ("versioning-note", "advisory")}
    assert report["exitCode"] == 1


def test_pulumi_package_get_schema_serves_the_generated_component_schema(engine: RealEngine, tmp_path: Path) -> None:
    # The real CLI runs components/__main__.py through our language host (PulumiPlugin.yaml, runtime python).
    from components.package import schema

    done = subprocess.run(
        [str(engine.pulumi), "package", "get-schema", "./components"],
        cwd=ROOT,
        env=engine.env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    served = json.loads(done.stdout)
    assert set(served["resources"]) == set(schema()["resources"])
    assert (
        served["resources"]["rollway:kubernetes:CanaryRoute"]["inputProperties"]
        == (schema()["resources"]["rollway:kubernetes:CanaryRoute"]["inputProperties"])
    )
