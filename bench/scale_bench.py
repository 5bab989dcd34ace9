"""Scale of `rollway preview` with both Rollway packs: wall, CPU and peak RSS at about 200 / 2,500 / 10,000 resources.

    .venv/bin/python bench/scale_bench.py [--sizes 67 834 3334] [--baseline DIR]

The program is tests/fixtures/programs/scale (3 resources per `scale:count`, plus the stack and provider).
Each size runs as a fresh `rollway preview` process; CPU and peak RSS include its children (the evaluation
child and the packs), peak RSS being the largest single process among them (getrusage's ru_maxrss).
With --baseline DIR (another checkout of this repository, e.g. `git archive main` unpacked, run with this
virtualenv and PYTHONPATH=DIR), every size also runs there, interleaved with this tree, for a side-by-side row.
Prints a Markdown table for bench/README.md; note the machine's load next to it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "fixtures" / "programs" / "scale"


def run(count: int, tree: Path = ROOT) -> tuple[int, float, float, float, str]:
    """(resources, wall s, CPU s, peak RSS MB, last line) of one preview of `count` buckets by the code in `tree`."""
    command = [
        str(ROOT / ".venv" / "bin" / "python"), "-m", "rollway.cli", "preview", "--cwd", str(PROGRAM), "--stack", "dev",
        "-c", f"scale:count={count}", "--json", "-",
        "--policy-pack", str(tree / "policies" / "security"), "--policy-pack", str(tree / "policies" / "cost"),
        "--policy-pack-config", str(tree / "policies" / "config" / "dev" / "security.json"),
        "--policy-pack-config", str(tree / "policies" / "config" / "dev" / "cost.json"),
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # Each size in its own `time`-like wrapper, so ru_maxrss is this run's, not the largest so far.
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "started = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - started\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "report = json.loads(done.stdout) if done.stdout.strip() else {}\n"
        "print(json.dumps({'code': done.returncode, 'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime,\n"
        "  'rss_kb': usage.ru_maxrss, 'resources': report.get('summary', {}).get('resources', 0),\n"
        "  'err': done.stderr.strip().splitlines()[-1:] }))\n"
    )
    # cwd is the tree: `python -m` puts the current directory first on sys.path, ahead of PYTHONPATH.
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], cwd=tree, capture_output=True, text=True, env=env, check=True
    )
    import json

    figures = json.loads(done.stdout)
    last = "ok" if figures["code"] in (0, 1) and figures["resources"] else f"exit {figures['code']}: {figures['err']}"
    return figures["resources"], figures["wall"], figures["cpu"], figures["rss_kb"] / 1024, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[67, 834, 3334], help="bucket counts (3 resources each)")
    parser.add_argument("--baseline", type=Path, help="another checkout to run side by side (see above)")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    trees = {"this tree": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    rows: dict[str, list[tuple[int, float, float, float, str, str, float]]] = {name: [] for name in trees}
    for count in args.sizes:
        for name, tree in trees.items():
            started = time.strftime("%H:%M:%S", time.gmtime())
            resources, wall, cpu, rss, last = run(count, tree)
            rows[name].append((resources, wall, cpu, rss, last, started, os.getloadavg()[0]))
            print(f"{name}: {resources} resources: {wall:.1f} s wall, {cpu:.1f} CPU-s, {rss:.0f} MB ({last})", file=sys.stderr)
    print("| code | resources | wall | CPU | peak RSS | CPU ms / resource | result | started (UTC), load after |")
    print("|---|---|---|---|---|---|---|---|")
    for name, measured in rows.items():
        for resources, wall, cpu, rss, last, started, load in measured:
            per = 1000 * cpu / resources if resources else 0.0
            print(
                f"| {name} | {resources:,} | {wall:.1f} s | {cpu:.1f} s | {rss:.0f} MB | {per:.2f} | {last} | {started}, {load:.1f} |"
            )
    for name, measured in rows.items():
        if len(measured) >= 2 and measured[0][0] and measured[-1][0]:
            (r0, _, c0, m0, *_), (r1, _, c1, m1, *_) = measured[0], measured[-1]
            print(
                f"\n{name}: marginal cost between {r0:,} and {r1:,} resources: {1000 * (c1 - c0) / (r1 - r0):.2f} CPU-ms "
                f"per resource, {1024 * (m1 - m0) / (r1 - r0):.1f} KB peak RSS per resource."
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
