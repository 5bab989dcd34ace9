"""Checks that preflight/pack_boot.py's fast servicer answers exactly as pulumi-policy's own, on real programs.

    .venv/bin/python bench/check_pack_boot.py [--services 60]

Evaluates the peer program (../shared/bench/peers/raw-bluegreen at --services) and this repository's stacks,
builds the Analyze/AnalyzeStack requests the gate sends, and runs both Rollway packs' servicers in-process
(no gRPC) twice over the same requests: first with the SDK's handlers, then after `pack_boot.install()`.
Every diagnostic and not-applicable entry must match, in order. Exit status 1 on any difference. Run it
after upgrading pulumi-policy before adding the version to `pack_boot.FAST_SDK_VERSIONS`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi.runtime.proto import analyzer_pb2  # noqa: E402
from pulumi_policy import EnforcementLevel  # noqa: E402
from pulumi_policy import policy as sdk  # noqa: E402

from rollway.preview import pack_boot  # noqa: E402
from rollway.preview.analyzer import LEVEL_CODES, LEVELS, _merge_config_file, _struct_to_dict, build_requests  # noqa: E402
from rollway.preview.config import load_stack_settings  # noqa: E402
from rollway.preview.gate import analyzed_resources  # noqa: E402
from rollway.preview.project import load_project  # noqa: E402
from rollway.preview.runner import evaluate_program  # noqa: E402

PACKS = ("security", "cost")


def configured_servicer(pack: str, environment: str) -> Any:
    """A pack's servicer, configured as the gate configures it (initial config + the environment's file)."""
    module = __import__(f"policies.{pack}", fromlist=["POLICIES"])
    servicer = sdk._PolicyAnalyzerServicer(module.PACK_NAME, "0.0.1", module.POLICIES, EnforcementLevel.ADVISORY)
    info = servicer.GetAnalyzerInfo(None, None)
    base: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        entry: dict[str, Any] = {"enforcementLevel": LEVELS.get(policy.enforcementLevel, "advisory")}
        if policy.name in info.initialConfig:
            initial = info.initialConfig[policy.name]
            entry.update(_struct_to_dict(initial.properties))
            if initial.enforcementLevel != analyzer_pb2.ADVISORY:
                entry["enforcementLevel"] = LEVELS[initial.enforcementLevel]
        base[policy.name] = entry
    schemas = {policy.name: policy.configSchema for policy in info.policies}
    _merge_config_file(ROOT / "policies" / "config" / environment / f"{pack}.json", base, schemas, pack)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, entry in base.items():
        config = request.policyConfig[name]
        config.enforcementLevel = LEVEL_CODES[entry["enforcementLevel"]]
        properties = {key: value for key, value in entry.items() if key != "enforcementLevel"}
        if properties:
            config.properties.update(properties)
    servicer.Configure(request, None)
    return servicer


def answers(requests: list[Any], stack_request: Any, environment: str) -> tuple[list[Any], float]:
    started = time.perf_counter()
    found: list[Any] = []
    for pack in PACKS:
        servicer = configured_servicer(pack, environment)
        for response in [servicer.Analyze(request, None) for request in requests] + [servicer.AnalyzeStack(stack_request, None)]:
            found.append([item.SerializeToString(deterministic=True) for item in response.diagnostics])
            found.append([item.SerializeToString(deterministic=True) for item in response.not_applicable])
    return found, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=60, help="services in the peer program")
    args = parser.parse_args()
    programs = [(ROOT.parent / "shared" / "bench" / "peers" / "raw-bluegreen", "ten", [f"services={args.services}"], "dev")]
    programs += [(ROOT, stack, [], stack) for stack in ("dev", "staging", "prod")]
    cases = []
    for directory, stack, overrides, environment in programs:
        project = load_project(directory)
        settings = load_stack_settings(project, stack, overrides=overrides)
        recording = evaluate_program(project, settings, resolve_outputs=False).recording
        resources = analyzed_resources(recording.resources, project.name, settings.stack, settings.values)
        cases.append((f"{project.name}/{stack}", *build_requests(resources), environment, len(resources)))
    expected = [answers(requests, stack_request, environment) for _, requests, stack_request, environment, _ in cases]
    print(f"pulumi-policy fast servicer: {pack_boot.install()}")
    failed = False
    for (name, requests, stack_request, environment, count), (want, sdk_seconds) in zip(cases, expected, strict=True):
        got, fast_seconds = answers(requests, stack_request, environment)
        same = got == want
        failed |= not same
        print(
            f"{name}: {count} resources, {sum(map(len, want))} entries, "
            f"{'identical' if same else 'DIFFERENT'}; SDK {sdk_seconds:.2f}s, fast {fast_seconds:.2f}s (both packs, no gRPC)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
