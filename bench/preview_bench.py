"""Side-by-side timing of an offline "evaluate + policy-check" pass on the same blue/green + canary ECS architecture.

    .venv/bin/python bench/preview_bench.py [--repeat 3] [--stacks dev ten] [--no-cdk] [--gate-services 60]

Measured in one run, interleaved so that machine noise hits every contender alike (wall time of a fresh
process each, median of --repeat):
- raw Pulumi mocks: the peer program (../shared/bench/peers/raw-bluegreen) under plain set_mocks (bench/raw_mocks.py);
- rollway preview: `rollway preview` of the same program with both Rollway policy packs and their dev config;
- CDK + cdk-nag: ../shared/bench/peers/cdk_bluegreen.py N in its own virtualenv (created under /tmp on first use);
- the policy gate alone: Analyze/AnalyzeStack throughput of both packs over a large instance of the program.
Prints a Markdown table (copy it into bench/README.md with the machine it ran on). Child processes run with
PYTHONDONTWRITEBYTECODE unset, as `make` runs them.

    .venv/bin/python bench/preview_bench.py --repo-stack dev [--baseline DIR] [--repeat 5]

times `make preview`'s two commands instead (merge the environment's policy config, then `rollway preview` of
this repository's own stack with both packs), fresh processes, and with --baseline the same in another
checkout (e.g. `git archive main` unpacked, run with this virtualenv and PYTHONPATH=DIR), interleaved.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
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


def child_env() -> dict[str, str]:
    """The environment `make` gives its commands: bytecode caching on (the Makefile unexports
    PYTHONDONTWRITEBYTECODE, which this machine sets), so imports read .pyc files as they normally would."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(command: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the process and every child it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=child_env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: findings, still a complete run
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


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
    command = [sys.executable, "-m", "rollway.cli", "preview", "--cwd", str(RAW), "--stack", stack, "--json", os.devnull]
    command += [flag for pack in PACKS for flag in ("--policy-pack", str(ROOT / "policies" / pack))]
    command += [
        flag for pack in PACKS for flag in ("--policy-pack-config", str(ROOT / "policies" / "config" / "dev" / f"{pack}.json"))
    ]
    return command


def make_preview_commands(tree: Path, stack: str) -> list[list[str]]:
    """What `make preview STACK=stack` runs in `tree`, with this virtualenv's Python."""
    python = str(ROOT / ".venv" / "bin" / "python")
    config = tree / ".rollway" / "policy-config"
    preview = [python, "-m", "rollway.cli", "preview", "--cwd", str(tree), "--stack", stack]
    preview += [flag for pack in PACKS for flag in ("--policy-pack", str(tree / "policies" / pack))]
    preview += [flag for pack in PACKS for flag in ("--policy-pack-config", str(config / stack / f"{pack}.json"))]
    return [[python, "-m", "policies.common.envconfig", stack, "--out", str(config)], preview]


