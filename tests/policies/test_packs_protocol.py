"""The packs answer the engine's Analyzer protocol when started the way the Pulumi CLI starts them.

The CLI's `pulumi-analyzer-policy-python` runs `<virtualenv>/bin/python -u -m pulumi.policy <engine> .` in the
pack directory, the virtualenv being PulumiPolicy.yaml's `virtualenv` option resolved against that directory.
These tests do exactly that and talk gRPC with the SDK's generated stubs; then preflight's PolicyGate (Rollway's
own engine-side client) runs the packs with the shipped per-environment config files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from policy_harness import UNKNOWN
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from shipped import engine_config, resources

import policies.cost
import policies.security
from rollway.preview.analyzer import AnalyzedResource, PackSpec, PolicyGate, StackInfo

ROOT = Path(__file__).resolve().parents[2]
PACKS = {"security": policies.security.POLICIES, "cost": policies.cost.POLICIES}
LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}


@dataclass
class RunningPack:
    process: subprocess.Popen[bytes]
    channel: grpc.Channel
    stub: analyzer_pb2_grpc.AnalyzerStub

    def configure(
        self, levels: Mapping[str, str] | None = None, properties: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        """Configure as the engine does: every named policy gets a level and its properties (others keep defaults)."""
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name in set(levels or {}) | set(properties or {}):
            entry = request.policyConfig[name]
            entry.enforcementLevel = LEVELS[(levels or {}).get(name, "mandatory")]
            if name in (properties or {}):
                entry.properties.update(dict((properties or {})[name]))
        self.stub.Configure(request, timeout=30)


def virtualenv_python(pack: Path) -> Path:
    """The pack's own virtualenv's python, as the CLI resolves it. `pulumi install` creates that virtualenv from
    the pack's requirements.txt; where it has not been run (here, offline), this interpreter stands in: it has
    those requirements, and it is what `rollway preview` uses in the same case."""
    options = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())["runtime"]["options"]
    python = (pack / options["virtualenv"] / "bin" / "python").absolute()
    return python if python.exists() else Path(sys.executable)


def start_like_the_cli(pack: Path, stack: str) -> RunningPack:
    env = {**os.environ, "PULUMI_STACK": stack, "PULUMI_PROJECT": "rollway", "PULUMI_DRY_RUN": "true", "PULUMI_CONFIG": "{}"}
    process = subprocess.Popen(
        [str(virtualenv_python(pack)), "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=pack,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    port: list[bytes] = []
    reader = threading.Thread(target=lambda: port.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=60)
    if not port or not port[0].strip().isdigit():
        process.kill()
        _, stderr = process.communicate(timeout=10)
        raise AssertionError(f"{pack} did not print its port: {stderr.decode(errors='replace')[-2000:]}")
    channel = grpc.insecure_channel(f"127.0.0.1:{port[0].decode().strip()}")
    return RunningPack(process, channel, analyzer_pb2_grpc.AnalyzerStub(channel))


@pytest.fixture(scope="module")
def running() -> Iterator[dict[str, RunningPack]]:
    started: dict[str, RunningPack] = {}
    try:
        for name in PACKS:
            started[name] = start_like_the_cli(ROOT / "policies" / name, stack="prod")
        yield started
    finally:
        for pack in started.values():
            pack.channel.close()
            pack.process.terminate()
            try:
                pack.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pack.process.kill()
                pack.process.wait()


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update(dict(props))
    return value


def analyze(pack: RunningPack, resource_type: str, props: Mapping[str, Any]) -> list[analyzer_pb2.AnalyzeDiagnostic]:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type, properties=struct(props), urn=f"urn:pulumi:prod::rollway::{resource_type}::r", name="r"
    )
    return list(pack.stub.Analyze(request, timeout=30).diagnostics)


@pytest.mark.parametrize("name", PACKS)
def test_get_analyzer_info_lists_every_policy_with_description_and_schema(running: dict[str, RunningPack], name: str) -> None:
    info = running[name].stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == f"rollway-{name}" and info.supportsConfig
    assert [policy.name for policy in info.policies] == [policy.name for policy in PACKS[name]]
    for served, policy in zip(info.policies, PACKS[name], strict=True):
        assert served.description == policy.description and served.remediation_steps == policy.remediation_steps
        expected = policy.config_schema.properties if policy.config_schema else {}
        assert json_format.MessageToDict(served.configSchema.properties) == json.loads(json.dumps(expected))


def test_analyze_reports_a_violation_at_the_default_level(running: dict[str, RunningPack]) -> None:
    running["security"].configure()
    diagnostics = analyze(running["security"], "aws:rds/instance:Instance", {"publiclyAccessible": True})
    (diagnostic,) = [d for d in diagnostics if d.policyName == "rds-not-publicly-accessible"]
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY and diagnostic.severity == analyzer_pb2.POLICY_SEVERITY_CRITICAL


def test_configured_level_is_what_the_diagnostic_carries(running: dict[str, RunningPack]) -> None:
    running["security"].configure({"ecr-scan-on-push": "mandatory", "ecr-immutable-tags": "disabled"})
    diagnostics = analyze(running["security"], "aws:ecr/repository:Repository", {"imageTagMutability": "MUTABLE"})
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [("ecr-scan-on-push", analyzer_pb2.MANDATORY)]


def test_unknown_value_becomes_an_advisory_preview_note(running: dict[str, RunningPack]) -> None:
    running["security"].configure()
    diagnostics = analyze(
        running["security"],
        "aws:rds/instance:Instance",
        {"publiclyAccessible": UNKNOWN, "storageEncrypted": True, "backupRetentionPeriod": 7},
    )
    (diagnostic,) = diagnostics
    assert diagnostic.policyName == "rds-not-publicly-accessible"
    assert diagnostic.enforcementLevel == analyzer_pb2.ADVISORY and "can't be known during preview" in diagnostic.message


def test_stack_name_from_the_engine_selects_the_limits(running: dict[str, RunningPack]) -> None:
    running["cost"].configure()
    # The packs run as stack `prod`: a maximum of 20 is within prod's ceiling (dev's is 5).
    diagnostics = analyze(running["cost"], "aws:appautoscaling/target:Target", {"maxCapacity": 20})
    assert [d.policyName for d in diagnostics] == ["required-cost-tags"]


def test_remediate_fills_in_missing_cost_tags(running: dict[str, RunningPack]) -> None:
    running["cost"].configure(
        {"required-cost-tags": "remediate"}, {"required-cost-tags": {"defaults": {"cost-center": "platform", "owner": "team"}}}
    )
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:s3/bucket:Bucket",
        properties=struct({"bucket": "b"}),
        urn="urn:pulumi:prod::rollway::aws:s3/bucket:Bucket::b",
        name="b",
    )
    (remediation,) = running["cost"].stub.Remediate(request, timeout=30).remediations
    assert json_format.MessageToDict(remediation.properties)["tags"] == {
        "cost-center": "platform",
        "owner": "team",
        "environment": "prod",
    }


def test_analyze_stack_runs_the_budget(running: dict[str, RunningPack]) -> None:
    running["cost"].configure(properties={"monthly-budget": {"prod": {"monthlyBudgetUsd": 1}}})
    nat = analyzer_pb2.AnalyzerResource(
        type="aws:ec2/natGateway:NatGateway",
        urn="urn:pulumi:prod::rollway::aws:ec2/natGateway:NatGateway::nat",
        name="nat",
        properties=struct({}),
    )
    (diagnostic,) = running["cost"].stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[nat]), timeout=30).diagnostics
    assert diagnostic.policyName == "monthly-budget" and "$32.85" in diagnostic.message


def _repository(name: str) -> AnalyzedResource:
    return AnalyzedResource(
        urn=f"urn:pulumi:x::rollway::aws:ecr/repository:Repository::{name}",
        type="aws:ecr/repository:Repository",
        name=name,
        custom=True,
        properties={"imageTagMutability": "IMMUTABLE"},
    )


@pytest.mark.parametrize(("environment", "level"), [("dev", "advisory"), ("prod", "mandatory")])
def test_shipped_config_files_set_the_levels_through_a_real_client(environment: str, level: str) -> None:
    pack = PackSpec(ROOT / "policies" / "security", ROOT / "policies" / "config" / environment / "security.json")
    with PolicyGate([pack], StackInfo(project="rollway", stack=environment)) as gate:
        report = gate.analyze([_repository("images")])
    assert [(d.policy, d.level) for d in report.diagnostics] == [("ecr-scan-on-push", level)]


def test_dev_stack_passes_both_packs_over_the_protocol() -> None:
    specs = [PackSpec(ROOT / "policies" / pack, ROOT / "policies" / "config" / "dev" / f"{pack}.json") for pack in PACKS]
    stack = StackInfo(project="rollway", stack="dev", config=json.loads(engine_config("dev")))
    with PolicyGate(specs, stack) as gate:
        report = gate.analyze(list(resources("dev")))
    assert [f"{d.policy}: {d.message}" for d in report.mandatory] == []
    assert {policy.name for pack in report.packs for policy in pack.policies} == {p.name for ps in PACKS.values() for p in ps}
