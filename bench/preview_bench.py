"""Side-by-side timing of an offline "evaluate + policy-check" pass on the same blue/green + canary ECS architecture.

    .venv/bin/python bench/preview_bench.py [--repeat 3] [--stacks dev ten] [--no-cdk] [--gate-services 60]

Measured in one run, interleaved so that machine noise hits every contender alike (wall time of a fresh
process each, median of --repeat):
- raw Pulumi mocks: the peer program (../shared/bench/peers/raw-bluegreen) under plain set_mocks (bench/raw_mocks.py);
- rollway preview: `rollway preview` of the same program with both Rollway policy packs and their dev config;
- CDK + cdk-nag: ../shared/bench/peers/cdk_bluegreen.py N in its own virtualenv (created under /tmp on first use);
- the policy gate alone: Analyze/AnalyzeStack throughput of both packs over a large instance of the program.
Prints a Markdown table (copy it into bench/README.md with the machine it ran on).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = (ROOT.parent / "shared" / "bench" / "peers").resolve()
RAW = PEERS / "raw-bluegreen"
CDK_VENV = Path("/tmp/cdkv")
PACKS = ("security", "cost")
SERVICES = {"dev": 1, "ten": 10}


def timed(command: list[str], cwd: Path = ROOT) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: findings, still a complete run
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def ensure_cdk() -> Path | None:
    python = CDK_VENV / "bin" / "python"
    probe = [str(python), "-c", "import aws_cdk, cdk_nag"]
    if python.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python
    print(f"creating {CDK_VENV} (aws-cdk-lib, cdk-nag<3) ...", file=sys.stderr)
    steps = [
        [sys.executable, "-m", "uv", "venv", "--quiet", "--python", "python3", str(CDK_VENV)],
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "aws-cdk-lib",
            "cdk-nag<3",
            "constructs",
        ],
    ]
    for step in steps:
        if subprocess.run(step, check=False).returncode != 0:
            print("could not create the CDK virtualenv; skipping CDK", file=sys.stderr)
            return None
    return python


def rollway_command(stack: str) -> list[str]:
    command = [sys.executable, "-m", "preflight.cli", "preview", "--cwd", str(RAW), "--stack", stack, "--json", os.devnull]
    command += [flag for pack in PACKS for flag in ("--policy-pack", str(ROOT / "policies" / pack))]
    command += [
        flag for pack in PACKS for flag in ("--policy-pack-config", str(ROOT / "policies" / "config" / "dev" / f"{pack}.json"))
    ]
    return command


def gate_throughput(services: int) -> tuple[int, float]:
    """Resources and seconds for Analyze (every custom resource) + AnalyzeStack with both packs, packs already up."""
    sys.path.insert(0, str(ROOT))
    from preflight.analyzer import PackSpec, PolicyGate, StackInfo
    from preflight.config import load_stack_settings
    from preflight.gate import analyzed_resources
    from preflight.project import load_project
    from preflight.runner import evaluate_program

    project = load_project(RAW)
    settings = load_stack_settings(project, "ten", overrides=[f"services={services}"])
    recording = evaluate_program(project, settings, resolve_outputs=False).recording
    resources = analyzed_resources(recording.resources, project.name, settings.stack, settings.values)
    specs = [PackSpec(ROOT / "policies" / pack, ROOT / "policies" / "config" / "dev" / f"{pack}.json") for pack in PACKS]
    with PolicyGate(specs, StackInfo(project.name, settings.stack, settings.engine_config())) as gate:
        gate.connect()
        started = time.perf_counter()
        gate.analyze(resources)
        return len(resources), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stacks", nargs="+", default=["dev", "ten"], choices=sorted(SERVICES))
    parser.add_argument("--no-cdk", action="store_true")
    parser.add_argument("--gate-services", type=int, default=60, help="services in the program the gate is timed on")
    args = parser.parse_args()

    cdk = None if args.no_cdk else ensure_cdk()
    rows = []
    for stack in args.stacks:
        times: dict[str, list[float]] = {"raw": [], "rollway": [], "cdk": []}
        for _ in range(args.repeat):
            times["raw"].append(timed([sys.executable, str(ROOT / "bench" / "raw_mocks.py"), str(RAW), stack]))
            times["rollway"].append(timed(rollway_command(stack)))
            if cdk is not None:
                times["cdk"].append(timed([str(cdk), str(PEERS / "cdk_bluegreen.py"), str(SERVICES[stack])], cwd=PEERS))
        medians = {name: statistics.median(values) for name, values in times.items() if values}
        rows.append((stack, medians))

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(f"median of {args.repeat} runs, wall seconds per fresh process\n")
    print("| stack | raw Pulumi mocks | rollway preview (2 packs) | CDK + cdk-nag | rollway / raw | rollway / CDK |")
    print("|---|---|---|---|---|---|")
    for stack, medians in rows:
        cdk_time = medians.get("cdk")
        ratio_cdk = f"{medians['rollway'] / cdk_time:.2f}" if cdk_time else "n/a"
        cdk_cell = f"{cdk_time:.2f}" if cdk_time else "n/a"
        print(
            f"| {stack} ({SERVICES[stack]} svc) | {medians['raw']:.2f} | {medians['rollway']:.2f} | {cdk_cell} "
            f"| {medians['rollway'] / medians['raw']:.2f} | {ratio_cdk} |"
        )
    count, seconds = gate_throughput(args.gate_services)
    print(f"\npolicy gate: {count} resources through both packs in {seconds:.2f} s = {count / seconds:.0f} resources/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