def repo_stack_rows(stack: str, trees: dict[str, Path], repeat: int) -> int:
    """Median wall and CPU of `make preview` (both commands) per tree, interleaved; prints a table."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    loads = [os.getloadavg()[0]]
    for _ in range(repeat):
        for name, tree in trees.items():
            wall = cpu = 0.0
            for command in make_preview_commands(tree, stack):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                env = dict(child_env(), PYTHONPATH=str(tree))
                done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
                wall += time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                if done.returncode not in (0, 1):
                    raise SystemExit(f"{name}: {' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
            times[name].append((wall, cpu))
            loads.append(os.getloadavg()[0])
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"1-min load average {min(loads):.1f}-{max(loads):.1f} during the run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(f"`make preview STACK={stack}` (both commands), median of {repeat} interleaved runs, fresh processes\n")
    print("| code | wall (median) | CPU-s (median) | walls | CPU-s |")
    print("|---|---|---|---|---|")
    for name, runs in times.items():
        walls = ", ".join(f"{wall:.1f}" for wall, _ in runs)
        cpus = ", ".join(f"{cpu:.1f}" for _, cpu in runs)
        print(
            f"| {name} | {statistics.median(w for w, _ in runs):.2f} s | {statistics.median(c for _, c in runs):.2f} "
            f"| {walls} | {cpus} |"
        )
    return 0


def gate_throughput(services: int, repeat: int) -> tuple[int, list[float]]:
    """Resources and seconds for Analyze (every custom resource) + AnalyzeStack with both packs, packs already up."""
    sys.path.insert(0, str(ROOT))
    from rollway.preview.analyzer import PackSpec, PolicyGate, StackInfo
    from rollway.preview.config import load_stack_settings
    from rollway.preview.gate import analyzed_resources
    from rollway.preview.project import load_project
    from rollway.preview.runner import evaluate_program

    project = load_project(RAW)
    settings = load_stack_settings(project, "ten", overrides=[f"services={services}"])
    recording = evaluate_program(project, settings, resolve_outputs=False).recording
    resources = analyzed_resources(recording.resources, project.name, settings.stack, settings.values)
    specs = [PackSpec(ROOT / "policies" / pack, ROOT / "policies" / "config" / "dev" / f"{pack}.json") for pack in PACKS]
    seconds = []
    with PolicyGate(specs, StackInfo(project.name, settings.stack, settings.engine_config())) as gate:
        gate.connect()
        for _ in range(repeat):
            started = time.perf_counter()
            gate.analyze(resources)
            seconds.append(time.perf_counter() - started)
    return len(resources), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stacks", nargs="+", default=["dev", "ten"], choices=sorted(SERVICES))
    parser.add_argument("--no-cdk", action="store_true")
    parser.add_argument("--gate-services", type=int, default=60, help="services in the program the gate is timed on")
    parser.add_argument("--gate-repeat", type=int, default=3, help="gate timings (median) on one set of running packs")
    parser.add_argument("--repo-stack", help="time `make preview` of this repository's stack instead (see above)")
    parser.add_argument("--baseline", type=Path, help="with --repo-stack: another checkout to time side by side")
    args = parser.parse_args()
    if args.repo_stack:
        trees = {"this tree": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
        return repo_stack_rows(args.repo_stack, trees, args.repeat)
    # This process runs the gate measurement itself: cache bytecode as `make` does.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False

    cdk = None if args.no_cdk else ensure_cdk()
    loads = [os.getloadavg()[0]]
    rows = []
    for stack in args.stacks:
        times: dict[str, list[tuple[float, float]]] = {"raw": [], "rollway": [], "cdk": []}
        for _ in range(args.repeat):
            times["raw"].append(timed([sys.executable, str(ROOT / "bench" / "raw_mocks.py"), str(RAW), stack]))
            times["rollway"].append(timed(rollway_command(stack)))
            if cdk is not None:
                times["cdk"].append(timed([str(cdk), str(PEERS / "cdk_bluegreen.py"), str(SERVICES[stack])], cwd=PEERS))
            loads.append(os.getloadavg()[0])
        medians = {
            name: (statistics.median(wall for wall, _ in values), statistics.median(cpu for _, cpu in values))
            for name, values in times.items()
            if values
        }
        rows.append((stack, medians))
    count, gate_times = gate_throughput(args.gate_services, args.gate_repeat)
    loads.append(os.getloadavg()[0])

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"1-min load average {min(loads):.1f}-{max(loads):.1f} during the run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(
        f"median of {args.repeat} runs per contender, fresh process each; wall seconds (CPU seconds: user + system, children included)\n"
    )
    print("| stack | raw Pulumi mocks | rollway preview (2 packs) | CDK + cdk-nag | rollway / raw | rollway / CDK |")
    print("|---|---|---|---|---|---|")
    for stack, medians in rows:
        raw, rollway, cdk_time = medians["raw"], medians["rollway"], medians.get("cdk")
        cdk_cell = f"{cdk_time[0]:.2f} s ({cdk_time[1]:.2f})" if cdk_time else "n/a"
        ratio_cdk = f"{rollway[0] / cdk_time[0]:.2f} ({rollway[1] / cdk_time[1]:.2f})" if cdk_time else "n/a"
        print(
            f"| {stack} ({SERVICES[stack]} svc) | {raw[0]:.2f} s ({raw[1]:.2f}) | {rollway[0]:.2f} s ({rollway[1]:.2f}) | {cdk_cell} "
            f"| {rollway[0] / raw[0]:.2f} ({rollway[1] / raw[1]:.2f}) | {ratio_cdk} |"
        )
    seconds = statistics.median(gate_times)
    spread = ", ".join(f"{value:.2f}" for value in gate_times)
    print(
        f"\npolicy gate: {count} resources through both packs in {seconds:.2f} s (median of {spread}) "
        f"= {count / seconds:.0f} resources/s (best {count / min(gate_times):.0f}/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
