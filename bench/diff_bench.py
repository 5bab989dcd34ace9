"""Times a two-sided comparison against one preview of the same stack (figures in bench/DIFF.md).

    .venv/bin/python bench/diff_bench.py [--stack staging] [--repeat 3] [--baseline DIR]

Contenders, interleaved, each a fresh `rollway` process:
- one preview:  `rollway preview --stack S --resolve-outputs` (one evaluation, no packs);
- diff:         `rollway diff --stack S --path -c rollway:services.web.canaryWeight=35` (two evaluations,
                both in the change's evaluation child: the base right after the change, SDKs imported once);
- diff (baseline): the same diff by the code in --baseline DIR (another checkout, run with this virtualenv
                and PYTHONPATH=DIR), when given;
- sequential:   the two evaluations one after the other (two `rollway preview` processes), what diff cost
                before it ran its sides side by side.
Reports the median wall time and CPU seconds (user + system of the child) and the 1-minute load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLLWAY = str(ROOT / ".venv" / "bin" / "rollway")
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def timed(commands: list[list[str]], tree: Path = ROOT) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for command in commands:
        subprocess.run(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="staging")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout whose `rollway diff` runs side by side")
    args = parser.parse_args()
    one = [[ROLLWAY, "preview", "--stack", args.stack, "--resolve-outputs"]]
    step = ["--path", "-c", "rollway:services.web.canaryWeight=35"]
    contenders = {
        "one preview": one,
        "diff (side by side)": [[ROLLWAY, "diff", "--stack", args.stack, *step]],
        "two previews in a row": [one[0], [*one[0], *step]],
    }
    trees = {name: ROOT for name in contenders}
    if args.baseline is not None:
        contenders["diff (baseline)"] = [[PYTHON, "-m", "rollway.cli", "diff", "--stack", args.stack, *step]]
        trees["diff (baseline)"] = args.baseline.resolve()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    loads = []
    for _ in range(args.repeat):
        for name, commands in contenders.items():
            loads.append(os.getloadavg()[0])
            results[name].append(timed(commands, trees[name]))
    print(f"stack {args.stack}, {args.repeat} runs each, 1-min load {min(loads):.1f}-{max(loads):.1f}")
    base = statistics.median(wall for wall, _ in results["one preview"])
    for name, runs in results.items():
        wall = statistics.median(wall for wall, _ in runs)
        cpu = statistics.median(cpu for _, cpu in runs)
        print(f"  {name:<24} wall {wall:6.1f} s ({wall / base:4.2f}x one preview)  cpu {cpu:6.1f} s")


if __name__ == "__main__":
    main()
